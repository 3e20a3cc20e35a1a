"""Publication and article pages as HTML: one layout per style, and the plain error pages.

Every page is a complete document with its stylesheet inline, allowed by the page's
Content-Security-Policy through the stylesheet's SHA-256 (no 'unsafe-inline', no script
at all); pictures may come from the media origin only. Text is escaped; editorial, lead
and body are inserted as HTML because they are sanitised (on write, and once more here,
which changes nothing in clean HTML). Knows HTML, not HTTP.

    security   Document, the CSP, origins, ETag
    css        the CSS every style shares
    blocks     dates, pictures, videos, tags; an article cut into parts
    render     render_publication, render_article (and render, without articles)
    errors     the error pages
    magazine, newsletter, yearbook   one stylesheet and two templates each
"""

from hail.pages.errors import NOT_FOUND, error_page, not_found
from hail.pages.render import (
    DEFAULT_STYLE,
    STYLES,
    render,
    render_article,
    render_publication,
)
from hail.pages.security import (
    LOCALHOST,
    Document,
    content_security_policy,
    etag,
    stylesheet_origin,
)

__all__ = [
    "DEFAULT_STYLE",
    "LOCALHOST",
    "NOT_FOUND",
    "STYLES",
    "Document",
    "content_security_policy",
    "error_page",
    "etag",
    "not_found",
    "render",
    "render_article",
    "render_publication",
    "stylesheet_origin",
]
