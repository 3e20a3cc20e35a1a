"""Preview tokens, preview sessions and the page rules (hail.preview), and the HTML of the
pages (hail.pages). DynamoDB is moto in-process; no sockets."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hail import pages, preview
from hail.errors import Forbidden, NotFound
from hail.settings import get_settings
from hail.storage import base as db
from hail_tools import template as tpl

NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
BASE = "https://hail.test"


@pytest.fixture
def demo(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The demo data in moto, with the settings the shared layer needs (from the template)."""
    for function in tpl.functions(aws.template, aws.context).values():
        for name, value in function.environment.items():
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("TOKEN_ISSUER", "https://issuer.test")
    monkeypatch.setenv("TOKEN_AUDIENCE", "hail-api")
    monkeypatch.setenv("JWKS_URL", "file:///nonexistent/jwks.json")
    get_settings.cache_clear()
    db.reset()
    from hail_tools import demo as demo_data

    demo_data.seed()
    yield aws
    get_settings.cache_clear()
    db.reset()


def _items(aws: Any, kind: str) -> list[dict]:
    items = aws.dynamodb.scan(TableName=aws.table_name)["Items"]
    return [i for i in items if i["sk"]["S"] == kind]


def _token(url: str) -> str:
    return url.split("?access=", 1)[1]


# ------------------------------------------------------------------ preview links ---


def test_a_preview_url_carries_a_random_token_stored_only_as_its_hash(demo: Any) -> None:
    # Given an editor's unpublished publication
    # When its creator asks for a preview
    made = preview.create("eddie", "camp2026", BASE, NOW)

    # Then the URL is the page's, with a 256-bit URL-safe token, expiring in 15 minutes
    assert made.url.startswith(f"{BASE}/p/camp2026?access=")
    token = _token(made.url)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert made.expires_at == "2027-01-15 08:15:00"
    # And the table holds the token's SHA-256, never the token
    (item,) = _items(demo, "PREVIEW")
    assert item["pk"]["S"] == "PREVIEW#" + hashlib.sha256(token.encode()).hexdigest()
    assert item["publication_id"]["S"] == "camp2026"
    assert item["expires"]["N"] == str(int(NOW) + 900)
    assert item["ttl"]["N"] == str(int(NOW) + 900)
    assert item["used"]["BOOL"] is False
    assert token not in str(demo.dynamodb.scan(TableName=demo.table_name)["Items"])


def test_two_previews_get_different_tokens(demo: Any) -> None:
    # Given / When two previews of one publication are made
    first = preview.create("alice", "camp2026", BASE, NOW)
    second = preview.create("alice", "camp2026", BASE, NOW)

    # Then their tokens differ
    assert _token(first.url) != _token(second.url)


def test_every_member_may_preview_but_not_outsiders(demo: Any) -> None:
    # Given a viewer of demo-school and the owner of another school
    # When each asks for a preview of a demo-school publication
    made = preview.create("vera", "camp2026", BASE, NOW)

    # Then the member gets one, the outsider is forbidden, an unknown id is not found
    assert made.url.startswith(f"{BASE}/p/camp2026?access=")
    with pytest.raises(Forbidden):
        preview.create("oscar", "camp2026", BASE, NOW)
    with pytest.raises(NotFound):
        preview.create("alice", "nosuchid", BASE, NOW)
    assert len(_items(demo, "PREVIEW")) == 1


# ------------------------------------------------------------------ spending them ---


def test_a_token_opens_one_session_and_only_once(demo: Any) -> None:
    # Given a fresh preview token
    token = _token(preview.create("eddie", "camp2026", BASE, NOW).url)

    # When it is visited twice
    first = preview.redeem("camp2026", token, NOW + 60)
    second = preview.redeem("camp2026", token, NOW + 61)

    # Then the first visit opens a one-hour session for that publication, the replay nothing
    assert first is not None
    assert first.publication_id == "camp2026"
    assert first.max_age == 3600
    assert second is None
    # And the session is stored by its hash, with its expiry
    (session,) = _items(demo, "SESSION")
    assert session["pk"]["S"] == "SESSION#" + hashlib.sha256(first.id.encode()).hexdigest()
    assert session["publication_id"]["S"] == "camp2026"
    assert session["expires"]["N"] == str(int(NOW) + 60 + 3600)
    (token_item,) = _items(demo, "PREVIEW")
    assert token_item["used"]["BOOL"] is True


def test_an_expired_token_opens_nothing_even_before_dynamodb_deletes_it(demo: Any) -> None:
    # Given two tokens made at NOW (valid for 900 seconds), still in the table
    early = _token(preview.create("eddie", "camp2026", BASE, NOW).url)
    late = _token(preview.create("eddie", "camp2026", BASE, NOW).url)

    # When one is visited a second before it expires and the other at its expiry
    # Then the first works and the second does not
    assert preview.redeem("camp2026", early, NOW + 899) is not None
    assert preview.redeem("camp2026", late, NOW + 900) is None
    assert len(_items(demo, "SESSION")) == 1


def test_a_token_works_only_for_its_own_publication(demo: Any) -> None:
    # Given a token for camp2026
    token = _token(preview.create("eddie", "camp2026", BASE, NOW).url)

    # When it is used on another publication, then on its own
    elsewhere = preview.redeem("draft001", token, NOW + 1)
    own = preview.redeem("camp2026", token, NOW + 2)

    # Then the wrong page gets nothing (and does not spend it); its own page gets a session
    assert elsewhere is None
    assert own is not None


@pytest.mark.parametrize(
    "forged",
    [
        "A" * 43,  # well-formed but never issued
        "",
        "short",
        "x" * 500,
        "../../etc/passwd",
        "<script>alert(1)</script>",
    ],
)
def test_forged_tokens_open_nothing(demo: Any, forged: str) -> None:
    # Given a real token exists
    preview.create("eddie", "camp2026", BASE, NOW)

    # When a made-up one is visited
    stats = db.start_stats()
    session = preview.redeem("camp2026", forged, NOW + 1)

    # Then there is no session; only a plausible one costs a database call
    assert session is None
    assert stats.round_trips == (1 if forged == "A" * 43 else 0)
    assert _items(demo, "SESSION") == []


def test_the_token_hash_is_sha256_hex() -> None:
    # Given / When / Then
    assert preview.digest("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


# ------------------------------------------------------------------ who sees a page ---


def test_a_published_publication_is_public(demo: Any) -> None:
    # Given / When anyone asks for a published page
    shown = preview.page("welcome1", [], NOW)

    # Then it is shown publicly, with its organisation's name
    assert shown is not None
    assert shown.public is True
    assert shown.publication["title"] == "Welcome back!"
    assert shown.organisation_name == "Demo School"


def test_an_unpublished_publication_needs_a_live_session_for_it(demo: Any) -> None:
    # Given a session opened on camp2026 at NOW
    token = _token(preview.create("eddie", "camp2026", BASE, NOW).url)
    session = preview.redeem("camp2026", token, NOW)
    assert session is not None

    # When the pages are asked for with and without it
    # Then only its publication is shown, only within the hour, and privately
    shown = preview.page("camp2026", [session.id], NOW + 3599)
    assert shown is not None and shown.public is False
    assert preview.page("camp2026", [], NOW) is None
    assert preview.page("camp2026", [session.id], NOW + 3600) is None
    assert preview.page("draft001", [session.id], NOW) is None
    assert preview.page("camp2026", ["A" * 43, "junk;", session.id], NOW) is not None


def test_unknown_publications_are_not_shown(demo: Any) -> None:
    # Given / When / Then
    assert preview.page("nosuchid", [], NOW) is None


# ------------------------------------------------------------------ the HTML ---


def _pub(**overrides: Any) -> dict:
    pub = {
        "id": "p1",
        "title": "Spring news",
        "editorial": "<p>Hello <b>world</b> &amp; friends</p>",
        "due_date": "2026-09-01 00:00:00",
        "status": "published",
        "style": {"id": "magazine", "name": "Magazine"},
        "custom_css_url": None,
        "created_at": "2026-01-02 03:04:05.000000",
    }
    pub.update(overrides)
    return pub


def _style_element(page: str) -> str:
    match = re.search(r"<style>(.*?)</style>", page, re.S)
    assert match is not None
    return match.group(1)


def test_the_title_is_text_and_the_editorial_html() -> None:
    # Given a title that looks like markup and a sanitised editorial
    pub = _pub(title='<script>alert("x")</script> & co')

    # When the page is rendered
    page = pages.render(pub, "Demo <School>", preview=False).html

    # Then the title is escaped wherever it appears, the editorial is not escaped again
    assert "<script" not in page
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"
    assert f"<h1>{escaped}</h1>" in page
    assert f"<title>{escaped} · Demo &lt;School&gt;</title>" in page
    assert "<p>Hello <b>world</b> &amp; friends</p>" in page


def test_unsafe_editorial_that_bypassed_the_write_path_is_cleaned() -> None:
    # Given an editorial written around the API (straight into the table)
    pub = _pub(editorial='<p onclick="x()">Hi</p><script>alert(1)</script><img src=x>')

    # When / Then the page keeps only the allowed markup
    page = pages.render(pub, "Demo", preview=False).html
    assert "<p>Hi</p>" in page
    assert "<script" not in page and "onclick" not in page and "<img" not in page


@pytest.mark.parametrize("style", ["magazine", "newsletter", "yearbook"])
def test_each_style_has_its_own_stylesheet_allowed_by_hash(style: str) -> None:
    # Given a publication in each style
    document = pages.render(_pub(style={"id": style, "name": style.title()}), "D", preview=False)

    # When its stylesheet is hashed
    css = _style_element(document.html)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()

    # Then the CSP allows exactly that stylesheet, and nothing else runs or loads
    assert f'<body class="{style}">' in document.html
    assert document.content_security_policy == (
        f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
    assert "<script" not in document.html


def test_the_three_styles_look_different() -> None:
    # Given / When the three styles are rendered
    sheets = {
        s: _style_element(pages.render(_pub(style={"id": s}), "D", preview=False).html)
        for s in pages.STYLES
    }

    # Then no two share a stylesheet, and an unknown style falls back to the newsletter
    assert len(set(sheets.values())) == 3
    fallback = pages.render(_pub(style={"id": "retro"}), "D", preview=False).html
    assert _style_element(fallback) == sheets["newsletter"]


def test_due_date_untitled_and_preview_banner() -> None:
    # Given an untitled unpublished draft due on 1 September 2026
    pub = _pub(title="", status="unpublished")

    # When it is rendered for a preview
    page = pages.render(pub, "Demo", preview=True).html

    # Then it says so, is not indexed, and shows the date
    assert '<h1 class="untitled">Untitled</h1>' in page
    assert '<p class="preview-bar" role="status"><strong>Preview</strong>' in page
    assert '<meta name="robots" content="noindex">' in page
    assert '<time datetime="2026-09-01">Tuesday 1 September 2026</time>' in page
    assert '<p class="preview-bar"' not in pages.render(_pub(), "Demo", preview=False).html
    assert "<time" not in pages.render(_pub(due_date=None), "Demo", preview=False).html


def test_a_custom_stylesheet_is_linked_and_allowed_for_its_origin_only() -> None:
    # Given a publication with a custom stylesheet
    pub = _pub(custom_css_url="https://cdn.example.org:8443/css/school.css?v=2&x=1")

    # When it is rendered
    document = pages.render(pub, "Demo", preview=False)

    # Then the sheet is linked (escaped) after the built-in one, and the CSP names its origin
    assert (
        '<link rel="stylesheet" href="https://cdn.example.org:8443/css/school.css?v=2&amp;x=1">'
        in document.html
    )
    origin = "https://cdn.example.org:8443"
    csp = document.content_security_policy
    assert re.search(rf"style-src 'sha256-[A-Za-z0-9+/=]+' {origin};", csp)
    assert f"img-src {origin}; font-src {origin};" in csp


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://cdn.example.org/a.css", "https://cdn.example.org"),
        ("http://localhost:8000/a.css", "http://localhost:8000"),
        ("http://cdn.example.org/a.css", None),  # mixed content
        ("javascript:alert(1)", None),
        ("data:text/css,body{}", None),
        ("//cdn.example.org/a.css", None),
        ("https://user:pw@cdn.example.org/a.css", None),
        ("https://cdn.example.org/a.css; script-src *", None),
        ('https://cdn.example.org/"><script>', None),
        ("https://cdn.example.org:99999/a.css", None),
        ("", None),
        (None, None),
    ],
)
def test_which_custom_stylesheets_are_honoured(url: str | None, origin: str | None) -> None:
    # Given / When / Then
    assert pages.stylesheet_origin(url) == origin


def test_an_unusable_custom_stylesheet_is_left_out() -> None:
    # Given / When a publication names a javascript: stylesheet
    document = pages.render(_pub(custom_css_url="javascript:alert(1)"), "D", preview=False)

    # Then no link is made and the CSP is the strict one
    assert "<link" not in document.html
    assert "img-src" not in document.content_security_policy


def test_the_etag_follows_the_content() -> None:
    # Given / When the same page is rendered twice, and once changed
    one = pages.etag(pages.render(_pub(), "D", preview=False))
    same = pages.etag(pages.render(_pub(), "D", preview=False))
    other = pages.etag(pages.render(_pub(title="Changed"), "D", preview=False))

    # Then the tag is a stable quoted hash that changes with the page
    assert re.fullmatch(r'"[0-9a-f]{32}"', one)
    assert one == same
    assert one != other


def test_the_not_found_page_says_nothing_about_what_exists() -> None:
    # Given / When / Then
    document = pages.not_found()
    assert "<h1>Page not found</h1>" in document.html
    assert "<p>There is no page at this address.</p>" in document.html
    assert "frame-ancestors 'none'" in document.content_security_policy
