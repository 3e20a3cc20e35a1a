"""The text of a post: title, URL and comment, made to fit a service's length rules.

The URL is never cut. When the whole does not fit, the comment is shortened first (at a
word boundary where one is near, ending in an ellipsis), then dropped, then the title is
shortened. Lengths are measured as each service counts them.
"""

import re
from collections.abc import Callable

ELLIPSIS = "…"
Measure = Callable[[str], int]

_HTTP_URL = re.compile(r"https?://\S+", re.IGNORECASE)
# What X may count as a link even without a scheme (example.com, t.co/x): counted at
# least as a link, so an estimate is never below what X counts.
_LINK_LIKE = re.compile(r"https?://\S+|(?<![\w@])[\w-]+(?:\.[\w-]+)+(?:/\S*)?", re.IGNORECASE)
LINK_LENGTH = 23  # X and Mastodon count every link as 23 characters


def characters(text: str) -> int:
    return len(text)


def mastodon_length(text: str) -> int:
    """Mastodon counts characters, and every http(s) link as 23."""
    return len(_HTTP_URL.sub("x" * LINK_LENGTH, text))


def _x_weight(char: str) -> int:
    """twitter-text v3: these ranges weigh 1, every other code point 2."""
    point = ord(char)
    light = point <= 4351 or 8192 <= point <= 8205 or 8208 <= point <= 8223 or 8242 <= point <= 8247
    return 1 if light else 2


def x_length(text: str) -> int:
    """X's weighted length: http(s) links 23; other link-like words at least 23; CJK,
    emoji and the like 2 each."""
    total, position = 0, 0
    for match in _LINK_LIKE.finditer(text):
        total += sum(_x_weight(c) for c in text[position : match.start()])
        link = match.group()
        if _HTTP_URL.fullmatch(link):
            total += LINK_LENGTH
        else:
            total += max(LINK_LENGTH, sum(_x_weight(c) for c in link))
        position = match.end()
    return total + sum(_x_weight(c) for c in text[position:])


def slack_escape(text: str) -> str:
    """Slack's mrkdwn control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _build(title: str, url: str | None, comment: str) -> str:
    head = "\n".join(part for part in (title, url) if part)
    return f"{head}\n\n{comment}" if comment else head


def _shorten(text: str, fits: Callable[[str], bool]) -> str | None:
    """The longest `text[:n] + ELLIPSIS` that fits (cut at a nearby space), else None."""
    low, high = 1, len(text) - 1
    best = None
    while low <= high:
        middle = (low + high) // 2
        if fits(text[:middle].rstrip() + ELLIPSIS):
            best, low = middle, middle + 1
        else:
            high = middle - 1
    if best is None:
        return None
    cut = text[:best]
    space = cut.rfind(" ")
    if space >= max(1, int(best * 0.8)):
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def compose(
    title: str,
    url: str | None,
    comment: str | None,
    *,
    limit: int | None = None,
    measure: Measure = characters,
) -> str:
    """Title, URL and comment in at most `limit` (as `measure` counts)."""
    title = " ".join(title.split())
    comment = (comment or "").strip()
    whole = _build(title, url, comment)
    if limit is None or measure(whole) <= limit:
        return whole

    def fits(text: str) -> bool:
        return measure(text) <= limit

    if comment:
        short = _shorten(comment, lambda c: fits(_build(title, url, c)))
        if short is not None:
            return _build(title, url, short)
        if fits(_build(title, url, "")):
            return _build(title, url, "")
    short_title = _shorten(title, lambda t: fits(_build(t, url, ""))) if title else None
    return _build(short_title or "", url, "")
