"""`hail invoke` without a running server, on the project's template and on a small one with
an S3-triggered function; its errors; `hail event`. (With a server: test_events.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hail_tools import cli, invoke, project
from hail_tools.gateway import LambdaContext

REPO = Path(__file__).resolve().parents[2]
HAIL = [str(Path(sys.executable).parent / "hail")]


def hail_process(
    *argv: str, local_dir: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`hail ...` in a process of its own, finding no running server (an empty LOCAL_DIR)."""
    return subprocess.run(
        [*HAIL, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {}), "HAIL_LOCAL_DIR": str(local_dir)},
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_without_a_server_it_runs_against_an_in_process_aws_with_the_demo_data(tmp_path):
    # Given no running server
    # When a sample event is invoked
    done = hail_process(
        "invoke", "PublicationsFunction", "events/publications_get.json", local_dir=tmp_path
    )
    # Then the function found the demo data in an in-process AWS
    assert done.returncode == 0, done.stderr
    assert "against an in-process AWS (moto) with the demo data" in done.stderr
    result = json.loads(done.stdout)
    assert result["statusCode"] == 200
    assert json.loads(result["body"])["title"] == "Year 9 Camp"
    # And Lambda's log lines went to stderr, the function's logs between them
    assert "START RequestId: " in done.stderr and "Init Duration: " in done.stderr
    assert '"CloudWatchMetrics"' in done.stderr  # Powertools' metrics, printed by the function


# ------------------------------------------------------------------ a template of its own ---

TEMPLATE: dict[str, Any] = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Globals": {"Function": {"Timeout": 5, "Environment": {"Variables": {"SHARED": "global"}}}},
    "Resources": {
        "Photos": {"Type": "AWS::S3::Bucket"},
        "Items": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": "items-local",
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            },
        },
        "ThumbnailsFunction": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "workers/",
                "Handler": "app.handler",
                "MemorySize": 256,
                "Environment": {
                    "Variables": {"ITEMS_TABLE": {"Ref": "Items"}, "PHOTOS": {"Ref": "Photos"}}
                },
                "Events": {
                    "Upload": {
                        "Type": "S3",
                        "Properties": {"Bucket": {"Ref": "Photos"}, "Events": "s3:ObjectCreated:*"},
                    }
                },
            },
        },
        "SlowFunction": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "workers/",
                "Handler": "app.slow",
                "Timeout": 1,
                "Environment": {"Variables": {"SLOW_ONLY": "yes"}},
            },
        },
    },
}

APP = '''
"""A stand-in for an S3-triggered worker."""
import os
import time
from urllib.parse import unquote_plus

import boto3

print("cold start of thumbnails")  # to the logs (stderr), never into the response


def handler(event, context):
    s3 = event["Records"][0]["s3"]
    key = unquote_plus(s3["object"]["key"])
    if key.startswith("boom"):
        raise RuntimeError(f"cannot make a thumbnail of {key}")
    print(f"thumbnail of {key}")
    table = boto3.client("dynamodb").describe_table(TableName=os.environ["ITEMS_TABLE"])
    names = ("ITEMS_TABLE", "PHOTOS", "SHARED", "SLOW_ONLY", "LEAKY", "AWS_LAMBDA_FUNCTION_NAME",
             "AWS_REGION", "LAMBDA_TASK_ROOT")
    return {
        "bucket": s3["bucket"]["name"],
        "key": key,
        "table": table["Table"]["TableName"],
        "environment": {name: os.environ.get(name) for name in names},
        "context": [context.function_name, context.memory_limit_in_mb,
                    0 < context.get_remaining_time_in_millis() <= 5000],
    }


def slow(event, context):
    time.sleep(30)
'''


@pytest.fixture
def small_template(tmp_path: Path) -> Path:
    """A template with an S3-triggered function (and a slow one), in a directory of its own."""
    (tmp_path / "workers").mkdir()
    (tmp_path / "workers" / "app.py").write_text(textwrap.dedent(APP))
    template = tmp_path / "template.yaml"
    template.write_text(yaml.safe_dump(TEMPLATE))
    return template


@pytest.fixture
def hail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, local_keys: Any) -> Any:
    """hail(*argv) in this process -> (exit code, stdout, stderr): for what stops before a
    handler runs (running one replaces this process's environment)."""
    monkeypatch.setattr(project, "LOCAL_DIR", tmp_path / "no-server")
    monkeypatch.setenv("HAIL_KEYS_DIR", str(local_keys.directory))

    def must_not_run(*args: Any) -> int:
        raise AssertionError("a handler would have run")

    monkeypatch.setattr(invoke, "invoke", must_not_run)

    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", __import__("io").StringIO(stdin))
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_an_s3_triggered_function_gets_the_event_its_environment_and_a_context(
    small_template, tmp_path, hail
):
    # Given an S3 event for a key with a space, made by `hail event s3`
    code, event, _ = hail("event", "s3", "--bucket", "photos", "--key", "uploads/a b.jpg")
    assert code == 0
    # When the S3-triggered function is invoked with it, with something else in the shell
    done = hail_process(
        "invoke", "--template", str(small_template), "thumbnails", "-",
        local_dir=tmp_path, stdin=event, env={"LEAKY": "from the shell"},
    )  # fmt: skip
    # Then the response alone is on stdout
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["bucket"], result["key"]) == ("photos", "uploads/a b.jpg")
    # And the function had its template environment, Lambda's, and nothing else of the shell
    assert result["environment"] == {
        "ITEMS_TABLE": "items-local",
        "PHOTOS": "Photos",
        "SHARED": "global",
        "SLOW_ONLY": None,
        "LEAKY": None,
        "AWS_LAMBDA_FUNCTION_NAME": "ThumbnailsFunction",
        "AWS_REGION": "eu-west-1",
        "LAMBDA_TASK_ROOT": str((tmp_path / "workers").resolve()),
    }
    assert result["context"] == ["ThumbnailsFunction", 256, True]
    # And its table existed in the in-process AWS (made from the template)
    assert result["table"] == "items-local"
    # And what it printed went to the logs
    assert "cold start of thumbnails" in done.stderr
    assert "thumbnail of uploads/a b.jpg" in done.stderr


def test_an_unhandled_error_gives_lambdas_error_payload_and_exit_status_1(
    small_template, tmp_path, hail
):
    _, event, _ = hail("event", "s3", "--bucket", "photos", "--key", "boom.jpg")
    done = hail_process(
        "invoke", "--template", str(small_template), "ThumbnailsFunction", "-",
        local_dir=tmp_path, stdin=event,
    )  # fmt: skip
    assert done.returncode == 1
    payload = json.loads(done.stdout)
    assert payload["errorType"] == "RuntimeError"
    assert payload["errorMessage"] == "cannot make a thumbnail of boom.jpg"
    assert payload["stackTrace"] and payload["requestId"]
    assert "Traceback" in done.stderr


def test_a_function_running_past_its_timeout_is_stopped(small_template, tmp_path):
    started = time.monotonic()
    done = hail_process(
        "invoke", "--template", str(small_template), "slow", "-", local_dir=tmp_path, stdin="{}"
    )
    assert done.returncode == 1
    payload = json.loads(done.stdout)
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.0" in payload["errorMessage"]
    assert time.monotonic() - started < 25  # stopped, not waited for


# ------------------------------------------------------------------ what is refused ---

PROXY_EVENT = json.loads((REPO / "events/publications_get.json").read_text())


def _without(*names: str) -> str:
    return json.dumps({k: v for k, v in PROXY_EVENT.items() if k not in names})


@pytest.mark.parametrize(
    ("function", "event", "message"),
    [
        ("publications", "{", "standard input is not JSON: Expecting property name"),
        ("publications", "[1, 2]", "standard input: an event is a JSON object, not an array"),
        ("publications", '"GET"', "an event is a JSON object, not a string"),
        (
            "publications",
            _without("httpMethod", "requestContext"),
            "standard input: not an API Gateway proxy event: no httpMethod, requestContext",
        ),
        ("publications", "{}", "not an API Gateway proxy event: no resource, path, httpMethod"),
        (
            "publications",
            json.dumps({**PROXY_EVENT, "headers": ["Accept"]}),
            "standard input: headers must be an object or null",
        ),
        (
            "viewer",
            json.dumps(PROXY_EVENT),
            "(GET /v1/publications/{id}) goes to PublicationsFunction, not ViewerFunction",
        ),
        (
            "push_worker",
            json.dumps(PROXY_EVENT),
            "is an API Gateway proxy event; PushWorkerFunction takes SQS events",
        ),
        (
            "push_worker",
            json.dumps({"Records": [{"eventSource": "aws:sqs", "messageId": "1"}]}),
            "standard input: Records[0] has no receiptHandle, body, attributes, eventSourceARN",
        ),
        (
            "push_dead_letters",
            (REPO / "events/sqs_push_batch.json").read_text(),
            "(from queue PushQueue) goes to PushWorkerFunction, not PushDeadLettersFunction",
        ),
        ("push_worker", json.dumps({"Records": [{"eventSource": "aws:kinesis"}]}), "unknown"),
        ("images", "{}", "no function 'images' in template.yaml; there are: organisations ("),
    ],
)
def test_what_cannot_be_invoked_is_one_line_and_exit_status_2(hail, function, event, message):
    code, out, err = hail("invoke", function, "-", stdin=event)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert message in err


def test_a_missing_or_malformed_file_from_the_command_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"httpMethod": "GET",}')
    done = hail_process("invoke", "publications", str(bad), local_dir=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"error: {bad} is not JSON: Expecting property name")
    assert done.stderr.endswith("(line 1, column 22)\n") and done.stderr.count("\n") == 1
    missing = hail_process("invoke", "publications", "nothing.json", local_dir=tmp_path)
    assert (missing.returncode, missing.stderr) == (
        2,
        "error: cannot read nothing.json: No such file or directory\n",
    )


def test_a_folder_shared_by_functions_names_none_of_them(small_template, hail):
    code, _, err = hail("invoke", "--template", str(small_template), "workers/", "-", stdin="{}")
    assert (code, err) == (
        2,
        "error: 'workers/' is the code of several functions: SlowFunction, ThumbnailsFunction\n",
    )


def test_an_event_that_is_not_what_an_s3_triggered_function_takes(small_template, hail):
    code, _, err = hail("invoke", "--template", str(small_template), "thumbnails", "-", stdin="{}")
    assert (code, err) == (2, "error: standard input: not an S3 event: no Records\n")
    sqs = (REPO / "events/sqs_push_batch.json").read_text()
    code, _, err = hail("invoke", "--template", str(small_template), "thumbnails", "-", stdin=sqs)
    assert (code, err) == (
        2,
        "error: standard input is an SQS event; ThumbnailsFunction takes S3 events\n",
    )


def test_functions_are_found_by_logical_id_short_name_or_folder():
    found = project.load_project()
    for name in ("PushWorkerFunction", "push_worker", "push-worker", "PushWorker", "pushworker"):
        assert project.find_function(found, name).logical_id == "PushWorkerFunction"
    assert project.find_function(found, "functions/push_dead_letters/").logical_id == (
        "PushDeadLettersFunction"
    )
    assert project.short_name("PushDeadLettersFunction") == "push_dead_letters"


# ------------------------------------------------------------------ hail event ---


def test_hail_event_api_is_the_request_the_gateway_would_pass(hail, seeded):
    # Given an event for a request, made by `hail event api`
    code, out, err = hail(
        "event", "api", "GET", "/v1/publications/welcome1?format=x", "--user", "vera"
    )
    assert code == 0, err
    event = json.loads(out)
    assert (event["resource"], event["pathParameters"]) == (
        "/v1/publications/{id}",
        {"id": "welcome1"},
    )
    assert event["queryStringParameters"] == {"format": "x"}
    assert event["requestContext"]["requestId"]
    # When the handler template.yaml routes it to gets it
    function = seeded.functions["PublicationsFunction"]
    result = seeded.handler(function.logical_id)(
        event, LambdaContext(function, seeded.context, "test")
    )
    # Then vera's token is accepted, as through the local server
    assert result["statusCode"] == 200, result["body"]
    assert (
        result["body"]
        == seeded.request(
            "GET",
            "/v1/publications/welcome1",
            headers={"Authorization": event["headers"]["Authorization"]},
        ).text
    )


def test_hail_event_api_with_a_body(hail, seeded):
    _, out, _ = hail(
        "event", "api", "POST", "/v1/organisations/demo-school/publications", "--user", "paula",
        "--body", '{"title": "From an event", "status": "unpublished", "style_id": "magazine"}',
    )  # fmt: skip
    event = json.loads(out)
    assert event["headers"]["Content-Type"] == "application/json"
    function = seeded.functions["OrganisationsFunction"]
    result = seeded.handler(function.logical_id)(
        event, LambdaContext(function, seeded.context, "test")
    )
    assert result["statusCode"] == 201, result["body"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("GET", "/v1/nothing"), "error: template.yaml has no route for GET /v1/nothing"),
        (("POST", "/v1/organisations/x/publications", "--body", "{"), "error: --body is not JSON"),
        (("GET", "v1/publications/x"), "error: the path must start with /"),
    ],
)
def test_hail_event_api_refuses(hail, argv, message):
    code, out, err = hail("event", "api", *argv)
    assert (code, out) == (2, "")
    assert err.startswith(message)


def test_hail_event_sqs_push_is_a_job_the_worker_takes(hail, seeded):
    # Given a push job event for a demo publication
    code, out, _ = hail(
        "event", "sqs-push", "--publication", "welcome1", "--connection", "webhook-demo"
    )
    assert code == 0
    event = json.loads(out)
    job = json.loads(event["Records"][0]["body"])
    assert (job["org_id"], job["title"]) == ("demo-school", "Welcome back!")
    # When the push worker gets it (a push never started: nothing pending under its id)
    function = seeded.functions["PushWorkerFunction"]
    result = seeded.handler(function.logical_id)(
        event, LambdaContext(function, seeded.context, "test")
    )
    # Then the worker parsed it and skipped it, as it would in AWS
    assert result == {"batchItemFailures": []}


def test_hail_event_sqs_push_of_a_publication_outside_the_demo_needs_its_organisation(hail):
    code, _, err = hail("event", "sqs-push", "--publication", "zzz", "--connection", "c")
    assert (code, err) == (2, "error: 'zzz' is not a demo publication: give its --org\n")
    code, out, _ = hail(
        "event", "sqs-push", "--publication", "zzz", "--connection", "c", "--org", "o",
        "--title", "T", "--push-id", "p1", "--receive-count", "3",
    )  # fmt: skip
    record = json.loads(out)["Records"][0]
    assert json.loads(record["body"]) == {
        "push_id": "p1",
        "org_id": "o",
        "publication_id": "zzz",
        "connection_id": "c",
        "title": "T",
        "url": "http://127.0.0.1:3000/p/zzz",
        "comment": None,
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "3"
    assert record["eventSourceARN"] == "arn:aws:sqs:eu-west-1:123456789012:PushQueue"


def test_hail_event_s3_encodes_the_key_as_s3_does(hail):
    _, out, _ = hail("event", "s3", "--bucket", "photos", "--key", "a b/c+d é.jpg", "--size", "9")
    record = json.loads(out)["Records"][0]
    assert (record["eventSource"], record["eventName"]) == ("aws:s3", "ObjectCreated:Put")
    assert record["s3"]["object"]["key"] == "a+b/c%2Bd+%C3%A9.jpg"
    assert record["s3"]["object"]["size"] == 9
    assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::photos"
