"""Sign-in at Hail's paths, in front of the identity provider (Cognito, or the local issuer).

- The authorisation request (`GET /oauth/authorise`) is sent on to the provider's
  authorize endpoint with the same parameters, Hail's scopes given the provider's prefix
  (plus the OpenID scopes that bring an ID token). The provider checks the client and the
  redirect URI first, so nothing here ever redirects to a URI nobody registered.
- The token request (`POST /v1/oauth/access_token`, form or JSON) is exchanged at the
  provider's token endpoint, the client's credentials passed the way the provider wants
  them, and answered in Hail's shape: Hail's scope names, and a `refresh_token` on every
  refresh (the one sent, if the provider does not rotate them). Errors follow RFC 6749
  §5.2. The ID token's claims update the user's profile.

Codes, secrets and tokens are never logged: log lines name the grant and the outcome only.
"""

import base64
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode

import jwt

from hail import accounts
from hail.auth import get_verifier
from hail.observability import logger, metrics
from hail.settings import Settings, get_settings

GRANTS = ("authorization_code", "refresh_token")
# Token-request parameters passed on to the provider (client credentials are handled apart).
FORWARDED = ("grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope")
MAX_PROVIDER_ANSWER = 64 * 1024
_SCOPE_SEPARATORS = re.compile(r"[\s,]+")
_ERROR_TEXT = re.compile(r"^[\x20-\x21\x23-\x5b\x5d-\x7e]*$")  # RFC 6749 error_description
DESCRIPTIONS = {
    "invalid_request": "The request is missing a parameter or is malformed.",
    "invalid_client": "Client authentication failed.",
    "invalid_grant": "The code or refresh token is invalid, expired, revoked, was issued to "
    "another client, or the redirect_uri does not match.",
    "unauthorized_client": "The client may not use this grant type.",
    "unsupported_grant_type": "The grant type is not supported.",
    "invalid_scope": "The requested scope is invalid or exceeds what was granted.",
}


class OAuthError(Exception):
    """A token-endpoint error as RFC 6749 §5.2 has it (400, or 401 for a bad client)."""

    def __init__(
        self,
        error: str,
        description: str | None = None,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.description = description or DESCRIPTIONS.get(error, "The request failed.")
        self.status = status or (401 if error == "invalid_client" else 400)
        self.headers = dict(headers or {})

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class AuthoriseError(Exception):
    """An authorisation request that cannot be sent on: shown as a page, never redirected."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# ------------------------------------------------------------------------ scopes ---


def _extra_scopes(settings: Settings) -> list[str]:
    return settings.oauth_extra_scopes.split()


def scopes_in(scope: str, settings: Settings) -> str:
    """Hail's scope names as the provider knows them (its prefix added), plus the OpenID
    scopes that bring an ID token."""
    names = [s for s in _SCOPE_SEPARATORS.split(scope) if s]
    wanted = [f"{settings.scope_prefix}{name}" for name in names]
    return " ".join(dict.fromkeys([*wanted, *_extra_scopes(settings)]))


def scopes_out(scope: str, settings: Settings) -> str:
    """The provider's scope names back as Hail's: prefix removed, other scopes left out."""
    names = [s for s in _SCOPE_SEPARATORS.split(scope) if s]
    prefix = settings.scope_prefix
    if prefix:
        kept = [n.removeprefix(prefix) for n in names if n.startswith(prefix)]
    else:
        extra = set(_extra_scopes(settings))
        kept = [n for n in names if n not in extra]
    return " ".join(dict.fromkeys(kept))


# --------------------------------------------------------------------- authorise ---


def authorise_url(query: list[tuple[str, str]]) -> str:
    """Where to send the browser: the provider's authorize endpoint, same parameters."""
    settings = get_settings()
    if not settings.oauth_authorize_url:
        raise AuthoriseError("Sign-in is not configured on this server.", status=503)
    seen: dict[str, str] = {}
    for name, value in query:
        if name in seen:
            raise AuthoriseError(f"The '{name}' parameter is given more than once.")
        seen[name] = value
    for required in ("client_id", "redirect_uri"):
        if not seen.get(required):
            raise AuthoriseError(f"The '{required}' parameter is required.")
    if "scope" in seen:
        seen["scope"] = scopes_in(seen["scope"], settings)
    base = settings.oauth_authorize_url
    return f"{base}{'&' if '?' in base else '?'}{urlencode(list(seen.items()))}"


# ------------------------------------------------------------------------- token ---


@dataclass
class TokenRequest:
    fields: dict[str, str]
    client_id: str
    client_secret: str | None
    used_basic: bool = False
    extra_headers: dict[str, str] = field(default_factory=dict)


def parse_token_request(
    content_type: str | None, body: bytes, authorization: str | None
) -> TokenRequest:
    """The token request's parameters, from a form or a JSON body, and the client's
    credentials, from the body or HTTP Basic (not both)."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    fields: dict[str, str] = {}
    if media_type == "application/json":
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            raise OAuthError("invalid_request", "The request body is not valid JSON.") from None
        if not isinstance(document, dict):
            raise OAuthError("invalid_request", "The request body must be a JSON object.")
        for name, value in document.items():
            if value is None:
                continue
            if not isinstance(value, str):
                raise OAuthError("invalid_request", f"The '{_safe(name)}' parameter must be text.")
            fields[name] = value
    elif media_type in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise OAuthError("invalid_request", "The request body is not UTF-8.") from None
        for name, value in pairs:
            if name in fields:
                raise OAuthError(
                    "invalid_request", f"The '{_safe(name)}' parameter is given more than once."
                )
            fields[name] = value
    else:
        raise OAuthError(
            "invalid_request",
            "Send the parameters as application/x-www-form-urlencoded or application/json.",
        )
    fields = {k: v for k, v in fields.items() if v != ""}
    client_id, client_secret = fields.pop("client_id", ""), fields.pop("client_secret", None)
    used_basic = False
    if authorization and authorization.split(" ", 1)[0].lower() == "basic":
        used_basic = True
        if client_secret is not None:
            raise OAuthError(
                "invalid_request", "Authenticate the client one way: HTTP Basic or the body."
            )
        basic_id, basic_secret = _basic_credentials(authorization)
        if client_id and client_id != basic_id:
            raise OAuthError("invalid_request", "The client_id does not match the credentials.")
        client_id, client_secret = basic_id, basic_secret
    if not client_id:
        challenge = {"WWW-Authenticate": 'Basic realm="oauth"'} if used_basic else {}
        raise OAuthError("invalid_client", "The client_id is required.", headers=challenge)
    return TokenRequest(fields, client_id, client_secret, used_basic)


def _basic_credentials(authorization: str) -> tuple[str, str]:
    """RFC 6749 §2.3.1: Basic over the form-encoded client id and secret."""
    try:
        decoded = base64.b64decode(authorization.split(" ", 1)[1].strip(), validate=True)
        username, _, password = decoded.decode("utf-8").partition(":")
    except (IndexError, ValueError):
        raise OAuthError(
            "invalid_client",
            "The Authorization header is not valid HTTP Basic.",
            headers={"WWW-Authenticate": 'Basic realm="oauth"'},
        ) from None
    return unquote_plus(username), unquote_plus(password)


def _safe(text: str) -> str:
    return text if _ERROR_TEXT.match(text) and len(text) <= 64 else "?"


def exchange(request: TokenRequest) -> dict[str, Any]:
    """Exchange a code or a refresh token at the provider; Hail's token answer."""
    settings = get_settings()
    grant = request.fields.get("grant_type")
    if not grant:
        raise OAuthError("invalid_request", "The grant_type parameter is required.")
    if grant not in GRANTS:
        raise OAuthError(
            "unsupported_grant_type",
            "The grant_type must be authorization_code or refresh_token.",
        )
    needed = "code" if grant == "authorization_code" else "refresh_token"
    if not request.fields.get(needed):
        raise OAuthError("invalid_request", f"The {needed} parameter is required.")
    if not settings.oauth_token_url:
        raise _unavailable("Sign-in is not configured on this server.")
    form = {name: request.fields[name] for name in FORWARDED if name in request.fields}
    if grant == "refresh_token" and "scope" in form:
        form["scope"] = " ".join(
            f"{settings.scope_prefix}{s}" for s in _SCOPE_SEPARATORS.split(form["scope"]) if s
        )
    form["client_id"] = request.client_id
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    if request.client_secret is not None:
        if settings.oauth_client_auth == "client_secret_basic":
            pair = f"{quote(request.client_id, safe='')}:{quote(request.client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form["client_secret"] = request.client_secret
    status, answer = _post(settings, urlencode(form).encode(), headers)
    if status != 200 or not isinstance(answer.get("access_token"), str):
        raise _provider_error(status, answer, request)
    metrics.add_metric(name="TokensIssued", unit="Count", value=1)
    logger.info("Token issued", extra={"grant_type": grant})
    token = _hail_answer(answer, request, settings)
    _record_sign_in(answer, request.client_id)
    return token


def _post(settings: Settings, data: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """One POST to the provider's token endpoint: (status, JSON object or {})."""
    if not settings.oauth_token_url.startswith(("https://", "http://")):
        raise _unavailable("Sign-in is not configured on this server.")
    opener = urllib.request.build_opener(_NoRedirects)
    call = urllib.request.Request(  # noqa: S310 - the configured provider, http(s) only
        settings.oauth_token_url, data=data, headers=headers, method="POST"
    )
    try:
        with opener.open(call, timeout=settings.oauth_timeout_seconds) as response:
            status, raw = response.status, response.read(MAX_PROVIDER_ANSWER + 1)
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read(MAX_PROVIDER_ANSWER + 1)
        error.close()
    except (OSError, ValueError) as error:  # refused, reset, DNS, TLS, timeout
        logger.warning("Token endpoint unreachable", extra={"reason": type(error).__name__})
        raise _unavailable("The identity provider could not be reached; retry shortly.") from None
    try:
        document = json.loads(raw) if len(raw) <= MAX_PROVIDER_ANSWER else None
    except ValueError:
        document = None
    return status, document if isinstance(document, dict) else {}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a token endpoint that redirects is answered as an error


def _unavailable(description: str) -> OAuthError:
    return OAuthError(
        "temporarily_unavailable", description, status=503, headers={"Retry-After": "2"}
    )


def _provider_error(status: int, answer: dict, request: TokenRequest) -> OAuthError:
    """The provider's refusal, passed on (its description kept when it is valid text)."""
    error = answer.get("error")
    if 400 <= status < 500 and isinstance(error, str) and error in DESCRIPTIONS:
        logger.info("Token refused", extra={"error": error, "status": status})
        described = answer.get("error_description")
        description = (
            described if isinstance(described, str) and _ERROR_TEXT.match(described) else None
        )
        headers = {}
        if error == "invalid_client" and request.used_basic:
            headers["WWW-Authenticate"] = 'Basic realm="oauth"'
        return OAuthError(error, description, headers=headers)
    logger.warning("Token endpoint failed", extra={"status": status})
    return _unavailable("The identity provider did not answer as expected; retry shortly.")


def _hail_answer(answer: dict, request: TokenRequest, settings: Settings) -> dict[str, Any]:
    access_token: str = answer["access_token"]
    unverified = _unverified_claims(access_token)
    scope = answer.get("scope")
    if isinstance(scope, list):
        scope = " ".join(str(s) for s in scope)
    if not isinstance(scope, str):
        scope = unverified.get("scope") if isinstance(unverified.get("scope"), str) else ""
    token: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": _expires_in(answer, unverified),
        "scope": scopes_out(scope or "", settings),
    }
    refresh = answer.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        token["refresh_token"] = refresh
    elif request.fields.get("grant_type") == "refresh_token":
        token["refresh_token"] = request.fields["refresh_token"]  # the provider keeps it
    return token


def _unverified_claims(token: str) -> dict:
    """Claims read without checking the signature: only to describe a token the provider
    has just handed over TLS (its scope and lifetime), never to trust who it is for."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _expires_in(answer: dict, claims: dict) -> int | None:
    given = answer.get("expires_in")
    if isinstance(given, int | float) and not isinstance(given, bool):
        return int(given)
    if isinstance(given, str) and given.isascii() and given.isdigit():
        return int(given)
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        return max(0, int(exp - time.time()))
    return None


def _record_sign_in(answer: dict, client_id: str) -> None:
    """Update the profile from the ID token (verified: signature, issuer, audience), or
    only the last-active date from the access token. The tokens are the client's whatever
    happens here: a failure is logged and counted, never answered."""
    verifier = get_verifier()
    try:
        id_token = answer.get("id_token")
        if isinstance(id_token, str):
            claims = verifier.id_token_claims(id_token, client_id)
        else:
            claims = {"sub": verifier.verify_token(answer["access_token"]).user_id}
        accounts.signed_in(str(claims["sub"]), claims)
    except Exception as error:  # deliberate: see the docstring
        logger.error("Profile not updated after sign-in", extra={"reason": type(error).__name__})
        metrics.add_metric(name="ProfileUpdateFailures", unit="Count", value=1)
