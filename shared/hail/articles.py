"""Articles: who may do what, what changes, and how they are shown. Knows rules, not HTTP
or DynamoDB.

An article refers to tags, private tags, images and videos of its own organisation by id.
Views name them from the organisation's catalogue of tags (one Query) and the media items
(one BatchGetItem); something deleted is simply not shown, while its clean-up runs.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from hail import lists
from hail.access import member_role, new_id, require_role
from hail.editorial import plain_text
from hail.errors import Changed, NotFound, Unprocessable
from hail.models import ArticleCreate, ArticleFields, utc_now
from hail.preconditions import check_if_match, etag, precondition_failed
from hail.records import Article, Tag
from hail.storage import articles as articles_db
from hail.storage import base as db
from hail.storage import listing as idx
from hail.storage import publications as publications_db
from hail.storage import tags as tags_db
from hail.storage.writes import Change

KIND = lists.Kind(
    name="articles",
    statuses=articles_db.STATUSES,
    orders={"title": "title", "date": "date", "created_date": "created"},
    default_order="date",
    date_field="date",
    updated=True,
    flags=True,
)
SHORT_GALLERY = 3  # short_gallery_limit by default
MAX_SHORT_GALLERY = 50
_WRITABLE = ("title", "author", "lead", "body", "date", "location", "status", "flagged")


def stamp() -> str:
    return utc_now().strftime("%Y-%m-%d %H:%M:%S.%f")


# ------------------------------------------------------------- representation ---


@dataclass
class Refs:
    """What a set of articles refers to, read once for all of them."""

    tags: dict[str, Tag] = field(default_factory=dict)
    images: dict[str, dict] = field(default_factory=dict)  # image views by id
    videos: dict[str, dict] = field(default_factory=dict)


def read_refs(org_id: str, articles: Iterable[Article]) -> Refs:
    """The tags (the organisation's catalogue) of these articles; one round trip."""
    _ = list(articles)
    return Refs(tags=tags_db.catalogue(org_id))


def view(article: Article, refs: Refs, base_url: str, short_gallery: int = SHORT_GALLERY) -> dict:
    """The article as the Hail API shows it: every key present ([] and null when empty)."""
    images = [refs.images[i] for i in article["images"] if i in refs.images]
    videos = [refs.videos[v] for v in article["videos"] if v in refs.videos]
    return {
        "id": article["id"],
        "title": article["title"],
        "author": article["author"],
        "lead": article["lead"],
        "body": article["body"],
        "date": article["date"],
        "location": article["location"],
        "status": article["status"],
        "flagged": article["flagged"],
        "average_rating": 0,
        "created_date": article["created_at"][:19],
        "updated_date": article["updated_at"][:19],
        "hail_url": f"{base_url}/a/{article['id']}",
        "tags": _tag_views(article["tags"], refs, private=False),
        "private_tags": _tag_views(article["private_tags"], refs, private=True),
        "hero_image": refs.images.get(article["hero_image_id"] or ""),
        "hero_video": refs.videos.get(article["hero_video_id"] or ""),
        "attachments": [],
        "short_gallery": images[:short_gallery],
        "short_video_gallery": videos[:short_gallery],
    }


def _tag_views(ids: Sequence[str], refs: Refs, *, private: bool) -> list[dict]:
    found = [refs.tags[i] for i in ids if i in refs.tags and refs.tags[i]["private"] == private]
    return [{"id": t["id"], "name": t["name"], "description": t["description"]} for t in found]


def search_text(article: Article) -> str:
    """What `search` matches, case-folded: title, author, lead and body text."""
    parts = (article["title"], article["author"], plain_text(article["lead"]))
    return " ".join((*parts, plain_text(article["body"]))).casefold()


def sort_key(article: Article, order: str) -> str:
    keys = idx.sort_keys(
        article["id"],
        created=article["created_at"],
        title=article["title"],
        date=article["date"],
        updated=article["updated_at"],
    )
    return keys[idx.INDEXES[order][1]]


# ------------------------------------------------------------------ access ---


def _member(user_id: str, org_id: str) -> tuple[dict, str]:
    found = publications_db.fetch(user_id=user_id, org_id=org_id)
    if found.org is None:
        raise NotFound(f"No organisation with id '{org_id}'.")
    return found.org, member_role(found.roles, org_id)


def _article(user_id: str, article_id: str) -> tuple[Article, str]:
    article, roles = articles_db.fetch(article_id, user_id)
    if article is None:
        raise NotFound(f"No article with id '{article_id}'.")
    return article, member_role(roles, article["org_id"])


def may_write(role: str, old_status: str | None, new_status: str) -> None:
    """Editors write drafts and ready articles; publishing, and changing or deleting what is
    published, is for publishers and above."""
    require_role(role, "editor", "write articles")
    if "published" in (old_status, new_status):
        require_role(role, "publisher", "publish, or change a published article")


# ------------------------------------------------------------------ reading ---


def get(user_id: str, article_id: str) -> tuple[Article, Refs]:
    article, _role = _article(user_id, article_id)
    return article, read_refs(article["org_id"], [article])


def source(org_id: str, tag: Tag | None = None) -> lists.Source[Article]:
    """How the organisation's articles (or a tag's) are listed."""

    def load(entries: list[idx.Entry]) -> list[Article]:
        found = articles_db.get_many(entry.pk.split("#", 1)[1] for entry in entries)
        return [found[e.pk.split("#", 1)[1]] for e in entries if e.pk.split("#", 1)[1] in found]

    def listing(
        statuses: Sequence[str], order: str, descending: bool, **bounds: Any
    ) -> idx.Listing:
        if tag is None or order == "updated":  # tag rows carry no s_updated: filter instead
            return articles_db.listed(org_id, statuses, order, descending, **bounds)
        return articles_db.tagged(tag["id"], statuses, order, descending, **bounds)

    keep = None
    if tag is not None:
        tag_id = tag["id"]

        def keep(article: Article) -> bool:
            return tag_id in article["tags"] or tag_id in article["private_tags"]

    return lists.Source(
        listing=listing, load=load, sort_key=sort_key, search_text=search_text, keep=keep
    )


def list_page(
    user_id: str, org_id: str, params: lists.Params, *, tag: Tag | None = None
) -> tuple[lists.Result[Article], Refs]:
    """A page of the organisation's articles (or of a tag's); the membership check and the
    tag catalogue are read beside the first reads of the list."""
    if tag is not None and tag["private"] is False and params.untagged:
        return lists.Result([], None), Refs()  # a tag's articles are all tagged
    if params.skip and tag is None:  # the counters may say it is past the end
        org, _role = _member(user_id, org_id)
        statuses = params.statuses or KIND.statuses
        counted = partial(articles_db.counted, org, statuses, params.flagged, params.untagged)
        catalogue, result = db.parallel(
            partial(tags_db.catalogue, org_id),
            partial(lists.read, KIND, source(org_id), params, counted),
        )
        return result, Refs(tags=catalogue)
    (_org, _role), catalogue, result = db.parallel(
        partial(_member, user_id, org_id),
        partial(tags_db.catalogue, org_id),
        partial(lists.read, KIND, source(org_id, tag), params),
    )
    return result, Refs(tags=catalogue)


def count(user_id: str, org_id: str, params: lists.Params) -> int:
    org, _role = _member(user_id, org_id)
    statuses = params.statuses or KIND.statuses

    def counted() -> int:
        return articles_db.counted(org, statuses, params.flagged, params.untagged)

    return lists.count(KIND, source(org_id), params, counted)


# ------------------------------------------------------------------ writing ---


def references(article: Article) -> dict[str, set[str]]:
    """What an article refers to, by the field a client names it in."""
    heroes = {"images": article["hero_image_id"], "videos": article["hero_video_id"]}
    found = {
        "tags": set(article["tags"]),
        "private_tags": set(article["private_tags"]),
        "images": set(article["images"]),
        "videos": set(article["videos"]),
    }
    for kind, hero in heroes.items():
        if hero is not None:
            found[kind].add(hero)
    return found


def _refs_checked(org_id: str, article: Article, old: Article | None) -> dict[str, int]:
    """Check that what the article newly refers to is its organisation's (422 otherwise);
    the deletion generations read first, for the write's condition."""
    now = references(article)
    before = references(old) if old else {kind: set() for kind in now}
    added = {kind: now[kind] - before[kind] for kind in now}
    if not any(added.values()):
        return {}
    org = db.get_item("ORG", org_id, consistent=True) or {}
    generations = {tags_db.GENERATION: int(org.get(tags_db.GENERATION, 0))}
    catalogue = tags_db.catalogue(org_id, consistent=True)
    problems = []
    for field_name, private in (("tags", False), ("private_tags", True)):
        for tag_id in sorted(added[field_name]):
            tag = catalogue.get(tag_id)
            if tag is None or tag["private"] != private:
                kind = "private tag" if private else "tag"
                message = f"'{tag_id}' is not one of the organisation's {kind}s"
                problems.append({"field": field_name, "message": message})
    for field_name in ("images", "videos"):
        for ident in sorted(added[field_name]):
            message = f"'{ident}' is not one of the organisation's {field_name}"
            problems.append({"field": field_name, "message": message})
    if problems:
        raise Unprocessable(
            "The article refers to something that is not its organisation's.", errors=problems
        )
    return generations


def _require_title_to_publish(article: Article) -> None:
    if article["status"] == "published" and not article["title"]:
        raise Unprocessable(
            "An article needs a title before it is published.",
            errors=[{"field": "title", "message": "required to publish"}],
        )


def _apply(article: dict[str, Any], fields: ArticleFields) -> Article:
    given = fields.model_fields_set
    for name in _WRITABLE:
        if name in given:
            value = getattr(fields, name)
            if value is None and name in ("flagged",):
                value = False
            if value is None and name in ("title", "author", "lead", "body", "location"):
                value = ""
            if value is None and name in ("date", "status"):
                continue  # cannot be cleared
            article[name] = value
    for name, stored in (
        ("tags", "tags"),
        ("private_tags", "private_tags"),
        ("images", "images"),
        ("videos", "videos"),
    ):
        if name in given:
            article[stored] = list(getattr(fields, name) or [])
    if "hero_image" in given:
        article["hero_image_id"] = fields.hero_image
    if "hero_video" in given:
        article["hero_video_id"] = fields.hero_video
    return cast(Article, article)


def create(
    user_id: str, org_id: str, fields: ArticleCreate, *, article_id: str | None = None
) -> tuple[Article, Refs]:
    _org, role = _member(user_id, org_id)
    now = stamp()
    article: Article = _apply(
        {
            "id": article_id or new_id(),
            "org_id": org_id,
            "title": "",
            "author": "",
            "lead": "",
            "body": "",
            "date": now[:19],
            "location": "",
            "status": "draft",
            "flagged": False,
            "tags": [],
            "private_tags": [],
            "hero_image_id": None,
            "hero_video_id": None,
            "images": [],
            "videos": [],
            "created_at": now,
            "created_by": user_id,
            "updated_at": now,
            "version": 1,
        },
        fields,
    )
    may_write(role, None, article["status"])
    _require_title_to_publish(article)
    generations = _refs_checked(org_id, article, None)
    for _attempt in range(5):
        try:
            articles_db.save(None, article, generations=generations)
            break
        except db.IdTaken:
            if article_id:
                raise
            article["id"] = new_id()
    else:
        raise db.IdTaken(article["id"])
    return article, read_refs(org_id, [article])


def edit(
    user_id: str, article_id: str, fields: ArticleFields, *, if_match: str | None = None
) -> tuple[Article, Refs]:
    old, role = _article(user_id, article_id)
    new: Article = _apply(dict(old), fields)
    may_write(role, old["status"], new["status"])
    check_if_match(if_match, etag(old), "article")
    if new == old:
        return old, read_refs(old["org_id"], [old])  # nothing changed: no write, same ETag
    _require_title_to_publish(new)
    generations = _refs_checked(old["org_id"], new, old)
    new["version"] = old["version"] + 1
    new["updated_at"] = stamp()
    new["updated_by"] = user_id
    try:
        articles_db.save(old, new, generations=generations)
    except Changed as exc:
        if if_match is not None:
            raise precondition_failed("article") from exc
        raise
    return new, read_refs(new["org_id"], [new])


def delete(user_id: str, article_id: str, *, if_match: str | None = None) -> None:
    """Remove the article from every publication that lists it (clearing it where it was
    featured), then delete it with its rows: no reference to it remains."""
    article, role = _article(user_id, article_id)
    may_write(role, article["status"], article["status"])
    check_if_match(if_match, etag(article), "article")
    from hail import publications  # the publications' rules own their article lists

    listed_in = articles_db.publications_of(article_id)
    for publication_id in listed_in:
        publications.drop_article(publication_id, article_id, user_id)
    change = Change()
    for publication_id in listed_in:
        change.delete(f"ART#{article_id}", f"INPUB#{publication_id}")
    try:
        articles_db.save(article, None, before=change)
    except Changed as exc:
        if if_match is not None:
            raise precondition_failed("article") from exc
        raise
