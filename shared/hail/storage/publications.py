"""Publications: items, their index keys, and their lists.

PUB#<id> / PUB   publication, with the index keys org, org_status, by_created,
                 by_title and by_due (six GSIs serve every list order and filter)
"""

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from hail.errors import BadRequest, Conflict, NotFound, Unprocessable
from hail.storage.base import (
    SERIALIZER,
    IdTaken,
    batch_get,
    call,
    cancellation,
    dump,
    key,
    load,
    table,
)

SEP = "\x01"  # sorts below every printable character, so "a" < "a b" in title order
NO_DUE = "~"  # sorts after every date: undated publications come last


# ---------------------------------------------------------------- reading ---


@dataclass
class Fetched:
    org: dict | None = None
    roles: dict[str, str] = field(default_factory=dict)
    publication: dict | None = None
    style: dict | None = None


def fetch(
    *,
    user_id: str,
    org_id: str | None = None,
    publication_id: str | None = None,
    style_id: str | None = None,
) -> Fetched:
    """The caller's roles and whichever of organisation, publication and style are named,
    in one BatchGetItem round trip."""
    wanted = {("USER", user_id)}
    if org_id is not None:
        wanted.add(("ORG", org_id))
    if publication_id is not None:
        wanted.add(("PUB", publication_id))
    if style_id is not None:
        wanted.add(("STYLE", style_id))
    found = {(item["sk"], item["pk"].split("#", 1)[1]): item for item in batch_get(wanted)}
    user = found.get(("USER", user_id)) or {}
    return Fetched(
        org=found.get(("ORG", org_id)) if org_id is not None else None,
        roles=dict(user.get("roles", {})),
        publication=publication(found.get(("PUB", publication_id)))
        if publication_id is not None
        else None,
        style=found.get(("STYLE", style_id)) if style_id is not None else None,
    )


def get_styles(style_ids: Iterable[str]) -> dict[str, dict]:
    ids = sorted(set(style_ids))
    if not ids:
        return {}
    return {item["id"]: item for item in batch_get(("STYLE", i) for i in ids)}


def publication(item: dict | None) -> dict | None:
    if item is None:
        return None
    pub = {k: v for k, v in item.items() if k not in _INDEX_ATTRS}
    pub["org_id"] = item["org"]
    pub.setdefault("watchers", set())
    pub.setdefault("unwatchers", set())
    return pub


# ------------------------------------------------------------ publications ---

_INDEX_ATTRS = {"pk", "sk", "org", "org_status", "by_created", "by_title", "by_due"}
ORDER_ATTRS = {"created_date": "by_created", "title": "by_title", "due_date": "by_due"}


def publication_item(pub: dict) -> dict:
    ident, org, created = pub["id"], pub["org_id"], pub["created_at"]
    tail = f"{SEP}{created}{SEP}{ident}"
    values = {k: v for k, v in pub.items() if k != "org_id"}
    values.update(
        pk=f"PUB#{ident}",
        sk="PUB",
        org=org,
        org_status=f"{org}#{pub['status']}",
        by_created=f"{created}{SEP}{ident}",
        by_title=f"{pub['title'].casefold()[:300]}{tail}",
        by_due=f"{pub['due_date'] or NO_DUE}{tail}",
    )
    return dump(values)


def create_publication(pub: dict) -> None:
    """Write a new publication and count it, in one transaction. The organisation's style
    must still be available (checked by the same transaction)."""
    status, style_id = pub["status"], pub["style"]["id"]
    try:
        call(
            "transact_write_items",
            TransactItems=[
                {
                    "Put": {
                        "TableName": table(),
                        "Item": publication_item(pub),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": table(),
                        "Key": key("ORG", pub["org_id"]),
                        "UpdateExpression": "ADD #n :one",
                        "ConditionExpression": "attribute_exists(pk) AND #styles.#style = :true",
                        "ExpressionAttributeNames": {
                            "#n": f"n_{status}",
                            "#styles": "styles",
                            "#style": style_id,
                        },
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":true": {"BOOL": True}},
                    }
                },
            ],
        )
    except ClientError as exc:
        reasons = cancellation(exc)
        if reasons and reasons[0] == "ConditionalCheckFailed":
            raise IdTaken(pub["id"]) from exc
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise Unprocessable(f"The style '{style_id}' is not available.") from exc
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            raise Conflict("The organisation was changed at the same time; retry.") from exc
        raise


def update_publication(old: dict, new: dict) -> None:
    """Replace a publication's fields if nobody changed it since `old` was read; keep the
    organisation's counters exact and re-check a newly chosen style, in one transaction."""
    item = publication_item(new)
    fields = {k: v for k, v in item.items() if k not in ("pk", "sk", "watchers", "unwatchers")}
    names = {f"#a{i}": k for i, k in enumerate(fields)}
    values = {f":v{i}": v for i, v in enumerate(fields.values())}
    values[":old_version"] = {"N": str(old["version"])}
    names["#version"] = "version"
    sets = ", ".join(f"#a{i} = :v{i}" for i in range(len(fields)))
    actions: list[dict] = [
        {
            "Update": {
                "TableName": table(),
                "Key": key("PUB", new["id"]),
                "UpdateExpression": f"SET {sets}",
                "ConditionExpression": "#version = :old_version",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
    ]
    style_changed = old["style"]["id"] != new["style"]["id"]
    status_changed = old["status"] != new["status"]
    org: dict[str, Any] = {
        "TableName": table(),
        "Key": key("ORG", new["org_id"]),
        "ExpressionAttributeNames": {},
        "ExpressionAttributeValues": {},
    }
    if style_changed:
        org["ConditionExpression"] = "#styles.#style = :true"
        org["ExpressionAttributeNames"].update({"#styles": "styles", "#style": new["style"]["id"]})
        org["ExpressionAttributeValues"][":true"] = {"BOOL": True}
    if status_changed:
        org["UpdateExpression"] = "ADD #old :minus, #new :one"
        org["ExpressionAttributeNames"].update(
            {"#old": f"n_{old['status']}", "#new": f"n_{new['status']}"}
        )
        org["ExpressionAttributeValues"].update({":minus": {"N": "-1"}, ":one": {"N": "1"}})
        actions.append({"Update": org})
    elif style_changed:
        actions.append({"ConditionCheck": org})
    try:
        call("transact_write_items", TransactItems=actions)
    except ClientError as exc:
        reasons = cancellation(exc)
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise Unprocessable(f"The style '{new['style']['id']}' is not available.") from exc
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            raise Conflict("The publication was changed at the same time; retry.") from exc
        raise


def set_watch(publication_id: str, user_id: str, watching: bool) -> None:
    add, remove = ("watchers", "unwatchers") if watching else ("unwatchers", "watchers")
    try:
        call(
            "update_item",
            TableName=table(),
            Key=key("PUB", publication_id),
            UpdateExpression="ADD #add :user DELETE #remove :user",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#add": add, "#remove": remove},
            ExpressionAttributeValues={":user": {"SS": [user_id]}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise NotFound(f"No publication with id '{publication_id}'.") from exc
        raise


# ----------------------------------------------------------------- listing ---


@dataclass(frozen=True)
class ListQuery:
    org_id: str
    order: str = "created_date"  # created_date | title | due_date
    descending: bool = True
    status: str | None = None
    search: str | None = None  # already case-folded

    @property
    def index(self) -> tuple[str, str, str, str]:
        """(index name, partition attribute, partition value, sort attribute)."""
        sort_attr = ORDER_ATTRS[self.order]
        suffix = sort_attr.removeprefix("by_")
        if self.status:
            return f"status-{suffix}", "org_status", f"{self.org_id}#{self.status}", sort_attr
        return f"org-{suffix}", "org", self.org_id, sort_attr

    def segments(self) -> list[tuple[str, dict]]:
        """Key conditions to read in turn. Undated publications sort last in both
        directions, so a descending due-date order reads the dated range, then the rest."""
        if self.order == "due_date" and self.descending:
            return [
                ("#p = :p AND #s < :nodue", {":nodue": {"S": NO_DUE}}),
                ("#p = :p AND begins_with(#s, :nodue)", {":nodue": {"S": NO_DUE}}),
            ]
        return [("#p = :p", {})]


def _pages(q: ListQuery, segment: int, start: dict | None, limit: int) -> Iterator[dict]:
    """Raw items from position (segment, start) on. Without a search DynamoDB is asked for
    no more than `limit` items in all; a search reads on until the caller stops."""
    index, pattr, pvalue, sattr = q.index
    segments = q.segments()
    remaining = limit
    while segment < len(segments) and remaining > 0:
        condition, extra = segments[segment]
        kwargs: dict[str, Any] = {
            "TableName": table(),
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ScanIndexForward": not q.descending,
            "ExpressionAttributeNames": {
                "#p": pattr,
                **({"#s": sattr} if "#s" in condition else {}),
            },
            "ExpressionAttributeValues": {":p": {"S": pvalue}, **extra},
        }
        if q.search:
            kwargs["FilterExpression"] = "contains(#q, :q)"
            kwargs["ExpressionAttributeNames"]["#q"] = "search_text"
            kwargs["ExpressionAttributeValues"][":q"] = {"S": q.search}
        else:
            kwargs["Limit"] = remaining
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = call("query", **kwargs)
        for raw in resp["Items"]:
            remaining -= 1
            yield {"segment": segment, "raw": raw}
        start = resp.get("LastEvaluatedKey")
        if not start:
            segment, start = segment + 1, None


def encode_position(q: ListQuery, segment: int, raw: dict) -> str:
    _, pattr, _, sattr = q.index
    key = {a: raw[a]["S"] for a in ("pk", "sk", pattr, sattr)}
    doc = json.dumps({"g": segment, "k": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(doc.encode()).decode().rstrip("=")


def decode_position(q: ListQuery, cursor: str) -> tuple[int, dict]:
    """The (segment, ExclusiveStartKey) a cursor stands for; it must belong to this query."""
    _, pattr, pvalue, sattr = q.index
    try:
        doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        segment, key = int(doc["g"]), doc["k"]
        valid = (
            isinstance(key, dict)
            and set(key) == {"pk", "sk", pattr, sattr}
            and all(isinstance(v, str) for v in key.values())
            and key[pattr] == pvalue
            and key["sk"] == "PUB"
            and 0 <= segment < len(q.segments())
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise BadRequest("The 'offset' parameter is not a number or a cursor from a 'next' link.")
    return segment, {a: {"S": v} for a, v in key.items()}


def list_publications(
    q: ListQuery, *, limit: int, skip: int = 0, cursor: str | None = None
) -> tuple[list[dict], str | None]:
    """Up to `limit` publications after skipping `skip` (or from `cursor`), and the cursor
    of the next page if there is one. Reads at most skip + limit + 1 items without search."""
    segment, start = decode_position(q, cursor) if cursor else (0, None)
    rows: list[dict] = []
    for row in _pages(q, segment, start, skip + limit + 1):
        rows.append(row)
        if len(rows) > skip + limit:
            break
    page = rows[skip : skip + limit]
    more = len(rows) > skip + limit
    nxt = encode_position(q, page[-1]["segment"], page[-1]["raw"]) if more and page else None
    return [p for p in (publication(load(r["raw"])) for r in page) if p], nxt


def count_publications(q: ListQuery) -> int:
    """Count matches by reading them: only for searches (plain counts are counters)."""
    _, pattr, pvalue, _ = q.index
    total, start = 0, None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": table(),
            "IndexName": q.index[0],
            "KeyConditionExpression": "#p = :p",
            "Select": "COUNT",
            "ExpressionAttributeNames": {"#p": pattr},
            "ExpressionAttributeValues": {":p": {"S": pvalue}},
        }
        if q.search:
            kwargs["FilterExpression"] = "contains(#q, :q)"
            kwargs["ExpressionAttributeNames"]["#q"] = "search_text"
            kwargs["ExpressionAttributeValues"][":q"] = {"S": q.search}
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = call("query", **kwargs)
        total += resp["Count"]
        start = resp.get("LastEvaluatedKey")
        if not start:
            return total


def set_custom_css(publication_id: str, url: str | None) -> None:
    """Set or clear the stylesheet a publication's page loads (arranged by an operator)."""
    try:
        call(
            "update_item",
            TableName=table(),
            Key=key("PUB", publication_id),
            UpdateExpression="SET #css = :css",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#css": "custom_css_url"},
            ExpressionAttributeValues={":css": SERIALIZER.serialize(url)},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise NotFound(f"No publication with id '{publication_id}'.") from exc
        raise
