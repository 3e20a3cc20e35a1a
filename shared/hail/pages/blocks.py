"""The pieces a page is made of: dates, pictures, videos, tags, and an article cut into
parts that a style lays out. Pure functions of the API's dicts.

Text is escaped; lead and body are HTML sanitised on write and once more here. Only what
is given is shown: an empty field leaves no trace, a picture without URLs on the media
origin is left out (the page's CSP would block it), private tags are never read.
"""

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from hail.editorial import plain_text, sanitise
from hail.pages.security import on_origin

e = html.escape

WIDE = (("file_500_url", 500), ("file_1000_url", 1000), ("file_2000_url", 2000))
SQUARE = (
    ("file_150_square_url", 150),
    ("file_500_square_url", 500),
    ("file_1000_square_url", 1000),
)
SERVICES = {
    "youtube": ("YouTube", "https://www.youtube.com/watch?v="),
    "vimeo": ("Vimeo", "https://vimeo.com/"),
}
DROP_CAP_CHARS = 220  # a first paragraph at least this long (3+ lines) may take a drop cap
LONG_CHARS = 2400  # text at least this long may run in columns on a wide screen
_FIRST_PARAGRAPH = re.compile(r"^\s*<p>(.*?)</p>", re.S)
_URL = re.compile(r"^https?://[^\s\"'<>\\]+$", re.I)


@dataclass
class Context:
    preview: bool
    media_origin: str | None
    eager: bool = True  # the page's first hero picture loads at once, every other lazily

    def take_eager(self) -> bool:
        eager, self.eager = self.eager, False
        return eager


# ------------------------------------------------------------------------ dates ---


def day(value: object) -> tuple[str, str] | None:
    """('2026-09-01', 'Tuesday 1 September 2026') for a date or date-time string."""
    try:
        when = datetime.strptime(str(value)[:10], "%Y-%m-%d")
    except ValueError:
        return None
    return when.strftime("%Y-%m-%d"), f"{when:%A} {when.day} {when:%B %Y}"


def time_element(value: object) -> str:
    shown = day(value)
    return f'<time datetime="{shown[0]}">{shown[1]}</time>' if shown else ""


# --------------------------------------------------------------------- pictures ---


@dataclass(frozen=True, slots=True)
class Picture:
    tag: str  # the <img> element
    width: int
    height: int


def _positive(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _sources(image: dict, square: bool, origin: str | None) -> list[tuple[str, int, int]]:
    """(url, width, height) of each rendition served from `origin`, narrowest first.
    A rendition is never wider than the original (the worker does not enlarge)."""
    ow, oh = _positive(image.get("original_width")), _positive(image.get("original_height"))
    found: dict[int, tuple[str, int, int]] = {}
    for key, nominal in SQUARE if square else WIDE:
        url = image.get(key)
        if not on_origin(url, origin):
            continue
        if square:
            w = h = min(nominal, ow, oh) if ow and oh else nominal
        else:
            w = min(nominal, ow) if ow else nominal
            h = round(w * oh / ow) if ow and oh else round(w * 2 / 3)
        found.setdefault(w, (str(url), w, h))
    return [found[w] for w in sorted(found)]


def picture(
    image: object,
    ctx: Context,
    *,
    sizes: str,
    square: bool = False,
    hero: bool = False,
    alt: str | None = None,
) -> Picture | None:
    """An <img> with every rendition in srcset, its size reserved by width and height, and
    its caption as alt text; None when there is nothing to show."""
    if not isinstance(image, dict):
        return None
    sources = _sources(image, square, ctx.media_origin)
    if not sources:
        return None
    src = next((s for s in sources if s[1] >= 1000), sources[-1])[0]
    _, width, height = sources[-1]
    srcset = ", ".join(f"{e(url)} {w}w" for url, w, _ in sources)
    loading = ' fetchpriority="high"' if hero and ctx.take_eager() else ' loading="lazy"'
    tag = (
        f'<img src="{e(src)}" srcset="{srcset}" sizes="{e(sizes)}" width="{width}" '
        f'height="{height}" alt="{e(str(image.get("caption") or "") if alt is None else alt)}"'
        f'{loading} decoding="async">'
    )
    return Picture(tag, width, height)


def large_url(image: dict, ctx: Context) -> str | None:
    sources = _sources(image, False, ctx.media_origin)
    return sources[-1][0] if sources else None


def figure(image: object, ctx: Context, *, sizes: str, cls: str = "hero") -> str:
    """A hero picture with its caption and photographer."""
    pic = picture(image, ctx, sizes=sizes, hero=True)
    if pic is None or not isinstance(image, dict):
        return ""
    caption = e(str(image.get("caption") or ""))
    who = str(image.get("photographer") or "")
    credit = f'<span class="credit">Photo: {e(who)}</span>' if who else ""
    below = f"<figcaption>{caption}{' ' if caption and credit else ''}{credit}</figcaption>"
    portrait = " portrait" if pic.height > pic.width else ""
    return f'<figure class="{cls}{portrait}">{pic.tag}{below if caption or credit else ""}</figure>'


def gallery(images: Iterable[object], ctx: Context, *, sizes: str, skip: object = None) -> str:
    """The gallery as a grid of square pictures, each opening its largest rendition."""
    items = []
    for image in images:
        if not isinstance(image, dict) or (skip is not None and image.get("id") == skip):
            continue
        pic = picture(image, ctx, sizes=sizes, square=True)
        if pic is None:
            continue
        large = large_url(image, ctx)
        shown = f'<a href="{e(large)}">{pic.tag}</a>' if large else pic.tag
        items.append(f"<li>{shown}</li>")
    return f'<ul class="gallery" aria-label="Photos">{"".join(items)}</ul>' if items else ""


# ----------------------------------------------------------------------- videos ---


def http_url(value: object) -> str | None:
    return value if isinstance(value, str) and _URL.match(value) else None


def video(item: object, ctx: Context, *, sizes: str) -> str:
    """A video as a link to where it plays (no player, no script), shown by its preview
    picture and a play mark."""
    if not isinstance(item, dict):
        return ""
    label, prefix = SERVICES.get(str(item.get("service") or ""), ("the web", ""))
    service_id = str(item.get("service_data") or "")
    url = http_url(item.get("url")) or (
        prefix + quote(service_id, safe="") if prefix and service_id else None
    )
    if url is None:
        return ""
    pic = picture(item.get("preview"), ctx, sizes=sizes, alt="")  # the link's text names it
    frame, blank = (pic.tag, "") if pic else ("", " blank")
    caption = str(item.get("caption") or "")
    text = f"<b>Watch on {label}</b>" + (f" {e(caption)}" if caption else "")
    return (
        f'<a class="video" href="{e(url)}"><span class="video-frame{blank}">{frame}'
        f'<span class="play" aria-hidden="true"></span></span>'
        f'<span class="video-caption">{text}</span></a>'
    )


# ------------------------------------------------------------------------ texts ---


def tags(article: dict) -> str:
    """The article's public tags (`private_tags` are the team's own and never shown)."""
    names = [
        str(t["name"]) for t in article.get("tags") or [] if isinstance(t, dict) and t.get("name")
    ]
    if not names:
        return ""
    items = "".join(f"<li>{e(n)}</li>" for n in names)
    return f'<ul class="tags" aria-label="Tags">{items}</ul>'


def byline(article: dict) -> str:
    parts = []
    if article.get("author"):
        parts.append(f'<span class="author">By {e(str(article["author"]))}</span>')
    if when := time_element(article.get("date")):
        parts.append(when)
    if article.get("location"):
        parts.append(f'<span class="location">{e(str(article["location"]))}</span>')
    return f'<p class="byline">{"".join(parts)}</p>' if parts else ""


def long_text(clean_html: str) -> bool:
    return len(plain_text(clean_html)) >= LONG_CHARS


def opens_with_long_paragraph(clean_html: str) -> bool:
    """Does the text start with a paragraph long enough to carry a drop cap (3+ lines)?"""
    first = _FIRST_PARAGRAPH.match(clean_html)
    return first is not None and len(plain_text(first.group(1))) >= DROP_CAP_CHARS


# ---------------------------------------------------------------------- stories ---


@dataclass(frozen=True, slots=True)
class Story:
    """One article, cut into the parts a style lays out (each "" when there is nothing)."""

    anchor: str  # the element id, for in-page links
    name: str  # the escaped title as text ("Untitled" if none)
    status: str  # "Draft"/"Ready" badge, on previews of articles not yet published
    title: str  # the escaped title, as a link to the article's page when it has one
    byline: str
    hero: str  # the hero picture (or, without one, the hero video)
    lead: str
    body: str
    gallery: str
    videos: str
    tags: str
    dropcap: bool  # the body opens with a long paragraph

    def head(self, heading: str = "h2", kicker: str = "") -> str:
        label = f'<p class="kicker">{kicker}</p>' if kicker else ""
        return (
            f'<header class="story-head">{self.status}{label}'
            f'<{heading} class="story-title">{self.title}</{heading}>{self.byline}</header>'
        )

    def text(self) -> str:
        lead = f'<div class="lead">{self.lead}</div>' if self.lead else ""
        cls = "prose dropcap" if self.dropcap else "prose"
        body = f'<div class="{cls}">{self.body}</div>' if self.body else ""
        return lead + body

    def media(self) -> str:
        videos = f'<div class="videos">{self.videos}</div>' if self.videos else ""
        return self.gallery + videos


@dataclass(frozen=True, slots=True)
class Sizes:
    """The `sizes` of each kind of picture, from the style's column widths."""

    hero: str
    gallery: str
    video: str


def story(article: dict, ctx: Context, sizes: Sizes, *, link: bool = True) -> Story:
    id_ = str(article.get("id") or "")
    title = str(article.get("title") or "")
    shown = e(title) if title else '<span class="untitled">Untitled</span>'
    published = article.get("status") == "published"
    href = http_url(article.get("hail_url")) or (f"/a/{quote(id_, safe='')}" if id_ else None)
    if link and href and (published or not ctx.preview):
        shown = f'<a href="{e(href)}">{shown}</a>'
    status = ""
    if ctx.preview and not published:
        status = f'<p class="story-status">{e(str(article.get("status") or "draft").title())}</p>'
    hero_image, hero_video = article.get("hero_image"), article.get("hero_video")
    hero = figure(hero_image, ctx, sizes=sizes.hero)
    videos = list(_videos(article))
    if not hero and videos and videos[0] is hero_video:
        shown_video = video(videos.pop(0), ctx, sizes=sizes.hero)
        hero = f'<div class="hero hero-video">{shown_video}</div>' if shown_video else ""
    images = article.get("gallery")
    if not isinstance(images, list):
        images = article.get("short_gallery") or []
    skip = hero_image.get("id") if isinstance(hero_image, dict) and hero else None
    body = sanitise(str(article.get("body") or ""), body=True)
    return Story(
        anchor="story-" + re.sub(r"[^A-Za-z0-9_-]", "-", id_),
        name=e(title) if title else "Untitled",
        status=status,
        title=shown,
        byline=byline(article),
        hero=hero,
        lead=sanitise(str(article.get("lead") or "")),
        body=body,
        gallery=gallery(images, ctx, sizes=sizes.gallery, skip=skip),
        videos="".join(video(v, ctx, sizes=sizes.video) for v in videos),
        tags=tags(article),
        dropcap=opens_with_long_paragraph(body),
    )


def _videos(article: dict) -> Iterable[dict]:
    """The hero video, then the gallery's videos, each once."""
    seen = set()
    gallery_videos = article.get("video_gallery")
    if not isinstance(gallery_videos, list):
        gallery_videos = article.get("short_video_gallery") or []
    for item in [article.get("hero_video"), *gallery_videos]:
        if isinstance(item, dict) and item.get("id") not in seen:
            seen.add(item.get("id"))
            yield item


# ---------------------------------------------------------------------- layouts ---


@dataclass(frozen=True, slots=True)
class Masthead:
    org: str  # escaped
    initial: str  # escaped
    edition: str  # escaped
    heading: str  # the <h1> element
    date: str  # a <p class="date"> or ""


@dataclass(frozen=True, slots=True)
class PublicationView:
    masthead: Masthead
    editorial: str  # sanitised HTML
    editorial_long: bool
    editorial_dropcap: bool
    featured: Story | None
    stories: list[Story]  # the others, in order


@dataclass(frozen=True, slots=True)
class ArticleView:
    masthead: Masthead  # its heading is empty: the story's head holds the <h1>
    story: Story


@dataclass(frozen=True, slots=True)
class Layout:
    """A style: its stylesheet, its picture sizes and its two page templates."""

    css: str
    sizes: Sizes
    cover_sizes: Sizes  # the featured article's (usually wider) pictures
    publication: Callable[[PublicationView], str]
    article: Callable[[ArticleView], str]
