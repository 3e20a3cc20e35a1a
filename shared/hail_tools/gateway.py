"""An in-process stand-in for API Gateway (REST API, Lambda proxy integration).

Built from template.yaml alone: the routes of each function's `Type: Api` events,
the GatewayResponses of the API, and each function's handler file, environment,
timeout and memory size. A request is matched the way API Gateway matches it,
turned into a payload-v1 proxy event, passed to the handler (loaded once per
function, like a warm container) and the proxy result turned back into HTTP.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import fnmatch
import hashlib
import importlib.util
import json
import os
import re
import secrets
import sys
import threading
import time
import traceback
import uuid
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

from hail_tools import template as tpl

MAX_REQUEST_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
# API Gateway's quota on the request line and header values of a regional REST API.
MAX_REQUEST_LINE_AND_HEADERS = 10240
# The methods API Gateway routes (ANY stands for them all). Methods are case-sensitive: a
# "get", a TRACE or a CONNECT matches no method of any resource.
METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})
HEADERS_TOO_LARGE = (
    "Request header fields too large: API Gateway takes at most 10,240 bytes of request "
    "line and header values."
)
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024  # synchronous invocation request/response limit

Handler = Callable[[dict[str, Any], Any], Any]

# Status of each gateway response type when the template does not set one.
DEFAULT_STATUS = {
    "ACCESS_DENIED": 403,
    "API_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_FAILURE": 500,
    "BAD_REQUEST_BODY": 400,
    "BAD_REQUEST_PARAMETERS": 400,
    "DEFAULT_4XX": 400,
    "DEFAULT_5XX": 502,
    "EXPIRED_TOKEN": 403,
    "INTEGRATION_FAILURE": 504,
    "INTEGRATION_TIMEOUT": 504,
    "INVALID_API_KEY": 403,
    "INVALID_SIGNATURE": 403,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "QUOTA_EXCEEDED": 429,
    "REQUEST_TOO_LARGE": 413,
    "RESOURCE_NOT_FOUND": 404,
    "THROTTLED": 429,
    "UNAUTHORIZED": 401,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "WAF_FILTERED": 403,
}
DEFAULT_MESSAGES = {
    "MISSING_AUTHENTICATION_TOKEN": "Missing Authentication Token",
    "REQUEST_TOO_LARGE": "Request Too Long",
    "DEFAULT_5XX": "Internal server error",
    "INTEGRATION_TIMEOUT": "Endpoint request timed out",
    "THROTTLED": "Too Many Requests",
    "UNAUTHORIZED": "Unauthorized",
}
ERROR_TYPES = {
    "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
    "REQUEST_TOO_LARGE": "RequestTooLargeException",
    "DEFAULT_5XX": "InternalServerErrorException",
    "INTEGRATION_TIMEOUT": "InternalServerErrorException",
}
_PROXY_RESULT_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
_NOT_FORWARDED = {"content-length", "connection", "transfer-encoding"}


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


class LambdaContext:
    """The parts of the Lambda context object handlers and Powertools use."""

    def __init__(self, function: tpl.Function, ctx: tpl.Context, request_id: str) -> None:
        self.function_name = function.logical_id
        self.function_version = "$LATEST"
        self.invoked_function_arn = ctx.arn("lambda", f"function:{function.logical_id}")
        self.memory_limit_in_mb = function.memory_size
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function.logical_id}"
        day = datetime.now(UTC).strftime("%Y/%m/%d")
        self.log_stream_name = f"{day}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline = time.monotonic() + function.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class _Resource:
    path: str
    segments: tuple[str, ...]
    methods: dict[str, tpl.Route] = field(default_factory=dict)

    def match(self, parts: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
        """(specificity key, path parameters) if this resource matches the request path.

        Lower keys are more specific: per segment, literal 0 < {param} 1 < {proxy+} 2.
        """
        key: list[int] = []
        params: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.startswith("{") and segment.endswith("+}"):
                rest = parts[index:]
                if not rest or not all(rest):
                    return None
                params[segment[1:-2]] = "/".join(rest)
                return (*key, 2), params
            if index >= len(parts):
                return None
            if segment.startswith("{") and segment.endswith("}"):
                if not parts[index]:
                    return None
                params[segment[1:-1]] = parts[index]
                key.append(1)
            elif segment == parts[index]:
                key.append(0)
            else:
                return None
        if len(parts) != len(self.segments):
            return None
        return tuple(key), params


_thread_state = threading.local()


class _ThreadMarker:
    """Lives in a thread-local; when the thread ends it goes, and its loop is closed."""


def _ensure_event_loop() -> None:
    """Lambda calls handlers on its main thread, where asyncio.get_event_loop() works (Mangum
    relies on it). Give each calling thread an event loop of its own, closed with the thread."""
    if getattr(_thread_state, "marker", None) is None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        _thread_state.marker = _ThreadMarker()
        weakref.finalize(_thread_state.marker, loop.close)


def _split(path: str) -> list[str]:
    path = path.split("?", 1)[0]
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path.split("/")[1:] if path != "/" else []


def _module_name(logical_id: str) -> str:
    base = logical_id.removesuffix("Function") or logical_id
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", base).lower()
    return f"hail_fn_{snake}"


def import_function(function: tpl.Function) -> ModuleType:
    """Import a function's handler file as Lambda would (its CodeUri on sys.path), once
    per process: later calls get the same module, like a warm container."""
    name = _module_name(function.logical_id)
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(name, function.handler_file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {function.handler_file}")
    module = importlib.util.module_from_spec(spec)
    code_dir = str(function.code_uri.resolve())
    if code_dir not in sys.path:
        sys.path.append(code_dir)  # Lambda puts the task root on sys.path
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def import_handler(function: tpl.Function) -> Handler:
    handler: Handler = getattr(import_function(function), function.handler_attr)
    return handler


def build_resources(routes: list[tpl.Route]) -> list[_Resource]:
    """The API's resources (intermediate ones too), each with its methods' routes."""
    resources: dict[str, _Resource] = {"/": _Resource("/", ())}
    for route in routes:
        segments = tuple(_split(route.path))
        for depth in range(1, len(segments) + 1):  # intermediate resources exist too
            path = "/" + "/".join(segments[:depth])
            resources.setdefault(path, _Resource(path, segments[:depth]))
        resource = resources["/" + "/".join(segments)]
        resource.methods[route.method] = route
    return list(resources.values())


def match_route(
    resources: list[_Resource], method: str, raw_path: str
) -> tuple[str, tpl.Route | None, dict[str, str]]:
    """(resource path, route or None, path parameters), as API Gateway matches a request;
    resource "" if none matches."""
    parts = _split(raw_path)
    best: tuple[tuple[int, ...], _Resource, dict[str, str]] | None = None
    for resource in resources:
        found = resource.match(parts)
        if found and (best is None or found[0] < best[0]):
            best = (found[0], resource, found[1])
    if best is None:
        return "", None, {}
    _, resource, params = best
    route = resource.methods.get(method.upper()) or resource.methods.get("ANY")
    return resource.path, route, params


class LocalGateway:
    """Serve the template's REST API in-process."""

    def __init__(
        self,
        template: Mapping[str, Any],
        context: tpl.Context | Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        *,
        base_dir: Path | None = None,
        domain_name: str = "localhost",
        forwarded_proto: str = "https",
        enforce_timeout: bool = True,
    ) -> None:
        self.template = dict(template)
        self.context = (
            context
            if isinstance(context, tpl.Context)
            else tpl.make_context(self.template, context or {})
        )
        self.domain_name = domain_name
        self.forwarded_proto = forwarded_proto
        self.enforce_timeout = enforce_timeout
        self.functions = tpl.functions(self.template, self.context, base_dir)
        self.responses = tpl.gateway_responses(self.template, self.context)
        api = tpl.resolve(tpl.api_properties(self.template), self.context)
        self.stage = str(api.get("StageName") or self.context.parameters.get("StageName", "prod"))
        self.binary_media_types = [
            str(kind).replace("~1", "/") for kind in api.get("BinaryMediaTypes") or []
        ]
        self.resources = self._build_resources(tpl.routes(self.template, base_dir))
        self.environment: dict[str, str] = {}
        for function in self.functions.values():
            self.environment.update(function.environment)
        self.environment.update(env or {})
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self.apply_environment()

    # ------------------------------------------------------------------ setup

    @staticmethod
    def _build_resources(routes: list[tpl.Route]) -> list[_Resource]:
        return build_resources(routes)

    def apply_environment(self) -> None:
        """Put every function's environment (and the overrides) into os.environ."""
        os.environ.update(self.environment)

    def handler(self, logical_id: str) -> Handler:
        """A function's handler, imported on first use (its cold start)."""
        handler = self._handlers.get(logical_id)
        if handler is None:
            with self._lock:
                handler = self._handlers.get(logical_id)
                if handler is None:
                    handler = import_handler(self.functions[logical_id])
                    self._handlers[logical_id] = handler
        return handler

    # ------------------------------------------------------------------ matching

    def match(self, method: str, raw_path: str) -> tuple[str, tpl.Route | None, dict[str, str]]:
        """(resource path, route or None, path parameters); resource "" if none matches."""
        return match_route(self.resources, method, raw_path)

    # ------------------------------------------------------------------ requests

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        body: bytes | str | None = None,
    ) -> Response:
        """Convenience for tests: `gw.request("GET", "/v1/x?a=1", headers={...})`."""
        path, _, query = url.partition("?")
        header_list = list((headers or {}).items())
        if json is not None:
            body = _json_dumps(json)
            if not any(name.lower() == "content-type" for name, _ in header_list):
                header_list.append(("Content-Type", "application/json"))
        data = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        return self.handle(method, path, query, header_list, data)

    def handle(
        self,
        method: str,
        raw_path: str,
        raw_query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str = "127.0.0.1",
    ) -> Response:
        """Answer one HTTP request as API Gateway and the function behind it would."""
        request_id = str(uuid.uuid4())
        target = f"{raw_path}?{raw_query}" if raw_query else raw_path
        request_line = len(f"{method} {target} HTTP/1.1")
        if request_line + sum(len(value) for _, value in headers) > MAX_REQUEST_LINE_AND_HEADERS:
            return self.gateway_response(
                "DEFAULT_4XX",
                headers,
                request_id,
                message=HEADERS_TOO_LARGE,
                status=431,
            )
        if len(body) > MAX_REQUEST_BODY:
            return self.gateway_response("REQUEST_TOO_LARGE", headers, request_id)
        resource, route, params = self.match(method, raw_path)
        if route is None or method not in METHODS:
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN", headers, request_id)
        event = self._event(method, resource, params, raw_path, raw_query, headers, body, source_ip)
        event["requestContext"]["requestId"] = request_id
        function = self.functions[route.function]
        try:
            if len(body) > LAMBDA_PAYLOAD_LIMIT * 3 // 4 and _size(event) > LAMBDA_PAYLOAD_LIMIT:
                raise RuntimeError("Lambda request payload over 6 MB (RequestEntityTooLarge)")
            handler = self.handler(route.function)  # cold start: not part of the timeout
            _ensure_event_loop()
            started = time.monotonic()
            result = handler(event, LambdaContext(function, self.context, request_id))
            elapsed = time.monotonic() - started
            if self.enforce_timeout and elapsed > function.timeout:
                raise TimeoutError(f"Task timed out after {elapsed:.2f} seconds")
            status, response_headers, response_body = _proxy_result(result)
        except Exception:
            print(
                f"[{route.function}] {request_id} {method} {raw_path} failed"
                " (API Gateway answers DEFAULT_5XX):",
                file=sys.stderr,
            )
            traceback.print_exc(file=sys.stderr)
            return self.gateway_response("DEFAULT_5XX", headers, request_id)
        lowered = {name.lower() for name, _ in response_headers}
        if "content-type" not in lowered:
            response_headers.append(("Content-Type", "application/json"))
        response_headers += self._trace_headers(request_id)
        return Response(status, response_headers, response_body)

    def _trace_headers(self, request_id: str) -> list[tuple[str, str]]:
        return [
            ("x-amzn-RequestId", request_id),
            ("x-amz-apigw-id", secrets.token_urlsafe(12)[:16]),
        ]

    def _event(
        self,
        method: str,
        resource: str,
        path_parameters: dict[str, str],
        raw_path: str,
        raw_query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
    ) -> dict[str, Any]:
        """The REST API (payload v1) proxy event; requestContext.requestId is left to set."""
        return proxy_event(
            method,
            resource,
            path_parameters,
            raw_path,
            raw_query,
            headers,
            body,
            source_ip=source_ip,
            stage=self.stage,
            account_id=self.context.account_id,
            domain_name=self.domain_name,
            forwarded_proto=self.forwarded_proto,
            binary_media_types=self.binary_media_types,
        )

    # ------------------------------------------------------------------ gateway responses

    def gateway_response(
        self,
        kind: str,
        request_headers: list[tuple[str, str]],
        request_id: str | None = None,
        message: str | None = None,
        status: int | None = None,
    ) -> Response:
        """Render a gateway response type (e.g. MISSING_AUTHENTICATION_TOKEN); `status`
        overrides its status (refusals API Gateway makes before any route, such as 431)."""
        request_id = request_id or str(uuid.uuid4())
        default_status = DEFAULT_STATUS.get(kind, 500)
        fallback = self.responses.get("DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX")
        spec = self.responses.get(kind)
        status = status or (spec.status_code if spec else None) or default_status
        templates = (spec.templates if spec else None) or (fallback.templates if fallback else {})
        headers = {**(fallback.headers if fallback else {}), **(spec.headers if spec else {})}
        for name, source in (spec.request_headers if spec else {}).items():
            copied = [v for n, v in request_headers if n.lower() == source.lower()]
            if copied:  # API Gateway leaves out a header mapped from an absent one
                headers[name] = copied[-1]
        if not templates:
            templates = {"application/json": '{"message":$context.error.messageString}'}
        accept = ",".join(value for name, value in request_headers if name.lower() == "accept")
        media_types = {part.split(";")[0].strip().lower() for part in accept.split(",")}
        if "application/problem+json" in media_types and "application/problem+json" in templates:
            content_type = "application/problem+json"
        elif "application/json" in templates:
            content_type = "application/json"
        else:
            content_type = next(iter(templates))
        text = message or DEFAULT_MESSAGES.get(kind, kind.replace("_", " ").capitalize())
        body = (
            templates[content_type]
            .replace("$context.error.messageString", json.dumps(text))
            .replace("$context.error.message", text)
            .replace("$context.error.responseType", kind)
            .replace("$context.requestId", request_id)
        )
        response_headers = [("Content-Type", content_type), *headers.items()]
        response_headers += self._trace_headers(request_id)
        if kind in ERROR_TYPES:
            response_headers.append(("x-amzn-ErrorType", ERROR_TYPES[kind]))
        return Response(status, response_headers, body.encode("utf-8"))


def proxy_event(
    method: str,
    resource: str,
    path_parameters: dict[str, str],
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    source_ip: str = "127.0.0.1",
    stage: str,
    account_id: str,
    domain_name: str,
    forwarded_proto: str = "https",
    binary_media_types: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """The REST API (payload v1) proxy event API Gateway sends for one request (the local
    gateway's, `hail event api`'s); requestContext.requestId is left to set."""
    multi_headers: dict[str, list[str]] = {}
    names: dict[str, str] = {}  # lower-case -> first spelling seen
    for name, value in headers:
        multi_headers.setdefault(names.setdefault(name.lower(), name), []).append(value)

    def last(name: str) -> str | None:
        values = multi_headers.get(names.get(name.lower(), ""))
        return values[-1] if values else None

    def set_header(name: str, value: str, *, keep: bool = False) -> None:
        if keep and name.lower() in names:
            return
        multi_headers[names.setdefault(name.lower(), name)] = [value]

    host = last("Host") or domain_name
    set_header("Host", host, keep=True)
    forwarded = multi_headers.get(names.get("x-forwarded-for", ""))
    set_header("X-Forwarded-For", ", ".join([*(forwarded or []), source_ip]))
    set_header("X-Forwarded-Proto", forwarded_proto)
    set_header("X-Forwarded-Port", "443" if forwarded_proto == "https" else _port(host))
    trace_id = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    set_header("X-Amzn-Trace-Id", trace_id, keep=True)

    multi_query: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        multi_query.setdefault(key, []).append(value)

    event_body, is_base64 = _event_body(body, last("Content-Type") or "", binary_media_types)
    now = datetime.now(UTC)
    return {
        "resource": resource,
        "path": raw_path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": hashlib.sha1(resource.encode()).hexdigest()[:6],  # noqa: S324
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": secrets.token_urlsafe(12)[:16],
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{raw_path}",
            "accountId": account_id,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": host.split(":")[0].split(".")[0],
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": "",
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": last("User-Agent"),
                "user": None,
            },
            "domainName": host,
            "apiId": tpl.API_ID,
        },
        "body": event_body,
        "isBase64Encoded": is_base64,
    }


def _event_body(
    body: bytes, content_type: str, binary_media_types: list[str] | tuple[str, ...]
) -> tuple[str | None, bool]:
    if not body:
        return None, False
    media_type = content_type.split(";")[0].strip().lower()
    binary = any(fnmatch.fnmatch(media_type, kind) for kind in binary_media_types)
    if not binary:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _json_dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _size(event: dict[str, Any]) -> int:
    return len(_json_dumps(event).encode("utf-8"))


def _port(host: str) -> str:
    _, _, port = host.rpartition(":")
    return port if port.isdigit() else "80"


def _proxy_result(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Turn a Lambda proxy result into (status, headers, body); ValueError if malformed."""
    if not isinstance(result, dict) or set(result) - _PROXY_RESULT_KEYS:
        raise ValueError(f"Malformed Lambda proxy response: {type(result).__name__}")
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"Malformed Lambda proxy response: statusCode {status!r}")
    headers: list[tuple[str, str]] = []
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if not isinstance(values, list):
            raise ValueError(f"Malformed Lambda proxy response: multiValueHeaders[{name!r}]")
        headers += [(str(name), _scalar(value)) for value in values]
    seen = {(name.lower(), value) for name, value in headers}
    for name, value in (result.get("headers") or {}).items():
        if (str(name).lower(), _scalar(value)) not in seen:
            headers.append((str(name), _scalar(value)))
    headers = [(name, value) for name, value in headers if name.lower() not in _NOT_FORWARDED]
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise ValueError("Malformed Lambda proxy response: body is not a string")
    data = (body or "").encode("utf-8")
    if result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body or "", validate=True)
        except binascii.Error as error:
            raise ValueError("Malformed Lambda proxy response: body is not base64") from error
    if len(data) > LAMBDA_PAYLOAD_LIMIT * 3 // 4 and _size(result) > LAMBDA_PAYLOAD_LIMIT:
        raise ValueError("Lambda response payload over 6 MB")
    return status, headers, data


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    raise ValueError(f"Malformed Lambda proxy response: header value {value!r}")
