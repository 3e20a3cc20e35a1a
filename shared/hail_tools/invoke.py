"""`hail invoke FUNCTION EVENT`: one function, one event, as `sam local invoke` runs it, but
without Docker.

The handler runs in this process, which is fresh: importing it is the function's cold start
(the layer and app.py are imported here, never before). It sees exactly the environment the
template gives the function, resolved as the local gateway resolves it, plus what Lambda sets
(AWS_LAMBDA_*, AWS_REGION, LAMBDA_TASK_ROOT, ...); nothing else of the shell leaks in. It calls
the embedded AWS of a running `make run` (found through LOCAL_DIR/endpoint) or, when none
runs, an in-process moto with the template's tables and queues and the demo data (thrown away
afterwards). It gets a Lambda context with the function's timeout, which is enforced.

As with `sam local invoke`, the response goes to stdout as JSON and everything the function
logs or prints goes to stderr. Exit status: 0 when the handler returned (whatever the HTTP
status inside), 1 on an unhandled error or a timeout (Lambda's error payload on stdout),
2 when the function or the event is not usable (one line on stderr).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO
from urllib.parse import urlsplit

from hail_tools import LOCAL_DIR, keys
from hail_tools import template as tpl

DEFAULT_URL = "http://127.0.0.1:3000"  # where `make run` serves the API by default
DEFAULT_REGION = "eu-west-1"
# In the Authorization header of events/*.json: a fresh local token goes there.
TOKEN_PLACEHOLDER = "REPLACE_WITH_ACCESS_TOKEN"  # noqa: S105
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
EXIT_UNHANDLED = 1
EXIT_USAGE = 2

# Event source of each trigger type of the template, and how to name it in messages.
KINDS = {"Api": "api", "SQS": "sqs", "S3": "s3"}
KIND_NAMES = {"api": "API Gateway proxy", "sqs": "SQS", "s3": "S3"}
# What of the shell the handler keeps: the rest of its environment is Lambda's.
HOST_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


class UsageError(Exception):
    """The function or the event cannot be used: one line for the user, exit status 2."""


# ------------------------------------------------------------------ the project ---


@dataclass(frozen=True)
class Project:
    """A SAM template and the directory its CodeUri paths are relative to."""

    template: dict[str, Any]
    path: Path

    @property
    def base_dir(self) -> Path:
        return self.path.resolve().parent

    @property
    def is_default(self) -> bool:
        return self.path.resolve() == tpl.TEMPLATE_PATH.resolve()

    def functions(self, context: tpl.Context | None = None) -> dict[str, tpl.Function]:
        return tpl.functions(self.template, context, self.base_dir)


def load_project(path: str | Path | None = None) -> Project:
    chosen = Path(path) if path else tpl.TEMPLATE_PATH
    try:
        return Project(tpl.load_template(chosen), chosen)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot load the template {chosen}: {error}") from error


def short_name(logical_id: str) -> str:
    """PublicationsFunction -> publications, PushWorkerFunction -> push_worker."""
    base = logical_id.removesuffix("Function") or logical_id
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(base))


def _normalised(name: str) -> str:
    """push_worker, push-worker, PushWorkerFunction, functions/push_worker/ -> pushworker."""
    last = name.rstrip("/").rsplit("/", 1)[-1]
    return last.lower().replace("_", "").replace("-", "").removesuffix("function")


def find_function(project: Project, name: str) -> tpl.Function:
    """A function by logical id (PublicationsFunction), short name (publications, push-worker)
    or, when only one function has it, the folder of its code (functions/push_worker)."""
    functions = project.functions()
    if name in functions:
        return functions[name]
    wanted = _normalised(name)
    by_id = [f for f in functions.values() if _normalised(f.logical_id) == wanted]
    by_folder = [f for f in functions.values() if _normalised(f.code_uri.name) == wanted]
    for found in (by_id, by_folder):
        if len(found) == 1:
            return found[0]
    known = ", ".join(f"{short_name(f)} ({f})" for f in functions)
    if by_folder:
        known = ", ".join(f.logical_id for f in by_folder)
        raise UsageError(f"{name!r} is the code of several functions: {known}")
    raise UsageError(f"no function {name!r} in {project.path.name}; there are: {known}")


def trigger_kinds(function: tpl.Function) -> set[str]:
    """The kinds of event the template sends the function: api, sqs, s3."""
    return {KINDS[e.get("Type", "")] for e in function.events.values() if e.get("Type") in KINDS}


# ------------------------------------------------------------------ the event ---


def read_event(source: str, stdin: TextIO, user: str | None = "alice") -> dict[str, Any]:
    """The event in a file (or standard input for "-"): a JSON object. The placeholder of the
    sample events' Authorization header becomes a fresh local token for `user`."""
    label = "standard input" if source == "-" else source
    try:
        text = stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read {label}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise UsageError(f"{label} is not UTF-8 text") from error
    if TOKEN_PLACEHOLDER in text and user:
        text = text.replace(TOKEN_PLACEHOLDER, keys.mint_token(user))
    try:
        event = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise UsageError(f"{label} is not JSON: {error.msg} ({where})") from error
    if not isinstance(event, dict):
        raise UsageError(f"{label}: an event is a JSON object, not {_json_type(event)}")
    return event


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a boolean" if isinstance(value, bool) else "a number"


def event_kind(event: Mapping[str, Any]) -> str | None:
    """api, sqs or s3 by the event's shape; None if it is none of them."""
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        return {"aws:sqs": "sqs", "aws:s3": "s3"}.get(str(records[0].get("eventSource")))
    if {"httpMethod", "resource", "requestContext"} & event.keys():
        return "api"
    return None


_NULL = type(None)
_API_FIELDS: dict[str, tuple[type, ...]] = {  # required
    "resource": (str,),
    "path": (str,),
    "httpMethod": (str,),
    "headers": (dict, _NULL),
    "requestContext": (dict,),
}
_API_OPTIONAL: dict[str, tuple[type, ...]] = {
    "multiValueHeaders": (dict, _NULL),
    "queryStringParameters": (dict, _NULL),
    "multiValueQueryStringParameters": (dict, _NULL),
    "pathParameters": (dict, _NULL),
    "body": (str, _NULL),
    "isBase64Encoded": (bool,),
}
_TYPE_NAMES = {str: "a string", dict: "an object", bool: "true or false", _NULL: "null"}
_RECORD_FIELDS = {
    "sqs": ("messageId", "receiptHandle", "body", "attributes", "eventSourceARN"),
    "s3": ("eventName", "awsRegion", "s3"),
}


def _check_fields(event: Mapping[str, Any], label: str) -> None:
    missing = [name for name in _API_FIELDS if name not in event]
    if missing:
        raise UsageError(f"{label}: not an API Gateway proxy event: no {', '.join(missing)}")
    for name, kinds in {**_API_FIELDS, **_API_OPTIONAL}.items():
        if name in event and not isinstance(event[name], kinds):
            wanted = " or ".join(_TYPE_NAMES[kind] for kind in kinds)
            raise UsageError(f"{label}: {name} must be {wanted}")


def _check_records(event: Mapping[str, Any], kind: str, label: str) -> None:
    source = f"aws:{kind}"
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        raise UsageError(f"{label}: not an {KIND_NAMES[kind]} event: no Records")
    for number, record in enumerate(records):
        if not isinstance(record, dict) or record.get("eventSource") != source:
            raise UsageError(f"{label}: Records[{number}] is not an {source} record")
        missing = [name for name in _RECORD_FIELDS[kind] if name not in record]
        if kind == "s3" and not missing:
            s3 = record["s3"] if isinstance(record["s3"], dict) else {}
            if not isinstance(s3.get("bucket"), dict) or "name" not in s3["bucket"]:
                missing.append("s3.bucket.name")
            if not isinstance(s3.get("object"), dict) or "key" not in s3["object"]:
                missing.append("s3.object.key")
        if missing:
            raise UsageError(f"{label}: Records[{number}] has no {', '.join(missing)}")
        if kind == "sqs" and not isinstance(record["body"], str):
            raise UsageError(f"{label}: Records[{number}].body must be a string")


def _queue_name(arn: Any) -> str:
    return str(arn).rsplit(":", 1)[-1]


def _subscribes_to(function: tpl.Function, queue: str, context: tpl.Context) -> bool:
    """Whether one of the function's SQS events is on this queue (a local name, or a name
    CloudFormation made from the logical id, e.g. hail-PushQueue-1AbC)."""
    for sqs_event in function.sqs_events:
        if queue == context.physical_name(sqs_event.queue) or f"-{sqs_event.queue}-" in queue:
            return True
    return False


def function_for_event(project: Project, event: Mapping[str, Any]) -> tpl.Function | None:
    """The function template.yaml sends this event to: the owner of the API route, or the
    function triggered by the SQS queue; None for other events or when nothing matches."""
    kind = event_kind(event)
    functions = project.functions()
    if kind == "api":
        method, resource = str(event.get("httpMethod", "")).upper(), event.get("resource")
        routes = [r for r in tpl.routes(project.template, project.base_dir) if r.path == resource]
        route = next((r for r in routes if r.method == method), None) or next(
            (r for r in routes if r.method == "ANY"), None
        )
        return functions[route.function] if route else None
    if kind == "sqs":
        queue = _queue_name(event["Records"][0].get("eventSourceARN"))
        context = tpl.make_context(project.template)
        return next((f for f in functions.values() if _subscribes_to(f, queue, context)), None)
    return None


def check_event(
    project: Project, function: tpl.Function, event: Mapping[str, Any], label: str
) -> None:
    """Raise UsageError unless the event is well formed and one the template sends the
    function (for events of a kind no trigger of it has, or another function's route)."""
    kinds = trigger_kinds(function)
    kind = event_kind(event)
    if kind is None:
        if "Records" in event:
            raise UsageError(f"{label}: Records of an unknown source (aws:sqs or aws:s3 expected)")
        if len(kinds) != 1:
            return  # a function without (or with several kinds of) triggers takes anything
        kind = next(iter(kinds))
    if kind == "api":
        _check_fields(event, label)
    else:
        _check_records(event, kind, label)
    if kinds and kind not in kinds:
        takes = " and ".join(sorted(KIND_NAMES[k] for k in kinds))
        raise UsageError(
            f"{label} is an {KIND_NAMES[kind]} event; {function.logical_id} takes {takes} events"
        )
    if kind in ("api", "sqs"):
        owner = function_for_event(project, event)
        if owner is None or owner.logical_id != function.logical_id:
            what = (
                f"{event['httpMethod']} {event['resource']}"
                if kind == "api"
                else f"from queue {_queue_name(event['Records'][0]['eventSourceARN'])}"
            )
            routed = f"goes to {owner.logical_id}" if owner else "matches no event of the template"
            raise UsageError(f"{label} ({what}) {routed}, not {function.logical_id}")


# ------------------------------------------------------------------ the AWS it runs against ---


@dataclass(frozen=True)
class Server:
    """A running `make run`: its embedded AWS and its API's URL."""

    endpoint: str
    url: str


def running_server(local_dir: Path | None = None) -> Server | None:
    """The `make run` whose endpoint file is in LOCAL_DIR, if it still answers."""
    directory = local_dir or LOCAL_DIR
    try:
        endpoint = (directory / "endpoint").read_text().strip()
    except OSError:
        return None
    parts = urlsplit(endpoint)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), 1):
            pass
    except OSError:
        print(f"({directory}/endpoint names {endpoint}, which does not answer)", file=sys.stderr)
        return None
    try:
        url = (directory / "url").read_text().strip() or DEFAULT_URL
    except OSError:
        url = DEFAULT_URL
    return Server(endpoint, url)


def parameters(url: str, jwks_url: str | None = None) -> dict[str, str]:
    """The template parameters `make run` passes: local token settings and its URL."""
    return {
        "TokenIssuer": keys.ISSUER,
        "TokenAudience": keys.AUDIENCE,
        "JwksUrl": jwks_url or keys.ensure_keys().jwks_url,
        "PublicBaseUrl": url,
    }


def region() -> str:
    """The region `make run` and `hail admin` use (AWS_DEFAULT_REGION, else eu-west-1)."""
    return os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def aws_clients(endpoint: str | None, region_name: str) -> tuple[Any, Any]:
    """DynamoDB and SQS clients of their own session (never boto3's default session, which
    the handler will make from its own environment)."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=region_name,
    )
    return (
        session.client("dynamodb", endpoint_url=endpoint),
        session.client("sqs", endpoint_url=endpoint),
    )


def lambda_environment(
    function: tpl.Function, context: tpl.Context, endpoint: str | None, log_stream: str
) -> dict[str, str]:
    """What the handler's process sees: Lambda's variables (as `sam local invoke` sets them),
    then the function's own from the template. Of the shell, only HOST_VARIABLES."""
    from hail_tools.triggers import LOCAL_ENVIRONMENT

    environment = {name: os.environ[name] for name in HOST_VARIABLES if name in os.environ}
    environment.update(
        {
            "AWS_SAM_LOCAL": "true",
            "AWS_REGION": context.region,
            "AWS_DEFAULT_REGION": context.region,
            **FAKE_CREDENTIALS,
            "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
            "AWS_LAMBDA_FUNCTION_HANDLER": function.handler,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.logical_id}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "LAMBDA_TASK_ROOT": str(function.code_uri.resolve()),
            "_HANDLER": function.handler,
            "TZ": ":UTC",
        }
    )
    if endpoint:
        environment["AWS_ENDPOINT_URL"] = endpoint
    environment.update(function.environment)
    # As under `make run`: pushes may reach the local webhook sink, and retry sooner.
    environment.update(LOCAL_ENVIRONMENT)
    return environment


@contextmanager
def local_aws(project: Project, server: Server | None) -> Iterator[tpl.Context]:
    """The context the template resolves against, with the AWS ready: the running server's
    (its tables and queues made if missing), or an in-process moto with the template's
    resources and, for the project's own template, the demo data."""
    url = server.url if server else DEFAULT_URL
    chosen_region = region()
    if server is not None:
        context = tpl.make_context(project.template, parameters(url), chosen_region)
        tpl.create_resources(
            project.template, context, *aws_clients(server.endpoint, chosen_region)
        )
        yield context
        return
    from moto import mock_aws

    with mock_aws():
        context = tpl.make_context(project.template, parameters(url), chosen_region)
        tpl.create_resources(project.template, context, *aws_clients(None, chosen_region))
        if project.is_default:
            _seed_demo(project, context)
        yield context


def _seed_demo(project: Project, context: tpl.Context) -> None:
    """Load the demo data with every function's settings (as `make run` does), then forget
    the layer so that the function's import is still a cold start."""
    saved = dict(os.environ)
    try:
        for function in project.functions(context).values():
            os.environ.update(function.environment)
        os.environ.update(FAKE_CREDENTIALS)
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = context.region
        from hail_tools import demo

        demo.seed()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        forget_layer()


def forget_layer() -> None:
    """Drop the layer and handler modules (and boto3's default session) from this process."""
    for name in [n for n in sys.modules if n == "hail" or n.startswith(("hail.", "hail_fn_"))]:
        del sys.modules[name]
    if "boto3" in sys.modules:
        import boto3

        boto3.DEFAULT_SESSION = None


# ------------------------------------------------------------------ invoking ---


def error_payload(error: BaseException, request_id: str, *, init: bool) -> dict[str, Any]:
    """Lambda's payload for an unhandled error."""
    if init and isinstance(error, ImportError):
        kind, message = "Runtime.ImportModuleError", f"Unable to import module: {error}"
    else:
        kind, message = type(error).__name__, str(error)
    frames = traceback.extract_tb(error.__traceback__)
    return {
        "errorMessage": message,
        "errorType": kind,
        "requestId": request_id,
        "stackTrace": [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames],
    }


@contextmanager
def _stdout_to_stderr() -> Iterator[TextIO]:
    """Send everything written to stdout (fd 1) to stderr, as the Lambda runtime sends a
    function's output to its logs; yields a stream on the real stdout for the response."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    response = os.fdopen(saved, "w", encoding="utf-8")
    try:
        yield response
    finally:
        sys.stdout.flush()
        response.flush()
        os.dup2(saved, 1)
        response.close()


@contextmanager
def _deadline(seconds: int, on_timeout: Any) -> Iterator[None]:
    """Call on_timeout() if the block runs longer than `seconds` (POSIX: SIGALRM)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        on_timeout()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def invoke(
    function: tpl.Function, event: dict[str, Any], context: tpl.Context, endpoint: str | None
) -> int:
    """Import the handler (its cold start), call it with the event, print the response;
    the exit status."""
    from hail_tools.gateway import LambdaContext, import_handler

    request_id = str(uuid.uuid4())
    lambda_context = LambdaContext(function, context, request_id)
    environment = lambda_environment(function, context, endpoint, lambda_context.log_stream_name)
    forget_layer()
    os.environ.clear()
    os.environ.update(environment)
    asyncio.set_event_loop(asyncio.new_event_loop())  # as on Lambda's main thread
    log = sys.stderr
    with _stdout_to_stderr() as response:
        print(f"START RequestId: {request_id} Version: $LATEST", file=log, flush=True)
        started = time.perf_counter()
        init_ms = 0.0
        status = 0
        try:
            handler = import_handler(function)
        except Exception as error:
            traceback.print_exc(file=log)
            payload = error_payload(error, request_id, init=True)
            status = EXIT_UNHANDLED
        else:
            init_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()

            def timed_out() -> None:
                elapsed = time.perf_counter() - started
                message = f"{request_id} Task timed out after {elapsed:.2f} seconds"
                print(message, file=log, flush=True)
                payload = {"errorMessage": message, "errorType": "Sandbox.Timedout"}
                response.write(json.dumps(payload) + "\n")
                response.flush()
                os._exit(EXIT_UNHANDLED)  # Lambda stops the function where it is

            try:
                with _deadline(function.timeout, timed_out):
                    payload = handler(event, lambda_context)
                json.dumps(payload)
            except Exception as error:
                traceback.print_exc(file=log)
                payload = error_payload(error, request_id, init=False)
                status = EXIT_UNHANDLED
        duration_ms = (time.perf_counter() - started) * 1000
        print(f"END RequestId: {request_id}", file=log)
        print(
            f"REPORT RequestId: {request_id}\tInit Duration: {init_ms:.2f} ms\t"
            f"Duration: {duration_ms:.2f} ms\tBilled Duration: {math.ceil(duration_ms)} ms\t"
            f"Memory Size: {function.memory_size} MB",
            file=log,
            flush=True,
        )
        response.write(json.dumps(payload) + "\n")
    return status


def run(
    function_name: str,
    event_source: str,
    *,
    user: str | None = "alice",
    template_path: str | Path | None = None,
    stdin: TextIO | None = None,
) -> int:
    """`hail invoke`: the exit status."""
    try:
        project = load_project(template_path)
        function = find_function(project, function_name)
        label = "standard input" if event_source == "-" else event_source
        event = read_event(event_source, stdin or sys.stdin, user)
        check_event(project, function, event, label)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    server = running_server()
    where = (
        f"the embedded AWS of `make run` ({server.endpoint})"
        if server
        else "an in-process AWS (moto) with the demo data, dropped afterwards"
        if project.is_default
        else "an in-process AWS (moto), dropped afterwards"
    )
    print(f"Invoking {function.logical_id} ({function.handler}) against {where}", file=sys.stderr)
    with local_aws(project, server) as context:
        resolved = project.functions(context)[function.logical_id]
        return invoke(resolved, event, context, server.endpoint if server else None)
