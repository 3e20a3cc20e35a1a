"""The local OAuth 2 / OpenID Connect issuer of `make run` (local tooling, never in Lambda).

It stands where Amazon Cognito stands in a deployment, at Cognito's paths, so the API's
sign-in routes run the same code against both:

    GET  /oauth2/authorize   the sign-in page: one button per user (no password)
    POST /oauth2/authorize   the button: redirects to redirect_uri with code and state
    POST /oauth2/token       authorization_code and refresh_token grants
    GET  /.well-known/jwks.json, /.well-known/openid-configuration
    GET  /avatars/users/ID.svg, /avatars/organisations/ID.svg?size=N   (demo avatars)

Built on Authlib's authorization server: client authentication (HTTP Basic or the body),
redirect URI checks, single-use codes (5 minutes), PKCE (S256 only), refresh tokens
(rotated: each is good once) and ID tokens. Access tokens are JWTs signed with the same
local key `hail token` uses, so the API verifies both alike.

Clients: the demo client (`demo-client` / `demo-secret`, any redirect URI on
http://localhost, http://127.0.0.1 or http://[::1], any port and path) and those
`hail admin client add` registers in .local/clients.json (secrets kept as SHA-256).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from authlib.oauth2 import AuthorizationServer, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    InvalidRequestError,
    OAuth2Payload,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, OpenIDToken, UserInfo
from joserfc.jwk import RSAKey

from hail_tools import LOCAL_DIR, avatars, keys

DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"  # noqa: S105 - the documented local demo client
HAIL_SCOPES = (
    "user.basic",
    "user.manage",
    "org.basic",
    "content.read",
    "content.write",
    "content.connections",
)
OPENID_SCOPES = ("openid", "email", "profile")
CODE_SECONDS = 300
ACCESS_SECONDS = 3600
REFRESH_SECONDS = 30 * 24 * 3600
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
MAX_BODY = 64 * 1024


def clients_file() -> Path:
    return Path(os.environ.get("HAIL_LOCAL_DIR") or LOCAL_DIR) / "clients.json"


# ------------------------------------------------------------------ clients ---


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Client(ClientMixin):
    client_id: str
    secret_sha256: str
    redirect_uris: tuple[str, ...] = ()
    any_loopback: bool = False  # any http redirect URI on a loopback host (any port, path)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None  # the redirect_uri is always required

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = (*HAIL_SCOPES, *OPENID_SCOPES)
        if not scope:
            return " ".join(allowed)  # as Cognito: no scope asked, every allowed scope
        return " ".join(s for s in dict.fromkeys(scope.split()) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        if redirect_uri in self.redirect_uris:
            return True
        return self.any_loopback and is_loopback_uri(redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(_digest(client_secret), self.secret_sha256)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


def is_loopback_uri(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
        host, _port = parts.hostname, parts.port  # a bad port raises ValueError
    except ValueError:
        return False
    if parts.scheme != "http" or not host or parts.fragment or parts.username:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback and host in LOOPBACK_HOSTS
    except ValueError:
        return False


DEMO_CLIENT = Client(DEMO_CLIENT_ID, _digest(DEMO_CLIENT_SECRET), any_loopback=True)


def registered_clients(path: Path | None = None) -> dict[str, Client]:
    """The clients `hail admin client add` registered (read each time: no restart needed)."""
    try:
        document = json.loads((path or clients_file()).read_text())
    except FileNotFoundError:
        return {}
    return {
        client_id: Client(
            client_id,
            entry["secret_sha256"],
            tuple(entry.get("redirect_uris", [])),
            bool(entry.get("any_loopback", False)),
        )
        for client_id, entry in document.get("clients", {}).items()
    }


def add_client(
    client_id: str,
    redirect_uris: list[str],
    *,
    any_loopback: bool = False,
    secret: str | None = None,
    path: Path | None = None,
) -> str:
    """Register (or replace) a local client; its secret (generated unless given)."""
    if client_id == DEMO_CLIENT_ID:
        raise ValueError(f"'{DEMO_CLIENT_ID}' is built in")
    for uri in redirect_uris:
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            raise ValueError(f"'{uri}' is not an absolute http(s) URI without a fragment")
    secret = secret or secrets.token_urlsafe(32)
    target = path or clients_file()
    try:
        document = json.loads(target.read_text())
    except FileNotFoundError:
        document = {"clients": {}}
    document.setdefault("clients", {})[client_id] = {
        "secret_sha256": _digest(secret),
        "redirect_uris": redirect_uris,
        "any_loopback": any_loopback,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=2))
    temporary.chmod(0o600)
    temporary.replace(target)
    return secret


def remove_client(client_id: str, path: Path | None = None) -> bool:
    target = path or clients_file()
    try:
        document = json.loads(target.read_text())
    except FileNotFoundError:
        return False
    if document.get("clients", {}).pop(client_id, None) is None:
        return False
    target.write_text(json.dumps(document, indent=2))
    return True


# ------------------------------------------------------------------- grants ---


@dataclass(frozen=True)
class User:
    id: str

    def get_user_id(self) -> str:
        return self.id


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user_id: str
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    auth_time: int
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass
class RefreshToken(TokenMixin):
    token: str
    client_id: str
    user_id: str
    scope: str
    expires_at: float
    from_code: str | None = None
    revoked: bool = False

    def check_client(self, client: ClientMixin) -> bool:
        return bool(client.get_client_id() == self.client_id)

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.expires_at - time.time())

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked


@dataclass
class _State:
    """Codes and refresh tokens, in memory (a restart signs everyone out, as it should)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    codes: dict[str, Code] = field(default_factory=dict)
    spent: dict[str, list[str]] = field(default_factory=dict)  # code -> refresh tokens
    refresh: dict[str, RefreshToken] = field(default_factory=dict)


class _AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    server: _Server

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.server.state.codes[code] = Code(
            code=code,
            client_id=request.client.get_client_id(),
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope or "",
            user_id=request.user.id,
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            nonce=data.get("nonce"),
            auth_time=int(time.time()),
            expires_at=time.time() + CODE_SECONDS,
        )

    def query_authorization_code(self, code: str, client: ClientMixin) -> Code | None:
        """Taken out as it is read: a code works once, even for two requests at once. A code
        used again revokes the refresh tokens it gave (RFC 6749 §4.1.2)."""
        state = self.server.state
        with state.lock:
            found = state.codes.pop(code, None)
            if found is None:
                for token in state.spent.get(code, []):
                    if token in state.refresh:
                        state.refresh[token].revoked = True
                return None
            state.spent[code] = []
        if found.client_id != client.get_client_id() or time.time() >= found.expires_at:
            return None
        return found

    def delete_authorization_code(self, authorization_code: Code) -> None:
        pass  # already taken out by query_authorization_code

    def authenticate_user(self, authorization_code: Code) -> User:
        return User(authorization_code.user_id)


class _RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotated, as Hail does: each refresh token works once
    server: _Server

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        with self.server.state.lock:
            found = self.server.state.refresh.get(refresh_token)
        if found is None or found.revoked or found.is_expired():
            return None
        return found

    def authenticate_user(self, refresh_token: RefreshToken) -> User:
        return User(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        refresh_token.revoked = True


class _S256Only(CodeChallenge):
    """PKCE with S256 only (as Cognito): a challenge needs code_challenge_method=S256."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("The code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class _IdTokens:
    """What both ID-token extensions share: the local key, the issuer, the user's claims."""

    def __init__(self, issuer: LocalIssuer) -> None:
        self.issuer = issuer

    def resolve_client_private_key(self, client: ClientMixin) -> RSAKey:
        return self.issuer.signing_key

    def get_client_algorithm(self, client: ClientMixin) -> str:
        return "RS256"

    def get_encode_header(self, client: ClientMixin) -> dict[str, str]:
        return {"alg": "RS256", "kid": keys.KID, "typ": "JWT"}

    def get_client_claims(self, client: ClientMixin) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": keys.ISSUER,
            "aud": [client.get_client_id()],
            "exp": now + ACCESS_SECONDS,
            "token_use": "id",
        }

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        return UserInfo(sub=user.id, **self.issuer.profile_claims(user.id, scope))


class _OpenIDCode(_IdTokens, OpenIDCode):
    def __init__(self, issuer: LocalIssuer) -> None:
        _IdTokens.__init__(self, issuer)
        OpenIDCode.__init__(self, require_nonce=False)

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # a nonce is echoed in the ID token; replay is the client's check


class _OpenIDRefresh(_IdTokens, OpenIDToken):
    """A refresh answer carries a new ID token too, as Cognito's does."""


class _Server(AuthorizationServer):
    def __init__(self, issuer: LocalIssuer) -> None:
        super().__init__(scopes_supported=[*HAIL_SCOPES, *OPENID_SCOPES])
        self.issuer = issuer
        self.state = _State()
        self.register_token_generator("default", self._tokens)
        code_extensions = [_S256Only(required=True), _OpenIDCode(issuer)]
        self.register_grant(_AuthorizationCodeGrant, code_extensions)
        self.register_grant(_RefreshTokenGrant, [_OpenIDRefresh(issuer)])

    def query_client(self, client_id: str) -> Client | None:
        if client_id == DEMO_CLIENT_ID:
            return DEMO_CLIENT
        return registered_clients(self.issuer.clients_path).get(client_id)

    def save_token(self, token: dict, request: OAuth2Request) -> None:
        refresh = token.get("refresh_token")
        if not refresh:
            return
        code = request.authorization_code.code if request.authorization_code else None
        record = RefreshToken(
            token=refresh,
            client_id=request.client.get_client_id(),
            user_id=request.user.id,
            scope=token.get("scope", ""),
            expires_at=time.time() + REFRESH_SECONDS,
            from_code=code,
        )
        with self.state.lock:
            self.state.refresh[refresh] = record
            if code is not None:
                self.state.spent.setdefault(code, []).append(refresh)

    def _tokens(
        self,
        grant_type: str,
        client: ClientMixin,
        user: User | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        assert user is not None
        scope = scope or ""
        access = keys.mint_token(
            user.id,
            scope=scope,
            ttl=ACCESS_SECONDS,
            directory=self.issuer.keys_dir,
            claims={
                "client_id": client.get_client_id(),
                "token_use": "access",
                "jti": secrets.token_urlsafe(16),
            },
        )
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": ACCESS_SECONDS,
            "scope": scope,
        }
        if include_refresh_token:
            token["refresh_token"] = secrets.token_urlsafe(48)
        return token

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


# ------------------------------------------------------------------ requests ---


class _Payload(OAuth2Payload):
    def __init__(self, values: dict[str, list[str]]) -> None:
        self._values = values

    @property
    def data(self) -> dict[str, str]:
        return {name: values[0] for name, values in self._values.items()}

    @property
    def datalist(self) -> Any:
        return self._values


class _Request(OAuth2Request):
    def __init__(
        self, method: str, uri: str, headers: Any, query: dict[str, list[str]], form: dict
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._query = query
        self._form = form
        merged = {**query}
        for name, values in form.items():
            merged.setdefault(name, []).extend(values)
        self.payload = _Payload(merged)

    @property
    def args(self) -> dict[str, str]:
        return {name: values[0] for name, values in self._query.items()}

    @property
    def form(self) -> dict[str, str]:
        return {name: values[0] for name, values in self._form.items()}


# ------------------------------------------------------------------- the issuer ---


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True


class LocalIssuer:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        keys_dir: Path | None = None,
        clients_path: Path | None = None,
    ) -> None:
        self.keys_dir = keys.ensure_keys(keys_dir).directory
        self.signing_key = RSAKey.import_key(
            keys.ensure_keys(self.keys_dir).private_key_path.read_bytes()
        )
        self.clients_path = clients_path
        self.oauth = _Server(self)
        self._http = _HttpServer((host, port), _handler(self))
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="local-signin",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        host = str(host)
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/oauth2/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth2/token"

    @property
    def avatar_base(self) -> str:
        return f"{self.url}/avatars"

    def start(self) -> LocalIssuer:
        if not is_loopback_uri(self.url):
            # Authlib wants https except on loopback; this issuer is for development only.
            os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._http.shutdown()
        self._http.server_close()

    # ------------------------------------------------------------------ data

    def profile_claims(self, user_id: str, scope: str) -> dict[str, Any]:
        """The OpenID claims of a user's profile (from the table), per the scope."""
        from hail.storage import accounts as accounts_db

        profile = accounts_db.get_user(user_id) or {}
        scopes = set(scope.split())
        claims: dict[str, Any] = {}
        if "email" in scopes and profile.get("email"):
            claims.update(email=profile["email"], email_verified=True)
        if "profile" in scopes:
            names = {"given_name": "first_name", "family_name": "last_name"}
            claims.update({c: profile[f] for c, f in names.items() if profile.get(f)})
            if profile.get("avatar_url"):
                claims["picture"] = profile["avatar_url"]
        return claims

    def people(self) -> list[dict[str, Any]]:
        """Everyone the table knows, with their organisations (a Scan: local only)."""
        from hail.storage import base as db

        items: list[dict] = []
        start: dict | None = None
        while True:
            request: dict[str, Any] = {
                "TableName": db.table(),
                "FilterExpression": "sk IN (:user, :org)",
                "ExpressionAttributeValues": {":user": {"S": "USER"}, ":org": {"S": "ORG"}},
            }
            if start:
                request["ExclusiveStartKey"] = start
            page = db.call("scan", **request)
            items += [db.load(raw) or {} for raw in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        names = {i["id"]: i.get("name", i["id"]) for i in items if i.get("sk") == "ORG"}
        people = []
        for item in items:
            if item.get("sk") != "USER":
                continue
            roles = sorted((item.get("roles") or {}).items())
            people.append(
                {
                    "id": item["id"],
                    "name": " ".join(
                        p for p in (item.get("first_name"), item.get("last_name")) if p
                    ),
                    "email": item.get("email"),
                    "avatar_url": item.get("avatar_url"),
                    "roles": [(role, names.get(org, org)) for org, role in roles],
                }
            )
        return sorted(people, key=lambda p: (not p["roles"], p["id"]))

    def avatar_name(self, kind: str, ident: str) -> str:
        from hail.storage import accounts as accounts_db

        if kind == "users":
            user = accounts_db.get_user(ident) or {}
            full = f"{user.get('first_name') or ''} {user.get('last_name') or ''}".strip()
            return full or ident
        return str((accounts_db.get_organisation(ident) or {}).get("name") or ident)


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    keys_dir: Path | None = None,
    clients_path: Path | None = None,
) -> LocalIssuer:
    return LocalIssuer(host, port, keys_dir=keys_dir, clients_path=clients_path).start()


# ------------------------------------------------------------------ HTTP ---

PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def _handler(issuer: LocalIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "hail-local-signin"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            pass  # codes and tokens travel in these requests: nothing is logged

        # ------------------------------------------------------------ plumbing

        def _send(
            self,
            status: int,
            body: bytes | str = b"",
            headers: list[tuple[str, str]] | None = None,
            content_type: str | None = None,
        ) -> None:
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            sent = {name.lower() for name, _ in headers or []}
            for name, value in headers or []:
                self.send_header(name, value)
            if content_type and "content-type" not in sent:
                self.send_header("Content-Type", content_type)
            if "cache-control" not in sent:
                self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _page(self, status: int, html: str) -> None:
            headers = [
                ("Content-Security-Policy", PAGE_CSP),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"),
            ]
            self._send(status, html, headers, "text/html; charset=utf-8")

        def _answer(self, result: tuple[int, Any, list[tuple[str, str]]]) -> None:
            status, body, headers = result
            if isinstance(body, dict):
                body = json.dumps(body)
            self._send(status, body or b"", headers, "application/json")

        def _query(self) -> dict[str, list[str]]:
            return parse_qs(urlsplit(self.path).query, keep_blank_values=True)

        def _form(self) -> dict[str, list[str]] | None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return None
            body = self.rfile.read(length)
            media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if media != "application/x-www-form-urlencoded":
                return None
            try:
                return parse_qs(body.decode(), keep_blank_values=True)
            except UnicodeDecodeError:
                return None

        def _request(self, query: dict, form: dict) -> _Request:
            return _Request(self.command, issuer.url + self.path, self.headers, query, form)

        # ------------------------------------------------------------ routes

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/oauth2/authorize":
                self._authorize_page(self._query())
            elif path == "/.well-known/jwks.json":
                jwks = keys.ensure_keys(issuer.keys_dir).jwks_path.read_bytes()
                self._send(200, jwks, [("Cache-Control", "max-age=300")], "application/json")
            elif path == "/.well-known/openid-configuration":
                self._send(200, json.dumps(_discovery(issuer)), None, "application/json")
            elif path.startswith("/avatars/") and path.endswith(".svg"):
                self._avatar(path)
            elif path == "/":
                self._page(200, _home_page(issuer))
            else:
                self._page(404, _error_page("Not found", "There is nothing at this address."))

        do_HEAD = do_GET

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            form = self._form()
            if path == "/oauth2/token":
                if form is None:
                    error = InvalidRequestError("Send the parameters form-encoded.")
                    self._answer(error())
                    return
                self._answer(issuer.oauth.create_token_response(self._request({}, form)))
            elif path == "/oauth2/authorize":
                if form is None:
                    self._page(400, _error_page("Bad request", "The form could not be read."))
                    return
                self._sign_in(form)
            else:
                self._page(404, _error_page("Not found", "There is nothing at this address."))

        def _consent(self, params: dict[str, list[str]], user: User | None) -> Any:
            """The validated grant, or None after answering the error (a redirect with
            `error` and `state`, or a page when the client or redirect URI is unknown)."""
            request = self._request(params, {})
            try:
                return request, issuer.oauth.get_consent_grant(request, end_user=user)
            except OAuth2Error as error:
                if error.redirect_uri:
                    self._answer(error())
                else:
                    self._page(
                        400,
                        _error_page(
                            "This sign-in request cannot be completed",
                            error.description or error.error,
                        ),
                    )
                return None

        def _authorize_page(self, params: dict[str, list[str]]) -> None:
            found = self._consent(params, None)
            if found is None:
                return
            _, grant = found
            self._page(200, _sign_in_page(issuer, params, grant.request.scope or ""))

        def _sign_in(self, form: dict[str, list[str]]) -> None:
            chosen = (form.pop("user", [""])[0] or "").strip()
            action = form.pop("action", ["sign-in"])[0]
            user = User(chosen) if chosen and action == "sign-in" else None
            found = self._consent(form, user)
            if found is None:
                return
            request, grant = found
            self._answer(
                issuer.oauth.create_authorization_response(request, grant_user=user, grant=grant)
            )

        def _avatar(self, path: str) -> None:
            parts = path.removeprefix("/avatars/").removesuffix(".svg").split("/")
            if len(parts) != 2 or parts[0] not in ("users", "organisations") or not parts[1]:
                self._page(404, _error_page("Not found", "No such avatar."))
                return
            size_text = self._query().get("size", [""])[0]
            size = int(size_text) if size_text.isascii() and size_text.isdigit() else 150
            name = issuer.avatar_name(parts[0], parts[1])
            image = avatars.svg(name, size, rounded=parts[0] == "users")
            self._send(200, image, [("Cache-Control", "max-age=300")], "image/svg+xml")

    return Handler


def _discovery(issuer: LocalIssuer) -> dict[str, Any]:
    return {
        "issuer": keys.ISSUER,
        "authorization_endpoint": issuer.authorize_url,
        "token_endpoint": issuer.token_url,
        "jwks_uri": f"{issuer.url}/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "scopes_supported": [*HAIL_SCOPES, *OPENID_SCOPES],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


# ------------------------------------------------------------------- pages ---

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b1f24}
main{max-width:34rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 .5rem}p.note{color:#57606a;margin:.25rem 0 1.25rem}
ul{list-style:none;padding:0;margin:0}li{margin:.5rem 0}
button.user{display:flex;gap:.9rem;align-items:center;width:100%;text-align:left;
padding:.7rem .9rem;border:1px solid #d0d7de;border-radius:10px;background:#fff;
font:inherit;cursor:pointer}
button.user:hover,button.user:focus{border-color:#1d4e89;outline:2px solid #1d4e8933}
button.user img{width:44px;height:44px;border-radius:50%}
.name{font-weight:600}.meta{display:block;color:#57606a;font-size:.9rem}
form.other{display:flex;gap:.5rem;margin-top:1.25rem}
form.other input{flex:1;padding:.5rem;border:1px solid #d0d7de;border-radius:8px;font:inherit}
form.other button,button.cancel{padding:.5rem .9rem;border-radius:8px;border:1px solid #d0d7de;
background:#f6f8fa;font:inherit;cursor:pointer}
code{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px}
"""


def _html(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _hidden(params: dict[str, list[str]]) -> str:
    return "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, values in params.items()
        for value in values
    )


def _sign_in_page(issuer: LocalIssuer, params: dict[str, list[str]], scope: str) -> str:
    hidden = _hidden(params)
    client = escape(params.get("client_id", [""])[0])
    hail_scopes = " ".join(s for s in scope.split() if s in HAIL_SCOPES) or "(none)"
    items = []
    for person in issuer.people():
        roles = ", ".join(f"{role} of {org}" for role, org in person["roles"]) or "no organisation"
        avatar = (
            f'<img src="{escape(person["avatar_url"])}" alt="">' if person["avatar_url"] else ""
        )
        label = escape(person["name"] or person["id"])
        items.append(
            f'<li><button class="user" type="submit" name="user" value="{escape(person["id"])}">'
            f'{avatar}<span><span class="name">{label}</span>'
            f'<span class="meta">{escape(person["id"])} · {escape(roles)}</span>'
            f'<span class="meta">{escape(person["email"] or "")}</span></span></button></li>'
        )
    return _html(
        "Sign in - Hail (local)",
        "<h1>Sign in to Hail</h1>"
        f'<p class="note"><code>{client}</code> asks for <code>{escape(hail_scopes)}</code>. '
        "This is the local issuer of <code>make run</code>: choose who you are (no password).</p>"
        f'<form method="post" action="/oauth2/authorize">{hidden}'
        '<input type="hidden" name="action" value="sign-in">'
        f"<ul>{''.join(items)}</ul></form>"
        f'<form class="other" method="post" action="/oauth2/authorize">{hidden}'
        '<input type="hidden" name="action" value="sign-in">'
        '<input name="user" placeholder="another user id" aria-label="another user id" required>'
        '<button type="submit">Sign in</button></form>'
        f'<form method="post" action="/oauth2/authorize">{hidden}'
        '<input type="hidden" name="action" value="cancel">'
        '<p><button class="cancel" type="submit">Cancel</button></p></form>',
    )


def _error_page(title: str, message: str) -> str:
    return _html(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>")


def _home_page(issuer: LocalIssuer) -> str:
    example = urlencode(
        {
            "client_id": DEMO_CLIENT_ID,
            "redirect_uri": "http://localhost:8080/callback",
            "response_type": "code",
            "scope": "user.basic content.read",
            "state": "xyz",
        }
    )
    return _html(
        "Hail local sign-in",
        "<h1>Hail local sign-in</h1>"
        "<p>The local identity provider of <code>make run</code>. Clients start at the "
        "API's <code>/oauth/authorise</code>, which sends them here.</p>"
        f'<p><a href="{escape(issuer.authorize_url)}?{escape(example)}">Try the sign-in page</a>'
        f" with <code>{DEMO_CLIENT_ID}</code>.</p>",
    )
