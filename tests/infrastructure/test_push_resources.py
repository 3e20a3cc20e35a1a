"""template.yaml's push resources: the queue, its dead-letter queue, the worker and their
triggers, checked against what the code expects (their IAM: test_iam_by_use.py)."""

from __future__ import annotations

from typing import Any

from hail_tools import template as tpl

TEMPLATE = tpl.load_template()
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = tpl.functions(TEMPLATE, tpl.make_context(TEMPLATE))
ACCOUNT, REGION = "123456789012", "eu-west-1"


def _props(logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = RESOURCES[logical_id]["Properties"]
    return props


def test_queue_redrives_to_the_dead_letter_queue_after_the_workers_last_attempt() -> None:
    queue, worker = _props("PushQueue"), FUNCTIONS["PushWorkerFunction"]
    redrive = queue["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["PushDeadLetterQueue", "Arn"]}
    assert redrive["maxReceiveCount"] >= 5
    # The worker gives up on its last attempt, before SQS moves the message away
    assert int(worker.environment["PUSH_MAX_ATTEMPTS"]) == redrive["maxReceiveCount"]


def test_visibility_timeouts_are_six_times_the_consumers_timeouts() -> None:
    assert _props("PushQueue")["VisibilityTimeout"] >= 6 * FUNCTIONS["PushWorkerFunction"].timeout
    dead = FUNCTIONS["PushDeadLettersFunction"]
    assert _props("PushDeadLetterQueue")["VisibilityTimeout"] >= 6 * dead.timeout


def test_dead_letters_are_kept_longer_than_jobs() -> None:
    kept = _props("PushDeadLetterQueue")["MessageRetentionPeriod"]
    assert kept > _props("PushQueue")["MessageRetentionPeriod"]


def test_worker_and_dead_letter_handler_triggers() -> None:
    from hail.pushing import CONCURRENCY

    (worker,) = FUNCTIONS["PushWorkerFunction"].sqs_events
    assert worker.queue == "PushQueue"
    assert worker.function_response_types == ("ReportBatchItemFailures",)
    assert worker.batch_size == CONCURRENCY  # a whole batch is posted at once
    (dead,) = FUNCTIONS["PushDeadLettersFunction"].sqs_events
    assert dead.queue == "PushDeadLetterQueue"
    assert dead.function_response_types == ("ReportBatchItemFailures",)
