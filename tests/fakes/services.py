"""Fake remote services: HTTP servers on 127.0.0.1 that answer as the real ones do.

Each fake checks what the real service checks (method, path, token, signature) and answers
with the real service's documented bodies and headers. A test queues the next answers:

    with FakeService("mastodon") as fake:
        fake.then("rate_limited", "ok")     # the next two requests; afterwards "ok"
        ... post to fake.url ...
        fake.received[0].json()

Answers: ok, rate_limited, server_error, revoked, bad_request, duplicate (X), slow (longer
than the client's timeout), gone (webhook: 410), hang (reads the request, never answers)
and drip (a valid "ok" answer sent one byte at a time, each byte well within any read
timeout, the whole taking DRIP_SECONDS).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from hail.services import webhook

TOKEN = "good-token"  # what the fakes accept as a valid access token
SECRET = "webhook-secret"
PAGE_ID = "1234567890"
SLACK_PATH = "/services/T000/B000/XXXX"
SLOW_SECONDS = 3.0
DRIP_SECONDS = 4.0
HANG_SECONDS = 30.0  # at most: a hanging answer ends when the fake is closed


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Answer:
    status: int
    body: Any = None  # dict/list -> JSON, str -> text
    headers: dict[str, str] | None = None
    delay: float = 0.0
    how: str = "at once"  # or "drip" (byte by byte over DRIP_SECONDS), "hang" (no answer)


def _json(status: int, body: Any, **headers: str) -> Answer:
    return Answer(status, body, headers or None)


def _reset_in(seconds: int) -> str:
    return str(int(time.time()) + seconds)


ANSWERS: dict[str, dict[str, Callable[[Received], Answer]]] = {
    "webhook": {
        "ok": lambda r: _json(200, {"received": True}),
        "rate_limited": lambda r: _json(429, {"error": "slow down"}, **{"Retry-After": "7"}),
        "server_error": lambda r: _json(503, {"error": "maintenance"}),
        "revoked": lambda r: _json(401, {"error": "bad signature"}),
        "gone": lambda r: _json(410, {"error": "this endpoint was removed"}),
        "bad_request": lambda r: _json(400, {"error": "unexpected event"}),
    },
    "slack": {
        "ok": lambda r: Answer(200, "ok"),
        "rate_limited": lambda r: Answer(429, "rate_limited", {"Retry-After": "30"}),
        "server_error": lambda r: Answer(500, "rollup_error"),
        "revoked": lambda r: Answer(404, "no_service"),
        "bad_request": lambda r: Answer(400, "invalid_payload"),
    },
    "mastodon": {
        "ok": lambda r: _json(
            200,
            {
                "id": "103704874086360371",
                "created_at": "2026-11-22T10:00:00.000Z",
                "visibility": r.json().get("visibility", "public"),
                "url": "https://mastodon.example/@demo/103704874086360371",
                "content": f"<p>{r.json().get('status', '')}</p>",
            },
        ),
        "rate_limited": lambda r: _json(
            429,
            {"error": "Too many requests"},
            **{
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": (datetime.now(UTC) + timedelta(seconds=120)).isoformat(),
            },
        ),
        "server_error": lambda r: _json(503, {"error": "Service Unavailable"}),
        "revoked": lambda r: _json(401, {"error": "The access token is invalid"}),
        "bad_request": lambda r: _json(
            422, {"error": "Validation failed: Text character limit of 500 exceeded"}
        ),
    },
    "facebook": {
        "ok": lambda r: _json(200, {"id": f"{PAGE_ID}_987654321"}),
        "rate_limited": lambda r: _json(
            403,
            {
                "error": {
                    "message": "(#32) Page request limit reached",
                    "type": "OAuthException",
                    "code": 32,
                    "fbtrace_id": "AbCdEf",
                }
            },
        ),
        "server_error": lambda r: _json(
            500,
            {
                "error": {
                    "message": "An unknown error has occurred.",
                    "type": "OAuthException",
                    "code": 1,
                    "is_transient": True,
                    "fbtrace_id": "AbCdEf",
                }
            },
        ),
        "revoked": lambda r: _json(
            400,
            {
                "error": {
                    "message": "Error validating access token: Session has expired on "
                    "Friday, 20-Nov-26 10:00:00 PST.",
                    "type": "OAuthException",
                    "code": 190,
                    "error_subcode": 463,
                    "fbtrace_id": "AbCdEf",
                }
            },
        ),
        "bad_request": lambda r: _json(
            400,
            {
                "error": {
                    "message": "(#100) The parameter link is invalid",
                    "type": "OAuthException",
                    "code": 100,
                    "fbtrace_id": "AbCdEf",
                }
            },
        ),
    },
    "x": {
        "ok": lambda r: _json(
            201, {"data": {"id": "1445880548472328192", "text": r.json().get("text", "")}}
        ),
        "rate_limited": lambda r: _json(
            429,
            {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank"},
            **{
                "x-rate-limit-limit": "100",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": _reset_in(900),
            },
        ),
        "server_error": lambda r: _json(
            503, {"title": "Service Unavailable", "detail": "Service Unavailable", "status": 503}
        ),
        "revoked": lambda r: _json(
            401,
            {
                "title": "Unauthorized",
                "type": "about:blank",
                "status": 401,
                "detail": "Unauthorized",
            },
        ),
        "duplicate": lambda r: _json(
            403,
            {
                "detail": "You are not allowed to create a Tweet with duplicate content.",
                "type": "about:blank",
                "title": "Forbidden",
                "status": 403,
            },
        ),
        "bad_request": lambda r: _json(
            400,
            {
                "errors": [{"message": "text: must not be empty"}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            },
        ),
    },
}


def _route(service: str) -> tuple[str, str]:
    """(method, path) each real service is posted to."""
    return {
        "webhook": ("POST", "/hooks/hail"),
        "slack": ("POST", SLACK_PATH),
        "mastodon": ("POST", "/api/v1/statuses"),
        "facebook": ("POST", f"/v21.0/{PAGE_ID}/feed"),
        "x": ("POST", "/2/tweets"),
    }[service]


def _authorised(service: str, request: Received) -> bool:
    """What the real service checks before anything else."""
    if service in ("mastodon", "x"):
        return request.headers.get("authorization") == f"Bearer {TOKEN}"
    if service == "facebook":
        return request.form().get("access_token") == TOKEN
    if service == "webhook":
        return webhook.verify(
            SECRET, request.headers.get("x-hail-signature"), request.body, time.time()
        )
    return True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # as a real service: many connections at once


class FakeService:
    def __init__(self, service: str) -> None:
        self.service = service
        self.received: list[Received] = []
        self._next: deque[str] = deque()
        self._idempotent: dict[str, Answer] = {}  # Mastodon: Idempotency-Key -> first answer
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """Where the adapter posts (for the webhook and Slack, the full URL)."""
        return self.base_url + (
            _route(self.service)[1] if self.service in ("webhook", "slack") else ""
        )

    def then(self, *answers: str) -> FakeService:
        """Answer the next requests so (then "ok")."""
        with self._lock:
            self._next.extend(answers)
        return self

    def __enter__(self) -> FakeService:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, request: Received) -> Answer:
        method, path = _route(self.service)
        if (request.method, request.path) != (method, path):
            return Answer(404, {"error": "Record not found"})
        with self._lock:
            self.received.append(request)
            chosen = self._next.popleft() if self._next else "ok"
        if chosen == "slow":
            return Answer(200, {"late": True}, delay=SLOW_SECONDS)
        if chosen == "hang":
            return Answer(200, how="hang")
        if chosen == "drip":
            return replace(ANSWERS[self.service]["ok"](request), how="drip")
        if not _authorised(self.service, request):
            chosen = "revoked"
        key = request.headers.get("idempotency-key")
        if self.service == "mastodon" and key and key in self._idempotent:
            return self._idempotent[key]
        answer = ANSWERS[self.service][chosen](request)
        if self.service == "mastodon" and key and 200 <= answer.status < 300:
            self._idempotent[key] = answer
        return answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                answer = fake._answer(request)
                if answer.how == "hang":
                    fake._closing.wait(HANG_SECONDS)
                    self.close_connection = True
                    return
                if answer.delay:
                    time.sleep(answer.delay)
                if isinstance(answer.body, str):
                    data, kind = answer.body.encode(), "text/html"
                else:
                    data, kind = json.dumps(answer.body).encode(), "application/json"
                headers = {"Content-Type": kind, "Content-Length": str(len(data))}
                headers.update(answer.headers or {})
                if answer.how == "drip":
                    head = f"HTTP/1.1 {answer.status} Answer\r\n" + "".join(
                        f"{name}: {value}\r\n" for name, value in headers.items()
                    )
                    self._drip(head.encode() + b"\r\n" + data)
                    return
                self.send_response(answer.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _drip(self, whole: bytes) -> None:
                gap = DRIP_SECONDS / len(whole)
                self.close_connection = True
                for n in range(len(whole)):
                    if fake._closing.wait(gap):
                        return
                    try:
                        self.wfile.write(whole[n : n + 1])
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def settings_for(fake: FakeService) -> tuple[dict[str, str], dict[str, str]]:
    """The connection settings and credentials that point an adapter at `fake`."""
    service = fake.service
    if service == "webhook":
        return {"url": fake.url}, {"secret": SECRET}
    if service == "slack":
        return {}, {"webhook_url": fake.url}
    if service == "mastodon":
        return {"base_url": fake.base_url}, {"access_token": TOKEN}
    if service == "facebook":
        return {"page_id": PAGE_ID, "base_url": fake.base_url}, {"access_token": TOKEN}
    return {"base_url": fake.base_url}, {"access_token": TOKEN}
