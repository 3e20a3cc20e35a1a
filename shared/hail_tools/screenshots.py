"""`make screenshots`: a picture of each publication style, as a reader sees it.

Starts the local server on a free port, adds an organisation with one published
publication per style, and photographs each page in Debian's chromium: on a desktop
(docs/screenshots/<style>.png) and on a phone (docs/screenshots/<style>-phone.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

from hail_tools import browser, serve
from hail_tools import template as tpl

OUT = tpl.REPO_ROOT / "docs" / "screenshots"
ORG = ("riverside", "Riverside Primary School")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

PUBLICATIONS = {
    "magazine": {
        "title": "The Spring Arts Issue",
        "due_date": "2026-03-20",
        "editorial": (
            "<p>For three weeks the hall smelled of paint and sawdust. Every class, from "
            "Reception to Year 6, made something for the spring exhibition, and on Friday "
            "more than four hundred visitors came to see it.</p>"
            "<h3>Clay, cardboard and courage</h3>"
            "<p>Year 4 built a city of cardboard towers, each one designed by a pair of "
            "pupils and joined to the next by rope bridges. Year 2 made a tiled mosaic of "
            "the river, one clay fish each, glazed in the colours they chose.</p>"
            "<blockquote>I didn't know I could make something that big. "
            "Now I want to build a real bridge.</blockquote>"
            "<p>The choir closed the evening with three songs written by Year 6, "
            "accompanied by the school's new steel pans.</p>"
            "<h3>What's next</h3>"
            "<ul><li>The mosaic moves to the library entrance in April</li>"
            "<li>Photographs of every piece are on the "
            '<a href="https://example.org/gallery">gallery page</a></li>'
            "<li>The summer exhibition opens on 3 July</li></ul>"
        ),
    },
    "newsletter": {
        "title": "Week 6: sports day, library hours and the Year 5 concert",
        "due_date": "2026-10-15",
        "editorial": (
            "<p>Dear families, thank you for a wonderful half term. Here is what is coming "
            "up before the break.</p>"
            "<h3>Sports day</h3>"
            "<p>Sports day moves to <b>Thursday 22 October</b> because of the forecast. "
            "Please send your child with a water bottle, a sun hat and their house "
            "colour.</p>"
            "<h3>Library hours</h3>"
            "<ul><li>Monday to Thursday: 8:15 to 16:30</li>"
            "<li>Friday: 8:15 to 15:00</li>"
            "<li>Parents are welcome on Wednesday mornings</li></ul>"
            "<h3>The Year 5 concert</h3>"
            "<p>Tickets are free but limited to two per family. "
            '<a href="https://example.org/tickets">Reserve yours here</a>.</p>'
            "<blockquote>Music is the one thing every class asked to do again.</blockquote>"
            "<p>With best wishes,<br><i>Ms Okafor, Headteacher</i></p>"
        ),
    },
    "yearbook": {
        "title": "Class of 2026: a year to remember",
        "due_date": "2026-07-17",
        "editorial": (
            "<p>Thirty-one pupils started Year 6 in September. They leave us taller, "
            "louder and kinder, with a year of stories behind them.</p>"
            "<h3>Highlights</h3>"
            "<ul><li>The residential trip to the Lakes, and the night the tents blew "
            "down</li><li>Winning the county chess cup for the first time</li>"
            "<li>The leavers' production of <i>The Wind in the Willows</i></li></ul>"
            "<blockquote>We were the first class to plant a tree in the new garden. "
            "Come back in twenty years and sit under it.</blockquote>"
            "<h3>Thank you</h3>"
            "<p>To Mr Hughes and Mrs Patel, to the lunch team, and to every parent who "
            "drove, baked, sewed and cheered. Good luck at secondary school!</p>"
        ),
    },
}


def _seed() -> dict[str, str]:
    """The organisation and one published publication per style; returns style -> id."""
    from hail import publications
    from hail.models import PublicationCreate
    from hail.storage import accounts as accounts_db

    org_id, name = ORG
    accounts_db.put_organisation(org_id, name)
    for style in PUBLICATIONS:
        accounts_db.set_org_style(org_id, style, True)
    accounts_db.set_member(org_id, "alice", "owner")
    ids = {}
    for style, fields in PUBLICATIONS.items():
        body = {**fields, "status": "published", "style_id": style}
        pub = publications.create("alice", org_id, PublicationCreate.model_validate(body))
        ids[style] = pub.pub["id"]
    return ids


def take(out: Path = OUT) -> list[Path]:
    reason = browser.missing()
    if reason:
        raise SystemExit(f"make screenshots needs a browser: {reason}")
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    running = serve.start(0, "127.0.0.1", endpoint_file=None)
    saved: list[Path] = []
    try:
        ids = _seed()
        with sync_playwright() as p:
            chromium = browser.launch(p)
            for style, pub_id in ids.items():
                for suffix, viewport, scale in (("", DESKTOP, 1), ("-phone", PHONE, 2)):
                    context = chromium.new_context(viewport=viewport, device_scale_factor=scale)
                    page = context.new_page()
                    page.goto(f"{running.url}/p/{pub_id}")
                    path = out / f"{style}{suffix}.png"
                    page.screenshot(path=str(path), full_page=True)
                    context.close()
                    saved.append(path)
            chromium.close()
    finally:
        running.stop()
    return saved


def main() -> int:
    for path in take():
        print(path.relative_to(tpl.REPO_ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
