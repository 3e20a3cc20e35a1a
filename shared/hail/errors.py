"""Domain errors with stable codes, and their rendering as Hail's envelope or RFC 9457."""

import json
from http import HTTPStatus
from typing import Any, ClassVar

STATUS_BY_CODE = {
    "BAD_REQUEST": 400,
    "INVALID": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "CONFLICT": 409,
    "PRECONDITION_FAILED": 412,
    "PAYLOAD_TOO_LARGE": 413,
    "UNPROCESSABLE": 422,
    "RATE_LIMITED": 429,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
}
CODE_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    422: "UNPROCESSABLE",
    429: "RATE_LIMITED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class HailError(Exception):
    """An error a client can act on. Subclasses fix the machine code."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(
        self,
        message: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return STATUS_BY_CODE[self.code]


class BadRequest(HailError):
    code = "BAD_REQUEST"


class Unauthorized(HailError):
    code = "UNAUTHORIZED"

    def __init__(self, message: str, *, token_given: bool = True) -> None:
        challenge = 'Bearer error="invalid_token"' if token_given else "Bearer"
        super().__init__(message, headers={"WWW-Authenticate": challenge})


class Forbidden(HailError):
    code = "FORBIDDEN"


class NotFound(HailError):
    code = "NOT_FOUND"


class Conflict(HailError):
    code = "CONFLICT"


class Changed(Conflict):
    """The item changed between its read and this write (a lost race on its version): the
    client may retry, or gets 412 if it sent If-Match."""


class PreconditionFailed(HailError):
    code = "PRECONDITION_FAILED"


class Unprocessable(HailError):
    code = "UNPROCESSABLE"


class Unavailable(HailError):
    code = "UNAVAILABLE"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


def accepts(accept: str | None, media_type: str) -> bool:
    """True when the Accept header lists `media_type` with a non-zero quality."""
    for part in (accept or "").split(","):
        name, *params = (p.strip() for p in part.split(";"))
        if name.lower() == media_type:
            return not any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00") for p in params)
    return False


def error_body(
    status: int,
    code: str,
    message: str,
    errors: list[dict[str, str]] | None,
    accept: str | None,
) -> tuple[bytes, str]:
    """The error document and its media type: RFC 9457 when asked for, else Hail's envelope."""
    body: dict[str, Any]
    if accepts(accept, "application/problem+json"):
        body = {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": message,
            "error_code": code,
        }
        if errors is not None:
            body["errors"] = errors
        media_type = "application/problem+json"
    else:
        body = {"error": {"message": message, "error_code": code}}
        if errors is not None:
            body["error"]["errors"] = errors
        media_type = "application/json"
    return json.dumps(body, separators=(",", ":")).encode(), media_type
