"""Tags and private tags.

    TAG#<id> / TAG          the tag: id, org_id, private, name, description, created_at, version
    ORG#<org> / TAG#<id>    the same tag in its organisation's catalogue: one Query reads
                            every tag of an organisation (lists, and naming the tags of
                            whatever a request shows)
    ORG#<org> / ORG         gen_TAG: moved by every deletion, so that a write that refers to
                            tags it checked can be refused if one went in between

An item's rows under a tag are listed in "TAGART#<tag>#<status>" (articles) and
"TAGIMG#<tag>#<status>" (images): see storage/articles.py.
"""

from functools import partial
from typing import Any, cast

from hail.errors import Changed, Conflict, NotFound
from hail.records import Tag
from hail.storage import listing
from hail.storage.base import (
    batch_get_keys,
    call,
    item_key,
    load,
    parallel,
    query_prefix,
    table,
)
from hail.storage.writes import Change

GENERATION = "gen_TAG"


def record(item: dict | None) -> Tag | None:
    if item is None:
        return None
    return cast(Tag, {k: v for k, v in item.items() if k not in ("pk", "sk")})


def catalogue(org_id: str, *, consistent: bool = False) -> dict[str, Tag]:
    """Every tag and private tag of an organisation, by id: one Query (more only past 1 MB,
    about 5,000 tags)."""
    found = query_prefix(f"ORG#{org_id}", "TAG#", consistent=consistent)
    return {t["id"]: cast(Tag, {**t, "org_id": org_id}) for t in found}


def get(tag_id: str) -> Tag | None:
    resp = call("get_item", TableName=table(), Key=item_key(f"TAG#{tag_id}", "TAG"))
    return record(load(resp.get("Item")))


def fetch(tag_id: str, user_id: str) -> tuple[Tag | None, dict[str, str]]:
    """The tag and the caller's roles, in one round trip."""
    found = {
        item["pk"]: item
        for item in batch_get_keys(
            [item_key(f"TAG#{tag_id}", "TAG"), item_key(f"USER#{user_id}", "USER")]
        )
    }
    user = found.get(f"USER#{user_id}") or {}
    return record(found.get(f"TAG#{tag_id}")), dict(user.get("roles", {}))


def partitions(tag: Tag, kind: str, statuses: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"TAG{kind}#{tag['id']}#{s}" for s in statuses)


def counts(tag: Tag, statuses: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """How many rows each kind ("ART", "IMG") has under the tag: counted by the database,
    all partitions at once."""
    work = {
        kind: listing.Listing(partitions(tag, kind, kind_statuses), "created")
        for kind, kind_statuses in statuses.items()
    }
    totals = parallel(*(partial(listing.count, one) for one in work.values()))
    return dict(zip(work, totals, strict=True))


def _copies(tag: Tag) -> tuple[dict[str, Any], dict[str, Any]]:
    canonical = {**tag, "pk": f"TAG#{tag['id']}", "sk": "TAG"}
    entry = {
        "pk": f"ORG#{tag['org_id']}",
        "sk": f"TAG#{tag['id']}",
        "id": tag["id"],
        "private": tag["private"],
        "name": tag["name"],
        "description": tag["description"],
    }
    return canonical, entry


def create(tag: Tag) -> None:
    canonical, entry = _copies(tag)
    change = Change()
    change.put(canonical, condition="attribute_not_exists(pk)", failure=Conflict("Id taken."))
    change.put(entry)
    change.check(
        f"ORG#{tag['org_id']}",
        "ORG",
        "attribute_exists(pk)",
        failure=NotFound(f"No organisation with id '{tag['org_id']}'."),
    )
    change.commit()


def update(old: Tag, new: Tag) -> None:
    canonical, entry = _copies(new)
    change = Change()
    change.put(
        canonical,
        condition="#v = :v",
        names={"#v": "version"},
        values={":v": old["version"]},
        failure=Changed("The tag was changed at the same time; retry."),
    )
    change.put(entry)
    change.commit()


def delete(tag: Tag, job: dict[str, Any]) -> None:
    """Remove the tag and its catalogue entry, move the organisation's tag generation and
    record the clean-up `job` (what still refers to the tag), all at once."""
    change = Change()
    change.delete(
        f"TAG#{tag['id']}",
        "TAG",
        condition="#v = :v",
        names={"#v": "version"},
        values={":v": tag["version"]},
        failure=Changed("The tag was changed at the same time; retry."),
    )
    change.delete(f"ORG#{tag['org_id']}", f"TAG#{tag['id']}")
    change.org(tag["org_id"], {GENERATION: 1})
    change.put(job, condition="attribute_not_exists(pk)")
    change.commit()
