"""Editorial, lead and body HTML: sanitised on write with nh3 (Ammonia), and its plain text
for search. A publication's editorial and an article's lead allow the same few tags; an
article's body allows a few more (`sanitise(raw, body=True)`)."""

import html
import re

import nh3

ALLOWED_TAGS = {"b", "i", "p", "a", "h3", "h4", "blockquote", "ul", "li", "br"}
BODY_TAGS = ALLOWED_TAGS | {"h2", "em", "strong", "ol", "figure", "figcaption"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = ("http:", "https:", "mailto:")


_BLOCK = re.compile(
    r"</?(?:p|h2|h3|h4|blockquote|ul|ol|li|br|figure|figcaption)\b[^>]*>", re.IGNORECASE
)


def _keep_safe_href(tag: str, attribute: str, value: str) -> str | None:
    """Only a[href], and only absolute http(s) and mailto URLs (no relative, javascript: or
    data: links). Ammonia's generic attributes (title, lang) are dropped as well."""
    if tag == "a" and attribute == "href" and value.strip().lower().startswith(URL_SCHEMES):
        return value
    return None


def sanitise(raw: str, *, body: bool = False) -> str:
    """Only the allowed tags (an article body's with `body=True`), only a[href] with an
    absolute http(s) or mailto URL; everything else removed, text kept and escaped."""
    return nh3.clean(
        raw,
        tags=BODY_TAGS if body else ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={s.rstrip(":") for s in URL_SCHEMES},
        link_rel=None,
        strip_comments=True,
        attribute_filter=_keep_safe_href,
    )


def plain_text(clean_html: str) -> str:
    """The text a reader sees, without markup (used for search)."""
    spaced = _BLOCK.sub(" ", clean_html)
    return " ".join(html.unescape(nh3.clean(spaced, tags=set())).split())
