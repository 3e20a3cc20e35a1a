"""Every style in a real browser (Debian chromium, driven by Playwright), on a phone and on
a desktop, with short and long content: nothing overflows sideways, every picture loads
under the page's own Content-Security-Policy, and the 404 page has no scrollbar.

No server: the renderer's documents are served to the browser by request interception,
with their CSP header, as `make screenshots` does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hail import pages
from hail_tools import browser, page_fixtures, screenshots

MISSING = browser.missing()
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(MISSING is not None, reason=f"browser test skipped: {MISSING}"),
]
WIDTHS = (375, 1280)
ORG = "Demo School"
MEDIA = page_fixtures.MEDIA_ORIGIN
DEMO = dict(screenshots.SHOTS)


def _publication(style: str, content: str) -> pages.Document:
    if content == "demo":
        pub, articles = page_fixtures.publication(DEMO[style][0], style=style)
    else:
        make = (
            page_fixtures.short_publication
            if content == "short"
            else page_fixtures.long_publication
        )
        pub, articles = make(style)
    return pages.render_publication(pub, articles, ORG, preview=True, media_origin=MEDIA)


def _article(style: str, content: str) -> pages.Document:
    article = {
        "demo": lambda: page_fixtures.article(DEMO[style][1]),
        "short": page_fixtures.short_article,
        "long": page_fixtures.long_article,
    }[content]()
    return pages.render_article(article, ORG, preview=True, media_origin=MEDIA, style=style)


RENDER: dict[str, Callable[[str, str], pages.Document]] = {
    "publication": _publication,
    "article": _article,
}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = browser.launch(p)
        yield launched
        launched.close()


def _open(chromium: Any, document: pages.Document, width: int) -> tuple[Any, Any, list[str]]:
    context = chromium.new_context(viewport={"width": width, "height": 800})
    console: list[str] = []
    page = screenshots.show(context, document, console)
    return context, page, [m for m in console if "Content Security Policy" in m]


@pytest.mark.parametrize("content", ["demo", "short", "long"])
@pytest.mark.parametrize("kind", ["publication", "article"])
@pytest.mark.parametrize("style", pages.STYLES)
def test_nothing_overflows_and_every_picture_loads(
    chromium: Any, style: str, kind: str, content: str
) -> None:
    # Given a page of this style, kind and content
    document = RENDER[kind](style, content)

    for width in WIDTHS:
        # When a browser this wide shows it
        context, page, refused = _open(chromium, document, width)
        try:
            # Then nothing is wider than the window
            scroll, client = page.evaluate(
                "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
            )
            assert scroll <= client, f"{width}px: {scroll} > {client}"
            # And every picture loaded from the media origin, allowed by the page's CSP
            broken = page.evaluate(
                "[...document.images].filter(i => !i.naturalWidth).map(i => i.currentSrc)"
            )
            assert broken == []
            assert refused == []
            # And the page is in its style (the inline stylesheet applied under the CSP)
            assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px"
        finally:
            context.close()


@pytest.mark.parametrize(
    ("content", "columns", "drop_cap"), [("demo", "auto", "none"), ("long", "2", "left")]
)
def test_only_a_long_magazine_editorial_runs_in_columns(
    chromium: Any, content: str, columns: str, drop_cap: str
) -> None:
    # Given the demo's magazine publication (its editorial is one short line) and a long one
    document = _publication("magazine", content)

    # When a desktop browser shows it
    context, page, _ = _open(chromium, document, 1280)
    try:
        # Then only the long editorial runs in two columns and opens with a drop cap
        style = "getComputedStyle(document.querySelector('.editorial'))"
        assert page.evaluate(f"{style}.columnCount") == columns
        first = "getComputedStyle(document.querySelector('.editorial p'), '::first-letter')"
        assert page.evaluate(f"{first}.float") == drop_cap
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_404_page_has_no_scrollbar(chromium: Any, width: int) -> None:
    # Given / When the not-found page is shown
    context, page, _ = _open(chromium, pages.not_found(), width)
    try:
        # Then it fits the window both ways
        size = page.evaluate(
            "(e => [e.scrollWidth, e.clientWidth, e.scrollHeight, e.clientHeight])"
            "(document.scrollingElement)"
        )
        assert size[0] <= size[1] and size[2] <= size[3], size
        assert page.locator("h1").inner_text() == "Page not found"
    finally:
        context.close()
