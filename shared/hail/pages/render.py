"""Publication and article pages as complete HTML documents, laid out by their style.

Pure functions of what the API shows (no I/O): the route decides what may be shown and
passes it in; the page shows exactly that. Knows HTML, not HTTP.
"""

import html
from functools import cache

from hail.editorial import sanitise
from hail.pages import magazine, newsletter, yearbook
from hail.pages.blocks import (
    ArticleView,
    Context,
    Layout,
    Masthead,
    PublicationView,
    day,
    long_text,
    opens_with_long_paragraph,
    story,
)
from hail.pages.css import BASE_CSS
from hail.pages.security import (
    Document,
    content_security_policy,
    hash_source,
    media_origin_of,
    stylesheet_origin,
)

LAYOUTS: dict[str, Layout] = {
    "magazine": magazine.LAYOUT,
    "newsletter": newsletter.LAYOUT,
    "yearbook": yearbook.LAYOUT,
}
STYLES = tuple(LAYOUTS)
DEFAULT_STYLE = "newsletter"
e = html.escape


@cache
def stylesheet(style: str) -> tuple[str, str]:
    """(css, its CSP hash source) for a style; computed once per container."""
    css = BASE_CSS + LAYOUTS[style].css
    return css, hash_source(css)


def _style(style_id: object) -> str:
    return style_id if isinstance(style_id, str) and style_id in LAYOUTS else DEFAULT_STYLE


def _edition(style: str, pub: dict) -> str:
    if style == "yearbook":
        when = pub.get("due_date") or pub.get("created_date") or pub.get("created_at")
        return str(when or "")[:4]
    return str((pub.get("style") or {}).get("name") or style.title())


def _masthead(org: str, edition: str, heading: str, date: object) -> Masthead:
    shown = day(date) if date else None
    when = f'<p class="date"><time datetime="{shown[0]}">{shown[1]}</time></p>' if shown else ""
    initial = next((c for c in org if c.isalnum()), "H").upper()
    return Masthead(e(org), e(initial), e(edition), heading, when)


def _document(
    style: str,
    title: str,
    org: str,
    body: str,
    *,
    preview: bool,
    media_origin: str | None,
    custom_css_url: object = None,
) -> Document:
    css, style_hash = stylesheet(style)
    origin = stylesheet_origin(custom_css_url) if isinstance(custom_css_url, str) else None
    custom = f'\n<link rel="stylesheet" href="{e(str(custom_css_url))}">' if origin else ""
    bar = (
        '<p class="preview-bar" role="status"><strong>Preview</strong>'
        "Not published yet: only people with a preview link can see this page.</p>\n"
        if preview
        else ""
    )
    robots = '\n<meta name="robots" content="noindex">' if preview else ""
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">{robots}
<title>{e(title or "Untitled")} · {e(org)}</title>
<style>{css}</style>{custom}
</head>
<body class="{style}">
{bar}{body}
</body>
</html>
"""
    return Document(page, content_security_policy(style_hash, origin, media_origin))


def render_publication(
    pub: dict,
    articles: list[dict],
    organisation_name: str,
    *,
    preview: bool,
    media_origin: str | None = None,
) -> Document:
    """A publication's page: its masthead and editorial, its featured article first (if it
    is one of `articles`), then the others in order. `articles` is exactly what may be
    shown (the public page passes only published ones); `media_origin` is where pictures
    may be loaded from (the only `img-src` the page allows, besides a custom stylesheet's)."""
    style = _style((pub.get("style") or {}).get("id"))
    layout = LAYOUTS[style]
    origin = media_origin_of(media_origin)
    ctx = Context(preview=preview, media_origin=origin)
    org = organisation_name or "Hail"
    title = str(pub.get("title") or "")
    heading = f"<h1>{e(title)}</h1>" if title else '<h1 class="untitled">Untitled</h1>'
    masthead = _masthead(org, _edition(style, pub), heading, pub.get("due_date"))
    featured_id = (pub.get("featured_article") or {}).get("id")
    featured = next((a for a in articles if featured_id and a.get("id") == featured_id), None)
    cover = story(featured, ctx, layout.cover_sizes) if featured else None
    others = [story(a, ctx, layout.sizes) for a in articles if a is not featured]
    editorial = sanitise(str(pub.get("editorial") or ""))
    view = PublicationView(
        masthead=masthead,
        editorial=editorial,
        editorial_long=long_text(editorial),
        editorial_dropcap=opens_with_long_paragraph(editorial),
        featured=cover,
        stories=others,
    )
    return _document(
        style,
        title,
        org,
        layout.publication(view),
        preview=preview,
        media_origin=origin,
        custom_css_url=pub.get("custom_css_url"),
    )


def render_article(
    article: dict,
    organisation_name: str,
    *,
    preview: bool,
    media_origin: str | None = None,
    style: str = DEFAULT_STYLE,
) -> Document:
    """One article's page, laid out by a style (unknown styles look like newsletters)."""
    style = _style(style)
    layout = LAYOUTS[style]
    origin = media_origin_of(media_origin)
    ctx = Context(preview=preview, media_origin=origin)
    org = organisation_name or "Hail"
    title = str(article.get("title") or "")
    shown = story(article, ctx, layout.cover_sizes, link=False)
    year = str(article.get("date") or "")[:4]
    edition = year if style == "yearbook" else style.title()
    masthead = _masthead(org, edition, "", None)
    return _document(
        style,
        title,
        org,
        layout.article(ArticleView(masthead, shown)),
        preview=preview,
        media_origin=origin,
    )


def render(pub: dict, organisation_name: str, *, preview: bool) -> Document:
    """A publication's page without its articles (what the viewer showed before articles)."""
    return render_publication(pub, [], organisation_name, preview=preview)
