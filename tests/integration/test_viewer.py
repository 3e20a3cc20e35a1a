"""GET /p/{id}: publication pages and preview visits, through the local API Gateway."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable

import pytest
from hail import pages, preview
from hail_tools import template as tpl
from hail_tools.gateway import LambdaContext, LocalGateway, Response

NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
BASE = "https://hail.test"  # the gateway fixture's PublicBaseUrl
SECURITY = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
COOKIE = re.compile(
    r"^hail=([A-Za-z0-9_-]{43}); Max-Age=3600; Path=/p/camp2026; HttpOnly; SameSite=Lax(; Secure)?$"
)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(preview, "clock", fake)
    return fake


def _preview_path(gw: LocalGateway, token: Callable[..., str], pub: str = "camp2026") -> str:
    r = gw.request("GET", f"/v1/publications/{pub}/preview", headers={"Authorization": token()})
    assert r.status == 201
    url: str = r.json()["url"]
    assert url.startswith(BASE)
    return url.removeprefix(BASE)


def _session(r: Response) -> str:
    match = COOKIE.match(r.header("Set-Cookie") or "")
    assert match, r.header("Set-Cookie")
    return match.group(1)


def _assert_secure_headers(r: Response) -> None:
    for name, value in SECURITY.items():
        assert r.header(name) == value, name
    csp = r.header("Content-Security-Policy") or ""
    assert csp.startswith("default-src 'none'; style-src ")
    assert csp.endswith("; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    assert "script-src" not in csp and "unsafe-inline" not in csp


def _assert_not_found(r: Response) -> None:
    assert r.status == 404
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("Cache-Control") == "no-store"
    assert r.header("Set-Cookie") is None
    assert r.body == pages.not_found().html.encode()
    _assert_secure_headers(r)


# ------------------------------------------------------------------ public pages ---


def test_a_published_page_is_public_and_cacheable(seeded: LocalGateway) -> None:
    # Given a published publication
    # When anyone opens its page
    r = seeded.request("GET", "/p/welcome1")

    # Then it is HTML with the title, date, editorial and the style's layout
    assert r.status == 200
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert "<h1>Welcome back!</h1>" in r.text
    assert '<time datetime="2026-09-01">Tuesday 1 September 2026</time>' in r.text
    assert "<b>Term starts Monday.</b>" in r.text
    assert '<body class="magazine">' in r.text
    assert "Demo School" in r.text
    # And it may be cached by anyone, with a validator
    assert r.header("Cache-Control") == "public, max-age=300"
    assert re.fullmatch(r'"[0-9a-f]{32}"', r.header("ETag") or "")
    _assert_secure_headers(r)


@pytest.mark.parametrize("form", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_if_none_match_gets_304(seeded: LocalGateway, form: str) -> None:
    # Given the ETag of a published page
    etag = seeded.request("GET", "/p/sports01").header("ETag") or ""

    # When the page is asked for again with it
    r = seeded.request("GET", "/p/sports01", headers={"If-None-Match": form.format(etag=etag)})

    # Then 304, without a body, with the same validator and headers (the page's type too)
    assert r.status == 304
    assert r.body == b""
    assert r.header("ETag") == etag
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("Cache-Control") == "public, max-age=300"
    _assert_secure_headers(r)


def test_a_stale_etag_gets_the_page(seeded: LocalGateway) -> None:
    # Given / When an outdated ETag is sent
    r = seeded.request("GET", "/p/sports01", headers={"If-None-Match": '"outdated"'})

    # Then the full page comes back
    assert r.status == 200
    assert '<body class="newsletter">' in r.text


def test_the_title_is_escaped(seeded: LocalGateway, token: Callable[..., str]) -> None:
    # Given a published publication whose title is markup
    created = seeded.request(
        "POST",
        "/v1/organisations/demo-school/publications",
        headers={"Authorization": token("paula")},
        json={
            "title": "<script>alert(1)</script>",
            "editorial": "<p>Hi <script>x()</script><i>there</i></p>",
            "status": "published",
            "style_id": "newsletter",
        },
    )
    assert created.status == 201

    # When its page is opened
    r = seeded.request("GET", f"/p/{created.json()['id']}")

    # Then the title is text and the editorial its sanitised HTML
    assert r.status == 200
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in r.text
    assert "<p>Hi <i>there</i></p>" in r.text
    assert "<script" not in r.text


def test_a_custom_stylesheet_is_honoured(seeded: LocalGateway) -> None:
    # Given a published publication with a custom stylesheet (set in the table)
    from hail.storage import base as db

    db.client().update_item(
        TableName=seeded.environment["TABLE_NAME"],
        Key={"pk": {"S": "PUB#welcome1"}, "sk": {"S": "PUB"}},
        UpdateExpression="SET custom_css_url = :u",
        ExpressionAttributeValues={":u": {"S": "https://css.example.org/school.css"}},
    )

    # When its page is opened
    r = seeded.request("GET", "/p/welcome1")

    # Then the sheet is linked and allowed by the CSP for its origin only
    assert '<link rel="stylesheet" href="https://css.example.org/school.css">' in r.text
    csp = r.header("Content-Security-Policy") or ""
    assert "https://css.example.org; img-src https://css.example.org;" in csp
    assert "font-src https://css.example.org;" in csp


# ------------------------------------------------------------------ hidden pages ---


@pytest.mark.parametrize("path", ["/p/camp2026", "/p/nosuchid", "/p/draft001", "/p/..%2F..%2F"])
def test_pages_that_may_not_be_shown_are_one_plain_404(seeded: LocalGateway, path: str) -> None:
    # Given unpublished, unknown and odd ids
    # When they are opened without a preview session
    r = seeded.request("GET", path)

    # Then each gets the same plain 404 page
    _assert_not_found(r)


def test_other_methods_get_an_html_405(seeded: LocalGateway) -> None:
    # Given / When a page is POSTed to
    r = seeded.request("POST", "/p/welcome1", body="x")

    # Then 405 as a page, naming the methods allowed
    assert r.status == 405
    assert r.header("Allow") == "GET, HEAD"
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert "<h1>Method not allowed</h1>" in r.text
    _assert_secure_headers(r)


# ------------------------------------------------------------------ previews ---


def test_a_preview_visit_sets_a_session_and_redirects_without_the_token(
    seeded: LocalGateway, token: Callable[..., str], clock: Clock
) -> None:
    # Given a preview link for an unpublished publication
    path = _preview_path(seeded, token)

    # When it is visited
    r = seeded.request("GET", path)

    # Then 303 to the page without the token, with a Secure session cookie (https)
    assert r.status == 303
    assert r.header("Location") == f"{BASE}/p/camp2026"
    assert r.header("Cache-Control") == "no-store"
    assert (r.header("Set-Cookie") or "").endswith("; Secure")
    session = _session(r)
    _assert_secure_headers(r)

    # And the cookie opens the page, privately, marked as a preview
    page = seeded.request("GET", "/p/camp2026", headers={"Cookie": f"hail={session}"})
    assert page.status == 200
    assert "<h1>Year 9 Camp</h1>" in page.text
    assert '<p class="preview-bar" role="status">' in page.text
    assert page.header("Cache-Control") == "private, no-store"
    assert page.header("X-Robots-Tag") == "noindex"
    assert page.header("ETag") is None
    _assert_secure_headers(page)


def test_a_spent_link_is_refused(seeded: LocalGateway, token: Callable[..., str]) -> None:
    # Given a preview link that was visited once
    path = _preview_path(seeded, token)
    assert seeded.request("GET", path).status == 303

    # When it is visited again
    r = seeded.request("GET", path)

    # Then the plain 404, and no cookie
    _assert_not_found(r)


def test_an_expired_link_is_refused(
    seeded: LocalGateway, token: Callable[..., str], clock: Clock
) -> None:
    # Given two preview links made now
    first = _preview_path(seeded, token)
    second = _preview_path(seeded, token)

    # When one is visited just before 15 minutes have passed and one just after
    clock.now = NOW + 899
    before = seeded.request("GET", first)
    clock.now = NOW + 901
    after = seeded.request("GET", second)

    # Then only the first opens a session
    assert before.status == 303
    _assert_not_found(after)


def test_a_session_lasts_one_hour(
    seeded: LocalGateway, token: Callable[..., str], clock: Clock
) -> None:
    # Given a session opened now
    session = _session(seeded.request("GET", _preview_path(seeded, token)))
    cookie = {"Cookie": f"hail={session}"}

    # When the page is opened within the hour and after it
    clock.now = NOW + 3599
    within = seeded.request("GET", "/p/camp2026", headers=cookie)
    clock.now = NOW + 3600
    after = seeded.request("GET", "/p/camp2026", headers=cookie)

    # Then only the first is shown
    assert within.status == 200
    _assert_not_found(after)


@pytest.mark.parametrize(
    "access",
    ["A" * 43, "", "short", "x" * 300, "%3Cscript%3E", "1%27%20OR%20%271%27%3D%271"],
)
def test_forged_tokens_are_refused(
    seeded: LocalGateway, token: Callable[..., str], access: str
) -> None:
    # Given a real preview link exists
    _preview_path(seeded, token)

    # When a made-up token is tried, on an unpublished and a published page
    # Then both get the plain 404 and no cookie
    _assert_not_found(seeded.request("GET", f"/p/camp2026?access={access}"))
    _assert_not_found(seeded.request("GET", f"/p/welcome1?access={access}"))


def test_a_token_for_one_publication_does_not_open_another(
    seeded: LocalGateway, token: Callable[..., str]
) -> None:
    # Given a preview link for camp2026
    path = _preview_path(seeded, token)
    access = path.split("?", 1)[1]

    # When its token is used on draft001, then on its own page
    # Then draft001 stays hidden and the token still works where it belongs
    _assert_not_found(seeded.request("GET", f"/p/draft001?{access}"))
    assert seeded.request("GET", path).status == 303


def test_the_cookie_is_scoped_to_its_publication(
    seeded: LocalGateway, token: Callable[..., str]
) -> None:
    # Given a session for camp2026
    session = _session(seeded.request("GET", _preview_path(seeded, token)))

    # When it is sent to another unpublished publication of the same organisation
    r = seeded.request("GET", "/p/draft001", headers={"Cookie": f"hail={session}"})

    # Then that page stays hidden
    _assert_not_found(r)


def test_other_query_parameters_survive_the_redirect(
    seeded: LocalGateway, token: Callable[..., str]
) -> None:
    # Given / When a preview link is visited with a campaign parameter
    r = seeded.request("GET", _preview_path(seeded, token) + "&utm_source=mail")

    # Then the redirect keeps it and drops only the token
    assert r.status == 303
    assert r.header("Location") == f"{BASE}/p/camp2026?utm_source=mail"


@pytest.mark.parametrize(
    ("proto", "host", "secure"),
    [
        ("http", "127.0.0.1:3000", False),
        ("http", "localhost:3000", False),
        ("http", "example.org", True),
        ("https", "127.0.0.1:3000", True),
        ("https", "hail.test", True),
    ],
)
def test_the_cookie_is_secure_except_on_plain_http_localhost(
    seeded: LocalGateway, token: Callable[..., str], proto: str, host: str, secure: bool
) -> None:
    # Given a preview link, and a gateway reached over `proto` at `host`
    path = _preview_path(seeded, token)
    seeded.forwarded_proto = proto

    # When the link is visited
    r = seeded.request("GET", path, headers={"Host": host})

    # Then the cookie is Secure unless this is plain http on localhost
    assert r.status == 303
    assert _session(r)
    assert (r.header("Set-Cookie") or "").endswith("; Secure") is secure


def test_the_sample_event_gets_html_as_text(seeded: LocalGateway) -> None:
    # Given the sample API Gateway event for a page, and the viewer's handler
    event = json.loads((tpl.REPO_ROOT / "events" / "viewer_get_page.json").read_text())
    function = seeded.functions["ViewerFunction"]
    spec = importlib.util.spec_from_file_location("viewer_app_under_test", function.handler_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    # When the handler is invoked with it
    result = module.handler(event, LambdaContext(function, seeded.context, "req-1"))

    # Then the page comes back as text (API Gateway would pass base64 on to the browser)
    assert result["statusCode"] == 200
    assert result["isBase64Encoded"] is False
    assert result["body"].startswith("<!doctype html>")


def test_head_gets_the_headers(seeded: LocalGateway) -> None:
    # Given / When a page is asked for with HEAD
    r = seeded.request("HEAD", "/p/welcome1")

    # Then it is answered like GET
    assert r.status == 200
    assert r.header("ETag") is not None
    _assert_secure_headers(r)


def test_an_unexpected_failure_still_carries_the_security_headers(
    seeded: LocalGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a bug somewhere below the route
    def broken(*args: object) -> None:
        raise RuntimeError("internal detail")

    monkeypatch.setattr(preview, "page", broken)

    # When a page is opened
    r = seeded.request("GET", "/p/welcome1")

    # Then the 500 reveals nothing and still carries every security header
    assert r.status == 500
    assert "internal detail" not in r.text
    for name, value in SECURITY.items():
        assert r.header(name) == value
    assert r.header("Content-Security-Policy") == (
        "default-src 'none'; style-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
