"""The demo data `make run` loads (fixed ids, listed in the README)."""

from typing import Any

from hail import connections, publications
from hail.errors import Conflict
from hail.models import ArticleCreate, PublicationCreate, TagCreate
from hail.storage import accounts as accounts_db
from hail.storage import base as db

# Where the demo's avatars are served: the local sign-in server of `make run` (its default
# port; `make run` passes the real address). See hail_tools/avatars.py.
AVATAR_BASE = "http://127.0.0.1:3003/avatars"

STYLES = [
    ("magazine", "Magazine", "A photographic awesomeness", "https://hail.to/styles/magazine"),
    (
        "newsletter",
        "Newsletter",
        "Clean and simple, for regular news",
        "https://hail.to/styles/newsletter",
    ),
    (
        "yearbook",
        "Yearbook",
        "Great for large publications, including tag-based browsing and more",
        "https://hail.to/styles/yearbook",
    ),
]
ORGANISATIONS = {
    "demo-school": ("Demo School", {"magazine": True, "newsletter": True, "yearbook": False}),
    "other-school": ("Other School", {"magazine": True, "newsletter": True}),
}
# Profiles: (first name, last name, email, wants organisation emails, wants promotions).
USERS = {
    "alice": ("Alice", "Fairbairn", "alice.fairbairn@demo-school.example", True, False),
    "paula": ("Paula", "Ngata", "paula.ngata@demo-school.example", True, True),
    "eddie": ("Eddie", "Tanaka", "eddie.tanaka@demo-school.example", True, False),
    "vera": ("Vera", "Lindqvist", "vera.lindqvist@demo-school.example", False, False),
    "oscar": ("Oscar", "Mbeki", "oscar.mbeki@other-school.example", True, False),
}
SIGNED_UP = "2025-02-03 08:30:00"
ORGANISATION_PROFILES = {
    "demo-school": {
        "slug": "demo-school",
        "email": "office@demo-school.example",
        "website_url": "https://demo-school.example",
        "facebook_url": "https://www.facebook.com/DemoSchoolExample",
        "twitter_username": "DemoSchool",
        "youtube_url": "https://www.youtube.com/@DemoSchoolExample",
        "privacy_policy_url": "https://demo-school.example/privacy",
        "terms_url": "https://demo-school.example/terms",
        "country": {"code": "NZ", "name": "New Zealand"},
        "created": "2024-11-04 21:15:00",
    },
    "other-school": {
        "slug": "other-school",
        "email": "hello@other-school.example",
        "website_url": "https://other-school.example",
        "privacy_policy_url": "https://other-school.example/privacy",
        "country": {"code": "AU", "name": "Australia"},
        "created": "2025-01-20 03:40:00",
    },
}
MEMBERS = [
    ("demo-school", "alice", "owner"),
    ("demo-school", "paula", "publisher"),
    ("demo-school", "eddie", "editor"),
    ("demo-school", "vera", "viewer"),
    ("other-school", "oscar", "owner"),
]
PUBLICATIONS = [
    (
        "demo-school",
        "paula",
        "welcome1",
        {
            "title": "Welcome back!",
            "editorial": "<p>A warm welcome to the new school year. <b>Term starts Monday.</b></p>",
            "due_date": "2026-09-01",
            "status": "published",
            "style_id": "magazine",
        },
    ),
    (
        "demo-school",
        "paula",
        "sports01",
        {
            "title": "Sports day results",
            "editorial": "<h3>Athletics</h3><ul><li>Blue house won the relay</li></ul>",
            "due_date": "2026-10-15",
            "status": "published",
            "style_id": "newsletter",
        },
    ),
    (
        "demo-school",
        "eddie",
        "camp2026",
        {
            "title": "Year 9 Camp",
            "editorial": "<p>We had the best time!</p>",
            "due_date": "2026-12-05",
            "status": "unpublished",
            "style_id": "newsletter",
        },
    ),
    (
        "demo-school",
        "eddie",
        "draft001",
        {
            "editorial": "<p>Ideas for the spring issue.</p>",
            "status": "unpublished",
            "style_id": "magazine",
        },
    ),
    (
        "other-school",
        "oscar",
        "othnews1",
        {"title": "Other School News", "status": "published", "style_id": "magazine"},
    ),
]


# Connections of demo-school (fixed ids). webhook-demo posts to the local sink `make run`
# starts (hail_tools.sink), which checks signatures with WEBHOOK_SECRET.
WEBHOOK_SECRET = "demo-webhook-secret"  # noqa: S105 - demo data, local only
UNREACHABLE_WEBHOOK = "http://127.0.0.1:9/hooks/demo"  # without a sink: pushes are retried


def demo_connections(webhook_url: str) -> list[dict[str, Any]]:
    return [
        {
            "connection_id": "webhook-demo",
            "service": "webhook",
            "name": "Demo webhook (local sink)",
            "authorised_name": "Demo School",
            "settings": {"url": webhook_url},
            "credentials": {"secret": WEBHOOK_SECRET},
        },
        {
            "connection_id": "facebook-expired",
            "service": "facebook",
            "name": "Demo School",
            "authorised_name": "Alice Owner",
            "exception": True,
            "exception_reason": "Facebook answered 400: Error validating access token: Session "
            "has expired on Friday, 20-Nov-26 10:00:00 PST.",
            "settings": {"page_id": "100000000000001"},
            "credentials": {"access_token": "expired-demo-token"},
        },
        {
            "connection_id": "x-unconfigured",
            "service": "x",
            "name": "DemoSchool",
            "authorised_name": "Demo School",
            "configured": False,
        },
        {
            "connection_id": "mastodon-unauthorised",
            "service": "mastodon",
            "name": "demoschool@mastodon.social",
            "authorised": False,
            "configured": False,
            "settings": {"base_url": "https://mastodon.social"},
        },
    ]


def user_profile(user_id: str, avatar_base: str = AVATAR_BASE) -> dict:
    first, last, email, organisation_emails, promotions = USERS[user_id]
    return {
        "first_name": first,
        "last_name": last,
        "email": email,
        "avatar_url": f"{avatar_base}/users/{user_id}.svg",
        "wants_organisation_emails": organisation_emails,
        "wants_promotion_emails": promotions,
    }


def organisation_profile(org_id: str, avatar_base: str = AVATAR_BASE) -> dict:
    profile = {k: v for k, v in ORGANISATION_PROFILES[org_id].items() if k != "created"}
    avatar = f"{avatar_base}/organisations/{org_id}.svg"
    return {**profile, "avatar_url": f"{avatar}?size=500", "small_avatar_url": f"{avatar}?size=75"}


def seed(webhook_url: str | None = None, avatar_base: str = AVATAR_BASE) -> list[str]:
    """Load the demo data; running it again changes nothing already there."""
    done = []
    for style_id, name, description, preview_url in STYLES:
        accounts_db.put_style(style_id, name, description, preview_url)
    for org_id, (name, styles) in ORGANISATIONS.items():
        created = str(ORGANISATION_PROFILES[org_id]["created"])
        accounts_db.put_organisation(
            org_id, name, organisation_profile(org_id, avatar_base), now=created
        )
        for style_id, available in styles.items():
            accounts_db.set_org_style(org_id, style_id, available)
        done.append(f"organisation {org_id}")
    for user_id in USERS:
        accounts_db.put_user(user_id, user_profile(user_id, avatar_base), now=SIGNED_UP)
        done.append(f"user {user_id}")
    for org_id, user_id, role in MEMBERS:
        accounts_db.set_member(org_id, user_id, role)
        done.append(f"{role} {user_id} of {org_id}")
    for org_id, user_id, pub_id, fields in PUBLICATIONS:
        try:
            publications.create(
                user_id, org_id, PublicationCreate.model_validate(fields), publication_id=pub_id
            )
            done.append(f"publication {pub_id}")
        except db.IdTaken:
            pass
    for connection in demo_connections(webhook_url or UNREACHABLE_WEBHOOK):
        # Local data: the webhook may post to the local sink over http.
        connections.add_connection("demo-school", only_new=True, allow_private=True, **connection)
        done.append(f"connection {connection['connection_id']}")
    done += seed_content()
    return done


def seed_content() -> list[str]:
    """The demo tags, articles and the publications' articles (hail_tools.demo_content),
    written as the API would have written them (sanitised and validated the same way)."""
    from hail.records import Article, Publication, Tag
    from hail.storage import articles as articles_db
    from hail.storage import publications as publications_db
    from hail.storage import tags as tags_db
    from hail.storage.writes import Change

    from hail_tools import demo_content

    done = []
    for private, given in ((False, demo_content.TAGS), (True, demo_content.PRIVATE_TAGS)):
        for raw in given:
            tag_fields = TagCreate.model_validate(
                {"name": raw["name"], "description": raw["description"]}
            )
            tag: Tag = {
                "id": raw["id"],
                "org_id": raw["org"],
                "private": private,
                "name": tag_fields.name,
                "description": tag_fields.description or "",
                "created_at": "2026-01-20 08:00:00.000000",
                "version": 1,
            }
            try:
                tags_db.create(tag)
                done.append(f"{'private ' if private else ''}tag {tag['id']}")
            except db.IdTaken:
                pass
            except Conflict:
                pass  # already there
    for raw in demo_content.ARTICLES:
        fields = ArticleCreate.model_validate(
            {
                k: raw[k]
                for k in (
                    "title",
                    "author",
                    "lead",
                    "body",
                    "date",
                    "location",
                    "status",
                    "flagged",
                    "tags",
                    "private_tags",
                )
            }
        )
        created = f"{fields.date}.{len(done):06d}"
        article: Article = {
            "id": raw["id"],
            "org_id": raw["org"],
            "title": fields.title or "",
            "author": fields.author or "",
            "lead": fields.lead or "",
            "body": fields.body or "",
            "date": fields.date or created[:19],
            "location": fields.location or "",
            "status": fields.status or "draft",
            "flagged": bool(fields.flagged),
            "tags": list(fields.tags or []),
            "private_tags": list(fields.private_tags or []),
            "hero_image_id": None,
            "hero_video_id": None,
            "images": [],
            "videos": [],
            "created_at": created,
            "created_by": raw["created_by"],
            "updated_at": created,
            "version": 1,
        }
        try:
            articles_db.save(None, article)
            done.append(f"article {article['id']}")
        except db.IdTaken:
            pass
    for publication_id, made_of in demo_content.PUBLICATION_ARTICLES.items():
        pub = publications_db.get_many([publication_id])[0].get(publication_id)
        if pub is None or pub["articles"]:
            continue
        change = Change()
        articles_db.in_publication(change, made_of["articles"], publication_id)
        new: Publication = {
            **pub,
            "articles": list(made_of["articles"]),
            "featured_article_id": str(made_of["featured"]),
        }  # the publication as first written: version 1, not edited
        publications_db.save(pub, new, before=change)
        done.append(f"articles of {publication_id}")
    return done
