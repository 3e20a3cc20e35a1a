"""Connections, their credentials (in CredentialsTable) and push states."""

from typing import Any

from botocore.exceptions import ClientError

from hail.errors import NotFound
from hail.records import Publication
from hail.settings import get_settings
from hail.storage import publications
from hail.storage.base import (
    SERIALIZER,
    call,
    dump,
    failed_condition,
    key,
    load,
    query_prefix,
    table,
    unkeyed,
)

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


def get_connection(org_id: str, connection_id: str) -> dict | None:
    resp = call("get_item", TableName=table(), Key=_conn_key(org_id, connection_id))
    return unkeyed(load(resp.get("Item")))


def list_connections(org_id: str) -> list[dict]:
    return query_prefix(f"ORG#{org_id}", "CONN#")


def put_connection(connection: dict, *, only_new: bool = False) -> bool:
    """Write a connection (all of it); with only_new, False if it already exists."""
    keys = _conn_key(connection["org_id"], connection["id"])
    condition = {"ConditionExpression": "attribute_not_exists(pk)"} if only_new else {}
    try:
        call("put_item", TableName=table(), Item={**dump(connection), **keys}, **condition)
    except ClientError as exc:
        if failed_condition(exc):
            return False
        raise
    return True


def update_connection(org_id: str, connection_id: str, changes: dict) -> dict:
    """Change some fields of an existing connection; the connection as it is now."""
    names = {f"#a{i}": k for i, k in enumerate(changes)}
    values = {f":v{i}": SERIALIZER.serialize(v) for i, v in enumerate(changes.values())}
    sets = ", ".join(f"#a{i} = :v{i}" for i in range(len(changes)))
    try:
        resp = call(
            "update_item",
            TableName=table(),
            Key=_conn_key(org_id, connection_id),
            UpdateExpression=f"SET {sets}",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if failed_condition(exc):
            raise NotFound(f"No connection '{connection_id}' in '{org_id}'.") from exc
        raise
    return unkeyed(load(resp["Attributes"])) or {}


def delete_connection(org_id: str, connection_id: str) -> None:
    try:
        call(
            "delete_item",
            TableName=table(),
            Key=_conn_key(org_id, connection_id),
            ConditionExpression="attribute_exists(pk)",
        )
    except ClientError as exc:
        if failed_condition(exc):
            raise NotFound(f"No connection '{connection_id}' in '{org_id}'.") from exc
        raise


def put_connection_in_exception(org_id: str, connection_id: str, reason: str, now: str) -> None:
    """Flag a connection as needing to be authorised again (if it still exists)."""
    try:
        call(
            "update_item",
            TableName=table(),
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
        if not failed_condition(exc):
            raise


def _credentials_key(org_id: str, connection_id: str) -> dict:
    return {"pk": {"S": f"{org_id}#{connection_id}"}}


def put_credentials(org_id: str, connection_id: str, values: dict[str, str]) -> None:
    item = {**_credentials_key(org_id, connection_id), "values": SERIALIZER.serialize(values)}
    call("put_item", TableName=_credentials_table(), Item=item)


def get_credentials(org_id: str, connection_id: str) -> dict[str, str]:
    resp = call(
        "get_item",
        TableName=_credentials_table(),
        Key=_credentials_key(org_id, connection_id),
        ConsistentRead=True,
    )
    item = load(resp.get("Item")) or {}
    return dict(item.get("values", {}))


def delete_credentials(org_id: str, connection_id: str) -> None:
    call("delete_item", TableName=_credentials_table(), Key=_credentials_key(org_id, connection_id))


def push_states(publication_id: str) -> dict[str, dict]:
    """The publication's push state per connection id."""
    return {item["connection_id"]: item for item in query_prefix(f"PUB#{publication_id}", "PUSH#")}


def get_push(publication_id: str, connection_id: str) -> dict | None:
    resp = call(
        "get_item",
        TableName=table(),
        Key=_push_key(publication_id, connection_id),
        ConsistentRead=True,
    )
    return unkeyed(load(resp.get("Item")))


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
    """Make the pair `pending` under a new push id (no attempts, no error yet), unless a
    push of it is pending already (one pending since before `stale_before` is taken to be
    lost). Of simultaneous calls
    exactly one succeeds; the others raise AlreadyPending. Returns the item as it was
    (None if the pair was never pushed), for undo_push."""
    try:
        resp = call(
            "update_item",
            TableName=table(),
            Key=_push_key(publication_id, connection_id),
            UpdateExpression="SET #status = :pending, #push_id = :push_id, #org = :org, "
            "#conn = :conn, #attempts = :zero, #updated = :now REMOVE #lease, #error",
            ConditionExpression="attribute_not_exists(pk) OR #status <> :pending "
            "OR #updated < :stale",
            ExpressionAttributeNames={
                **_PUSH_NAMES,
                "#org": "org_id",
                "#conn": "connection_id",
                "#attempts": "attempts",
                "#error": "last_error",
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
        if failed_condition(exc):
            raise AlreadyPending(connection_id) from exc
        raise
    return load(resp.get("Attributes")) or None


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
            call("put_item", TableName=table(), Item=dump(previous), **condition)
        else:
            key = _push_key(publication_id, connection_id)
            call("delete_item", TableName=table(), Key=key, **condition)
    except ClientError as exc:
        if failed_condition(exc):
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
) -> tuple[str, dict]:
    """Take a push for posting, recording the attempt and a lease until `lease_until`:
    ("claimed", the state as it was before); ("busy", state) if another delivery of it holds
    an unexpired lease; ("done", state) if it is finished or another push has replaced it
    (nothing to do). A state that still holds an (expired) lease is that of an attempt that
    never finished."""
    try:
        resp = call(
            "update_item",
            TableName=table(),
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
            ReturnValues="ALL_OLD",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if not failed_condition(exc):
            raise
        raw: Any = exc.response.get("Item")
        old = load(raw) or {}
        if old.get("push_id") == push_id and old.get("status") in ACTIVE_PUSH:
            return "busy", old
        return "done", old
    return "claimed", load(resp.get("Attributes")) or {}


def note_push_error(
    publication_id: str,
    connection_id: str,
    push_id: str,
    *,
    error: str,
    now: str,
    lease_until: int,
) -> bool:
    """While holding the lease `lease_until`, mark push `push_id` retrying with `error`
    (why an earlier attempt ended without an outcome). False if the lease is no longer
    this delivery's or the push is finished or replaced."""
    try:
        call(
            "update_item",
            TableName=table(),
            Key=_push_key(publication_id, connection_id),
            UpdateExpression="SET #status = :retrying, #error = :error, #updated = :now",
            ConditionExpression="#push_id = :push_id AND #status IN (:pending, :retrying) "
            "AND #lease = :lease",
            ExpressionAttributeNames={**_PUSH_NAMES, "#error": "last_error"},
            ExpressionAttributeValues={
                ":retrying": {"S": "retrying"},
                ":pending": {"S": "pending"},
                ":error": {"S": error},
                ":now": {"S": now},
                ":push_id": {"S": push_id},
                ":lease": {"N": str(lease_until)},
            },
        )
    except ClientError as exc:
        if failed_condition(exc):
            return False
        raise
    return True


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
        call(
            "update_item",
            TableName=table(),
            Key=_push_key(publication_id, connection_id),
            UpdateExpression=f"SET {', '.join(sets)} REMOVE #lease",
            ConditionExpression="#push_id = :push_id AND #status IN (:pending, :retrying)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if failed_condition(exc):
            return False
        raise
    return True


def get_delivery(
    org_id: str, connection_id: str, publication_id: str
) -> tuple[dict | None, dict[str, str], Publication | None]:
    """What a delivery posts with, in one BatchGetItem round trip over two tables: the
    connection, its credentials, and the publication as it is now (None for what does not
    exist)."""
    data, secrets = table(), _credentials_table()
    connection_key = _conn_key(org_id, connection_id)
    publication_key = _publication_key(publication_id)
    pending: dict[str, Any] = {
        data: {"Keys": [connection_key, publication_key], "ConsistentRead": True},
        secrets: {"Keys": [_credentials_key(org_id, connection_id)], "ConsistentRead": True},
    }
    found: dict[str, list[dict]] = {data: [], secrets: []}
    while pending:
        resp = call("batch_get_item", RequestItems=pending)
        for name, items in resp["Responses"].items():
            found[name] += [load(i) or {} for i in items]
        pending = resp.get("UnprocessedKeys") or {}
    by_sort_key = {item["sk"]: item for item in found[data]}
    connection = unkeyed(by_sort_key.get(connection_key["sk"]["S"]))
    publication = publications.record(by_sort_key.get(publication_key["sk"]["S"]))
    credentials = dict(found[secrets][0].get("values", {})) if found[secrets] else {}
    return connection, credentials, publication


def _publication_key(publication_id: str) -> dict:
    # The one place pushes know how a publication is stored (hail.storage.publications
    # reads and converts it): the worker posts the publication as it is when delivering.
    return key("PUB", publication_id)
