"""template.yaml's push resources: the queue, its dead-letter queue, the worker and the
credentials table, checked against what the code expects and against the calls each push
function really makes (DynamoDB leading keys included)."""

from __future__ import annotations

import fnmatch
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from fakes.services import SECRET, FakeService
from hail_tools import template as tpl
from hail_tools import triggers
from hail_tools.atomic import serialise_dynamodb_writes
from hail_tools.gateway import LambdaContext, import_handler

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


def _statements(function_id: str) -> list[dict[str, Any]]:
    context = tpl.make_context(TEMPLATE, region=REGION)
    found: list[dict[str, Any]] = []
    for policy in _props(function_id).get("Policies") or []:
        found += tpl.resolve(policy["Statement"], context)
    return found


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allows(
    statements: list[dict[str, Any]], action: str, resource: str, leading_keys: list[str]
) -> bool:
    """IAM's answer for one call, honouring dynamodb:LeadingKeys conditions."""
    for statement in statements:
        if statement.get("Effect") != "Allow" or action not in _listed(statement["Action"]):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"])):
            continue
        condition = statement.get("Condition", {}).get("ForAllValues:StringLike", {})
        patterns = _listed(condition.get("dynamodb:LeadingKeys", ["*"]))
        if all(any(fnmatch.fnmatchcase(k, p) for p in patterns) for k in leading_keys):
            return True
    return False


def test_only_the_worker_may_read_credentials() -> None:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/CredentialsTable"
    readers = {
        function_id
        for function_id in FUNCTIONS
        for action in ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")
        if _allows(_statements(function_id), action, arn, [])
    }
    assert readers == {"PushWorkerFunction"}
    assert "CREDENTIALS_TABLE_NAME" not in FUNCTIONS["ConnectionsFunction"].environment


# ------------------------------------------------------------------ by use


@pytest.fixture
def calls(seeded: Any, aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list]]:
    """Every DynamoDB and SQS call, by the function `calls["current"]` names."""
    from hail import pushing, queue
    from hail.settings import get_settings
    from hail.storage import base as db

    serialise_dynamodb_writes()
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOKS", "true")
    monkeypatch.setenv("PUSH_RETRY_BASE_SECONDS", "0")
    get_settings.cache_clear()
    pushing.default_worker.cache_clear()
    db.reset()
    queue.reset()
    made: dict[str, list] = defaultdict(list)
    made["current"] = ["ConnectionsFunction"]

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        made[made["current"][0]].append((model.name, params))

    session = boto3._get_default_session()._session
    session.register("before-parameter-build.dynamodb", record)
    session.register("before-parameter-build.sqs", record)
    yield made
    session.unregister("before-parameter-build.dynamodb", record)
    session.unregister("before-parameter-build.sqs", record)
    pushing.default_worker.cache_clear()
    queue.reset()


def _needed(operation: str, params: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(action, resource ARN, partition key values) one call needs."""

    def table(name: str) -> str:
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"

    if "QueueUrl" in params:
        queue = params["QueueUrl"].rstrip("/").rsplit("/", 1)[1]
        return [(f"sqs:{operation}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}", [])]
    if operation == "BatchGetItem":
        return [
            (f"dynamodb:{operation}", table(name), [k["pk"]["S"] for k in request["Keys"]])
            for name, request in params["RequestItems"].items()
        ]
    if operation == "Query":
        keys = [params["ExpressionAttributeValues"][":pk"]["S"]]
    else:
        keys = [(params.get("Key") or params.get("Item"))["pk"]["S"]]
    return [(f"dynamodb:{operation}", table(params["TableName"]), keys)]


def test_push_functions_may_make_exactly_the_calls_they_make(
    calls: dict[str, list], seeded: Any, token: Any, aws: Any, gateway: Any
) -> None:
    from hail import connections

    functions = tpl.functions(aws.template, gateway.context)

    def api(method: str, path: str, json: Any = None) -> Any:
        return seeded.request(method, path, headers={"Authorization": token("paula")}, json=json)

    def invoke(function_id: str, queue: str) -> None:
        calls["current"][:] = ["test"]
        messages = aws.sqs.receive_message(
            QueueUrl=aws.queues[queue], MaxNumberOfMessages=10, AttributeNames=["All"]
        )["Messages"]
        calls["current"][:] = [function_id]
        function = functions[function_id]
        event = triggers.sqs_event(messages, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}", REGION)
        import_handler(function)(event, LambdaContext(function, gateway.context, "t"))

    with FakeService("webhook") as hook:
        calls["current"][:] = ["admin"]
        connections.update_connection(
            "demo-school",
            "webhook-demo",
            settings={"url": hook.url},
            credentials={"secret": SECRET},
        )
        # Given the API listing and pushing (posted), pushing again (retrying, then revoked)
        calls["current"][:] = ["ConnectionsFunction"]
        assert api("GET", "/v1/publications/welcome1/connections").status == 200
        assert (
            api(
                "POST",
                "/v1/publications/welcome1/connections",
                json={"connection_id": "webhook-demo"},
            ).status
            == 202
        )
        invoke("PushWorkerFunction", "PushQueue")
        calls["current"][:] = ["ConnectionsFunction"]
        assert (
            api(
                "POST",
                "/v1/publications/sports01/connections",
                json={"connection_id": "webhook-demo"},
            ).status
            == 202
        )
        hook.then("server_error", "revoked")
        invoke("PushWorkerFunction", "PushQueue")  # retrying: ChangeMessageVisibility
        invoke("PushWorkerFunction", "PushQueue")  # revoked: the connection put in exception
    # And a dead letter
    aws.sqs.send_message(
        QueueUrl=aws.queues["PushDeadLetterQueue"],
        MessageBody=json.dumps(
            {
                "push_id": "gone",
                "org_id": "demo-school",
                "publication_id": "welcome1",
                "connection_id": "webhook-demo",
                "title": "t",
                "url": "u",
            }
        ),
    )
    invoke("PushDeadLettersFunction", "PushDeadLetterQueue")
    # And pushes whose jobs cannot be queued (the state is put back: PutItem, DeleteItem)
    calls["current"][:] = ["admin"]
    connections.update_connection("demo-school", "webhook-demo", exception=False)
    connections.add_connection(
        "demo-school",
        connection_id="fresh",
        service="webhook",
        name="fresh",
        settings={"url": "https://example.org/h"},
        credentials={"secret": "s"},
    )
    aws.sqs.delete_queue(QueueUrl=aws.queues["PushQueue"])
    calls["current"][:] = ["ConnectionsFunction"]
    assert (
        api("POST", "/v1/publications/welcome1/connections", json={"connection_id": "fresh"}).status
        == 503
    )
    assert (
        api(
            "POST", "/v1/publications/sports01/connections", json={"connection_id": "webhook-demo"}
        ).status
        == 503
    )

    # Then each push function's policy allows each of its calls, with those keys
    operations = {f: {op for op, _ in calls[f]} for f in FUNCTIONS if f in calls}
    assert {"ChangeMessageVisibility", "BatchGetItem", "UpdateItem"} <= operations[
        "PushWorkerFunction"
    ]
    assert {"SendMessage", "UpdateItem", "PutItem", "DeleteItem", "Query"} <= operations[
        "ConnectionsFunction"
    ]
    assert operations["PushDeadLettersFunction"] == {"GetItem", "UpdateItem"}
    for function_id in ("ConnectionsFunction", "PushWorkerFunction", "PushDeadLettersFunction"):
        statements = _statements(function_id)
        for operation, params in calls[function_id]:
            if operation == "GetQueueUrl":
                continue
            for action, resource, keys in _needed(operation, params):
                assert _allows(statements, action, resource, keys), (function_id, action, keys)
