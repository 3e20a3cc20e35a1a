"""DynamoDB data access: the only module that knows keys, indexes and boto3.

One table (see docs/data-model.md). Items:

    ORG#<org>    / ORG     organisation: name, styles {id: available}, n_published, n_unpublished
    USER#<user>  / USER    user: roles {org: role}
    STYLE#<id>   / STYLE   style catalogue entry: name, description, preview_url
    PUB#<id>     / PUB     publication, with the index keys org, org_status, by_created,
                           by_title and by_due (six GSIs serve every list order and filter)
    ORG#<org>    / CONN#<id>   connection of the organisation (credentials: CredentialsTable)
    PUB#<id>     / PUSH#<conn> push state of the publication to that connection

Every call is counted (round trips and items read) for the request being served.
"""

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from hail.errors import BadRequest, Conflict, NotFound, Unavailable, Unprocessable
from hail.settings import get_settings

SEP = "\x01"  # sorts below every printable character, so "a" < "a b" in title order
NO_DUE = "~"  # sorts after every date: undated publications come last
THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}
_ser = TypeSerializer()
_de = TypeDeserializer()


# ---------------------------------------------------------------- counting ---


@dataclass
class DbStats:
    round_trips: int = 0
    items_read: int = 0


_stats: ContextVar[DbStats | None] = ContextVar("hail_db_stats", default=None)


def start_stats() -> DbStats:
    stats = DbStats()
    _stats.set(stats)
    return stats


def _count(parsed: dict, model: Any, **_: Any) -> None:
    stats = _stats.get()
    if stats is None:
        return
    stats.round_trips += 1
    op = model.name
    if op in ("Query", "Scan"):
        stats.items_read += int(parsed.get("ScannedCount", 0))
    elif op == "GetItem":
        stats.items_read += 1 if "Item" in parsed else 0
    elif op == "BatchGetItem":
        stats.items_read += sum(len(v) for v in parsed.get("Responses", {}).values())


# Shared by every AWS client of the layer: fail fast, retry a little, keep connections.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    tcp_keepalive=True,
)
_client: Any = None


def client() -> Any:
    """The DynamoDB client, made once per container."""
    global _client
    if _client is None:
        _client = boto3.client("dynamodb", config=CLIENT_CONFIG)
        _client.meta.events.register("after-call.dynamodb", _count)
    return _client


def reset() -> None:
    """Forget the client (tests switch between mocked accounts)."""
    global _client
    _client = None


def _table() -> str:
    return get_settings().table_name


def _call(operation: str, **kwargs: Any) -> Any:
    try:
        return getattr(client(), operation)(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in THROTTLED:
            raise Unavailable("The database is busy; retry shortly.", retry_after=1) from exc
        raise


# ------------------------------------------------------------- conversion ---


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def _load(item: dict | None) -> dict | None:
    if item is None:
        return None
    return {k: _plain(_de.deserialize(v)) for k, v in item.items()}


def _dump(values: dict) -> dict:
    # Empty sets cannot be stored: an absent attribute means an empty set.
    return {k: _ser.serialize(v) for k, v in values.items() if not (isinstance(v, set) and not v)}


def _key(kind: str, ident: str) -> dict:
    return {"pk": {"S": f"{kind}#{ident}"}, "sk": {"S": kind}}


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
    found = {(item["sk"], item["pk"].split("#", 1)[1]): item for item in _batch_get(wanted)}
    user = found.get(("USER", user_id)) or {}
    return Fetched(
        org=found.get(("ORG", org_id)) if org_id is not None else None,
        roles=dict(user.get("roles", {})),
        publication=_publication(found.get(("PUB", publication_id)))
        if publication_id is not None
        else None,
        style=found.get(("STYLE", style_id)) if style_id is not None else None,
    )


def _batch_get(keys: Iterable[tuple[str, str]]) -> list[dict]:
    pending = [_key(kind, ident) for kind, ident in keys]
    items: list[dict] = []
    while pending:
        resp = _call("batch_get_item", RequestItems={_table(): {"Keys": pending[:100]}})
        items.extend(_load(i) or {} for i in resp["Responses"].get(_table(), []))
        unprocessed = resp.get("UnprocessedKeys", {}).get(_table(), {}).get("Keys", [])
        pending = unprocessed + pending[100:]
    return items


def get_styles(style_ids: Iterable[str]) -> dict[str, dict]:
    ids = sorted(set(style_ids))
    if not ids:
        return {}
    return {item["id"]: item for item in _batch_get(("STYLE", i) for i in ids)}


def _publication(item: dict | None) -> dict | None:
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


def _publication_item(pub: dict) -> dict:
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
    return _dump(values)


def _cancellation(exc: ClientError) -> list[str]:
    return [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]


class IdTaken(Exception):
    """The generated id is already used: the caller picks another."""


def create_publication(pub: dict) -> None:
    """Write a new publication and count it, in one transaction. The organisation's style
    must still be available (checked by the same transaction)."""
    status, style_id = pub["status"], pub["style"]["id"]
    try:
        _call(
            "transact_write_items",
            TransactItems=[
                {
                    "Put": {
                        "TableName": _table(),
                        "Item": _publication_item(pub),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": _table(),
                        "Key": _key("ORG", pub["org_id"]),
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
        reasons = _cancellation(exc)
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
    item = _publication_item(new)
    fields = {k: v for k, v in item.items() if k not in ("pk", "sk", "watchers", "unwatchers")}
    names = {f"#a{i}": k for i, k in enumerate(fields)}
    values = {f":v{i}": v for i, v in enumerate(fields.values())}
    values[":old_version"] = {"N": str(old["version"])}
    names["#version"] = "version"
    sets = ", ".join(f"#a{i} = :v{i}" for i in range(len(fields)))
    actions: list[dict] = [
        {
            "Update": {
                "TableName": _table(),
                "Key": _key("PUB", new["id"]),
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
        "TableName": _table(),
        "Key": _key("ORG", new["org_id"]),
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
        _call("transact_write_items", TransactItems=actions)
    except ClientError as exc:
        reasons = _cancellation(exc)
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise Unprocessable(f"The style '{new['style']['id']}' is not available.") from exc
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            raise Conflict("The publication was changed at the same time; retry.") from exc
        raise


def set_watch(publication_id: str, user_id: str, watching: bool) -> None:
    add, remove = ("watchers", "unwatchers") if watching else ("unwatchers", "watchers")
    try:
        _call(
            "update_item",
            TableName=_table(),
            Key=_key("PUB", publication_id),
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
            "TableName": _table(),
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
        resp = _call("query", **kwargs)
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
    return [p for p in (_publication(_load(r["raw"])) for r in page) if p], nxt


def count_publications(q: ListQuery) -> int:
    """Count matches by reading them: only for searches (plain counts are counters)."""
    _, pattr, pvalue, _ = q.index
    total, start = 0, None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": _table(),
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
        resp = _call("query", **kwargs)
        total += resp["Count"]
        start = resp.get("LastEvaluatedKey")
        if not start:
            return total


# ------------------------------------------------------------ administration ---


def put_organisation(org_id: str, name: str) -> None:
    """Create an organisation, or rename it; styles and counters are kept."""
    _call(
        "update_item",
        TableName=_table(),
        Key=_key("ORG", org_id),
        UpdateExpression="SET #id = :id, #name = :name, #styles = if_not_exists(#styles, :none), "
        "#np = if_not_exists(#np, :zero), #nu = if_not_exists(#nu, :zero)",
        ExpressionAttributeNames={
            "#id": "id",
            "#name": "name",
            "#styles": "styles",
            "#np": "n_published",
            "#nu": "n_unpublished",
        },
        ExpressionAttributeValues={
            ":id": {"S": org_id},
            ":name": {"S": name},
            ":none": {"M": {}},
            ":zero": {"N": "0"},
        },
    )


def get_organisation(org_id: str) -> dict | None:
    return _load(_call("get_item", TableName=_table(), Key=_key("ORG", org_id)).get("Item"))


def set_member(org_id: str, user_id: str, role: str | None) -> None:
    """Give a user a role in an organisation, or (role None) remove them from it."""
    if role is None:
        try:
            _call(
                "update_item",
                TableName=_table(),
                Key=_key("USER", user_id),
                UpdateExpression="REMOVE #roles.#org",
                ConditionExpression="attribute_exists(#roles.#org)",
                ExpressionAttributeNames={"#roles": "roles", "#org": org_id},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound(f"'{user_id}' is not a member of '{org_id}'.") from exc
            raise
        return
    # The roles map must exist before a key can be set in it: create it first if needed.
    _call(
        "update_item",
        TableName=_table(),
        Key=_key("USER", user_id),
        UpdateExpression="SET #id = :id, #roles = if_not_exists(#roles, :none)",
        ExpressionAttributeNames={"#id": "id", "#roles": "roles"},
        ExpressionAttributeValues={":id": {"S": user_id}, ":none": {"M": {}}},
    )
    _call(
        "update_item",
        TableName=_table(),
        Key=_key("USER", user_id),
        UpdateExpression="SET #roles.#org = :role",
        ExpressionAttributeNames={"#roles": "roles", "#org": org_id},
        ExpressionAttributeValues={":role": {"S": role}},
    )


def put_style(style_id: str, name: str, description: str, preview_url: str) -> None:
    _call(
        "put_item",
        TableName=_table(),
        Item=_dump(
            {
                "pk": f"STYLE#{style_id}",
                "sk": "STYLE",
                "id": style_id,
                "name": name,
                "description": description,
                "preview_url": preview_url,
            }
        ),
    )


def set_org_style(org_id: str, style_id: str, available: bool) -> None:
    try:
        _call(
            "update_item",
            TableName=_table(),
            Key=_key("ORG", org_id),
            UpdateExpression="SET #styles.#style = :available",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#styles": "styles", "#style": style_id},
            ExpressionAttributeValues={":available": {"BOOL": available}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise NotFound(f"No organisation with id '{org_id}'.") from exc
        raise


def set_custom_css(publication_id: str, url: str | None) -> None:
    """Set or clear the stylesheet a publication's page loads (arranged by an operator)."""
    try:
        _call(
            "update_item",
            TableName=_table(),
            Key=_key("PUB", publication_id),
            UpdateExpression="SET #css = :css",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#css": "custom_css_url"},
            ExpressionAttributeValues={":css": _ser.serialize(url)},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise NotFound(f"No publication with id '{publication_id}'.") from exc
        raise


# ------------------------------------------------------ previews and pages ---
#
#     PREVIEW#<sha256 of token>  / PREVIEW  publication_id, expires (epoch s), used, ttl
#     SESSION#<sha256 of id>     / SESSION  publication_id, expires (epoch s), ttl
#
# Only hashes of tokens and session ids are stored. `ttl` lets DynamoDB delete old items;
# expiry itself is always checked by the reads and writes below, never left to TTL.


def put_preview(token_hash: str, publication_id: str, expires: int) -> None:
    _call(
        "put_item",
        TableName=_table(),
        Item=_dump(
            {
                "pk": f"PREVIEW#{token_hash}",
                "sk": "PREVIEW",
                "publication_id": publication_id,
                "expires": expires,
                "used": False,
                "ttl": expires,
            }
        ),
        ConditionExpression="attribute_not_exists(pk)",
    )


def spend_preview(
    token_hash: str, publication_id: str, now: int, session_hash: str, session_expires: int
) -> bool:
    """Mark a preview token used and create the session it grants, in one transaction.
    False (and nothing written) if the token is unknown, used, expired or for another
    publication: of two simultaneous visits, exactly one gets the session."""
    try:
        _call(
            "transact_write_items",
            TransactItems=[
                {
                    "Update": {
                        "TableName": _table(),
                        "Key": _key("PREVIEW", token_hash),
                        "UpdateExpression": "SET #used = :true, #used_at = :now",
                        "ConditionExpression": "attribute_exists(pk) AND #used = :false "
                        "AND #expires > :now AND #pub = :pub",
                        "ExpressionAttributeNames": {
                            "#used": "used",
                            "#used_at": "used_at",
                            "#expires": "expires",
                            "#pub": "publication_id",
                        },
                        "ExpressionAttributeValues": {
                            ":true": {"BOOL": True},
                            ":false": {"BOOL": False},
                            ":now": {"N": str(now)},
                            ":pub": {"S": publication_id},
                        },
                    }
                },
                {
                    "Put": {
                        "TableName": _table(),
                        "Item": _dump(
                            {
                                "pk": f"SESSION#{session_hash}",
                                "sk": "SESSION",
                                "publication_id": publication_id,
                                "expires": session_expires,
                                "ttl": session_expires,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ],
        )
    except ClientError as exc:
        # A failed condition, or another visit with the same token written at this moment
        # (TransactionConflict): either way this visit does not get a session.
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            return False
        raise
    return True


def get_page(publication_id: str, session_hashes: Iterable[str]) -> tuple[dict | None, list[dict]]:
    """A publication and the named preview sessions, in one BatchGetItem round trip."""
    items = _batch_get([("PUB", publication_id), *(("SESSION", h) for h in session_hashes)])
    pub = next((item for item in items if item["sk"] == "PUB"), None)
    return _publication(pub), [item for item in items if item["sk"] == "SESSION"]


# -------------------------------------------------- connections and pushes ---
#
#     ORG#<org> / CONN#<id>    connection: id, org_id, service, name, authorised,
#                              authorised_name, configured, exception, exception_reason,
#                              settings (the service's non-secret settings)
#     PUB#<pub> / PUSH#<conn>  push state of a (publication, connection) pair: status
#                              (pending|posted|failed|retrying), push_id, org_id, attempts,
#                              last_successful_post, last_error, lease_until, updated_at
#
# One Query lists an organisation's connections, one a publication's push states; neither
# kind carries index attributes, so no GSI sees them. Credentials are in CredentialsTable
# (pk "<org>#<connection>", a `values` map), which only the push worker's role may read.

ACTIVE_PUSH = ("pending", "retrying")


class AlreadyPending(Exception):
    """A push of this (publication, connection) pair is already pending."""


def _credentials_table() -> str:
    name = get_settings().credentials_table_name
    if not name:
        raise RuntimeError("CREDENTIALS_TABLE_NAME is not set.")
    return name


def _conn_key(org_id: str, connection_id: str) -> dict:
    return {"pk": {"S": f"ORG#{org_id}"}, "sk": {"S": f"CONN#{connection_id}"}}


def _push_key(publication_id: str, connection_id: str) -> dict:
    return {"pk": {"S": f"PUB#{publication_id}"}, "sk": {"S": f"PUSH#{connection_id}"}}


def _unkeyed(item: dict | None) -> dict | None:
    return None if item is None else {k: v for k, v in item.items() if k not in ("pk", "sk")}


def _failed_condition(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _query_prefix(pk: str, prefix: str) -> list[dict]:
    items: list[dict] = []
    start = None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": _table(),
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = _call("query", **kwargs)
        items.extend(_unkeyed(_load(raw)) or {} for raw in resp["Items"])
        start = resp.get("LastEvaluatedKey")
        if not start:
            return items


def get_connection(org_id: str, connection_id: str) -> dict | None:
    resp = _call("get_item", TableName=_table(), Key=_conn_key(org_id, connection_id))
    return _unkeyed(_load(resp.get("Item")))


def list_connections(org_id: str) -> list[dict]:
    return _query_prefix(f"ORG#{org_id}", "CONN#")


def put_connection(connection: dict, *, only_new: bool = False) -> bool:
    """Write a connection (all of it); with only_new, False if it already exists."""
    keys = _conn_key(connection["org_id"], connection["id"])
    condition = {"ConditionExpression": "attribute_not_exists(pk)"} if only_new else {}
    try:
        _call("put_item", TableName=_table(), Item={**_dump(connection), **keys}, **condition)
    except ClientError as exc:
        if _failed_condition(exc):
            return False
        raise
    return True


def update_connection(org_id: str, connection_id: str, changes: dict) -> dict:
    """Change some fields of an existing connection; the connection as it is now."""
    names = {f"#a{i}": k for i, k in enumerate(changes)}
    values = {f":v{i}": _ser.serialize(v) for i, v in enumerate(changes.values())}
    sets = ", ".join(f"#a{i} = :v{i}" for i in range(len(changes)))
    try:
        resp = _call(
            "update_item",
            TableName=_table(),
            Key=_conn_key(org_id, connection_id),
            UpdateExpression=f"SET {sets}",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if _failed_condition(exc):
            raise NotFound(f"No connection '{connection_id}' in '{org_id}'.") from exc
        raise
    return _unkeyed(_load(resp["Attributes"])) or {}


def delete_connection(org_id: str, connection_id: str) -> None:
    try:
        _call(
            "delete_item",
            TableName=_table(),
            Key=_conn_key(org_id, connection_id),
            ConditionExpression="attribute_exists(pk)",
        )
    except ClientError as exc:
        if _failed_condition(exc):
            raise NotFound(f"No connection '{connection_id}' in '{org_id}'.") from exc
        raise


def put_connection_in_exception(org_id: str, connection_id: str, reason: str, now: str) -> None:
    """Flag a connection as needing to be authorised again (if it still exists)."""
    try:
        _call(
            "update_item",
            TableName=_table(),
            Key=_conn_key(org_id, connection_id),
            UpdateExpression="SET #exception = :true, #reason = :reason, #at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={
                "#exception": "exception",
                "#reason": "exception_reason",
                "#at": "exception_at",
            },
            ExpressionAttributeValues={
                ":true": {"BOOL": True},
                ":reason": {"S": reason},
                ":now": {"S": now},
            },
        )
    except ClientError as exc:
        if not _failed_condition(exc):
            raise


def _credentials_key(org_id: str, connection_id: str) -> dict:
    return {"pk": {"S": f"{org_id}#{connection_id}"}}


def put_credentials(org_id: str, connection_id: str, values: dict[str, str]) -> None:
    item = {**_credentials_key(org_id, connection_id), "values": _ser.serialize(values)}
    _call("put_item", TableName=_credentials_table(), Item=item)


def get_credentials(org_id: str, connection_id: str) -> dict[str, str]:
    resp = _call(
        "get_item",
        TableName=_credentials_table(),
        Key=_credentials_key(org_id, connection_id),
        ConsistentRead=True,
    )
    item = _load(resp.get("Item")) or {}
    return dict(item.get("values", {}))


def delete_credentials(org_id: str, connection_id: str) -> None:
    _call(
        "delete_item", TableName=_credentials_table(), Key=_credentials_key(org_id, connection_id)
    )


def push_states(publication_id: str) -> dict[str, dict]:
    """The publication's push state per connection id."""
    return {item["connection_id"]: item for item in _query_prefix(f"PUB#{publication_id}", "PUSH#")}


def get_push(publication_id: str, connection_id: str) -> dict | None:
    resp = _call(
        "get_item",
        TableName=_table(),
        Key=_push_key(publication_id, connection_id),
        ConsistentRead=True,
    )
    return _unkeyed(_load(resp.get("Item")))


_PUSH_NAMES = {
    "#status": "status",
    "#push_id": "push_id",
    "#updated": "updated_at",
    "#lease": "lease_until",
}


def start_push(
    publication_id: str,
    connection_id: str,
    *,
    push_id: str,
    org_id: str,
    now: str,
    stale_before: str,
) -> dict | None:
    """Make the pair `pending` under a new push id, unless a push of it is pending already
    (one pending since before `stale_before` is taken to be lost). Of simultaneous calls
    exactly one succeeds; the others raise AlreadyPending. Returns the item as it was
    (None if the pair was never pushed), for undo_push."""
    try:
        resp = _call(
            "update_item",
            TableName=_table(),
            Key=_push_key(publication_id, connection_id),
            UpdateExpression="SET #status = :pending, #push_id = :push_id, #org = :org, "
            "#conn = :conn, #attempts = :zero, #updated = :now REMOVE #lease",
            ConditionExpression="attribute_not_exists(pk) OR #status <> :pending "
            "OR #updated < :stale",
            ExpressionAttributeNames={
                **_PUSH_NAMES,
                "#org": "org_id",
                "#conn": "connection_id",
                "#attempts": "attempts",
            },
            ExpressionAttributeValues={
                ":pending": {"S": "pending"},
                ":push_id": {"S": push_id},
                ":org": {"S": org_id},
                ":conn": {"S": connection_id},
                ":zero": {"N": "0"},
                ":now": {"S": now},
                ":stale": {"S": stale_before},
            },
            ReturnValues="ALL_OLD",
        )
    except ClientError as exc:
        if _failed_condition(exc):
            raise AlreadyPending(connection_id) from exc
        raise
    return _load(resp.get("Attributes")) or None


def undo_push(publication_id: str, connection_id: str, push_id: str, previous: dict | None) -> bool:
    """Put the pair back as it was before start_push (`previous`), unless another push has
    taken it since. False if it had."""
    condition = {
        "ConditionExpression": "#push_id = :push_id",
        "ExpressionAttributeNames": {"#push_id": "push_id"},
        "ExpressionAttributeValues": {":push_id": {"S": push_id}},
    }
    try:
        if previous:
            _call("put_item", TableName=_table(), Item=_dump(previous), **condition)
        else:
            key = _push_key(publication_id, connection_id)
            _call("delete_item", TableName=_table(), Key=key, **condition)
    except ClientError as exc:
        if _failed_condition(exc):
            return False
        raise
    return True


def claim_push(
    publication_id: str,
    connection_id: str,
    push_id: str,
    *,
    attempt: int,
    now: str,
    now_epoch: int,
    lease_until: int,
) -> str:
    """Take a push for posting: "claimed"; "busy" if another delivery of it holds the lease;
    "done" if it is finished or another push has replaced it (nothing to do)."""
    try:
        _call(
            "update_item",
            TableName=_table(),
            Key=_push_key(publication_id, connection_id),
            UpdateExpression="SET #attempts = :attempt, #lease = :lease, #updated = :now",
            ConditionExpression="#push_id = :push_id AND #status IN (:pending, :retrying) "
            "AND (attribute_not_exists(#lease) OR #lease < :epoch)",
            ExpressionAttributeNames={**_PUSH_NAMES, "#attempts": "attempts"},
            ExpressionAttributeValues={
                ":attempt": {"N": str(attempt)},
                ":lease": {"N": str(lease_until)},
                ":now": {"S": now},
                ":push_id": {"S": push_id},
                ":pending": {"S": "pending"},
                ":retrying": {"S": "retrying"},
                ":epoch": {"N": str(now_epoch)},
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if not _failed_condition(exc):
            raise
        raw: Any = exc.response.get("Item")
        old = _load(raw) or {}
        if old.get("push_id") == push_id and old.get("status") in ACTIVE_PUSH:
            return "busy"
        return "done"
    return "claimed"


def finish_push(
    publication_id: str,
    connection_id: str,
    push_id: str,
    *,
    status: str,
    now: str,
    error: str | None = None,
) -> bool:
    """Record the outcome of push `push_id` (posted, retrying or failed) and release its
    lease. False, and nothing written, if that push is already finished or replaced."""
    sets = ["#status = :status", "#updated = :now"]
    values: dict[str, Any] = {
        ":status": {"S": status},
        ":now": {"S": now},
        ":push_id": {"S": push_id},
        ":pending": {"S": "pending"},
        ":retrying": {"S": "retrying"},
    }
    names = dict(_PUSH_NAMES)
    if status == "posted":
        sets.append("#posted = :now")
        names["#posted"] = "last_successful_post"
    if error is not None:
        sets.append("#error = :error")
        names["#error"] = "last_error"
        values[":error"] = {"S": error}
    try:
        _call(
            "update_item",
            TableName=_table(),
            Key=_push_key(publication_id, connection_id),
            UpdateExpression=f"SET {', '.join(sets)} REMOVE #lease",
            ConditionExpression="#push_id = :push_id AND #status IN (:pending, :retrying)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if _failed_condition(exc):
            return False
        raise
    return True


def get_connection_and_credentials(
    org_id: str, connection_id: str
) -> tuple[dict | None, dict[str, str]]:
    """A connection and its credentials in one BatchGetItem round trip (two tables)."""
    data, secrets = _table(), _credentials_table()
    pending: dict[str, Any] = {
        data: {"Keys": [_conn_key(org_id, connection_id)], "ConsistentRead": True},
        secrets: {"Keys": [_credentials_key(org_id, connection_id)], "ConsistentRead": True},
    }
    found: dict[str, list[dict]] = {data: [], secrets: []}
    while pending:
        resp = _call("batch_get_item", RequestItems=pending)
        for table, items in resp["Responses"].items():
            found[table] += [_load(i) or {} for i in items]
        pending = resp.get("UnprocessedKeys") or {}
    connection = _unkeyed(found[data][0]) if found[data] else None
    credentials = dict(found[secrets][0].get("values", {})) if found[secrets] else {}
    return connection, credentials
