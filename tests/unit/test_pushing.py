"""The push worker's rules, with in-memory stand-ins for DynamoDB, SQS and the services."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hail import queue
from hail.connections import PushJob
from hail.observability import metrics
from hail.pushing import (
    DEAD_LETTER_REASON,
    Claim,
    Delivery,
    RetryLater,
    Worker,
    mark_dead_letters,
    process_batch,
    unfinished_reason,
)
from hail.services import Post, Result
from hail_tools.triggers import sqs_event

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
ARN = "arn:aws:sqs:eu-west-1:123456789012:PushQueue"


def _job(push_id: str = "push-1", connection_id: str = "hook") -> PushJob:
    return PushJob(
        push_id=push_id,
        org_id="demo-school",
        publication_id="welcome1",
        connection_id=connection_id,
        title="Welcome back!",
        url="https://hail.test/p/welcome1",
        comment="Hi",
    )


@dataclass
class MemoryStore:
    """PushStore in memory, with the same conditions as the DynamoDB one."""

    states: dict[str, dict[str, Any]] = field(default_factory=dict)  # connection id -> state
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    publications: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pending(self, job: PushJob, status: str = "pending", **extra: Any) -> None:
        self.states[job.connection_id] = {"push_id": job.push_id, "status": status, **extra}

    def _active(self, job: PushJob) -> dict[str, Any] | None:
        state = self.states.get(job.connection_id, {})
        if state.get("push_id") == job.push_id and state.get("status") in ("pending", "retrying"):
            return state
        return None

    def claim(self, job: PushJob, *, attempt: int, now: datetime, lease_seconds: int) -> Claim:
        with self.lock:
            state = self._active(job)
            if state is None:
                return Claim("done")
            if state.get("lease_until", 0) >= now.timestamp():
                return Claim("busy")
            before = dict(state)
            lease = int(now.timestamp()) + lease_seconds
            state.update(attempts=attempt, lease_until=lease)
            return Claim("claimed", unfinished_reason(before, attempt), lease)

    def note(self, job: PushJob, error: str, *, now: datetime, lease_until: int) -> bool:
        with self.lock:
            state = self._active(job)
            if state is None or state.get("lease_until") != lease_until:
                return False
            state.update(status="retrying", last_error=error)
            return True

    def delivery(self, job: PushJob) -> Delivery:
        return Delivery(
            self.connections.get(job.connection_id),
            self.secrets.get(job.connection_id, {}),
            self.publications.get(job.publication_id),
        )

    def finish(self, job: PushJob, status: str, *, now: datetime, error: str | None = None) -> bool:
        with self.lock:
            state = self._active(job)
            if state is None:
                return False
            state["status"] = status
            state.pop("lease_until", None)
            if status == "posted":
                state["last_successful_post"] = now.strftime("%Y-%m-%d %H:%M:%S")
            if error is not None:
                state["last_error"] = error
            return True

    def last_error(self, job: PushJob) -> str | None:
        state = self.states.get(job.connection_id, {})
        found: str | None = state.get("last_error") if state.get("push_id") == job.push_id else None
        return found

    def put_in_exception(
        self, org_id: str, connection_id: str, reason: str, *, now: datetime
    ) -> None:
        self.connections[connection_id].update(exception=True, exception_reason=reason)


@dataclass
class MemoryRedelivery:
    delays: list[tuple[str, int]] = field(default_factory=list)
    broken: bool = False

    def delay(self, receipt_handle: str, seconds: int) -> None:
        if self.broken:
            raise queue.QueueUnavailable("no queue")
        self.delays.append((receipt_handle, seconds))


@dataclass
class Scripted:
    """A `deliver` that answers from a list and records what it was asked to post."""

    results: list[Result]
    posted: list[tuple[str, Post, dict[str, str]]] = field(default_factory=list)
    before: Callable[[], None] | None = None

    def __call__(
        self, service: str, post: Post, settings: Any, credentials: Any, http: Any
    ) -> Result:
        if self.before:
            self.before()
        self.posted.append((service, post, dict(credentials)))
        return self.results.pop(0)


def _world(*results: Result) -> tuple[Worker, MemoryStore, MemoryRedelivery, Scripted]:
    store = MemoryStore()
    store.connections["hook"] = {
        "id": "hook",
        "service": "webhook",
        "authorised": True,
        "configured": True,
        "exception": False,
        "settings": {"url": "https://example.org/h"},
    }
    store.secrets["hook"] = {"secret": "s"}
    store.publications["welcome1"] = {
        "id": "welcome1",
        "org_id": "demo-school",
        "title": "Welcome back!",
        "status": "published",
    }
    redelivery = MemoryRedelivery()
    deliver = Scripted(list(results))
    worker = Worker(
        store,
        redelivery,
        http=object(),  # type: ignore[arg-type]
        max_attempts=5,
        retry_base=30,
        retry_cap=900,
        deliver=deliver,
        clock=lambda: NOW,
        jitter=lambda: 1.0,
    )
    return worker, store, redelivery, deliver


# ------------------------------------------------------------------ outcomes


def test_posted() -> None:
    # Given a pending push and a service that accepts it
    worker, store, redelivery, deliver = _world(Result("posted", "ok"))
    store.pending(_job())

    # When the worker processes its first delivery
    outcome = worker.process(_job(), attempt=1, receipt_handle="r1")

    # Then it is posted, with the time, and the service got the publication and credentials
    assert outcome == "posted"
    assert store.states["hook"] == {
        "push_id": "push-1",
        "status": "posted",
        "attempts": 1,
        "last_successful_post": "2026-11-22 10:00:00",
    }
    service, post, credentials = deliver.posted[0]
    assert (service, credentials) == ("webhook", {"secret": "s"})
    assert post == Post("push-1", "welcome1", "Welcome back!", "https://hail.test/p/welcome1", "Hi")
    assert redelivery.delays == []


def test_retry_backs_off_and_reports_the_record() -> None:
    # Given a service that is down
    worker, store, redelivery, _ = _world(Result("retry", "The webhook answered 503"))
    store.pending(_job())

    # When the second delivery fails
    with pytest.raises(RetryLater):
        worker.process(_job(), attempt=2, receipt_handle="r2")

    # Then the push is retrying, keeps the reason, and comes back after 30 * 2 seconds
    assert store.states["hook"]["status"] == "retrying"
    assert store.states["hook"]["last_error"] == "The webhook answered 503"
    assert "lease_until" not in store.states["hook"]
    assert redelivery.delays == [("r2", 60)]


def test_retry_after_is_honoured() -> None:
    worker, store, redelivery, _ = _world(Result("retry", "429", retry_after=300.5))
    store.pending(_job())
    with pytest.raises(RetryLater):
        worker.process(_job(), attempt=1, receipt_handle="r")
    assert redelivery.delays == [("r", 301)]


@pytest.mark.parametrize(
    ("attempt", "jitter", "retry_after", "delay"),
    [
        (1, 1.0, None, 30),
        (2, 1.0, None, 60),
        (3, 1.0, None, 120),
        (4, 1.0, None, 240),
        (10, 1.0, None, 900),  # capped
        (1, 0.0, None, 15),  # the jitter spans the upper half
        (2, 0.5, None, 45),
        (1, 1.0, 5.0, 30),  # a shorter Retry-After does not shorten the backoff
        (1, 1.0, 10**9, 6 * 3600),  # a huge one is bounded
    ],
)
def test_backoff(attempt: int, jitter: float, retry_after: float | None, delay: int) -> None:
    worker, *_ = _world()
    worker.jitter = lambda: jitter
    assert worker.backoff(attempt, retry_after) == delay


def test_last_attempt_fails_for_good() -> None:
    # Given a push on its last allowed delivery, and the service still down
    worker, store, redelivery, _ = _world(Result("retry", "Network error: timed out"))
    store.pending(_job(), status="retrying")

    # When it fails again
    outcome = worker.process(_job(), attempt=5, receipt_handle="r5")

    # Then it is failed (the message is deleted, not retried), with the reason
    assert outcome == "gave_up"
    assert store.states["hook"]["status"] == "failed"
    assert store.states["hook"]["last_error"] == (
        "Gave up after 5 attempts. Network error: timed out"
    )
    assert redelivery.delays == []


def test_revoked_fails_and_puts_the_connection_in_exception() -> None:
    worker, store, _, _ = _world(Result("revoked", "Facebook answered 400: (190) expired"))
    store.pending(_job())

    assert worker.process(_job(), attempt=1, receipt_handle="r") == "revoked"

    assert store.states["hook"]["status"] == "failed"
    assert store.states["hook"]["last_error"] == "Facebook answered 400: (190) expired"
    assert store.connections["hook"]["exception"] is True
    assert store.connections["hook"]["exception_reason"] == "Facebook answered 400: (190) expired"


def test_rejected_fails_and_leaves_the_connection_alone() -> None:
    worker, store, _, _ = _world(Result("rejected", "X answered 403: duplicate"))
    store.pending(_job())

    assert worker.process(_job(), attempt=1, receipt_handle="r") == "rejected"

    assert store.states["hook"]["status"] == "failed"
    assert store.states["hook"]["last_error"] == "X answered 403: duplicate"
    assert store.connections["hook"]["exception"] is False


def test_an_outage_does_not_disconnect() -> None:
    worker, store, _, _ = _world(*[Result("retry", "503")] * 5)
    store.pending(_job())
    for attempt in range(1, 5):
        with pytest.raises(RetryLater):
            worker.process(_job(), attempt=attempt, receipt_handle="r")
    assert worker.process(_job(), attempt=5, receipt_handle="r") == "gave_up"
    assert store.connections["hook"]["exception"] is False


# ------------------------------------------------------------------ idempotency


def test_redelivery_of_a_finished_push_does_nothing() -> None:
    # Given a push that was posted
    worker, store, _, deliver = _world(Result("posted", "ok"))
    store.pending(_job())
    worker.process(_job(), attempt=1, receipt_handle="r")
    before = dict(store.states["hook"])

    # When SQS delivers the same message again
    outcome = worker.process(_job(), attempt=2, receipt_handle="r")

    # Then nothing is posted and nothing changes
    assert outcome == "skipped"
    assert len(deliver.posted) == 1
    assert store.states["hook"] == before


def test_a_replaced_push_does_nothing() -> None:
    # Given a newer push of the pair
    worker, store, _, deliver = _world()
    store.pending(_job("push-2"))

    # When the old job arrives
    assert worker.process(_job("push-1"), attempt=1, receipt_handle="r") == "skipped"

    # Then nothing is posted
    assert deliver.posted == []
    assert store.states["hook"] == {"push_id": "push-2", "status": "pending"}


def test_a_push_another_delivery_is_posting_comes_back_later() -> None:
    # Given a delivery holding the push's lease
    worker, store, redelivery, deliver = _world()
    store.pending(_job(), lease_until=NOW.timestamp() + 30)

    # When a duplicate delivery arrives
    with pytest.raises(RetryLater):
        worker.process(_job(), attempt=1, receipt_handle="dup")

    # Then it posts nothing and changes nothing
    assert deliver.posted == []
    assert store.states["hook"]["status"] == "pending"
    assert redelivery.delays == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"exception": True}, "The connection is in exception."),
        ({"authorised": False}, "The connection is not authorised and configured."),
        (None, "The connection was removed."),
    ],
)
def test_a_connection_changed_since_the_push_fails_it(
    change: dict[str, Any] | None, reason: str
) -> None:
    worker, store, _, deliver = _world()
    store.pending(_job())
    if change is None:
        del store.connections["hook"]
    else:
        store.connections["hook"].update(change)

    assert worker.process(_job(), attempt=1, receipt_handle="r") == "rejected"

    assert deliver.posted == []
    assert store.states["hook"]["status"] == "failed"
    assert store.states["hook"]["last_error"] == reason


def test_backoff_not_set_still_retries() -> None:
    worker, store, redelivery, _ = _world(Result("retry", "503"))
    redelivery.broken = True
    store.pending(_job())
    with pytest.raises(RetryLater):
        worker.process(_job(), attempt=1, receipt_handle="r")
    assert store.states["hook"]["status"] == "retrying"


# ------------------------------------------------------------------ batches


def _message(ident: str, body: str, receive_count: int = 1) -> dict[str, Any]:
    return {
        "MessageId": ident,
        "ReceiptHandle": f"rh-{ident}",
        "Body": body,
        "MD5OfBody": "0" * 32,
        "Attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1763805600000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1763805600000",
        },
    }


def test_a_batch_is_posted_concurrently_and_only_failures_are_reported() -> None:
    # Given three pushes whose posts can only finish if all three are in flight at once
    jobs = [_job(f"push-{n}", f"hook{n}") for n in range(3)]
    worker, store, _, deliver = _world(
        Result("posted", "ok"), Result("posted", "ok"), Result("posted", "ok")
    )
    for job in jobs:
        store.connections[job.connection_id] = {
            **store.connections["hook"],
            "id": job.connection_id,
        }
        store.pending(job)
    together = threading.Barrier(3, timeout=10)
    deliver.before = together.wait
    # And a fourth message that is not a push job
    messages = [_message(f"m{n}", job.model_dump_json()) for n, job in enumerate(jobs)]
    messages.append(_message("junk", "{not json"))

    # When the batch is processed
    response = process_batch(sqs_event(messages, ARN, "eu-west-1"), None, worker)

    # Then the three were posted (the barrier proves they overlapped); only the junk failed
    assert response == {"batchItemFailures": [{"itemIdentifier": "junk"}]}
    assert [store.states[j.connection_id]["status"] for j in jobs] == ["posted"] * 3


def test_a_retry_in_a_batch_is_a_batch_item_failure() -> None:
    worker, store, redelivery, _ = _world(Result("retry", "503"))
    store.pending(_job())
    event = sqs_event([_message("m1", _job().model_dump_json(), 3)], ARN, "eu-west-1")

    response = process_batch(event, None, worker)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert redelivery.delays == [("rh-m1", 120)]  # third attempt: 30 * 2^2
    assert store.states["hook"]["attempts"] == 3


def test_dead_letters_are_marked_failed() -> None:
    # Given a push still pending, one already posted, and a message that is not a job
    store = MemoryStore()
    store.pending(_job("push-1", "a"))
    store.pending(_job("push-2", "b"), status="posted")
    messages = [
        _message("d1", _job("push-1", "a").model_dump_json(), 6),
        _message("d2", _job("push-2", "b").model_dump_json(), 6),
        _message("d3", json.dumps({"hello": "world"})),
    ]

    # When the dead-letter handler gets them
    response = mark_dead_letters(sqs_event(messages, ARN, "eu-west-1"), None, store)

    # Then the pending one is failed with the reason; the rest is left alone and deleted
    assert response == {"batchItemFailures": []}
    assert store.states["a"]["status"] == "failed"
    assert store.states["a"]["last_error"] == DEAD_LETTER_REASON
    assert store.states["b"]["status"] == "posted"


# ------------------------------------------------------------ what is posted


def test_the_publication_is_posted_as_it_is_when_delivered() -> None:
    # Given a push queued with the old title, and the title changed since
    worker, store, _, deliver = _world(Result("posted", "ok"))
    store.pending(_job())
    store.publications["welcome1"]["title"] = "Welcome back, everyone!"
    worker.public_base_url = "https://news.example.org/"

    # When it is delivered
    assert worker.process(_job(), attempt=1, receipt_handle="r") == "posted"

    # Then the current title and URL are posted (the job's are not)
    _, post, _ = deliver.posted[0]
    assert (post.title, post.url) == (
        "Welcome back, everyone!",
        "https://news.example.org/p/welcome1",
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "unpublished"}, "The publication is no longer published: nothing posted."),
        (None, "The publication no longer exists."),
    ],
)
def test_a_publication_no_longer_published_is_not_posted(
    change: dict[str, Any] | None, reason: str
) -> None:
    # Given a push queued just before the publication was unpublished (or removed)
    worker, store, redelivery, deliver = _world()
    store.pending(_job())
    if change is None:
        del store.publications["welcome1"]
    else:
        store.publications["welcome1"].update(change)

    # When it is delivered
    outcome = worker.process(_job(), attempt=1, receipt_handle="r")

    # Then nothing is posted, and the push fails with the reason, for good
    assert outcome == "rejected"
    assert deliver.posted == []
    assert store.states["hook"]["status"] == "failed"
    assert store.states["hook"]["last_error"] == reason
    assert redelivery.delays == []


# ------------------------------------------------------------ crashed deliveries


def test_a_delivery_that_finds_an_expired_lease_records_why_before_posting() -> None:
    # Given a push whose first attempt claimed it and then stopped (its lease ran out)
    worker, store, _, deliver = _world(Result("posted", "ok"))
    store.pending(_job(), attempts=1, lease_until=int(NOW.timestamp()) - 120)
    seen: list[dict[str, Any]] = []
    deliver.before = lambda: seen.append(dict(store.states["hook"]))

    # When SQS delivers it again (the second receive)
    outcome = worker.process(_job(), attempt=2, receipt_handle="r2")

    # Then, before posting, the push said it is being retried and why
    assert seen[0]["status"] == "retrying"
    assert seen[0]["attempts"] == 2
    assert seen[0]["last_error"] == (
        "Attempt 1 did not finish: the worker stopped (crashed or timed out) before "
        "recording what came of it."
    )
    # And it was then posted, the reason kept
    assert outcome == "posted"
    assert store.states["hook"]["status"] == "posted"
    assert store.states["hook"]["last_error"] == seen[0]["last_error"]


def test_deliveries_that_never_claimed_are_counted_in_the_reason() -> None:
    worker, store, _, _ = _world(Result("posted", "ok"))
    store.pending(_job(), attempts=0)
    assert worker.process(_job(), attempt=3, receipt_handle="r") == "posted"
    assert store.states["hook"]["last_error"] == (
        "Delivery 2 ended without posting: the worker stopped (crashed or timed out), could "
        "not reach the database, or found another delivery posting."
    )


def test_a_first_delivery_records_no_reason() -> None:
    worker, store, _, _ = _world(Result("posted", "ok"))
    store.pending(_job())
    worker.process(_job(), attempt=1, receipt_handle="r")
    assert "last_error" not in store.states["hook"]


# ------------------------------------------------------------ outcomes not recorded


def test_a_push_replaced_mid_post_is_not_counted_as_posted() -> None:
    # Given a push that a newer push replaces while it is being posted
    worker, store, _, deliver = _world(Result("posted", "ok"))
    store.pending(_job())
    deliver.before = lambda: store.pending(_job("push-2"))
    metrics.clear_metrics()
    event = sqs_event([_message("m1", _job().model_dump_json())], ARN, "eu-west-1")

    # When the batch is processed
    response = process_batch(event, None, worker)

    # Then the message is done with, the newer push is untouched, and the outcome is
    # counted as superseded, not posted
    assert response == {"batchItemFailures": []}
    assert store.states["hook"] == {"push_id": "push-2", "status": "pending"}
    assert "Pushes_superseded" in metrics.metric_set
    assert "Pushes_posted" not in metrics.metric_set
    metrics.clear_metrics()


def test_a_retry_of_a_push_replaced_mid_post_is_not_retried() -> None:
    worker, store, redelivery, deliver = _world(Result("retry", "503"))
    store.pending(_job())
    deliver.before = lambda: store.pending(_job("push-2"))

    assert worker.process(_job(), attempt=1, receipt_handle="r") == "superseded"

    assert redelivery.delays == []
    assert store.states["hook"] == {"push_id": "push-2", "status": "pending"}


def test_a_push_replaced_between_claim_and_note_is_not_posted() -> None:
    worker, store, _, deliver = _world()
    store.pending(_job(), attempts=1, lease_until=int(NOW.timestamp()) - 120)
    store.note = lambda *a, **k: False  # type: ignore[method-assign]
    assert worker.process(_job(), attempt=2, receipt_handle="r") == "superseded"
    assert deliver.posted == []


# ------------------------------------------------------------ empty batches


def test_an_empty_batch_is_nothing_to_do() -> None:
    worker, store, _, deliver = _world()
    assert process_batch({"Records": []}, None, worker) == {"batchItemFailures": []}
    assert mark_dead_letters({"Records": []}, None, store) == {"batchItemFailures": []}
    assert deliver.posted == []


def test_a_dead_letter_keeps_the_last_reason() -> None:
    store = MemoryStore()
    store.pending(_job("push-1", "a"), last_error="Attempt 5 did not finish: ...")
    messages = [_message("d1", _job("push-1", "a").model_dump_json(), 6)]

    mark_dead_letters(sqs_event(messages, ARN, "eu-west-1"), None, store)

    assert store.states["a"]["status"] == "failed"
    assert store.states["a"]["last_error"] == (
        f"{DEAD_LETTER_REASON} Last error: Attempt 5 did not finish: ..."
    )


def test_a_credential_echoed_by_the_remote_is_masked_in_the_reason() -> None:
    # Given a service that echoes the token it was sent in its error
    worker, store, _, _ = _world(Result("rejected", "X answered 400: bad token tok-123456 sent"))
    store.secrets["hook"] = {"access_token": "tok-123456"}
    store.pending(_job())

    # When the push fails
    worker.process(_job(), attempt=1, receipt_handle="r")

    # Then the reason kept (and shown by the API) does not hold the token
    assert store.states["hook"]["last_error"] == "X answered 400: bad token [secret] sent"
