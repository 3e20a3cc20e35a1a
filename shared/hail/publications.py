"""Publications and their articles: who may do what, what changes, and how they are shown.
Knows rules, not HTTP or DynamoDB."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from hail import articles, lists
from hail.access import member_role, new_id, require_role
from hail.editorial import plain_text
from hail.errors import BadRequest, Changed, Conflict, NotFound, Unprocessable
from hail.models import PublicationCreate, PublicationFields, utc_now
from hail.preconditions import check_if_match, etag, precondition_failed
from hail.records import Article, Publication, StyleSnapshot
from hail.storage import articles as articles_db
from hail.storage import base as db
from hail.storage import listing as idx
from hail.storage import publications as publications_db
from hail.storage import tags as tags_db
from hail.storage.writes import Change

__all__ = ["etag", "member_role", "new_id", "require_role"]  # also used by connections

KIND = lists.Kind(
    name="publications",
    statuses=publications_db.STATUSES,
    orders={"title": "title", "due_date": "date", "created_date": "created"},
    default_order="created_date",
    updated=True,
)
IN_ONE_TRANSACTION = 90  # article back-references written with the publication itself


def stamp() -> str:
    return utc_now().strftime("%Y-%m-%d %H:%M:%S.%f")


# ------------------------------------------------------------------- access ---


def _org_role(
    user_id: str, org_id: str, style_id: str | None = None
) -> tuple[publications_db.Fetched, str]:
    found = publications_db.fetch(user_id=user_id, org_id=org_id, style_id=style_id)
    if found.org is None:
        raise NotFound(f"No organisation with id '{org_id}'.")
    return found, member_role(found.roles, org_id)


def _publication(
    user_id: str, publication_id: str, style_id: str | None = None
) -> tuple[Publication, str, publications_db.Fetched]:
    found = publications_db.fetch(user_id=user_id, publication_id=publication_id, style_id=style_id)
    pub = found.publication
    if pub is None:
        raise NotFound(f"No publication with id '{publication_id}'.")
    return pub, member_role(found.roles, pub["org_id"]), found


def may_change(role: str, old_status: str | None, new_status: str) -> None:
    require_role(role, "editor", "edit publications")
    if "published" in (old_status, new_status):
        require_role(role, "publisher", "publish, or change a published publication")


# ------------------------------------------------------------- representation ---


def watch_status(state: str | None) -> str:
    return state if state in ("watching", "unwatched") else "not_watching"


@dataclass
class Shown:
    """A publication with what its view needs."""

    pub: Publication
    watch: str | None
    featured: Article | None
    refs: articles.Refs


def view(shown: Shown, base_url: str) -> dict:
    """The publication as the Hail API shows it to the caller."""
    pub = shown.pub
    featured = (
        articles.view(shown.featured, shown.refs, base_url) if shown.featured is not None else None
    )
    tags = shown.refs.tags
    return {
        "id": pub["id"],
        "title": pub["title"],
        "editorial": pub["editorial"],
        "due_date": pub["due_date"],
        "custom_css_url": pub.get("custom_css_url"),
        "status": pub["status"],
        "number_of_articles": len(pub["articles"]),
        "style": {**pub["style"], "available": pub["style"].get("available", True)},
        "featured_article": featured,
        "created_date": pub["created_at"][:19],
        "updated_date": pub["updated_at"][:19],
        "url": f"{base_url}/p/{pub['id']}",
        "watch_status": watch_status(shown.watch),
        "private_tags": [
            {"id": t, "name": tags[t]["name"], "description": tags[t]["description"]}
            for t in pub["private_tags"]
            if t in tags and tags[t]["private"]
        ],
    }


def _shown(pubs: Sequence[Publication], watches: dict[str, str | None]) -> list[Shown]:
    """Read what the views of these publications (of one organisation) need, if anything:
    their featured articles and the tag catalogue, side by side."""
    featured_ids = [p["featured_article_id"] for p in pubs if p["featured_article_id"]]
    found: dict[str, Article] = {}
    refs = articles.Refs()
    if featured_ids or any(p["private_tags"] for p in pubs):
        found, catalogue = db.parallel(
            partial(articles_db.get_many, featured_ids),
            partial(tags_db.catalogue, pubs[0]["org_id"]),
        )
        refs = articles.Refs(tags=catalogue)
    return [
        Shown(p, watches.get(p["id"]), found.get(p["featured_article_id"] or ""), refs)
        for p in pubs
    ]


def style_view(style: dict, available: bool) -> StyleSnapshot:
    return {
        "id": style["id"],
        "name": style["name"],
        "description": style.get("description", ""),
        "preview_url": style.get("preview_url", ""),
        "available": available,
    }


def search_text(pub: Publication) -> str:
    return f"{pub['title']} {plain_text(pub['editorial'])}".casefold()


def sort_key(pub: Publication, order: str) -> str:
    keys = idx.sort_keys(
        pub["id"],
        created=pub["created_at"],
        title=pub["title"],
        date=pub["due_date"] or "",
        updated=pub["updated_at"],
    )
    return keys[idx.INDEXES[order][1]]


# ------------------------------------------------------------------ styles ---


def list_styles(user_id: str, org_id: str) -> list[StyleSnapshot]:
    found, _role = _org_role(user_id, org_id)
    offered: dict[str, bool] = (found.org or {}).get("styles", {})
    catalogue = publications_db.get_styles(offered)
    return [
        style_view(catalogue[sid], bool(available))
        for sid, available in sorted(offered.items())
        if sid in catalogue
    ]


def _chosen_style(
    style_id: str, style: dict | None, offered: dict[str, bool] | None
) -> StyleSnapshot:
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


def _require_title_to_publish(pub: Publication) -> None:
    if pub["status"] == "published" and not pub["title"]:
        raise Unprocessable(
            "A publication needs a title before it is published.",
            errors=[{"field": "title", "message": "required to publish"}],
        )


def _private_tags_checked(org_id: str, new: Publication, old: Publication | None) -> dict[str, int]:
    """The newly given private tags must be the organisation's (422); the tag deletion
    generation read first, for the write's condition."""
    added = set(new["private_tags"]) - set(old["private_tags"] if old else [])
    if not added:
        return {}
    org = db.get_item("ORG", org_id, consistent=True) or {}
    generations = {tags_db.GENERATION: int(org.get(tags_db.GENERATION, 0))}
    catalogue = tags_db.catalogue(org_id, consistent=True)
    wrong = sorted(t for t in added if t not in catalogue or not catalogue[t]["private"])
    if wrong:
        raise Unprocessable(
            "The publication refers to private tags that are not its organisation's.",
            errors=[
                {"field": "private_tags", "message": f"unknown private tag '{t}'"} for t in wrong
            ],
        )
    return generations


def _featured_checked(pub: Publication) -> None:
    featured = pub["featured_article_id"]
    if featured is not None and featured not in pub["articles"]:
        raise Unprocessable(
            "The featured article must be one of the publication's articles.",
            errors=[{"field": "featured_article_id", "message": "not one of its articles"}],
        )


# ------------------------------------------------------------ publications ---


def create(
    user_id: str, org_id: str, fields: PublicationCreate, *, publication_id: str | None = None
) -> Shown:
    found, role = _org_role(user_id, org_id, fields.style_id)
    may_change(role, None, fields.status)
    style = _chosen_style(fields.style_id, found.style, (found.org or {}).get("styles", {}))
    now = stamp()
    pub: Publication = {
        "id": publication_id or new_id(),
        "org_id": org_id,
        "title": fields.title or "",
        "editorial": fields.editorial or "",
        "due_date": fields.due_date,
        "custom_css_url": None,
        "status": fields.status,
        "style": style,
        "articles": [],
        "featured_article_id": fields.featured_article_id,
        "private_tags": list(fields.private_tags or []),
        "created_at": now,
        "created_by": user_id,
        "updated_at": now,
        "version": 1,
    }
    _require_title_to_publish(pub)
    _featured_checked(pub)
    generations = _private_tags_checked(org_id, pub, None)
    for _attempt in range(5):
        watching = Change()  # the creator watches what they create
        watching.put({"pk": f"PUB#{pub['id']}", "sk": f"WATCH#{user_id}", "state": "watching"})
        try:
            publications_db.save(None, pub, generations=generations, before=watching)
            return _shown([pub], {pub["id"]: "watching"})[0]
        except db.IdTaken:
            if publication_id:
                raise
            pub["id"] = new_id()
    raise db.IdTaken(pub["id"])  # five collisions in 36**8 ids: something is wrong


def get(user_id: str, publication_id: str) -> Shown:
    pub, _role, found = _publication(user_id, publication_id)
    return _shown([pub], {pub["id"]: found.watch})[0]


def edit(
    user_id: str, publication_id: str, fields: PublicationFields, *, if_match: str | None = None
) -> Shown:
    given = fields.model_fields_set
    pub, role, found = _publication(user_id, publication_id, fields.style_id)
    new: Publication = {**pub}
    if "title" in given:
        new["title"] = fields.title or ""
    if "editorial" in given:
        new["editorial"] = fields.editorial or ""
    if "due_date" in given:
        new["due_date"] = fields.due_date
    if "status" in given and fields.status:
        new["status"] = fields.status
    if "featured_article_id" in given:
        new["featured_article_id"] = fields.featured_article_id
    if "private_tags" in given:
        new["private_tags"] = list(fields.private_tags or [])
    if fields.style_id and fields.style_id != pub["style"]["id"]:
        # Availability in the organisation is re-checked by the write itself.
        new["style"] = _chosen_style(fields.style_id, found.style, None)
    may_change(role, pub["status"], new["status"])
    check_if_match(if_match, etag(pub), "publication")
    if new == pub:
        return _shown([pub], {pub["id"]: found.watch})[0]  # no change: same version and ETag
    _require_title_to_publish(new)
    _featured_checked(new)
    generations = _private_tags_checked(pub["org_id"], new, pub)
    new["version"] = pub["version"] + 1
    new["updated_at"] = stamp()
    new["updated_by"] = user_id
    _saved(pub, new, if_match, generations=generations)
    return _shown([new], {new["id"]: found.watch})[0]


def _saved(
    old: Publication,
    new: Publication,
    if_match: str | None,
    *,
    generations: dict[str, int] | None = None,
    before: Change | None = None,
) -> None:
    try:
        publications_db.save(old, new, generations=generations, before=before)
    except Changed as exc:
        if if_match is not None:
            raise precondition_failed("publication") from exc
        raise


def watch(user_id: str, publication_id: str, watching: bool) -> None:
    _publication(user_id, publication_id)
    publications_db.set_watch(publication_id, user_id, watching)


# ----------------------------------------------------------------- listing ---


def list_page(user_id: str, org_id: str, params: lists.Params) -> tuple[list[Shown], str | None]:
    """A page of the organisation's publications, read beside the membership check."""
    watches: dict[str, str | None] = {}

    def load(entries: list[idx.Entry]) -> list[Publication]:
        ids = [e.pk.split("#", 1)[1] for e in entries]
        found, watched = publications_db.get_many(ids, user_id)
        watches.update(watched)
        return [found[i] for i in ids if i in found]

    source = lists.Source(
        listing=partial(_listed, org_id), load=load, sort_key=sort_key, search_text=search_text
    )
    if params.skip:  # the counters may say it is past the end: no need to read
        found, _role = _org_role(user_id, org_id)
        result = lists.read(KIND, source, params, partial(_counted, found.org or {}, params))
    else:
        _member, result = db.parallel(
            partial(_org_role, user_id, org_id), partial(lists.read, KIND, source, params)
        )
    return _shown(result.items, watches), result.next_cursor


def _counted(org: dict, params: lists.Params) -> int:
    statuses = params.statuses or KIND.statuses
    return sum(int(org.get(publications_db.counter(s), 0)) for s in statuses)


def _listed(
    org_id: str, statuses: Sequence[str], order: str, descending: bool, **bounds: Any
) -> idx.Listing:
    bounds.pop("flagged", None)
    bounds.pop("untagged", None)
    return publications_db.listed(org_id, statuses, order, descending, **bounds)


def count(user_id: str, org_id: str, params: lists.Params) -> int:
    found, _role = _org_role(user_id, org_id)
    counted = partial(_counted, found.org or {}, params)
    source = lists.Source(
        listing=partial(_listed, org_id),
        load=lambda entries: list(
            publications_db.get_many([e.pk.split("#", 1)[1] for e in entries])[0].values()
        ),
        sort_key=sort_key,
        search_text=search_text,
    )
    return lists.count(KIND, source, params, counted)


# ------------------------------------------------------------ their articles ---


def articles_of(
    user_id: str, publication_id: str
) -> tuple[Publication, list[Article], articles.Refs]:
    """The publication's articles, in order (all of them: the API shows drafts too)."""
    pub, _role, _found = _publication(user_id, publication_id)
    found, catalogue = db.parallel(
        partial(articles_db.get_many, pub["articles"]),
        partial(tags_db.catalogue, pub["org_id"]),
    )
    ordered = [found[i] for i in pub["articles"] if i in found]
    return pub, ordered, articles.Refs(tags=catalogue)


def set_articles(
    user_id: str, publication_id: str, article_ids: Sequence[str], *, if_match: str | None = None
) -> tuple[Publication, list[Article], articles.Refs]:
    pub, role, _found = _publication(user_id, publication_id)
    return _change_articles(pub, role, list(dict.fromkeys(article_ids)), user_id, if_match)


def add_article(
    user_id: str,
    publication_id: str,
    article_id: str,
    position: int | None,
    *,
    if_match: str | None = None,
) -> tuple[Publication, list[Article], articles.Refs]:
    pub, role, _found = _publication(user_id, publication_id)
    ids = [i for i in pub["articles"] if i != article_id]
    ids.insert(len(ids) if position is None else min(position, len(ids)), article_id)
    return _change_articles(pub, role, ids, user_id, if_match)


def remove_article(
    user_id: str, publication_id: str, article_id: str, *, if_match: str | None = None
) -> None:
    pub, role, _found = _publication(user_id, publication_id)
    if article_id not in pub["articles"]:
        raise NotFound(f"The article '{article_id}' is not in this publication.")
    ids = [i for i in pub["articles"] if i != article_id]
    _change_articles(pub, role, ids, user_id, if_match)


def drop_article(publication_id: str, article_id: str, user_id: str) -> None:
    """Take a deleted article out of a publication (and clear it where it was featured):
    the article's own deletion rules apply, not the publication's."""
    for _attempt in range(5):
        pub = publications_db.get_many([publication_id])[0].get(publication_id)
        if pub is None or article_id not in pub["articles"]:
            return
        new: Publication = {
            **pub,
            "articles": [i for i in pub["articles"] if i != article_id],
            "featured_article_id": None
            if pub["featured_article_id"] == article_id
            else pub["featured_article_id"],
            "version": pub["version"] + 1,
            "updated_at": stamp(),
            "updated_by": user_id,
        }
        try:
            publications_db.save(pub, new)
            return
        except Conflict:
            continue
    raise Conflict("The publication kept changing while an article was removed; retry.")


def _change_articles(
    pub: Publication, role: str, ids: list[str], user_id: str, if_match: str | None
) -> tuple[Publication, list[Article], articles.Refs]:
    may_change(role, pub["status"], pub["status"])
    check_if_match(if_match, etag(pub), "publication")
    if len(ids) > 200:
        raise BadRequest("A publication holds at most 200 articles.")
    added = [i for i in ids if i not in pub["articles"]]
    removed = [i for i in pub["articles"] if i not in ids]
    generations: dict[str, int] = {}
    if added:
        org = db.get_item("ORG", pub["org_id"], consistent=True) or {}
        generations = {articles_db.GENERATION: int(org.get(articles_db.GENERATION, 0))}
        found = articles_db.get_many(added, consistent=True)
        wrong = [i for i in added if i not in found or found[i]["org_id"] != pub["org_id"]]
        if wrong:
            raise Unprocessable(
                "Only the organisation's articles can be put in its publication.",
                errors=[
                    {"field": "article_id", "message": f"unknown article '{i}'"} for i in wrong
                ],
            )
    if ids == pub["articles"]:
        return articles_of(user_id, pub["id"])
    new: Publication = {
        **pub,
        "articles": ids,
        "featured_article_id": pub["featured_article_id"]
        if pub["featured_article_id"] in ids
        else None,
        "version": pub["version"] + 1,
        "updated_at": stamp(),
        "updated_by": user_id,
    }
    # Back-references first (they may outlive the listing, never the reverse): in the same
    # transaction when they fit, the rest beforehand.
    early, late = added[:-IN_ONE_TRANSACTION], added[-IN_ONE_TRANSACTION:]
    for start in range(0, len(early), IN_ONE_TRANSACTION):
        step = Change()
        articles_db.in_publication(step, early[start : start + IN_ONE_TRANSACTION], pub["id"])
        step.commit()
    before = Change()
    articles_db.in_publication(before, late, pub["id"])
    _saved(pub, new, if_match, generations=generations, before=before)
    for start in range(0, len(removed), IN_ONE_TRANSACTION):
        after = Change()
        articles_db.out_of_publication(
            after, removed[start : start + IN_ONE_TRANSACTION], pub["id"]
        )
        after.commit()
    return articles_of(user_id, pub["id"])
