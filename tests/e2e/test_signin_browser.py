"""Signing in as a person would: headless Debian chromium (Playwright) against `make run`,
from the API's /oauth/authorise to a redirect URI this test serves, then the client's
code exchange and its first call."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hail_tools import browser

MISSING = browser.missing()
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(MISSING is not None, reason=f"browser test skipped: {MISSING}"),
]


class _Callback:
    """The client's redirect URI: records what it receives, shows a small page."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/hail/callback":  # not the browser's /favicon.ico
                    query = parse_qs(parts.query)
                    callback.received.append({k: v[0] for k, v in query.items()})
                body = b"<!doctype html><title>Client</title><h1>Signed in</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hail/callback"


@pytest.fixture
def callback() -> Iterator[_Callback]:
    served = _Callback()
    yield served
    served.server.shutdown()
    served.server.server_close()


def _post_form(url: str, form: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        document: dict[str, Any] = json.loads(response.read())
        return document


def _get_json(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_a_user_signs_in_and_the_client_gets_tokens_and_calls_me(
    server: Any, callback: _Callback
) -> None:
    from playwright.sync_api import sync_playwright

    # Given a client's sign-in link, with a state and a PKCE challenge
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(16)
    link = f"{server.url}/oauth/authorise?" + urlencode(
        {
            "client_id": "demo-client",
            "redirect_uri": callback.url,
            "response_type": "code",
            "scope": "user.basic content.read",
            "state": state,
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        }
    )

    with sync_playwright() as p:
        chromium = browser.launch(p)
        try:
            page = chromium.new_page()
            violations: list[str] = []
            page.on("console", lambda m: violations.append(m.text) if "Policy" in m.text else None)
            # When the user follows it, they reach the sign-in page listing the demo users
            response = page.goto(link)
            assert response is not None and response.status == 200
            assert page.locator("h1").inner_text() == "Sign in to Hail"
            paula = page.locator('button[name="user"][value="paula"]')
            assert "Paula Ngata" in paula.inner_text()
            assert "publisher of Demo School" in paula.inner_text()
            # And the avatars load from the local server (nothing from outside)
            assert page.locator('button[value="paula"] img').evaluate("i => i.naturalWidth") > 0
            # When they choose Paula
            paula.click()
            page.wait_for_url(f"{callback.url}?*")
            # Then the browser lands on the client's redirect URI with a code and the state
            assert page.locator("h1").inner_text() == "Signed in"
            assert violations == []
        finally:
            chromium.close()

    (received,) = callback.received
    assert received["state"] == state and received["code"]
    # When the client exchanges the code, as silverstripe-hail does (a form POST)
    tokens = _post_form(
        f"{server.url}/v1/oauth/access_token",
        {
            "client_id": "demo-client",
            "client_secret": "demo-secret",
            "grant_type": "authorization_code",
            "code": received["code"],
            "redirect_uri": callback.url,
            "code_verifier": verifier,
        },
    )
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "user.basic content.read"
    # Then its first calls work: me, then the user's organisations
    me = _get_json(f"{server.url}/v1/me", tokens["access_token"])
    assert (me["id"], me["first_name"], me["last_name"]) == ("paula", "Paula", "Ngata")
    organisations = _get_json(f"{server.url}/v1/users/paula/organisations", tokens["access_token"])
    assert [(o["id"], o["name"]) for o in organisations] == [("demo-school", "Demo School")]


def test_make_run_prints_the_sign_in_url_and_the_demo_client(server: Any) -> None:
    (line,) = [line for line in server.output if line.startswith("Sign-in: ")]
    assert f"Sign-in: {server.url}/oauth/authorise with the demo OAuth client" in line
    assert "demo-client / demo-secret" in line
    (issuer,) = [line for line in server.output if line.strip().startswith("sign-in ")]
    assert "http://127.0.0.1:" in issuer and "SIGNIN_PORT" in issuer
