"""The app factory every function uses: error mapping, request limits, auth dependencies,
and the Lambda entry point (Mangum wrapped in a plain function so Powertools decorators apply)."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from mangum import Mangum
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hail.auth import (
    CONNECTIONS,
    ORG_BASIC,
    READ,
    USER_BASIC,
    WRITE,
    Principal,
    get_verifier,
)
from hail.errors import CODE_BY_STATUS, BadRequest, HailError, error_body
from hail.observability import logger, metrics, tracer
from hail.settings import get_settings
from hail.storage import base as db


def error_response(
    request_accept: str | None,
    status: int,
    code: str,
    message: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body, media_type = error_body(status, code, message, errors, request_accept)
    return Response(body, status_code=status, media_type=media_type, headers=headers)


async def _hail_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HailError)
    return error_response(
        request.headers.get("accept"), exc.status, exc.code, exc.message, exc.errors, exc.headers
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    accept = request.headers.get("accept")
    problems = exc.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return error_response(accept, 400, "BAD_REQUEST", "The request body is not valid JSON.")
    errors = []
    for p in problems:
        loc = [str(x) for x in p.get("loc", ()) if x != "body"]
        message = str(p.get("msg", "is not valid")).removeprefix("Value error, ")
        errors.append({"field": ".".join(loc) or "body", "message": message})
    return error_response(accept, 400, "INVALID", "The request failed validation.", errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code if exc.status_code in CODE_BY_STATUS else 400
    headers = dict(exc.headers or {})
    if status == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    messages = {
        404: "No such resource.",
        405: f"The {request.method} method is not allowed here.",
    }
    return error_response(
        request.headers.get("accept"),
        status,
        CODE_BY_STATUS[status],
        messages.get(status, str(exc.detail)),
        headers=headers,
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.state.api_routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods - {"HEAD"})


class RequestGuard:
    """Counts database work per request, refuses bodies over the limit (413), and turns an
    unexpected exception into a 500 that reveals nothing but the request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stats = db.start_stats()
        try:
            await self._guarded(scope, receive, send, stats)
        finally:
            metrics.add_metric(name="DynamoDBRoundTrips", unit="Count", value=stats.round_trips)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, stats: db.DbStats) -> None:
        settings = get_settings()
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        accept = headers.get("accept")
        limit = settings.max_body_bytes
        started = False

        async def send_counted(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if settings.expose_db_stats:
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"x-db-round-trips", str(stats.round_trips).encode()),
                        (b"x-db-calls", str(stats.calls).encode()),
                        (b"x-db-items-read", str(stats.items_read).encode()),
                    ]
            await send(message)

        async def reply(response: Response) -> None:
            await response(scope, receive, send_counted)

        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await reply(_too_large(accept, limit))
            return
        # Lambda hands over the whole body at once: read it, check it, then replay it.
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await reply(_too_large(accept, limit))
                return
        replayed = False

        async def receive_replayed() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            await self.app(scope, receive_replayed, send_counted)
        except Exception:
            context = scope.get("aws.context")
            request_id = getattr(context, "aws_request_id", "unknown")
            logger.exception("Unhandled error", extra={"request_id": request_id})
            metrics.add_metric(name="UnhandledErrors", unit="Count", value=1)
            if not started:
                await reply(
                    error_response(
                        accept,
                        500,
                        "INTERNAL",
                        f"Internal error; it has been logged (request id {request_id}).",
                    )
                )


def _too_large(accept: str | None, limit: int) -> Response:
    return error_response(
        accept, 413, "PAYLOAD_TOO_LARGE", f"The request body is larger than {limit} bytes."
    )


class _Cors(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered in the error envelope."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        return error_response(
            request_headers.get("accept"), 400, "BAD_REQUEST", bytes(response.body).decode()
        )


class OptionalCors:
    """CORS for the origins in CORS_ALLOW_ORIGINS, if any; decided on the first request
    (not at import: settings are read once per cold start, by the first request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._inner: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._inner is None:
            allowed = get_settings().cors_allow_origins.split(",")
            origins = [o.strip() for o in allowed if o.strip()]
            self._inner = (
                _Cors(
                    self.app,
                    allow_origins=origins,
                    allow_methods=["GET", "POST", "PUT", "DELETE"],
                    allow_headers=["Authorization", "Content-Type", "Accept", "If-Match"],
                    expose_headers=["Link", "ETag", "Location", "Retry-After", "WWW-Authenticate"],
                    max_age=600,
                )
                if origins
                else self.app
            )
        await self._inner(scope, receive, send)


def create_app(*routers: Any) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_exception_handler(HailError, _hail_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(RequestGuard)
    app.add_middleware(OptionalCors)  # outermost: preflights and errors get CORS headers too
    app.state.api_routes = []
    for router in routers:
        app.include_router(router)
        app.state.api_routes.extend(router.routes)
    return app


# Answered as text, not base64 (API Gateway would otherwise pass base64 through to clients).
TEXT_TYPES = [
    "application/json",
    "application/hal+json",
    "application/problem+json",
    "application/javascript",
    "image/svg+xml",
    "text/html",  # the viewer's pages (Mangum's own defaults are replaced by this list)
]


def lambda_handler(app: FastAPI) -> Callable[[dict, Any], dict]:
    asgi = Mangum(app, lifespan="off", text_mime_types=TEXT_TYPES)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def handler(event: dict, context: Any) -> dict:
        with db.time_budget(context):
            return asgi(event, context)

    return handler


# ------------------------------------------------------------------ auth ---


async def authenticated(request: Request) -> Principal:
    """The caller, from `Authorization: Bearer`, or on a GET from the `access_token` query
    parameter (RFC 6750 §2.3, which real Hail clients send to `me`); never both."""
    authorization = request.headers.get("authorization")
    in_query = request.query_params.getlist("access_token") if request.method == "GET" else []
    if not in_query:
        return get_verifier().verify(authorization)
    if authorization or len(in_query) > 1:
        raise BadRequest("Send the access token once: in the Authorization header or the query.")
    if not in_query[0]:
        return get_verifier().verify(None)
    return get_verifier().verify_token(in_query[0])


def _scoped(scope: str, *alternatives: str) -> Callable[..., Any]:
    async def dependency(principal: Principal = Depends(authenticated)) -> Principal:
        principal.require(scope, *alternatives)
        return principal

    return dependency


reader = _scoped(READ)
writer = _scoped(WRITE)
pusher = _scoped(CONNECTIONS)
user_reader = _scoped(USER_BASIC)
org_reader = _scoped(ORG_BASIC, USER_BASIC)


def base_url(request: Request) -> str:
    """Where this API is reached: the configured public URL, else the stage's own URL."""
    configured = get_settings().public_base_url
    if configured:
        return configured.rstrip("/")
    context = request.scope.get("aws.event", {}).get("requestContext", {})
    domain = context.get("domainName") or request.headers.get("host", "localhost")
    stage = context.get("stage")
    if stage and domain.endswith(".amazonaws.com"):
        return f"https://{domain}/{stage}"
    return f"https://{domain}"
