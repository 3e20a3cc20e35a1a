"""Pages to look at without a server: the demo content shaped as the API shows it, with
drawn pictures (SVG) standing in for photos until images exist, and the extremes (short
and long) a layout must survive. Used by `make screenshots` and the page tests.

    publication(pub_id, pictures=True)  -> (publication dict, [article dicts])
    article(article_id, pictures=True)  -> article dict
    short_publication(), long_publication(), short_article(), long_article()
    drawing(url)  -> the SVG for a picture URL on MEDIA_ORIGIN (what a browser test serves)
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from hail_tools import demo_content as content
from hail_tools.demo import ORGANISATIONS, PUBLICATIONS

BASE = "https://hail.test"
MEDIA_ORIGIN = "https://media.hail.test"
WIDE = {"file_500_url": 500, "file_1000_url": 1000, "file_2000_url": 2000}
SQUARE = {"file_150_square_url": 150, "file_500_square_url": 500, "file_1000_square_url": 1000}
PORTRAIT = {"touch026"}  # pictures taller than wide, to see how a layout holds them
GALLERIES = {"athlday1": 6, "garden26": 4, "camplog1": 5, "relay026": 3}
VIDEOS = {"camplog1": ("youtube", "dQw4w9WgXcQ"), "athlday1": ("vimeo", "76979871")}
PHOTOGRAPHERS = ("Leilani Fonoti", "Tom Whitcombe", "Year 11 photography class")
_DRAWN = re.compile(r"/(?P<seed>[A-Za-z0-9_-]+)/(?P<w>\d+)x(?P<h>\d+)\.svg$")

TAGS = {t["id"]: t for t in content.TAGS}
PRIVATE_TAGS = {t["id"]: t for t in content.PRIVATE_TAGS}
ARTICLES = {a["id"]: a for a in content.ARTICLES}


def organisation_name(org_id: str = "demo-school") -> str:
    return ORGANISATIONS[org_id][0]


def image(seed: str, caption: str, width: int = 2400, height: int = 1600, n: int = 0) -> dict:
    """An image as the API shows it once processed, its renditions drawn on MEDIA_ORIGIN."""

    def url(w: int, h: int) -> str:
        return f"{MEDIA_ORIGIN}/{seed}/{w}x{h}.svg"

    shown = {}
    for key, nominal in WIDE.items():
        w = min(nominal, width)
        shown[key] = url(w, round(w * height / width))
    for key, nominal in SQUARE.items():
        side = min(nominal, width, height)
        shown[key] = url(side, side)
    return {
        "id": seed,
        "caption": caption,
        "photographer": PHOTOGRAPHERS[n % len(PHOTOGRAPHERS)],
        "original_width": width,
        "original_height": height,
        "focal_point": {"x": 0.5, "y": 0.5},
        **shown,
        "file_original_url": url(width, height),
    }


def video(seed: str, service: str, service_id: str, caption: str, picture: bool) -> dict:
    preview = image(f"{seed}p", caption, 1280, 720) if picture else dict.fromkeys(SQUARE)
    return {
        "id": seed,
        "caption": caption,
        "service": service,
        "service_data": service_id,
        "url": None,
        "preview": preview,
    }


def _tags(ids: list[str], table: dict[str, dict]) -> list[dict]:
    return [{k: table[i][k] for k in ("id", "name", "description")} for i in ids]


def article(article_id: str, pictures: bool = True) -> dict:
    """A demo article exactly as the API shows it (plus the full `gallery`)."""
    a = ARTICLES[article_id]
    hero, gallery, videos = None, [], []
    if pictures:
        tall = article_id in PORTRAIT
        hero = image(f"{article_id}h", a["picture"], *((1600, 2000) if tall else (2400, 1600)))
        gallery = [
            image(f"{article_id}g{n}", f"{a['title']}: picture {n + 1}", 2000, 1500, n)
            for n in range(GALLERIES.get(article_id, 0))
        ]
        if article_id in VIDEOS:
            service, vid = VIDEOS[article_id]
            videos = [
                video(f"{article_id}v", service, vid, f"{a['title']}: the video", True),
                video(f"{article_id}w", service, vid + "2", "Behind the scenes", False),
            ]
    return {
        "id": a["id"],
        "title": a["title"],
        "author": a["author"],
        "lead": a["lead"],
        "body": a["body"],
        "date": a["date"],
        "location": a["location"],
        "status": a["status"],
        "flagged": a["flagged"],
        "average_rating": 0,
        "created_date": a["date"],
        "updated_date": a["date"],
        "hail_url": f"{BASE}/a/{a['id']}",
        "tags": _tags(a["tags"], TAGS),
        "private_tags": _tags(a["private_tags"], PRIVATE_TAGS),
        "hero_image": hero,
        "hero_video": None,
        "attachments": [],
        "short_gallery": gallery[:3],
        "short_video_gallery": videos[:3],
        "gallery": gallery,
    }


def publication(pub_id: str, pictures: bool = True, style: str | None = None) -> tuple[dict, list]:
    """A demo publication as the API shows it, and its articles in order."""
    _, _, _, fields = next(p for p in PUBLICATIONS if p[2] == pub_id)
    chosen: dict[str, Any] = content.PUBLICATION_ARTICLES.get(
        pub_id, {"articles": [], "featured": None}
    )
    articles = [article(i, pictures) for i in chosen["articles"] or []]
    featured = next((a for a in articles if a["id"] == chosen["featured"]), None)
    style_id = style or fields["style_id"]
    pub: dict[str, Any] = {
        "id": pub_id,
        "title": fields.get("title") or "",
        "editorial": fields.get("editorial") or "",
        "due_date": fields.get("due_date"),
        "custom_css_url": None,
        "status": fields["status"],
        "number_of_articles": len(articles),
        "style": {"id": style_id, "name": style_id.title()},
        "featured_article": featured,
        "created_date": "2026-08-20 00:00:00",
        "updated_date": "2026-08-20 00:00:00",
        "url": f"{BASE}/p/{pub_id}",
        "watch_status": "not_watching",
        "private_tags": [],
    }
    return pub, articles


# ------------------------------------------------------------------ extremes ---

LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3
LONG_URL = "https://example.org/" + "a-very-long-path-segment-" * 8


def short_article() -> dict:
    """An article with nothing but a title."""
    bare = article("uniform1", pictures=False)
    return {**bare, "author": "", "lead": "", "body": "", "location": "", "tags": []}


def long_article() -> dict:
    """Every field at its longest: long words, a long link, many pictures and videos."""
    a = article("athlday1")
    gallery = [image(f"longg{n}", LONG_WORD, 2000, 1500 if n % 2 else 2600, n) for n in range(12)]
    return {
        **a,
        "title": "A very long title that goes on " + LONG_WORD + " and on",
        "author": "A person with a very long name " + LONG_WORD,
        "location": "Somewhere with a long name " + LONG_WORD,
        "lead": a["lead"] + f" {LONG_WORD} <a href='{LONG_URL}'>{LONG_URL}</a>",
        "body": a["body"] * 2
        + f"<p>{LONG_WORD} {LONG_URL}</p><blockquote>{LONG_WORD}</blockquote>",
        "tags": [
            {"id": f"t{n}", "name": f"Tag {LONG_WORD[: 10 + n]}", "description": ""}
            for n in range(9)
        ],
        "gallery": gallery,
        "short_gallery": gallery[:3],
        "hero_video": video("longv", "youtube", "x", LONG_WORD, True),
    }


def short_publication(style: str) -> tuple[dict, list]:
    """A publication with a title only, and one bare article."""
    pub, _ = publication("welcome1", style=style)
    pub = {**pub, "editorial": "", "due_date": None, "featured_article": None}
    return pub, [short_article()]


def long_publication(style: str) -> tuple[dict, list]:
    pub, articles = publication("sports01", style=style)
    long = long_article()
    editorial = "".join(a["body"] for a in articles[:3]) + f"<p>{LONG_WORD} {LONG_URL}</p>"
    pub = {**pub, "title": pub["title"] + " " + LONG_WORD, "editorial": editorial}
    pub["featured_article"] = long
    return pub, [long, *articles, short_article()]


# ------------------------------------------------------------------- drawings ---

PALETTES = (
    ("#fde68a", "#fca5a5", "#4d7c0f", "#365314", "#1a2e05"),
    ("#bae6fd", "#e0f2fe", "#0f766e", "#115e59", "#134e4a"),
    ("#fed7aa", "#fdba74", "#9a3412", "#7c2d12", "#431407"),
    ("#ddd6fe", "#fbcfe8", "#6d28d9", "#4c1d95", "#2e1065"),
    ("#fef9c3", "#bbf7d0", "#15803d", "#166534", "#14532d"),
)


def drawing(url: str) -> bytes | None:
    """A landscape drawn for a picture URL (its hills and colours follow its id), or None
    if the URL is not one of ours."""
    found = _DRAWN.search(url)
    if not found:
        return None
    seed, w, h = found["seed"], int(found["w"]), int(found["h"])
    digest = hashlib.sha256(seed.encode()).digest()
    sky, glow, near, mid, far = PALETTES[digest[0] % len(PALETTES)]
    sun_x, sun_y = 15 + digest[1] % 70, 12 + digest[2] % 25

    def hill(base: int, n: int) -> str:
        peak = base - 8 - digest[n] % 18
        return (
            f"M0 {base} C 25 {peak}, 55 {base + 6}, 100 {peak + 4} L100 100 L0 100 Z"
            if n % 2
            else f"M0 {peak} C 35 {base + 8}, 70 {peak - 4}, 100 {base} L100 100 L0 100 Z"
        )

    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}"
 viewBox="0 0 100 100" preserveAspectRatio="none">
<defs><linearGradient id="s" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" stop-color="{sky}"/><stop offset="1" stop-color="{glow}"/></linearGradient></defs>
<rect width="100" height="100" fill="url(#s)"/>
<ellipse cx="{sun_x}" cy="{sun_y}" rx="{7 * h / w:.2f}" ry="7" fill="#fff" opacity=".75"/>
<path d="{hill(62, 3)}" fill="{far}" opacity=".45"/>
<path d="{hill(74, 4)}" fill="{mid}" opacity=".8"/>
<path d="{hill(86, 5)}" fill="{near}"/>
</svg>"""
    return svg.encode()
