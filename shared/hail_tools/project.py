"""The project as the local tools see it: its template and functions (found by logical id
or short name), and the `make run` that may be running (found through LOCAL_DIR/endpoint)
with the template parameters it runs with."""

from __future__ import annotations

import json
import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from hail_tools import LOCAL_DIR, keys
from hail_tools import template as tpl

DEFAULT_URL = "http://127.0.0.1:3000"  # where `make run` serves the API by default
DEFAULT_REGION = "eu-west-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# The kinds of event a function's triggers send it (template event Type -> kind).
KINDS = {"Api": "api", "SQS": "sqs", "S3": "s3", "Schedule": "schedule"}


class UsageError(Exception):
    """The function or the event cannot be used: one line for the user, exit status 2."""


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
    except (OSError, ValueError, yaml.YAMLError) as error:
        reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
        raise UsageError(f"cannot load the template {chosen}: {reason}") from error


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
    kinds = {KINDS[e.get("Type", "")] for e in function.events.values() if e.get("Type") in KINDS}
    if function.sqs_events:  # SQS events or event source mappings of the template
        kinds.add("sqs")
    return kinds


@dataclass(frozen=True)
class Server:
    """A running `make run`: its embedded AWS, its API's URL and the other template
    parameters it runs with (its sign-in's URLs)."""

    endpoint: str
    url: str
    extra: dict[str, str] = field(default_factory=dict)


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
    try:
        extra = json.loads((directory / PARAMETERS_FILE).read_text())
    except (OSError, ValueError):
        extra = {}
    return Server(endpoint, url, {str(k): str(v) for k, v in dict(extra).items()})


PARAMETERS_FILE = "parameters.json"  # beside the endpoint: what else `make run` passes


def parameters(
    url: str, jwks_url: str | None = None, server: Server | None = None
) -> dict[str, str]:
    """The template parameters `make run` passes: local token settings, its URL and (from a
    running server) the rest, such as its sign-in's URLs."""
    return {
        "TokenIssuer": keys.ISSUER,
        "TokenAudience": keys.AUDIENCE,
        "JwksUrl": jwks_url or keys.ensure_keys().jwks_url,
        "PublicBaseUrl": url,
        **(server.extra if server else {}),
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
