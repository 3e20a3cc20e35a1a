"""Pushes under faults, through the real handlers: the API accepts a push (202), SQS (moto)
holds the job, the worker's and the dead-letter queue's Lambda entry points deliver it as
Lambda's event source mapping would (a batch; what the handler does not report as failed
is deleted; a crashed invocation deletes nothing), and a fake remote misbehaves.

After each fault, the push is accounted for: no push is `pending` after one visibility
timeout without a recorded attempt and reason, every push that is not finished still has
its job on the queue (or the dead-letter queue), and a failed push says why. Time is moved
on explicitly (`_one_visibility_timeout_later`): what SQS keeps hidden comes back, and the
leases the worker took are that much older.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fakes.services import SECRET, FakeService
from hail_tools import template as tpl
from hail_tools import triggers
from hail_tools.atomic import serialise_dynamodb_writes
from hail_tools.gateway import LambdaContext, import_handler
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

PUSH = "/v1/publications/{}/connections"
VISIBILITY_TIMEOUT = 180  # PushQueue's (checked below against template.yaml)
REGION = "eu-west-1"


class WorkerKilled(BaseException):
    """What a crash looks like from inside: nothing the worker can catch or record."""


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch, seeded: Any) -> Iterator[None]:
    """Posts may reach 127.0.0.1; retries come back at once; a 2 s deadline per exchange."""
    from hail import pushing, queue
    from hail.settings import get_settings

    serialise_dynamodb_writes()
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOKS", "true")
    monkeypatch.setenv("PUSH_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("PUSH_DEADLINE_SECONDS", "2")
    get_settings.cache_clear()
    pushing.default_worker.cache_clear()
    queue.reset()
    yield
    get_settings.cache_clear()
    pushing.default_worker.cache_clear()
    queue.reset()


@dataclass
class Sqs:
    """Lambda's SQS event source mapping, one batch at a time, and the clock."""

    aws: Any
    gateway: Any
    held: list[dict[str, Any]] = field(default_factory=list)  # received, not deleted

    def _handler(self, logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
        function = tpl.functions(self.aws.template, self.gateway.context)[logical_id]
        handler = import_handler(function)

        def invoke(event: dict[str, Any], request_id: str) -> Any:
            return handler(event, LambdaContext(function, self.gateway.context, request_id))

        return invoke

    def deliver(self, queue: str = "PushQueue") -> dict[str, Any] | None:
        """Receive a batch and invoke the queue's function: its answer, or None if the
        invocation crashed. Deletes what succeeded, as Lambda does."""
        url = self.aws.queues[queue]
        messages = self.aws.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        assert messages, f"nothing to deliver on {queue}"
        function = "PushWorkerFunction" if queue == "PushQueue" else "PushDeadLettersFunction"
        event = triggers.sqs_event(messages, f"arn:aws:sqs:{REGION}:123456789012:{queue}", REGION)
        ids = [m["MessageId"] for m in messages]
        try:
            answer: dict[str, Any] | None = self._handler(function)(event, str(uuid.uuid4()))
            kept = triggers.failed_message_ids(answer, ids, report_failures=True)
        except WorkerKilled:
            answer, kept = None, set(ids)
        for message in messages:
            if message["MessageId"] in kept:
                self.held.append({"queue": url, **message})
            else:
                self.aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return answer

    def waiting(self, queue: str = "PushQueue") -> int:
        """Messages a receive would get now."""
        attributes = self.aws.sqs.get_queue_attributes(
            QueueUrl=self.aws.queues[queue], AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])


@pytest.fixture
def sqs(aws: Any, gateway: Any) -> Sqs:
    return Sqs(aws, gateway)


@pytest.fixture
def hook() -> Iterator[FakeService]:
    """webhook-demo pointed at a fake receiver."""
    from hail import connections

    with FakeService("webhook") as fake:
        connections.update_connection(
            "demo-school",
            "webhook-demo",
            settings={"url": fake.url},
            credentials={"secret": SECRET},
        )
        yield fake


def _push(api: Any, publication: str = "welcome1", connection: str = "webhook-demo") -> None:
    response = api("POST", PUSH.format(publication), json={"connection_id": connection})
    assert response.status == 202, response.json()


def _state(publication: str = "welcome1", connection: str = "webhook-demo") -> dict[str, Any]:
    from hail.storage import connections as connections_db

    found = connections_db.get_push(publication, connection)
    assert found is not None, "an accepted push was lost"
    return found


def _listed(api: Any, publication: str = "welcome1", connection: str = "webhook-demo") -> Any:
    return next(c for c in api("GET", PUSH.format(publication)).json() if c["id"] == connection)


def _queued_push_ids(aws: Any) -> set[str]:
    """Push ids of every job on the push queue or its dead-letter queue, hidden or not."""
    import json

    queues = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues
    found = set()
    for logical_id in ("PushQueue", "PushDeadLetterQueue"):
        name = aws.queues[logical_id].rsplit("/", 1)[1]
        found |= {json.loads(m.body)["push_id"] for m in queues[name]._messages}
    return found


def _one_visibility_timeout_later(sqs: Sqs) -> None:
    """What SQS held back comes back, and every lease the worker took is that much older."""
    for message in sqs.held:
        sqs.aws.sqs.change_message_visibility(
            QueueUrl=message["queue"], ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    sqs.held.clear()
    scanned = sqs.aws.dynamodb.scan(
        TableName=sqs.aws.table_name,
        FilterExpression="begins_with(sk, :push) AND attribute_exists(lease_until)",
        ExpressionAttributeValues={":push": {"S": "PUSH#"}},
    )["Items"]
    for item in scanned:
        sqs.aws.dynamodb.update_item(
            TableName=sqs.aws.table_name,
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="SET lease_until = lease_until - :t",
            ExpressionAttributeValues={":t": {"N": str(VISIBILITY_TIMEOUT)}},
        )


def _assert_accounted(aws: Any, *pairs: tuple[str, str]) -> None:
    """Every accepted push of these pairs: posted; or failed with its reason; or pending or
    retrying with a recorded attempt and reason and its job still queued (not lost)."""
    queued = _queued_push_ids(aws)
    for publication, connection in pairs:
        state = _state(publication, connection)
        if state["status"] == "posted":
            continue
        assert state.get("last_error"), f"{state['status']} push without a reason: {state}"
        assert state.get("attempts", 0) >= 1, f"no attempt recorded: {state}"
        if state["status"] in ("pending", "retrying"):
            assert state["push_id"] in queued, f"an unfinished push has no job: {state}"


WELCOME = ("welcome1", "webhook-demo")


def test_the_visibility_timeout_assumed_here_is_the_queues(aws: Any) -> None:
    assert aws.template["Resources"]["PushQueue"]["Properties"]["VisibilityTimeout"] == (
        VISIBILITY_TIMEOUT
    )


# ----------------------------------------------------------------- remotes that misbehave


@pytest.mark.parametrize("answer", ["hang", "drip"])
def test_a_remote_that_hangs_or_drips_is_cut_at_the_deadline_and_retried(
    api: Any, aws: Any, sqs: Sqs, hook: FakeService, answer: str
) -> None:
    # Given a push to a receiver that never answers, or answers one byte at a time
    _push(api)
    hook.then(answer)

    # When the worker delivers it
    response = sqs.deliver()

    # Then the exchange is cut at the deadline: retrying, with the attempt and the reason,
    # shown by the API; the job is back on the queue
    assert response is not None and len(response["batchItemFailures"]) == 1
    state = _state()
    assert (state["status"], state["attempts"]) == ("retrying", 1)
    reason = "Network error: timed out (no complete answer within 2 s)"
    assert state["last_error"] == reason
    assert _listed(api)["last_error"] == reason
    _assert_accounted(aws, WELCOME)

    # When it comes back and the receiver answers
    assert sqs.waiting() == 1  # the backoff (0 s here) replaced the visibility timeout
    assert sqs.deliver() == {"batchItemFailures": []}

    # Then it is posted, once more, with the same push id
    assert _state()["status"] == "posted"
    assert [r.headers["x-hail-push-id"] for r in hook.received] == [state["push_id"]] * 2
    _assert_accounted(aws, WELCOME)


def test_a_429_is_retried_no_sooner_than_its_retry_after(
    api: Any, aws: Any, sqs: Sqs, hook: FakeService
) -> None:
    # Given a receiver that answers 429 with Retry-After: 7
    _push(api)
    hook.then("rate_limited")

    # When the worker delivers the push
    sqs.deliver()

    # Then it is retrying with the reason, and its job stays hidden for the Retry-After
    state = _state()
    assert (state["status"], state["attempts"]) == ("retrying", 1)
    assert state["last_error"] == 'The webhook answered 429: {"error": "slow down"}'
    assert sqs.waiting() == 0
    assert _state()["push_id"] in _queued_push_ids(aws)
    _assert_accounted(aws, WELCOME)

    # When that time has passed, the next delivery posts it
    _one_visibility_timeout_later(sqs)
    assert sqs.deliver() == {"batchItemFailures": []}
    assert _state()["status"] == "posted"


def test_a_remote_that_stays_down_fails_the_push_after_the_last_attempt(
    api: Any, aws: Any, sqs: Sqs, hook: FakeService
) -> None:
    # Given a receiver answering 503 to every attempt
    _push(api)
    hook.then(*["server_error"] * 5)

    # When every delivery fails (each accounted for in between)
    for _ in range(5):
        sqs.deliver()
        _assert_accounted(aws, WELCOME)

    # Then the push failed for good, with the reason; the job is done with
    state = _state()
    assert (state["status"], state["attempts"]) == ("failed", 5)
    assert state["last_error"] == (
        'Gave up after 5 attempts. The webhook answered 503: {"error": "maintenance"}'
    )
    assert _queued_push_ids(aws) == set()


def test_a_401_fails_the_push_and_puts_the_connection_in_exception(
    api: Any, aws: Any, sqs: Sqs, hook: FakeService
) -> None:
    _push(api)
    hook.then("revoked")

    assert sqs.deliver() == {"batchItemFailures": []}

    listed = _listed(api)
    reason = 'The webhook answered 401: {"error": "bad signature"}'
    assert (listed["status"], listed["last_error"]) == ("failed", reason)
    assert (listed["exception"], listed["exception_reason"]) == (True, reason)
    _assert_accounted(aws, WELCOME)


# ----------------------------------------------------------------- the worker itself fails


def _connections(count: int, url: str) -> list[str]:
    from hail import connections

    made = [f"hook-{n}" for n in range(count)]
    for ident in made:
        connections.add_connection(
            "demo-school", connection_id=ident, service="webhook", name=ident,
            settings={"url": url}, credentials={"secret": SECRET},
        )  # fmt: skip
    return made


def test_a_worker_crash_mid_batch_is_recorded_by_the_next_delivery(
    api: Any, aws: Any, sqs: Sqs, hook: FakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hail.storage import connections as connections_db

    # Given three pushes in one batch, and a worker that dies while recording the outcome
    # of the second (after claiming it and posting it)
    pushed = _connections(3, hook.url)
    for ident in pushed:
        _push(api, connection=ident)
    finish = connections_db.finish_push

    def dies_on_hook_1(publication: str, connection: str, *args: Any, **kwargs: Any) -> bool:
        if connection == "hook-1":
            raise WorkerKilled
        return finish(publication, connection, *args, **kwargs)

    monkeypatch.setattr(connections_db, "finish_push", dies_on_hook_1)

    # When the batch is delivered: the invocation crashes
    assert sqs.deliver() is None

    # Then the others were posted; the one it died on shows its attempt (a lease, no outcome
    # yet): pending, but for less than one visibility timeout; every job is still queued
    states = {ident: _state(connection=ident) for ident in pushed}
    assert [states[i]["status"] for i in pushed] == ["posted", "pending", "posted"]
    assert states["hook-1"]["attempts"] == 1
    assert "lease_until" in states["hook-1"]
    assert len(_queued_push_ids(aws)) == 3
    monkeypatch.setattr(connections_db, "finish_push", finish)

    # When SQS delivers the batch again, one visibility timeout later
    _one_visibility_timeout_later(sqs)
    assert sqs.deliver() == {"batchItemFailures": []}

    # Then the posted ones are left alone, and the one that crashed records why before it
    # is posted again (the receiver dedupes by push id)
    after = {ident: _state(connection=ident) for ident in pushed}
    assert after["hook-0"] == states["hook-0"] and after["hook-2"] == states["hook-2"]
    assert (after["hook-1"]["status"], after["hook-1"]["attempts"]) == ("posted", 2)
    assert after["hook-1"]["last_error"] == (
        "Attempt 1 did not finish: the worker stopped (crashed or timed out) before "
        "recording what came of it."
    )
    assert _listed(api, connection="hook-1")["last_error"] == after["hook-1"]["last_error"]
    ids = [r.headers["x-hail-push-id"] for r in hook.received]
    assert len(ids) == 4 and ids.count(after["hook-1"]["push_id"]) == 2
    _assert_accounted(aws, *(("welcome1", i) for i in pushed))


def test_a_duplicate_delivery_during_a_post_waits_and_then_does_nothing(
    api: Any, aws: Any, sqs: Sqs, hook: FakeService
) -> None:
    # Given a push whose post is under way (the receiver hangs until the deadline)
    _push(api)
    hook.then("hang")
    message = aws.sqs.receive_message(QueueUrl=aws.queues["PushQueue"], AttributeNames=["All"])[
        "Messages"
    ][0]
    event = triggers.sqs_event([message], f"arn:aws:sqs:{REGION}:123456789012:PushQueue", REGION)
    worker = sqs._handler("PushWorkerFunction")
    answers: dict[str, Any] = {}
    first = threading.Thread(target=lambda: answers.update(first=worker(event, "a")))
    first.start()
    while not hook.received:  # the first delivery is posting
        threading.Event().wait(0.01)

    # When SQS delivers the same message again meanwhile (at least once)
    answers["second"] = worker(event, "b")
    first.join()

    # Then the duplicate posted nothing and comes back later; the first recorded its outcome
    assert answers["second"] == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    assert len(hook.received) == 1
    state = _state()
    assert (state["status"], state["attempts"]) == ("retrying", 1)
    assert state["last_error"] == "Network error: timed out (no complete answer within 2 s)"
    _assert_accounted(aws, WELCOME)

    # When it comes back, the receiver answering
    _one_visibility_timeout_later(sqs)
    aws.sqs.change_message_visibility(
        QueueUrl=aws.queues["PushQueue"],
        ReceiptHandle=message["ReceiptHandle"],
        VisibilityTimeout=0,
    )
    assert sqs.deliver() == {"batchItemFailures": []}
    assert _state()["status"] == "posted"
    assert len(hook.received) == 2


def test_deliveries_that_never_finish_end_in_the_dead_letter_queue_with_the_reason(
    api: Any, aws: Any, sqs: Sqs, hook: FakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hail import pushing

    # Given a worker that dies before posting, every time
    _push(api)

    def dies(*args: Any, **kwargs: Any) -> Any:
        raise WorkerKilled

    monkeypatch.setattr(pushing.Worker, "_post", dies)

    # When SQS delivers it maxReceiveCount (5) times, a visibility timeout apart
    for attempt in range(1, 6):
        assert sqs.deliver() is None
        state = _state()
        assert state["attempts"] == attempt
        _one_visibility_timeout_later(sqs)
        # Then from the second delivery on, the push says why (the previous attempt)
        if attempt > 1:
            assert state["status"] == "retrying"
            assert state["last_error"].startswith(f"Attempt {attempt - 1} did not finish")
            _assert_accounted(aws, WELCOME)

    # When SQS moves it to the dead-letter queue (on the next receive) and its handler gets it
    assert aws.sqs.receive_message(QueueUrl=aws.queues["PushQueue"]).get("Messages", []) == []
    assert sqs.waiting("PushDeadLetterQueue") == 1
    assert sqs.deliver("PushDeadLetterQueue") == {"batchItemFailures": []}

    # Then it failed, saying why, and nothing was posted
    state = _state()
    assert state["status"] == "failed"
    assert state["last_error"].startswith("Not delivered: no delivery of this push recorded")
    assert state["last_error"].endswith(
        "Last error: Attempt 4 did not finish: the worker stopped (crashed or timed out) "
        "before recording what came of it."
    )
    assert hook.received == []
    _assert_accounted(aws, WELCOME)
