"""`hail event`: fresh events for `hail invoke` and `sam local invoke`, like `sam local
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
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, urlsplit

from hail_tools import keys
from hail_tools import template as tpl
from hail_tools.gateway import build_resources, match_route, proxy_event
from hail_tools.invoke import (
    DEFAULT_URL,
    Project,
    UsageError,
    parameters,
    region,
    running_server,
)
from hail_tools.triggers import DEFAULT_SENDER, sqs_event


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
