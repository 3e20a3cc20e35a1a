"""A real browser and a preview link: headless Debian chromium, driven by Playwright,
against `make run` (the `server` fixture of tests/e2e/conftest.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hail_tools import browser

MISSING = browser.missing()
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(MISSING is not None, reason=f"browser test skipped: {MISSING}"),
]


def _preview_url(server: Any, publication_id: str) -> str:
    status, _, body = server.call("GET", f"/v1/publications/{publication_id}/preview")
    assert status == 201, body
    url: str = json.loads(body)["url"]
    return url


def test_a_preview_link_opens_once_and_the_cookie_keeps_it_open(server: Any) -> None:
    from playwright.sync_api import sync_playwright

    # Given a preview link for the unpublished "Year 9 Camp", asked for through the API
    url = _preview_url(server, "camp2026")
    page_url = f"{server.url}/p/camp2026"
    assert url.startswith(f"{page_url}?access=")

    with sync_playwright() as p:
        chromium = browser.launch(p)
        try:
            first = chromium.new_context()
            page = first.new_page()
            violations: list[str] = []
            page.on("console", lambda m: violations.append(m.text) if "Policy" in m.text else None)

            # When a first browser opens the link
            response = page.goto(url)

            # Then it lands on the page without the token and sees the publication
            assert response is not None and response.status == 200
            assert page.url == page_url
            assert page.locator("h1").inner_text() == "Year 9 Camp"
            assert page.locator(".preview-bar").is_visible()
            # And the inline stylesheet was applied under the CSP (the newsletter's colours)
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(232, 238, 245)"
            # And the session cookie is HttpOnly, Lax, for this page only, not Secure on http
            (cookie,) = first.cookies()
            assert _cookie_facts(cookie) == {
                "name": "hail",
                "path": "/p/camp2026",
                "httpOnly": True,
                "sameSite": "Lax",
                "secure": False,
            }
            assert page.evaluate("document.cookie") == ""  # not readable by script

            # When it reloads the page
            reloaded = page.reload()

            # Then the cookie still shows it
            assert reloaded is not None and reloaded.status == 200
            assert page.locator("h1").inner_text() == "Year 9 Camp"

            # When a second, fresh browser opens the same (now spent) link
            second = chromium.new_context()
            other = second.new_page()
            refused = other.goto(url)

            # Then it gets the plain 404 page, and no cookie
            assert refused is not None and refused.status == 404
            assert other.locator("h1").inner_text() == "Page not found"
            assert second.cookies() == []
            # And the page itself stays hidden from it
            hidden = other.goto(page_url)
            assert hidden is not None and hidden.status == 404
            assert violations == []
        finally:
            chromium.close()


def _cookie_facts(cookie: Any) -> dict[str, Any]:
    return {k: cookie[k] for k in ("name", "path", "httpOnly", "sameSite", "secure")}
