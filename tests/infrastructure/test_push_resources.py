"""template.yaml's push resources: the queue, its dead-letter queue, the worker and the
credentials table, checked against what the code expects and against the calls each push
function really makes (DynamoDB leading keys included)."""

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


def test_a_claims_lease_outlives_its_delivery_and_ends_before_the_next() -> None:
    # A live delivery never loses its lease (the function stops at its Timeout), and the
    # delivery SQS makes after a crash finds the lease expired, so it records why.
    from hail.pushing import LEASE_SECONDS

    worker = FUNCTIONS["PushWorkerFunction"]
    assert worker.timeout < LEASE_SECONDS < _props("PushQueue")["VisibilityTimeout"]


def test_a_batch_fits_in_the_workers_timeout() -> None:
    # A batch's exchanges run at once, each under its deadline; with the database calls
    # around them (a few round trips, each retried within the client's timeouts) they end
    # well before the function's Timeout.
    from hail.settings import Settings
    from hail.storage.base import CLIENT_CONFIG

    deadline = Settings.model_fields["push_deadline_seconds"].default
    assert deadline == 10
    database = CLIENT_CONFIG.connect_timeout + CLIENT_CONFIG.read_timeout
    assert deadline + 2 * database <= FUNCTIONS["PushWorkerFunction"].timeout


def test_the_queue_clients_retries_fit_in_the_push_functions_timeout() -> None:
    # When SQS does not answer, the push still answers 503 and puts the pair back in time:
    # every attempt at its timeouts, the backoff between attempts (standard mode: at most
    # 2^(n-1) s before retry n), and 3 s left for the reads before and the write after.
    from hail.queue import SQS_CONFIG

    attempts = SQS_CONFIG.retries["total_max_attempts"]
    worst = attempts * (SQS_CONFIG.connect_timeout + SQS_CONFIG.read_timeout) + sum(
        2 ** (n - 1) for n in range(1, attempts)
    )
    assert worst + 3 <= FUNCTIONS["ConnectionsFunction"].timeout


def test_dead_letters_are_kept_longer_than_jobs() -> None:
    kept = _props("PushDeadLetterQueue")["MessageRetentionPeriod"]
    assert kept > _props("PushQueue")["MessageRetentionPeriod"]


def test_worker_and_dead_letter_handler_triggers() -> None:
    from hail.pushing import BATCH_SIZE

    (worker,) = FUNCTIONS["PushWorkerFunction"].sqs_events
    assert worker.queue == "PushQueue"
    assert worker.function_response_types == ("ReportBatchItemFailures",)
    assert worker.batch_size == BATCH_SIZE  # a whole batch is posted at once
    (dead,) = FUNCTIONS["PushDeadLettersFunction"].sqs_events
    assert dead.queue == "PushDeadLetterQueue"
    assert dead.function_response_types == ("ReportBatchItemFailures",)
