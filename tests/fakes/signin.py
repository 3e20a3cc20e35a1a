"""Drive sign-in as a client and a browser would: the API's routes through the local
gateway, the local issuer's pages over real HTTP (no redirects followed)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from hail_tools.gateway import LocalGateway, Response

DEMO_CLIENT = ("demo-client", "demo-secret")
REDIRECT_URI = "http://127.0.0.1:8080/callback"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def http(method: str, url: str, form: dict[str, str] | None = None) -> Response:
    """One request to the issuer, answered as a Response (redirects not followed)."""
    data = urlencode(form).encode() if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if data else {}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _OPENER.open(request, timeout=10) as answer:
            return Response(answer.status, list(answer.headers.items()), answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, list(error.headers.items()), error.read())


def pkce() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


@dataclass
class Signin:
    gateway: LocalGateway
    issuer: Any  # hail_tools.signin.LocalIssuer

    def authorise(self, **params: str) -> Response:
        """GET /oauth/authorise through the API."""
        return self.gateway.request("GET", f"/oauth/authorise?{urlencode(params)}")

    def sign_in_page(self, **params: str) -> Response:
        """Follow the API's redirect to the issuer's sign-in page."""
        redirect = self.authorise(**params)
        assert redirect.status == 302, redirect.text
        location = redirect.header("location") or ""
        assert location.startswith(self.issuer.authorize_url), location
        return http("GET", location)

    def choose(self, user: str | None, **params: str) -> Response:
        """Press a user's button on the sign-in page (None: Cancel); the issuer's answer."""
        form = {**params, "action": "sign-in" if user else "cancel"}
        if user:
            form["user"] = user
        return http("POST", self.issuer.authorize_url, form)

    def code(
        self,
        user: str = "alice",
        *,
        client_id: str = DEMO_CLIENT[0],
        redirect_uri: str = REDIRECT_URI,
        scope: str = "user.basic org.basic content.read",
        state: str = "state-123",
        **extra: str,
    ) -> str:
        """Sign `user` in as a browser would; the code the redirect URI receives."""
        params = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": scope,
            "state": state,
            **extra,
        }
        page = self.sign_in_page(**params)
        assert page.status == 200, page.text
        location = self.authorise(**params).header("location") or ""
        chosen = self.choose(user, **query_of(location))
        assert chosen.status == 302, chosen.text
        back = chosen.header("location") or ""
        assert back.startswith(redirect_uri), back
        answer = query_of(back)
        assert answer["state"] == state
        return answer["code"]

    def token(
        self,
        form: dict[str, str] | None = None,
        *,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """POST /v1/oauth/access_token through the API (form-encoded unless `json`)."""
        sent = dict(headers or {})
        if json is not None:
            return self.gateway.request("POST", "/v1/oauth/access_token", sent, json=json)
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        body = urlencode(form or {})
        return self.gateway.request("POST", "/v1/oauth/access_token", sent, body=body)

    def exchange(self, code: str, redirect_uri: str = REDIRECT_URI, **extra: str) -> Response:
        return self.token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": DEMO_CLIENT[0],
                "client_secret": DEMO_CLIENT[1],
                **extra,
            }
        )
