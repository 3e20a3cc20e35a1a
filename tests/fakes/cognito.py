"""A fake of Amazon Cognito's token endpoint (POST /oauth2/token), on 127.0.0.1.

It answers as Cognito's documentation describes it:
- parameters form-encoded only; the client authenticates with HTTP Basic
  (client_secret_basic) or client_id and client_secret in the body (client_secret_post);
- an authorization code works once and only with the redirect_uri it was issued for;
- a code answers id_token, access_token, refresh_token, expires_in and token_type (no
  `scope`); a refresh answers id_token, access_token, expires_in and token_type, and no
  refresh_token (Cognito does not rotate them unless asked to);
- access tokens carry `client_id`, `token_use: access` and the scopes prefixed by the
  resource server (`hail/content.read`) beside `openid email profile`; ID tokens carry
  the user's attributes (email, given_name, family_name);
- errors are 400 `{"error": "invalid_request|invalid_client|invalid_grant|
  unauthorized_client|unsupported_grant_type"}` with no description, as documented.

Tokens are signed with the test session's local key, so the API verifies them against its
JWKS. `fake.then("server_error" | "not_json" | "slow")` queues a broken answer.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote_plus

import jwt
from hail_tools import keys

CLIENT_ID = "4mcognitoclientid0000000"
CLIENT_SECRET = "1q2w3e4r5t6y7u8i9o0p+secret/with=symbols"
SCOPE_PREFIX = "hail/"
DOCUMENTED_ERRORS = (
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
)


@dataclass
class Person:
    sub: str
    email: str
    given_name: str
    family_name: str


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class _Grant:
    person: Person
    redirect_uri: str
    scope: str


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class FakeCognito:
    def __init__(self, keys_dir: Path, slow_seconds: float = 3.0) -> None:
        self.keys_dir = keys_dir
        self.slow_seconds = slow_seconds
        self.received: list[Received] = []
        self.codes: dict[str, _Grant] = {}
        self.refresh_tokens: dict[str, _Grant] = {}
        self.answers: deque[str] = deque()
        self.issued: list[str] = []  # every secret value handed out (codes, tokens)
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeCognito:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def then(self, *answers: str) -> None:
        self.answers.extend(answers)

    def issue_code(self, person: Person, redirect_uri: str, scopes: str) -> str:
        """What the hosted sign-in page would hand the redirect URI."""
        code = str(uuid.uuid4())
        scope = " ".join([*(f"{SCOPE_PREFIX}{s}" for s in scopes.split()), "openid", "email"])
        self.codes[code] = _Grant(person, redirect_uri, scope)
        self.issued.append(code)
        return code

    # ------------------------------------------------------------------ tokens

    def _sign(self, claims: dict[str, Any]) -> str:
        private = keys.ensure_keys(self.keys_dir).private_key_path.read_bytes()
        token = jwt.encode(claims, private, algorithm="RS256", headers={"kid": keys.KID})
        self.issued.append(token)
        return token

    def _tokens(self, grant: _Grant, with_refresh: bool) -> dict[str, Any]:
        now = int(time.time())
        person = grant.person
        answer: dict[str, Any] = {
            "id_token": self._sign(
                {
                    "sub": person.sub,
                    "aud": CLIENT_ID,
                    "iss": keys.ISSUER,
                    "token_use": "id",
                    "email": person.email,
                    "email_verified": True,
                    "given_name": person.given_name,
                    "family_name": person.family_name,
                    "cognito:username": person.sub,
                    "auth_time": now,
                    "iat": now,
                    "exp": now + 3600,
                }
            ),
            "access_token": self._sign(
                {
                    "sub": person.sub,
                    "iss": keys.ISSUER,
                    "client_id": CLIENT_ID,
                    "token_use": "access",
                    "scope": grant.scope,
                    "auth_time": now,
                    "iat": now,
                    "exp": now + 3600,
                    "jti": str(uuid.uuid4()),
                    "username": person.sub,
                }
            ),
            "expires_in": 3600,
            "token_type": "Bearer",
        }
        if with_refresh:
            refresh = secrets.token_urlsafe(64)
            self.refresh_tokens[refresh] = grant
            self.issued.append(refresh)
            answer["refresh_token"] = refresh
        return answer

    def answer(self, received: Received) -> tuple[int, Any, dict[str, str]]:
        json_type = {"Content-Type": "application/json;charset=UTF-8"}

        def error(code: str) -> tuple[int, Any, dict[str, str]]:
            return 400, {"error": code}, json_type

        media = received.headers.get("content-type", "").split(";")[0].strip()
        if media != "application/x-www-form-urlencoded":
            return error("invalid_request")
        form = received.form()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        authorization = received.headers.get("authorization", "")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            basic_id, _, basic_secret = decoded.partition(":")
            client_id, client_secret = unquote_plus(basic_id), unquote_plus(basic_secret)
        if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
            return error("invalid_client")
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                grant = self.codes.pop(form.get("code", ""), None)
                if grant is None or grant.redirect_uri != form.get("redirect_uri"):
                    return error("invalid_grant")
                return 200, self._tokens(grant, with_refresh=True), json_type
            if grant_type == "refresh_token":
                grant = self.refresh_tokens.get(form.get("refresh_token", ""))
                if grant is None:
                    return error("invalid_grant")
                return 200, self._tokens(grant, with_refresh=False), json_type
        return error("unsupported_grant_type")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received = Received({k.lower(): v for k, v in self.headers.items()}, body)
                fake.received.append(received)
                scripted = fake.answers.popleft() if fake.answers else None
                if scripted == "slow":
                    time.sleep(fake.slow_seconds)
                if scripted == "server_error":
                    status, document, headers = 500, "<html>Internal error</html>", {}
                elif scripted == "not_json":
                    status, document, headers = 200, "hello", {"Content-Type": "text/plain"}
                elif self.path != "/oauth2/token":
                    status, document, headers = 404, {"error": "not found"}, {}
                else:
                    status, document, headers = fake.answer(received)
                data = (document if isinstance(document, str) else json.dumps(document)).encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@dataclass
class Scenario:
    """A person known to the fake pool, signed in on a redirect URI."""

    person: Person = field(
        default_factory=lambda: Person(
            "8b1e4c2a-96f0-4c37-a1d5-3e2f7c9b0d41", "mere.tane@demo-school.example", "Mere", "Tane"
        )
    )
    redirect_uri: str = "https://cms.demo-school.example/HailCallbackController"
