"""The demo data `make run` loads (fixed ids, listed in the README)."""

from hail import connections, publications
from hail.models import PublicationCreate
from hail.storage import accounts as accounts_db
from hail.storage import base as db

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


def demo_connections(webhook_url: str) -> list[dict]:
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


def seed(webhook_url: str | None = None) -> list[str]:
    """Load the demo data; running it again changes nothing already there."""
    done = []
    for style_id, name, description, preview_url in STYLES:
        accounts_db.put_style(style_id, name, description, preview_url)
    for org_id, (name, styles) in ORGANISATIONS.items():
        accounts_db.put_organisation(org_id, name)
        for style_id, available in styles.items():
            accounts_db.set_org_style(org_id, style_id, available)
        done.append(f"organisation {org_id}")
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
    for fields in demo_connections(webhook_url or UNREACHABLE_WEBHOOK):
        # Local data: the webhook may post to the local sink over http.
        connections.add_connection("demo-school", only_new=True, allow_private=True, **fields)
        done.append(f"connection {fields['connection_id']}")
    return done
