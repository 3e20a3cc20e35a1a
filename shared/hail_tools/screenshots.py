"""`make screenshots`: each style as a reader sees it, on a desktop and on a phone.

No server: the demo content (hail_tools.page_fixtures) is rendered straight by the page
renderer and shown in Debian's chromium, with the page's own Content-Security-Policy and
drawn pictures served from the media origin. For each style, a publication page
(docs/screenshots/<style>.png, <style>-phone.png) and an article page
(<style>-article.png, <style>-article-phone.png); the top of each page, at most TALLEST
pixels high.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hail import pages

from hail_tools import browser, page_fixtures
from hail_tools import template as tpl

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, FloatRect, Page, Route, ViewportSize

OUT = tpl.REPO_ROOT / "docs" / "screenshots"
PAGES_ORIGIN = "https://pages.hail.test"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 812}
WIDTHS = (("", DESKTOP, 1), ("-phone", PHONE, 2))
TALLEST = 2000  # CSS pixels: the top of a long page says enough, and keeps the files small
EAGER = "document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager' })"
SHOTS = {  # style: (publication, article) from the demo content
    "magazine": ("welcome1", "garden26"),
    "newsletter": ("sports01", "athlday1"),
    "yearbook": ("camp2026", "camplog1"),
}


def documents() -> dict[str, pages.Document]:
    """name -> page, for every picture `make screenshots` takes."""
    org = page_fixtures.organisation_name()
    media = page_fixtures.MEDIA_ORIGIN
    shown = {}
    for style, (pub_id, article_id) in SHOTS.items():
        pub, articles = page_fixtures.publication(pub_id, style=style)
        shown[style] = pages.render_publication(
            pub, articles, org, preview=False, media_origin=media
        )
        shown[f"{style}-article"] = pages.render_article(
            page_fixtures.article(article_id), org, preview=False, media_origin=media, style=style
        )
    return shown


def show(
    context: BrowserContext, document: pages.Document, console: list[str] | None = None
) -> Page:
    """Open a page as if served (with its CSP header), its pictures from the media origin;
    the browser's console messages go to `console` if given."""

    def serve_page(route: Route) -> None:
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": document.content_security_policy,
        }
        route.fulfill(status=200, headers=headers, body=document.html)

    def serve_picture(route: Route) -> None:
        drawn = page_fixtures.drawing(route.request.url)
        if drawn is None:
            route.fulfill(status=404, body="")
        else:
            route.fulfill(status=200, content_type="image/svg+xml", body=drawn)

    context.route(f"{PAGES_ORIGIN}/**", serve_page)
    context.route(f"{page_fixtures.MEDIA_ORIGIN}/**", serve_picture)
    page = context.new_page()
    if console is not None:
        page.on("console", lambda message: console.append(message.text))
    page.goto(f"{PAGES_ORIGIN}/page", wait_until="load")
    # A full-page picture never scrolls, so lazy pictures would stay unloaded
    page.evaluate(EAGER)
    for _ in range(100):  # (wait_for_function would need 'unsafe-eval' in the page's CSP)
        if page.evaluate("[...document.images].every(i => i.complete)"):
            break
        page.wait_for_timeout(50)
    return page


def take(out: Path = OUT) -> list[Path]:
    reason = browser.missing()
    if reason:
        raise SystemExit(f"make screenshots needs a browser: {reason}")
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with sync_playwright() as p:
        chromium = browser.launch(p)
        try:
            for name, document in documents().items():
                for suffix, viewport, scale in WIDTHS:
                    context = chromium.new_context(viewport=viewport, device_scale_factor=scale)
                    page = show(context, document)
                    path = out / f"{name}{suffix}.png"
                    height = min(TALLEST, page.evaluate("document.documentElement.scrollHeight"))
                    clip: FloatRect = {"x": 0, "y": 0, "width": viewport["width"], "height": height}
                    page.screenshot(path=str(path), full_page=True, clip=clip)
                    context.close()
                    saved.append(path)
        finally:
            chromium.close()
    return saved


def main() -> int:
    for path in take():
        print(path.relative_to(tpl.REPO_ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
