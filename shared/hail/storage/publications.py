"""Publications, the caller's watch of them, and the request context every route reads.

PUB#<id> / PUB            the publication, listed in "PUB#<org>#<status>" with sort keys
                          s_created, s_title, s_date (due date, undated last), s_updated
PUB#<id> / WATCH#<user>   one user's watch: state watching | unwatched (one small item,
                          in no index: watching costs one write unit)
ORG#<org> / ORG           counters c_PUB_<status> (moved by the same transaction)
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from hail.errors import Changed, Conflict, HailError, Unprocessable
from hail.records import Publication
from hail.storage import listing
from hail.storage.base import (
    IdTaken,
    batch_get,
    batch_get_keys,
    call,
    get_item,
    item_key,
    key,
    table,
    update_existing,
)
from hail.storage.writes import Change, Condition, Rows, unchanged

STATUSES = ("published", "unpublished")
_INDEXED = listing.INDEX_ATTRS | {"pk", "sk"}


def partition(org_id: str, status: str) -> str:
    return f"PUB#{org_id}#{status}"


def counter(status: str) -> str:
    return f"c_PUB_{status}"


# ---------------------------------------------------------------- reading ---


@dataclass
class Fetched:
    """What a request needs to decide: the caller's roles, and whichever organisation,
    publication (with the caller's watch of it) and style it names."""

    org: dict | None = None
    roles: dict[str, str] = field(default_factory=dict)
    publication: Publication | None = None
    style: dict | None = None
    watch: str | None = None  # watching | unwatched | None


def fetch(
    *,
    user_id: str,
    org_id: str | None = None,
    publication_id: str | None = None,
    style_id: str | None = None,
) -> Fetched:
    """All of it in one BatchGetItem round trip."""
    keys = [key("USER", user_id)]
    if org_id is not None:
        keys.append(key("ORG", org_id))
    if publication_id is not None:
        keys += [key("PUB", publication_id), item_key(f"PUB#{publication_id}", f"WATCH#{user_id}")]
    if style_id is not None:
        keys.append(key("STYLE", style_id))
    found = {(item["pk"], item["sk"]): item for item in batch_get_keys(keys)}
    user = found.get((f"USER#{user_id}", "USER")) or {}
    watch = found.get((f"PUB#{publication_id}", f"WATCH#{user_id}")) or {}
    return Fetched(
        org=found.get((f"ORG#{org_id}", "ORG")),
        roles=dict(user.get("roles", {})),
        publication=record(found.get((f"PUB#{publication_id}", "PUB"))),
        style=found.get((f"STYLE#{style_id}", "STYLE")),
        watch=watch.get("state"),
    )


def get_styles(style_ids: Iterable[str]) -> dict[str, dict]:
    ids = sorted(set(style_ids))
    if not ids:
        return {}
    return {item["id"]: item for item in batch_get(("STYLE", i) for i in ids)}


def record(item: dict | None) -> Publication | None:
    if item is None:
        return None
    pub = {k: v for k, v in item.items() if k not in _INDEXED}
    pub.setdefault("articles", [])
    pub.setdefault("private_tags", [])
    pub.setdefault("featured_article_id", None)
    return cast(Publication, pub)


def get_many(
    publication_ids: Iterable[str], user_id: str | None = None
) -> tuple[dict[str, Publication], dict[str, str]]:
    """Publications by id (missing ones absent) and, with `user_id`, that user's watch
    state of each (where there is one); one round trip."""
    ids = list(dict.fromkeys(publication_ids))
    keys = [key("PUB", i) for i in ids]
    if user_id is not None:
        keys += [item_key(f"PUB#{i}", f"WATCH#{user_id}") for i in ids]
    pubs: dict[str, Publication] = {}
    watches: dict[str, str] = {}
    for item in batch_get_keys(keys):
        ident = item["pk"].split("#", 1)[1]
        pub = record(item) if item["sk"] == "PUB" else None
        if pub is not None:
            pubs[ident] = pub
        elif isinstance(item.get("state"), str):
            watches[ident] = item["state"]
    return pubs, watches


# ---------------------------------------------------------------- writing ---


def item(pub: Publication) -> dict[str, Any]:
    return {
        **pub,
        "pk": f"PUB#{pub['id']}",
        "sk": "PUB",
        listing.PARTITION: partition(pub["org_id"], pub["status"]),
        **listing.sort_keys(
            pub["id"],
            created=pub["created_at"],
            title=pub["title"],
            date=pub["due_date"] or "",
            updated=pub["updated_at"],
        ),
    }


def rows(pub: Publication) -> Rows:
    """One row per private tag (so a deleted tag can be found and removed)."""
    keys = listing.sort_keys(pub["id"], created=pub["created_at"])
    return {f"TAG#{t}": {listing.PARTITION: f"TAGPUB#{t}", **keys} for t in pub["private_tags"]}


def _styled(pub: Publication) -> Condition:
    return (
        "#styles.#style = :true",
        {"#styles": "styles", "#style": pub["style"]["id"]},
        {":true": True},
    )


def _refused(pub: Publication) -> Callable[[], HailError]:
    """Why the organisation's condition failed: the style (422) or a deletion (409)."""

    def why() -> HailError:
        org = get_item("ORG", pub["org_id"], consistent=True) or {}
        if not org.get("styles", {}).get(pub["style"]["id"]):
            return Unprocessable(f"The style '{pub['style']['id']}' is not available.")
        return Conflict("Something it refers to was deleted at the same time; retry.")

    return why


def save(
    old: Publication | None,
    new: Publication,
    *,
    generations: dict[str, int] | None = None,
    before: Change | None = None,
) -> None:
    """Create (old None) or replace a publication if nobody changed it since `old` was read;
    count it, move the counters when its status changes, re-check a newly chosen style, and
    refuse (409) if something of a kind in `generations` was deleted since the new
    references were checked; all in one transaction (after the actions in `before`)."""
    change = before or Change()
    if old is None:
        change.put(item(new), condition="attribute_not_exists(pk)", failure=IdTaken(new["id"]))
    else:
        change.put(
            item(new),
            condition="#version = :version",
            names={"#version": "version"},
            values={":version": old["version"]},
            failure=Changed("The publication was changed at the same time; retry."),
        )
    change.rows(f"PUB#{new['id']}", rows(old) if old else {}, rows(new))
    deltas: dict[str, int] = {counter(new["status"]): 1}
    if old is not None:
        deltas[counter(old["status"])] = deltas.get(counter(old["status"]), 0) - 1
    requires = unchanged(generations or {})
    if old is None or old["style"]["id"] != new["style"]["id"]:
        requires.append(_styled(new))
    change.org(new["org_id"], deltas, requires=requires, failure=_refused(new))
    change.commit()


def set_watch(publication_id: str, user_id: str, watching: bool) -> None:
    """One small item, in no index: one write unit whatever the publication's size."""
    call(
        "put_item",
        TableName=table(),
        Item={
            "pk": {"S": f"PUB#{publication_id}"},
            "sk": {"S": f"WATCH#{user_id}"},
            "state": {"S": "watching" if watching else "unwatched"},
        },
    )


def set_custom_css(publication_id: str, url: str | None, now: str) -> None:
    """Set or clear the stylesheet a publication's page loads (arranged by an operator); a
    new version, so ETags change."""
    update_existing(
        key("PUB", publication_id),
        f"No publication with id '{publication_id}'.",
        UpdateExpression="SET #css = :css, #v = #v + :one, #u = :now",
        ExpressionAttributeNames={"#css": "custom_css_url", "#v": "version", "#u": "updated_at"},
        ExpressionAttributeValues={
            ":css": {"NULL": True} if url is None else {"S": url},
            ":one": {"N": "1"},
            ":now": {"S": now},
        },
    )


# ----------------------------------------------------------------- listing ---


def listed(
    org_id: str, statuses: Iterable[str], order: str, descending: bool, **bounds: Any
) -> listing.Listing:
    """The listing of an organisation's publications of these statuses in one order."""
    return listing.Listing(
        partitions=tuple(partition(org_id, s) for s in statuses),
        order=order,
        descending=descending,
        undated_last=order == "date",
        **bounds,
    )
