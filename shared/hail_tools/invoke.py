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
import sys
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from hail_tools import template as tpl
from hail_tools.events import check_event, read_event
from hail_tools.project import (
    DEFAULT_URL,
    FAKE_CREDENTIALS,
    Project,
    Server,
    UsageError,
    aws_clients,
    find_function,
    load_project,
    parameters,
    region,
    running_server,
)

EXIT_UNHANDLED = 1
EXIT_USAGE = 2
# What of the shell the handler keeps: the rest of its environment is Lambda's.
HOST_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


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
        context = tpl.make_context(project.template, parameters(url, server=server), chosen_region)
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
                sys.stdout.flush()
                print(message, file=log, flush=True)
                payload = {"errorMessage": message, "errorType": "Sandbox.Timedout"}
                response.write(json.dumps(payload) + "\n")
                response.flush()
                os._exit(EXIT_UNHANDLED)  # Lambda stops the function where it is

            try:
                with _deadline(function.timeout, timed_out):
                    payload = handler(event, lambda_context)
            except Exception as error:
                traceback.print_exc(file=log)
                payload = error_payload(error, request_id, init=False)
                status = EXIT_UNHANDLED
            try:
                json.dumps(payload)
            except (TypeError, ValueError) as error:
                message = f"Unable to marshal response: {error}"
                print(message, file=log)
                payload = {"errorMessage": message, "errorType": "Runtime.MarshalError"}
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
