"""The local emulation of Lambda's SQS event source mappings (hail_tools.triggers)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from fakes.services import SECRET, FakeService
from hail_tools import template as tpl
from hail_tools import triggers
from hail_tools.atomic import serialise_dynamodb_writes
from moto import mock_aws

REGION = "eu-west-1"


def _template(report_failures: bool = True, max_receive: int = 2) -> dict[str, Any]:
    types = ["ReportBatchItemFailures"] if report_failures else []
    return {
        "Resources": {
            "Jobs": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "VisibilityTimeout": 0,  # a job not deleted is back at once
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["Dead", "Arn"]},
                        "maxReceiveCount": max_receive,
                    },
                },
            },
            "Dead": {"Type": "AWS::SQS::Queue"},
            "WorkerFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "unused/",
                    "Handler": "app.handler",
                    "Timeout": 30,
                    "Events": {
                        "Batch": {
                            "Type": "SQS",
                            "Properties": {
                                "Queue": {"Fn::GetAtt": ["Jobs", "Arn"]},
                                "BatchSize": 3,
                                "FunctionResponseTypes": types,
                            },
                        }
                    },
                },
            },
            "DeadFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "unused/",
                    "Handler": "app.handler",
                    "Events": {
                        "Dead": {
                            "Type": "SQS",
                            "Properties": {"Queue": {"Fn::GetAtt": ["Dead", "Arn"]}},
                        }
                    },
                },
            },
        }
    }


class Recorder:
    """A handler that keeps the events it got and answers with `answer(event)`."""

    def __init__(self, answer: Callable[[dict[str, Any]], Any] = lambda event: None) -> None:
        self.events: list[dict[str, Any]] = []
        self.answer = answer

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        return self.answer(event)


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def _pollers(
    sqs: Any, template: dict[str, Any], handlers: dict[str, Recorder]
) -> tuple[dict[str, triggers.Poller], tpl.Context]:
    context = tpl.make_context(template, region=REGION)
    tpl.create_resources(template, context, boto3.client("dynamodb", region_name=REGION), sqs)
    found = {}
    for trigger in triggers.sqs_triggers(template, context):
        name = trigger.function.logical_id
        found[name] = triggers.Poller(
            trigger, context, sqs, lambda name=name: handlers[name], wait_seconds=0
        )
    return found, context


def _send(sqs: Any, context: tpl.Context, *bodies: str) -> None:
    for body in bodies:
        sqs.send_message(QueueUrl=context.queue_url("Jobs"), MessageBody=body)


def _waiting(sqs: Any, context: tpl.Context, queue: str = "Jobs") -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=context.queue_url(queue), AttributeNames=["All"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_the_event_is_the_one_lambda_sends(sqs: Any) -> None:
    # Given a message on a triggered queue
    worker = Recorder()
    pollers, context = _pollers(sqs, _template(), {"WorkerFunction": worker})
    _send(sqs, context, '{"n": 1}')

    # When the poller runs once
    assert pollers["WorkerFunction"].poll_once() == 1

    # Then the handler got an SQS event record like Lambda's
    (record,) = worker.events[0]["Records"]
    assert record["body"] == '{"n": 1}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:aws:sqs:eu-west-1:123456789012:Jobs"
    assert record["awsRegion"] == REGION
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert set(record["attributes"]) >= {"SentTimestamp", "SenderId"}
    assert record["messageId"] and record["receiptHandle"] and record["md5OfBody"]
    # And a handler that returned normally had its message deleted
    assert _waiting(sqs, context) == 0


def test_only_reported_failures_stay_on_the_queue(sqs: Any) -> None:
    # Given three messages and a handler that reports the second as failed
    def second_fails(event: dict[str, Any]) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}

    worker = Recorder(second_fails)
    pollers, context = _pollers(sqs, _template(), {"WorkerFunction": worker})
    _send(sqs, context, "a", "b", "c")

    # When they are polled in one batch (BatchSize 3)
    pollers["WorkerFunction"].poll_once()

    # Then only the failed one is kept, and it comes back with a higher receive count
    assert [r["body"] for r in worker.events[0]["Records"]] == ["a", "b", "c"]
    assert _waiting(sqs, context) == 1
    pollers["WorkerFunction"].poll_once()
    (again,) = worker.events[1]["Records"]
    assert (again["body"], again["attributes"]["ApproximateReceiveCount"]) == ("b", "2")


@pytest.mark.parametrize(
    "answer",
    [
        lambda event: (_ for _ in ()).throw(RuntimeError("boom")),  # the handler raised
        lambda event: {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]},
        lambda event: {"batchItemFailures": [{"itemIdentifier": None}]},
    ],
    ids=["raised", "unknown-identifier", "null-identifier"],
)
def test_a_failed_invocation_keeps_the_whole_batch(
    sqs: Any, answer: Callable[[dict[str, Any]], Any]
) -> None:
    worker = Recorder(answer)
    pollers, context = _pollers(sqs, _template(), {"WorkerFunction": worker})
    _send(sqs, context, "a", "b")

    pollers["WorkerFunction"].poll_once()

    assert _waiting(sqs, context) == 2


def test_without_report_batch_item_failures_a_normal_return_deletes_all(sqs: Any) -> None:
    worker = Recorder(lambda event: {"batchItemFailures": [{"itemIdentifier": "x"}]})
    pollers, context = _pollers(sqs, _template(report_failures=False), {"WorkerFunction": worker})
    _send(sqs, context, "a", "b")

    pollers["WorkerFunction"].poll_once()

    assert _waiting(sqs, context) == 0


def test_redrive_to_the_dead_letter_queue_and_its_trigger(sqs: Any) -> None:
    # Given a handler that always fails, on a queue with maxReceiveCount 2
    worker = Recorder(lambda event: (_ for _ in ()).throw(RuntimeError("boom")))
    dead = Recorder()
    pollers, context = _pollers(sqs, _template(), {"WorkerFunction": worker, "DeadFunction": dead})
    _send(sqs, context, "poison")

    # When the worker's poller runs three times
    counts = [pollers["WorkerFunction"].poll_once() for _ in range(3)]

    # Then it got the message twice; SQS then moved it to the dead-letter queue
    assert counts == [1, 1, 0]
    assert _waiting(sqs, context) == 0
    assert pollers["DeadFunction"].poll_once() == 1
    (record,) = dead.events[0]["Records"]
    assert record["body"] == "poison"
    assert record["eventSourceARN"] == "arn:aws:sqs:eu-west-1:123456789012:Dead"
    assert _waiting(sqs, context, "Dead") == 0


# ------------------------------------------------------------------ end to end


def test_a_push_is_posted_by_the_running_triggers(
    api: Any, aws: Any, gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project's template: push through the API, then the triggers take it from there."""
    from hail import connections, pushing, queue
    from hail.settings import get_settings
    from hail.storage import connections as connections_db

    serialise_dynamodb_writes()
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOKS", "true")
    get_settings.cache_clear()
    pushing.default_worker.cache_clear()
    queue.reset()
    with FakeService("webhook") as hook:
        connections.update_connection(
            "demo-school",
            "webhook-demo",
            settings={"url": hook.url},
            credentials={"secret": SECRET},
        )
        stop = triggers.start_sqs_triggers(aws.template, gateway.context, aws.sqs, gateway.handler)
        try:
            # Given / When a push is accepted
            response = api(
                "POST",
                "/v1/publications/welcome1/connections",
                json={"connection_id": "webhook-demo"},
            )
            assert response.status == 202

            # Then, without anything else, it becomes posted
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                state = connections_db.get_push("welcome1", "webhook-demo") or {}
                if state.get("status") != "pending":
                    break
                time.sleep(0.1)
        finally:
            stop()
            pushing.default_worker.cache_clear()
            queue.reset()
    assert state["status"] == "posted"
    assert len(hook.received) == 1
    assert _waiting(aws.sqs, aws.context, "PushQueue") == 0
