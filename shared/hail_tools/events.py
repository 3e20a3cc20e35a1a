"""Lambda events for `hail invoke` and `hail event`: reading and checking one (is it well
formed, is it one the template sends this function), and making fresh ones, like `sam local
generate-event` but for this project: an API Gateway proxy event for any route of the
template (built by the local gateway's own event builder, with a token the local server
accepts), a push job as the push queue delivers it, an S3 object-created notification.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote_plus, urlsplit

from hail_tools import keys
from hail_tools import template as tpl
from hail_tools.gateway import build_resources, match_route, proxy_event
from hail_tools.project import (
    DEFAULT_URL,
    Project,
    UsageError,
    parameters,
    region,
    running_server,
    trigger_kinds,
)
from hail_tools.triggers import DEFAULT_SENDER, sqs_event

# In the Authorization header of events/*.json: a fresh local token goes there.
TOKEN_PLACEHOLDER = "REPLACE_WITH_ACCESS_TOKEN"  # noqa: S105
KIND_NAMES = {
    "api": "API Gateway proxy",
    "sqs": "SQS",
    "s3": "S3",
    "schedule": "EventBridge schedule",
}

# ------------------------------------------------------------------ reading, checking ---


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
    if event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event":
        return "schedule"
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
    for trigger in function.sqs_events:
        if queue == context.physical_name(trigger.queue) or f"-{trigger.queue}-" in queue:
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
    if kind == "schedule":
        return next((f for f in functions.values() if "schedule" in trigger_kinds(f)), None)
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
    elif kind != "schedule":
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


# ------------------------------------------------------------------ making ---


def _context(project: Project, url: str) -> tpl.Context:
    return tpl.make_context(project.template, parameters(url, jwks_url="file:///unused"), region())


def _server_url() -> str:
    server = running_server()
    return server.url if server else DEFAULT_URL


# ------------------------------------------------------------------ API Gateway ---


def api_event(
    project: Project,
    method: str,
    target: str,
    *,
    user: str | None = "alice",
    scope: str = keys.DEFAULT_SCOPE,
    body: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> tuple[dict[str, Any], str]:
    """The proxy event API Gateway sends for `method target` (a path, maybe with a query),
    as the local gateway of a running `make run` builds it; and the function it goes to."""
    method = method.upper()
    path, _, query = target.partition("?")
    if not path.startswith("/"):
        raise UsageError(f"the path must start with /, not {path!r}")
    resources = build_resources(tpl.routes(project.template, project.base_dir))
    resource, route, path_parameters = match_route(resources, method, path)
    if route is None:
        raise UsageError(f"{project.path.name} has no route for {method} {path}")
    url = urlsplit(_server_url())
    sent = [("Accept", "application/json"), ("User-Agent", "hail-event"), ("Host", url.netloc)]
    sent += headers or []
    if user:
        sent.append(("Authorization", f"Bearer {keys.mint_token(user, scope=scope)}"))
    data = (body or "").encode("utf-8")
    if data and not any(name.lower() == "content-type" for name, _ in sent):
        try:
            json.loads(data)
        except ValueError as error:
            raise UsageError(f"--body is not JSON ({error}); give a Content-Type header") from error
        sent.append(("Content-Type", "application/json"))
    context = _context(project, url.geturl())
    api = tpl.resolve(tpl.api_properties(project.template), context)
    stage = str(api.get("StageName") or context.parameters.get("StageName", "prod"))
    binary = [str(kind).replace("~1", "/") for kind in api.get("BinaryMediaTypes") or []]
    event = proxy_event(
        method,
        resource,
        path_parameters,
        path,
        query,
        sent,
        data,
        stage=stage,
        account_id=context.account_id,
        domain_name=url.netloc,
        forwarded_proto=url.scheme,
        binary_media_types=binary,
    )
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    return event, route.function


# ------------------------------------------------------------------ SQS ---


def sqs_push_event(
    project: Project,
    publication_id: str,
    connection_id: str,
    *,
    org_id: str | None = None,
    title: str | None = None,
    url: str | None = None,
    comment: str | None = None,
    push_id: str | None = None,
    receive_count: int = 1,
    queue: str = "PushQueue",
) -> dict[str, Any]:
    """One push job as the push queue delivers it (the message the connections function
    sends), in the SQS event `make run`'s trigger emulation builds. Organisation and title
    default to the demo publication's."""
    from hail_tools import demo

    resource = (project.template.get("Resources") or {}).get(queue) or {}
    if resource.get("Type") != "AWS::SQS::Queue":
        raise UsageError(f"{project.path.name} has no queue {queue!r}")
    known = {pub_id: (org, fields) for org, _user, pub_id, fields in demo.PUBLICATIONS}
    demo_org, fields = known.get(publication_id, (None, {}))
    if org_id is None and demo_org is None:
        raise UsageError(f"{publication_id!r} is not a demo publication: give its --org")
    job = {
        "push_id": push_id or str(uuid.uuid4()),
        "org_id": org_id or demo_org,
        "publication_id": publication_id,
        "connection_id": connection_id,
        "title": title or fields.get("title") or publication_id,
        "url": url or f"{_server_url()}/p/{publication_id}",
        "comment": comment,
    }
    body = json.dumps(job, separators=(",", ":"))
    now = str(int(time.time() * 1000))
    message = {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": secrets.token_urlsafe(48),
        "Body": body,
        "MD5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 - as SQS computes it
        "Attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": now,
            "SenderId": DEFAULT_SENDER,
            "ApproximateFirstReceiveTimestamp": now,
        },
    }
    context = _context(project, _server_url())
    arn = tpl.resolve({"Fn::GetAtt": [queue, "Arn"]}, context)
    return sqs_event([message], arn, context.region)


# ------------------------------------------------------------------ S3 ---


def s3_event(
    bucket: str,
    key: str,
    *,
    size: int = 0,
    etag: str | None = None,
    event_name: str = "ObjectCreated:Put",
) -> dict[str, Any]:
    """The notification S3 sends when an object is created (event version 2.1); the key is
    URL-encoded as S3 encodes it (a handler decodes it with unquote_plus)."""
    now = datetime.now(UTC)
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region(),
                "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:AIDAHAILLOCAL"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": secrets.token_hex(8).upper(),
                    "x-amz-id-2": secrets.token_urlsafe(48),
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "hail-local",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "AHAILLOCAL"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag or hashlib.md5(b"").hexdigest(),  # noqa: S324
                        "sequencer": f"{time.time_ns():016X}",
                    },
                },
            }
        ]
    }
