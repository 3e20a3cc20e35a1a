"""Publications: who may do what, and what changes. Knows rules, not HTTP or DynamoDB."""

import secrets
import string
from dataclasses import dataclass

from hail.editorial import plain_text
from hail.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unprocessable,
)
from hail.models import PublicationCreate, PublicationFields, utc_now
from hail.storage import base as db
from hail.storage import publications as publications_db

ROLES = ("viewer", "editor", "publisher", "admin", "owner")
RANK = {role: rank for rank, role in enumerate(ROLES)}
ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 8
MAX_UNPAGED = 1000  # a list without `limit` longer than this must be paged
MAX_SKIP = 10_000  # a numeric offset reads what it skips; cursors do not
MAX_UNPAGED_BYTES = 4_000_000  # ... and one bigger than this (Lambda answers at most 6 MB)


def new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


# ------------------------------------------------------------------- access ---


def member_role(roles: dict[str, str], org_id: str) -> str:
    role = roles.get(org_id)
    if role not in RANK:
        raise Forbidden("You are not a member of this organisation.")
    return role


def require_role(role: str, minimum: str, action: str) -> None:
    if RANK[role] < RANK[minimum]:
        raise Forbidden(f"Your role ({role}) may not {action}.")


def _org_role(user_id: str, org_id: str, style_id: str | None = None) -> publications_db.Fetched:
    found = publications_db.fetch(user_id=user_id, org_id=org_id, style_id=style_id)
    if found.org is None:
        raise NotFound(f"No organisation with id '{org_id}'.")
    member_role(found.roles, org_id)
    return found


def _publication(user_id: str, publication_id: str, style_id: str | None = None) -> tuple:
    found = publications_db.fetch(user_id=user_id, publication_id=publication_id, style_id=style_id)
    pub = found.publication
    if pub is None:
        raise NotFound(f"No publication with id '{publication_id}'.")
    return pub, member_role(found.roles, pub["org_id"]), found.style


# ------------------------------------------------------------- representation ---


def watch_status(pub: dict, user_id: str) -> str:
    if user_id in pub["watchers"]:
        return "watching"
    if user_id in pub["unwatchers"]:
        return "unwatched"
    return "not_watching"


def view(pub: dict, user_id: str, base_url: str) -> dict:
    """The publication as the Hail API shows it to `user_id`."""
    return {
        "id": pub["id"],
        "title": pub["title"],
        "editorial": pub["editorial"],
        "due_date": pub["due_date"],
        "custom_css_url": pub.get("custom_css_url"),
        "status": pub["status"],
        "number_of_articles": pub.get("number_of_articles", 0),
        "style": {**pub["style"], "available": pub["style"].get("available", True)},
        "featured_article": pub.get("featured_article"),
        "created_date": pub["created_at"][:19],
        "url": f"{base_url}/p/{pub['id']}",
        "watch_status": watch_status(pub, user_id),
        "private_tags": [],
    }


def style_view(style: dict, available: bool) -> dict:
    return {
        "id": style["id"],
        "name": style["name"],
        "description": style.get("description", ""),
        "preview_url": style.get("preview_url", ""),
        "available": available,
    }


# ------------------------------------------------------------------ styles ---


def list_styles(user_id: str, org_id: str) -> list[dict]:
    org = _org_role(user_id, org_id).org or {}
    offered: dict[str, bool] = org.get("styles", {})
    catalogue = publications_db.get_styles(offered)
    return [
        style_view(catalogue[sid], bool(available))
        for sid, available in sorted(offered.items())
        if sid in catalogue
    ]


def _chosen_style(style_id: str, style: dict | None, offered: dict[str, bool] | None) -> dict:
    """The style snapshot kept on a publication; the style must be offered and available."""
    if style is None or (offered is not None and style_id not in offered):
        raise Unprocessable(
            f"The style '{style_id}' is not one of the organisation's styles.",
            errors=[{"field": "style_id", "message": "unknown style"}],
        )
    if offered is not None and not offered[style_id]:
        raise Unprocessable(
            f"The style '{style_id}' is not available yet.",
            errors=[{"field": "style_id", "message": "style not available"}],
        )
    return style_view(style, True)


def _require_title_to_publish(status: str, title: str) -> None:
    if status == "published" and not title:
        raise Unprocessable(
            "A publication needs a title before it is published.",
            errors=[{"field": "title", "message": "required to publish"}],
        )


# ------------------------------------------------------------ publications ---


def create(
    user_id: str, org_id: str, fields: PublicationCreate, *, publication_id: str | None = None
) -> dict:
    found = _org_role(user_id, org_id, fields.style_id)
    role = member_role(found.roles, org_id)
    require_role(role, "editor", "create publications")
    if fields.status == "published":
        require_role(role, "publisher", "publish")
    style = _chosen_style(fields.style_id, found.style, (found.org or {}).get("styles", {}))
    title = fields.title or ""
    _require_title_to_publish(fields.status, title)
    editorial = fields.editorial or ""
    pub = {
        "id": publication_id or new_id(),
        "org_id": org_id,
        "title": title,
        "editorial": editorial,
        "search_text": f"{title} {plain_text(editorial)}".casefold(),
        "due_date": fields.due_date,
        "custom_css_url": None,
        "status": fields.status,
        "number_of_articles": 0,
        "style": style,
        "featured_article": None,
        "created_at": utc_now().strftime("%Y-%m-%d %H:%M:%S.%f"),
        "created_by": user_id,
        "version": 1,
        "watchers": {user_id},  # the creator watches what they create
        "unwatchers": set(),
    }
    for _attempt in range(5):
        try:
            publications_db.create_publication(pub)
            return pub
        except db.IdTaken:
            if publication_id:
                raise
            pub["id"] = new_id()
    raise db.IdTaken(pub["id"])  # five collisions in 36**8 ids: something is wrong


def get(user_id: str, publication_id: str) -> dict:
    pub, _role, _style = _publication(user_id, publication_id)
    return pub


def edit(
    user_id: str, publication_id: str, fields: PublicationFields, *, if_match: str | None = None
) -> dict:
    given = fields.model_fields_set
    pub, role, style = _publication(user_id, publication_id, fields.style_id)
    require_role(role, "editor", "edit publications")
    status = fields.status if "status" in given and fields.status else pub["status"]
    if "published" in (pub["status"], status):
        require_role(role, "publisher", "publish or edit a published publication")
    if if_match is not None and if_match.strip() not in ("*", etag(pub)):
        raise PreconditionFailed("The publication has changed since it was read (If-Match).")
    new = dict(pub)
    if "title" in given:
        new["title"] = fields.title or ""
    if "editorial" in given:
        new["editorial"] = fields.editorial or ""
    if "due_date" in given:
        new["due_date"] = fields.due_date
    new["status"] = status
    if fields.style_id and fields.style_id != pub["style"]["id"]:
        # Availability in the organisation is re-checked by the write itself.
        new["style"] = _chosen_style(fields.style_id, style, None)
    _require_title_to_publish(status, new["title"])
    new["search_text"] = f"{new['title']} {plain_text(new['editorial'])}".casefold()
    new["version"] = pub["version"] + 1
    new["updated_by"] = user_id
    publications_db.update_publication(pub, new)
    return new


def etag(pub: dict) -> str:
    return f'"v{pub["version"]}"'


def watch(user_id: str, publication_id: str, watching: bool) -> None:
    _publication(user_id, publication_id)
    publications_db.set_watch(publication_id, user_id, watching)


# ----------------------------------------------------------------- listing ---


@dataclass(frozen=True)
class Page:
    items: list[dict]
    next_cursor: str | None


def list_page(
    user_id: str,
    query: publications_db.ListQuery,
    *,
    limit: int | None,
    skip: int = 0,
    cursor: str | None = None,
) -> Page:
    found = _org_role(user_id, query.org_id)
    if limit is None:
        # The whole list, as Hail clients expect, when it fits in one response.
        if not query.search and _counted(found.org or {}, query.status) > MAX_UNPAGED:
            raise _too_long()
        items, more = publications_db.list_publications(query, limit=MAX_UNPAGED)
        if more or sum(_size(p) for p in items) > MAX_UNPAGED_BYTES:
            raise _too_long()
        return Page(items, None)
    if skip and not query.search and skip >= _counted(found.org or {}, query.status):
        return Page([], None)  # past the end: the counters say so, nothing to read
    if skip > MAX_SKIP:
        raise BadRequest(
            f"The 'offset' parameter may skip at most {MAX_SKIP} publications (skipping "
            "reads them); follow the 'next' links to go further."
        )
    items, nxt = publications_db.list_publications(query, limit=limit, skip=skip, cursor=cursor)
    return Page(items, nxt)


def _size(pub: dict) -> int:
    return len(pub["title"]) + len(pub["editorial"]) + 600


def _too_long() -> BadRequest:
    return BadRequest(
        "The list is too long for one response; page through it with 'limit' "
        "(and the 'next' links)."
    )


def _counted(org: dict, status: str | None) -> int:
    if status:
        return int(org.get(f"n_{status}", 0))
    return int(org.get("n_published", 0)) + int(org.get("n_unpublished", 0))


def count(user_id: str, query: publications_db.ListQuery) -> int:
    found = _org_role(user_id, query.org_id)
    if query.search:
        return publications_db.count_publications(query)
    return _counted(found.org or {}, query.status)
