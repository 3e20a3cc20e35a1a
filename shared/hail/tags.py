"""Tags and private tags: who may do what, and what changes. Knows rules, not HTTP or
DynamoDB.

Private tags are the team's own workflow labels: same shape, kept apart (a tag id is one or
the other), never shown on public pages.
"""

import time
import uuid
from dataclasses import dataclass

from hail import lists
from hail.access import member_role, new_id, require_role
from hail.errors import BadRequest, Changed, Conflict, NotFound
from hail.models import TagCreate, TagFields, utc_now
from hail.preconditions import check_if_match, etag, precondition_failed
from hail.records import Article, Publication, Tag
from hail.storage import articles as articles_db
from hail.storage import base as db
from hail.storage import jobs as jobs_db
from hail.storage import listing as idx
from hail.storage import publications as publications_db
from hail.storage import tags as tags_db

KIND = lists.Kind(name="tags", statuses=(), orders={"name": "title"}, default_order="name")
UNTAG = "untag"  # the clean-up job of a deleted tag


def noun(private: bool) -> str:
    return "private tag" if private else "tag"


def view(tag: Tag) -> dict:
    return {"id": tag["id"], "name": tag["name"], "description": tag["description"]}


def sort_name(tag: Tag) -> tuple[str, str]:
    return idx.title_key(tag["name"]), tag["id"]


# ------------------------------------------------------------------ reading ---


def _org_member(user_id: str, org_id: str) -> tuple[dict, str]:
    found = publications_db.fetch(user_id=user_id, org_id=org_id)
    if found.org is None:
        raise NotFound(f"No organisation with id '{org_id}'.")
    return found.org, member_role(found.roles, org_id)


@dataclass(frozen=True)
class Page:
    tags: list[Tag]
    next_cursor: str | None


def list_page(user_id: str, org_id: str, private: bool, params: lists.Params) -> Page:
    """An organisation's tags (or private tags) by name: the catalogue, read with the
    membership check in one round trip."""
    (_, _), catalogue = db.parallel(
        lambda: _org_member(user_id, org_id), lambda: tags_db.catalogue(org_id)
    )
    found = sorted((t for t in catalogue.values() if t["private"] == private), key=sort_name)
    if params.limit is None:
        return Page(found, None)
    start = 0
    if params.cursor:
        after = _read_cursor(org_id, private, params.cursor)
        start = next((i for i, t in enumerate(found) if sort_name(t) > after), len(found))
    start += params.skip
    shown = found[start : start + params.limit]
    more = len(found) > start + params.limit
    return Page(shown, _cursor(org_id, private, shown[-1]) if more and shown else None)


def _cursor(org_id: str, private: bool, last: Tag) -> str:
    return idx.sign([org_id, private, *sort_name(last)])


def _read_cursor(org_id: str, private: bool, cursor: str) -> tuple[str, str]:
    doc = idx.unsign(cursor)
    if not (isinstance(doc, list) and len(doc) == 4 and doc[:2] == [org_id, private]):
        raise BadRequest(idx.BAD_CURSOR)
    return str(doc[2]), str(doc[3])


def _tag(user_id: str, tag_id: str, private: bool) -> tuple[Tag, str]:
    tag, roles = tags_db.fetch(tag_id, user_id)
    if tag is None or tag["private"] != private:
        raise NotFound(f"No {noun(private)} with id '{tag_id}'.")
    return tag, member_role(roles, tag["org_id"])


def get(user_id: str, tag_id: str, private: bool) -> tuple[Tag, dict[str, int]]:
    """The tag and how many articles and images it has (counted by the database)."""
    tag, _role = _tag(user_id, tag_id, private)
    counted = tags_db.counts(tag, {"ART": articles_db.STATUSES, "IMG": ("pending", "approved")})
    return tag, {"number_of_articles": counted["ART"], "number_of_images": counted["IMG"]}


def get_for_member(user_id: str, tag_id: str, private: bool) -> Tag:
    return _tag(user_id, tag_id, private)[0]


# ------------------------------------------------------------------ writing ---


def create(user_id: str, org_id: str, private: bool, fields: TagCreate) -> Tag:
    _org, role = _org_member(user_id, org_id)
    require_role(role, "editor", f"create {noun(private)}s")
    tag: Tag = {
        "id": new_id(),
        "org_id": org_id,
        "private": private,
        "name": fields.name,
        "description": fields.description or "",
        "created_at": utc_now().strftime("%Y-%m-%d %H:%M:%S.%f"),
        "version": 1,
    }
    for _attempt in range(5):
        try:
            tags_db.create(tag)
            return tag
        except db.IdTaken:
            tag["id"] = new_id()
    raise db.IdTaken(tag["id"])


def create_with_id(tag: Tag) -> None:
    """For the demo data: a tag with a chosen id (IdTaken if it exists)."""
    tags_db.create(tag)


def edit(user_id: str, tag_id: str, private: bool, fields: TagFields, if_match: str | None) -> Tag:
    tag, role = _tag(user_id, tag_id, private)
    require_role(role, "editor", f"edit {noun(private)}s")
    check_if_match(if_match, etag(tag), noun(private))
    given = fields.model_fields_set
    new: Tag = {**tag}
    if "name" in given and fields.name is not None:
        new["name"] = fields.name
    if "description" in given:
        new["description"] = fields.description or ""
    if new == tag:
        return tag  # nothing changed: no write, same ETag
    new["version"] = tag["version"] + 1
    try:
        tags_db.update(tag, new)
    except Changed as exc:
        if if_match is not None:
            raise precondition_failed(noun(private)) from exc
        raise
    return new


def delete(user_id: str, tag_id: str, private: bool, if_match: str | None) -> None:
    """Remove the tag, then from everything it tagged: at once when that is quick, else by
    the housekeeping function (the job is recorded with the deletion). Views never show a
    deleted tag in the meantime: they name tags from the catalogue."""
    tag, role = _tag(user_id, tag_id, private)
    require_role(role, "admin", f"delete {noun(private)}s")
    check_if_match(if_match, etag(tag), noun(private))
    now = utc_now().strftime("%Y-%m-%d %H:%M:%S.%f")
    job = jobs_db.job(str(uuid.uuid4()), UNTAG, tag["id"], tag["org_id"], now)
    tags_db.delete(tag, job)
    if untag(tag["id"], tag["org_id"], until=time.monotonic() + CLEAN_UP_SECONDS) is not None:
        jobs_db.done(job["id"])


CLEAN_UP_SECONDS = 4.0  # a deletion's request cleans up this long at most; housekeeping the rest


def untag(tag_id: str, org_id: str, *, until: float | None = None) -> int | None:
    """Remove a deleted tag from every article and publication that still holds it; how
    many changed, or None if `until` (a time.monotonic() deadline) came first. Safe to run
    again: what is done is not done twice."""
    changed = 0
    for kind, statuses in (("ART", articles_db.STATUSES), ("PUB", ("",))):
        partitions = (
            tuple(f"TAG{kind}#{tag_id}#{s}" for s in statuses)
            if kind == "ART"
            else (f"TAGPUB#{tag_id}",)
        )
        rows = idx.entries(idx.Listing(partitions, "created"))
        for entry in rows:
            if until is not None and time.monotonic() > until:
                return None
            item_id = entry.pk.split("#", 1)[1]
            changed += _remove_tag(kind, item_id, tag_id)
    return changed


def _remove_tag(kind: str, item_id: str, tag_id: str) -> int:
    for _attempt in range(5):
        if kind == "ART":
            article = articles_db.get_many([item_id], consistent=True).get(item_id)
            if article is None or tag_id not in article["tags"] + article["private_tags"]:
                return 0
            new: Article = {
                **article,
                "tags": [t for t in article["tags"] if t != tag_id],
                "private_tags": [t for t in article["private_tags"] if t != tag_id],
                "version": article["version"] + 1,
            }
            try:
                articles_db.save(article, new)
                return 1
            except Conflict:
                continue
        else:
            pub = publications_db.get_many([item_id])[0].get(item_id)
            if pub is None or tag_id not in pub["private_tags"]:
                return 0
            new_pub: Publication = {
                **pub,
                "private_tags": [t for t in pub["private_tags"] if t != tag_id],
                "version": pub["version"] + 1,
            }
            try:
                publications_db.save(pub, new_pub)
                return 1
            except Conflict:
                continue
    raise Conflict("The clean-up of a deleted tag kept meeting other writes; retry.")
