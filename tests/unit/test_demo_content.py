"""The demo content holds together: ids, organisations, references, roles and HTML that is
already what the API would store."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from hail.editorial import sanitise
from hail_tools import demo, demo_content

ARTICLES = {a["id"]: a for a in demo_content.ARTICLES}
TAGS = {t["id"]: t for t in demo_content.TAGS}
PRIVATE_TAGS = {t["id"]: t for t in demo_content.PRIVATE_TAGS}
ROLES = {(org, user): role for org, user, role in demo.MEMBERS}
PUBLICATIONS = {pub_id: (org, fields) for org, _, pub_id, fields in demo.PUBLICATIONS}
KEYS = {
    "id", "org", "created_by", "title", "author", "lead", "body", "date", "location",
    "status", "flagged", "tags", "private_tags", "picture",
}  # fmt: skip


def test_articles_have_every_field_and_readable_unique_ids() -> None:
    assert len(ARTICLES) == len(demo_content.ARTICLES)
    for article in demo_content.ARTICLES:
        assert set(article) == KEYS, article["id"]
        assert re.fullmatch(r"[a-z0-9]{8}", article["id"])
        assert article["title"] and article["author"] and article["lead"] and article["picture"]
        assert datetime.strptime(article["date"], "%Y-%m-%d %H:%M:%S").year == 2026
        assert article["status"] in ("draft", "ready", "published")


def test_the_school_has_a_real_mix_of_articles() -> None:
    school = [a for a in demo_content.ARTICLES if a["org"] == "demo-school"]
    other = [a for a in demo_content.ARTICLES if a["org"] == "other-school"]
    assert 12 <= len(school) <= 16 and len(other) == 2
    statuses = Counter(a["status"] for a in school)
    assert statuses["published"] > len(school) / 2 and statuses["draft"] and statuses["ready"]
    assert 1 <= sum(a["flagged"] for a in school) <= 2
    assert any(not a["tags"] for a in school)
    assert any(a["private_tags"] for a in school)
    assert any("<h2>" in a["body"] and "<blockquote>" in a["body"] for a in school)
    lengths = sorted(len(a["body"]) for a in school)
    assert lengths[0] < 400 and lengths[-1] > 2500


def test_html_is_stored_as_the_api_would_store_it() -> None:
    for article in demo_content.ARTICLES:
        assert sanitise(article["lead"]) == article["lead"], article["id"]
        assert sanitise(article["body"], body=True) == article["body"], article["id"]


def test_everything_referred_to_is_in_the_same_organisation() -> None:
    for article in demo_content.ARTICLES:
        org = article["org"]
        assert all(TAGS[t]["org"] == org for t in article["tags"]), article["id"]
        assert all(PRIVATE_TAGS[t]["org"] == org for t in article["private_tags"]), article["id"]
        role = ROLES[(org, article["created_by"])]
        # Publishing is a publisher's act: an editor's articles are drafts or ready
        allowed = ("owner", "admin", "publisher") if article["status"] == "published" else None
        assert allowed is None or role in allowed, article["id"]
        assert role != "viewer"
    for tag in [*demo_content.TAGS, *demo_content.PRIVATE_TAGS]:
        assert tag["name"] and tag["description"] and tag["org"] in demo.ORGANISATIONS


def test_the_publications_are_made_of_their_organisations_articles() -> None:
    for pub_id, chosen in demo_content.PUBLICATION_ARTICLES.items():
        org, fields = PUBLICATIONS[pub_id]
        ids = chosen["articles"]
        assert len(ids) == len(set(ids)) and chosen["featured"] in ids
        assert all(ARTICLES[i]["org"] == org for i in ids)
        if fields["status"] == "published":  # what their pages show is all there
            assert all(ARTICLES[i]["status"] == "published" for i in ids), pub_id
    camp = demo_content.PUBLICATION_ARTICLES["camp2026"]["articles"]
    assert any(ARTICLES[i]["status"] == "ready" for i in camp)
