"""The push worker and the dead-letter handler, through their Lambda entry points, over
moto's SQS and DynamoDB and a fake remote service on 127.0.0.1."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.services import SECRET, FakeService
from hail_tools import template as tpl
from hail_tools import triggers
from hail_tools.atomic import serialise_dynamodb_writes
from hail_tools.gateway import LambdaContext, import_handler

EVENTS = Path(__file__).resolve().parents[2] / "events"
PUSH = "/v1/publications/welcome1/connections"


@pytest.fixture(autouse=True)
def _local_settings(monkeypatch: pytest.MonkeyPatch, seeded: Any) -> Iterator[None]:
    """Pushes may reach 127.0.0.1, and retries come back at once (no waiting in tests)."""
    from hail import pushing, queue
    from hail.settings import get_settings

    serialise_dynamodb_writes()
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOKS", "true")
    monkeypatch.setenv("PUSH_RETRY_BASE_SECONDS", "0")
    get_settings.cache_clear()
    pushing.default_worker.cache_clear()
    queue.reset()
    yield
    get_settings.cache_clear()
    pushing.default_worker.cache_clear()
    queue.reset()


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


Invoke = Callable[[str, dict[str, Any]], dict[str, Any]]


@pytest.fixture
def invoke(aws: Any, gateway: Any) -> Invoke:
    """invoke("PushWorkerFunction", event) through the handler file template.yaml names."""
    functions = tpl.functions(aws.template, gateway.context)

    def call(logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        function = functions[logical_id]
        handler = import_handler(function)
        result: dict[str, Any] = handler(
            event, LambdaContext(function, gateway.context, str(uuid.uuid4()))
        )
        return result

    return call


def _receive(aws: Any, queue: str = "PushQueue", count: int = 10) -> list[dict[str, Any]]:
    return aws.sqs.receive_message(
        QueueUrl=aws.queues[queue], MaxNumberOfMessages=count, AttributeNames=["All"]
    ).get("Messages", [])


def _batch(aws: Any, messages: list[dict[str, Any]], queue: str = "PushQueue") -> dict[str, Any]:
    arn = f"arn:aws:sqs:eu-west-1:123456789012:{queue}"
    return triggers.sqs_event(messages, arn, "eu-west-1")


def _state(publication: str = "welcome1", connection: str = "webhook-demo") -> dict[str, Any]:
    from hail.storage import connections as connections_db

    found = connections_db.get_push(publication, connection)
    assert found is not None
    return found


def _listed(api: Any, connection: str = "webhook-demo") -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in api("GET", PUSH).json() if c["id"] == connection)
    return found


def test_a_push_is_posted(api: Any, aws: Any, hook: FakeService, invoke: Invoke) -> None:
    # Given a queued push
    assert api("POST", PUSH, json={"connection_id": "webhook-demo", "comment": "Hi"}).status == 202
    messages = _receive(aws)

    # When the worker gets the batch
    response = invoke("PushWorkerFunction", _batch(aws, messages))

    # Then no record failed, the receiver got the signed event, and the push is posted
    assert response == {"batchItemFailures": []}
    assert len(hook.received) == 1
    assert hook.received[0].json()["comment"] == "Hi"
    state = _state()
    assert state["status"] == "posted"
    assert state["attempts"] == 1
    assert "lease_until" not in state
    listed = _listed(api)
    assert listed["status"] == "posted"
    assert listed["last_successful_post"] == state["last_successful_post"]
    assert len(listed["last_successful_post"]) == len("2026-11-22 10:00:00")


def test_the_current_title_is_posted(api: Any, aws: Any, hook: FakeService, invoke: Invoke) -> None:
    # Given a push queued, then the publication's title edited before the worker runs
    assert api("POST", PUSH, json={"connection_id": "webhook-demo"}).status == 202
    edited = api("PUT", "/v1/publications/welcome1", json={"title": "Welcome back, all!"})
    assert edited.status == 200

    # When the worker delivers it
    assert invoke("PushWorkerFunction", _batch(aws, _receive(aws))) == {"batchItemFailures": []}

    # Then the receiver got the title and URL as they are now
    sent = hook.received[0].json()
    assert sent["publication"] == {
        "id": "welcome1",
        "title": "Welcome back, all!",
        "url": "https://hail.test/p/welcome1",
    }
    assert sent["text"].startswith("Welcome back, all!\nhttps://hail.test/p/welcome1")
    assert _state()["status"] == "posted"


def test_a_push_queued_just_before_unpublishing_is_not_posted(
    api: Any, aws: Any, hook: FakeService, invoke: Invoke
) -> None:
    # Given a push queued, then the publication unpublished before the worker runs
    assert api("POST", PUSH, json={"connection_id": "webhook-demo"}).status == 202
    assert api("PUT", "/v1/publications/welcome1", json={"status": "unpublished"}).status == 200

    # When the worker delivers it
    response = invoke("PushWorkerFunction", _batch(aws, _receive(aws)))

    # Then nothing is posted; the push failed for good, with the reason, shown by the API
    assert response == {"batchItemFailures": []}
    assert hook.received == []
    assert _state()["status"] == "failed"
    listed = _listed(api)
    assert (listed["status"], listed["last_error"]) == (
        "failed",
        "The publication is no longer published: nothing posted.",
    )


def test_an_empty_batch_is_nothing_to_do(invoke: Invoke) -> None:
    assert invoke("PushWorkerFunction", {"Records": []}) == {"batchItemFailures": []}
    assert invoke("PushDeadLettersFunction", {"Records": []}) == {"batchItemFailures": []}


def test_redelivery_after_success_does_nothing(
    api: Any, aws: Any, hook: FakeService, invoke: Invoke
) -> None:
    # Given a push that was posted
    api("POST", PUSH, json={"connection_id": "webhook-demo"})
    event = _batch(aws, _receive(aws))
    invoke("PushWorkerFunction", event)
    posted = _state()

    # When SQS delivers the same message again
    response = invoke("PushWorkerFunction", event)

    # Then it succeeds without posting again or changing anything
    assert response == {"batchItemFailures": []}
    assert len(hook.received) == 1
    assert _state() == posted


def test_an_outage_is_retried_through_the_queue_then_posted(
    api: Any, aws: Any, hook: FakeService, invoke: Invoke
) -> None:
    # Given a queued push and a receiver that is down once
    api("POST", PUSH, json={"connection_id": "webhook-demo"})
    hook.then("server_error")
    first = _receive(aws)

    # When the worker gets it
    response = invoke("PushWorkerFunction", _batch(aws, first))

    # Then the record is reported failed, the push is retrying with the reason
    assert response == {"batchItemFailures": [{"itemIdentifier": first[0]["MessageId"]}]}
    assert _state()["status"] == "retrying"
    assert _state()["last_error"] == 'The webhook answered 503: {"error": "maintenance"}'
    assert _listed(api)["status"] == "retrying"
    # And the backoff (0 s in this test) replaced the queue's 180 s visibility: it is back
    again = _receive(aws)
    assert [m["MessageId"] for m in again] == [first[0]["MessageId"]]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"

    # When the second delivery finds the receiver up
    response = invoke("PushWorkerFunction", _batch(aws, again))

    # Then it is posted, and the reason of the last failure is kept
    assert response == {"batchItemFailures": []}
    assert _state()["status"] == "posted"
    assert _state()["attempts"] == 2
    assert _state()["last_error"] == 'The webhook answered 503: {"error": "maintenance"}'
    assert len(hook.received) == 2


def test_the_last_attempt_fails_for_good(
    api: Any, aws: Any, hook: FakeService, invoke: Invoke
) -> None:
    # Given a receiver that stays rate limited
    api("POST", PUSH, json={"connection_id": "webhook-demo"})
    hook.then(*["server_error"] * 5)

    # When every delivery up to maxReceiveCount (5) fails
    responses = []
    for _ in range(5):
        messages = _receive(aws)
        assert len(messages) == 1
        responses.append(invoke("PushWorkerFunction", _batch(aws, messages)))

    # Then the first four ask SQS to retry, the fifth gives up: failed, with the reason
    assert [len(r["batchItemFailures"]) for r in responses] == [1, 1, 1, 1, 0]
    state = _state()
    assert state["status"] == "failed"
    assert state["attempts"] == 5
    assert state["last_error"] == (
        'Gave up after 5 attempts. The webhook answered 503: {"error": "maintenance"}'
    )
    # And the connection is not put in exception by an outage
    assert _listed(api)["exception"] is False


def test_revoked_credentials_put_the_connection_in_exception(
    api: Any, aws: Any, hook: FakeService, invoke: Invoke
) -> None:
    # Given a receiver that no longer accepts our signature
    api("POST", PUSH, json={"connection_id": "webhook-demo"})
    hook.then("revoked")

    # When the worker posts
    response = invoke("PushWorkerFunction", _batch(aws, _receive(aws)))

    # Then the push failed for good and the connection is in exception
    assert response == {"batchItemFailures": []}
    assert _state()["status"] == "failed"
    assert _state()["last_error"] == 'The webhook answered 401: {"error": "bad signature"}'
    listed = _listed(api)
    assert (listed["status"], listed["exception"]) == ("failed", True)
    # And it can no longer be pushed to
    again = api("POST", PUSH, json={"connection_id": "webhook-demo"})
    assert again.status == 400


def test_another_4xx_fails_the_push_only(
    api: Any, aws: Any, hook: FakeService, invoke: Invoke
) -> None:
    api("POST", PUSH, json={"connection_id": "webhook-demo"})
    hook.then("bad_request")

    response = invoke("PushWorkerFunction", _batch(aws, _receive(aws)))

    assert response == {"batchItemFailures": []}
    assert _state()["status"] == "failed"
    assert _state()["last_error"] == 'The webhook answered 400: {"error": "unexpected event"}'
    assert _listed(api)["exception"] is False
    assert api("POST", PUSH, json={"connection_id": "webhook-demo"}).status == 202


def test_a_batch_reports_only_its_failed_records(
    api: Any, aws: Any, hook: FakeService, invoke: Invoke
) -> None:
    # Given two queued pushes, to a receiver that is up and to one that is down
    from hail import connections

    with FakeService("webhook") as down:
        down.then(*["server_error"] * 3)
        connections.add_connection(
            "demo-school",
            connection_id="hook-down",
            service="webhook",
            name="Down",
            settings={"url": down.url},
            credentials={"secret": SECRET},
        )
        api("POST", PUSH, json={"connection_id": "webhook-demo"})
        api("POST", PUSH, json={"connection_id": "hook-down"})
        messages = _receive(aws)
        assert len(messages) == 2
        failing = next(m for m in messages if "hook-down" in m["Body"])

        # When the worker gets both in one batch
        response = invoke("PushWorkerFunction", _batch(aws, messages))

    # Then only the one to the down receiver is reported, the other is posted
    assert response == {"batchItemFailures": [{"itemIdentifier": failing["MessageId"]}]}
    assert _state()["status"] == "posted"
    assert _state(connection="hook-down")["status"] == "retrying"


def test_what_reaches_the_dead_letter_queue_is_marked_failed(
    api: Any, aws: Any, invoke: Invoke
) -> None:
    # Given a push whose every delivery crashed (received, never deleted, 5 times)
    api("POST", PUSH, json={"connection_id": "webhook-demo"})
    for _ in range(5):
        (message,) = _receive(aws)
        aws.sqs.change_message_visibility(
            QueueUrl=aws.queues["PushQueue"],
            ReceiptHandle=message["ReceiptHandle"],
            VisibilityTimeout=0,
        )
    # When SQS moves it to the dead-letter queue (RedrivePolicy, maxReceiveCount 5)
    assert _receive(aws) == []
    dead = _receive(aws, "PushDeadLetterQueue")
    assert len(dead) == 1
    assert _state()["status"] == "pending"

    # And the dead-letter handler gets it
    response = invoke("PushDeadLettersFunction", _batch(aws, dead, "PushDeadLetterQueue"))

    # Then the push is failed, with the reason: nothing stays pending
    assert response == {"batchItemFailures": []}
    assert _state()["status"] == "failed"
    assert _state()["last_error"].startswith("Not delivered: no delivery of this push recorded")
    assert _listed(api)["status"] == "failed"


def test_the_sample_sqs_event(aws: Any, hook: FakeService, invoke: Invoke) -> None:
    # Given the sample batch of events/, whose first push is pending (the second is not
    # known: it was replaced or finished)
    from hail.storage import connections as connections_db

    event = json.loads((EVENTS / "sqs_push_batch.json").read_text())
    job = json.loads(event["Records"][0]["body"])
    connections_db.start_push(
        "welcome1",
        "webhook-demo",
        push_id=job["push_id"],
        org_id="demo-school",
        now="2026-11-22 10:00:00",
        stale_before="2026-11-22 09:00:00",
    )

    # When the worker is invoked with it
    response = invoke("PushWorkerFunction", event)

    # Then the first is posted, the second does nothing, neither failed
    assert response == {"batchItemFailures": []}
    assert _state()["status"] == "posted"
    assert len(hook.received) == 1
    assert hook.received[0].headers["x-hail-push-id"] == job["push_id"]
