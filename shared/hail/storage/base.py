"""What every storage module shares: the DynamoDB client (made once per container), calls
with their errors mapped and their cost counted per request, and item conversion."""

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from hail.errors import Unavailable
from hail.settings import get_settings

THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}
SERIALIZER = TypeSerializer()
DESERIALIZER = TypeDeserializer()


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


# ------------------------------------------------------------ time budget ---
# Shared by every AWS client of the layer: fail fast, retry once, keep connections. One
# call's worst case is ATTEMPTS x (connect + read) plus the backoff before the retry
# (botocore's standard mode waits at most 1 s before a second attempt): 7 s. A function
# whose time left is shorter makes its calls with one attempt (3 s at worst), and with
# less than that answers 503 instead of being cut off by its timeout.
CONNECT_TIMEOUT = 1
READ_TIMEOUT = 2
ATTEMPTS = 2
RETRY_BACKOFF = 1
WORST_CALL = ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + RETRY_BACKOFF
WORST_SINGLE_ATTEMPT = CONNECT_TIMEOUT + READ_TIMEOUT
RESERVE = 0.5  # kept to render and return the answer after the last call
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": ATTEMPTS},  # (max_attempts: retries)
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
    tcp_keepalive=True,
)
SINGLE_ATTEMPT_CONFIG = CLIENT_CONFIG.merge(
    Config(retries={"mode": "standard", "total_max_attempts": 1})
)
_deadline: ContextVar[float | None] = ContextVar("hail_deadline", default=None)
_clients: dict[str, Any] = {}


@contextmanager
def time_budget(context: Any) -> Iterator[None]:
    """Bound the calls made inside by the Lambda context's remaining time."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    deadline = None if remaining is None else time.monotonic() + remaining() / 1000 - RESERVE
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


def _make(name: str, config: Config) -> Any:
    made = _clients.get(name)
    if made is None:
        made = _clients[name] = boto3.client("dynamodb", config=config)
        made.meta.events.register("after-call.dynamodb", _count)
    return made


def client() -> Any:
    """The DynamoDB client, made once per container."""
    return _make("default", CLIENT_CONFIG)


def client_for_time_left() -> Any:
    """The client whose worst case fits in the time left, or Unavailable (503)."""
    deadline = _deadline.get()
    left = None if deadline is None else deadline - time.monotonic()
    if left is None or left >= WORST_CALL:
        return client()
    if left >= WORST_SINGLE_ATTEMPT:
        return _make("single-attempt", SINGLE_ATTEMPT_CONFIG)
    raise Unavailable("No time is left to reach the database; retry shortly.", retry_after=1)


def reset() -> None:
    """Forget the clients (tests switch between mocked accounts)."""
    _clients.clear()


def table() -> str:
    return get_settings().table_name


def call(operation: str, **kwargs: Any) -> Any:
    """One DynamoDB call: throttling, timeouts and unreachable endpoints are 503."""
    try:
        return getattr(client_for_time_left(), operation)(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in THROTTLED:
            raise Unavailable("The database is busy; retry shortly.", retry_after=1) from exc
        raise
    except (BotocoreConnectionError, HTTPClientError) as exc:
        # ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError, ConnectionClosed...
        raise Unavailable("The database did not answer in time; retry shortly.") from exc


# ------------------------------------------------------------- conversion ---


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, set):
        return {plain(v) for v in value}
    return value


def load(item: dict | None) -> dict | None:
    if item is None:
        return None
    return {k: plain(DESERIALIZER.deserialize(v)) for k, v in item.items()}


def dump(values: dict) -> dict:
    # Empty sets cannot be stored: an absent attribute means an empty set.
    return {
        k: SERIALIZER.serialize(v) for k, v in values.items() if not (isinstance(v, set) and not v)
    }


def key(kind: str, ident: str) -> dict:
    return {"pk": {"S": f"{kind}#{ident}"}, "sk": {"S": kind}}


def batch_get(keys: Iterable[tuple[str, str]]) -> list[dict]:
    pending = [key(kind, ident) for kind, ident in keys]
    items: list[dict] = []
    while pending:
        resp = call("batch_get_item", RequestItems={table(): {"Keys": pending[:100]}})
        items.extend(load(i) or {} for i in resp["Responses"].get(table(), []))
        unprocessed = resp.get("UnprocessedKeys", {}).get(table(), {}).get("Keys", [])
        pending = unprocessed + pending[100:]
    return items


def cancellation(exc: ClientError) -> list[str]:
    return [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]


class IdTaken(Exception):
    """The generated id is already used: the caller picks another."""


def unkeyed(item: dict | None) -> dict | None:
    return None if item is None else {k: v for k, v in item.items() if k not in ("pk", "sk")}


def failed_condition(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


def query_prefix(pk: str, prefix: str) -> list[dict]:
    items: list[dict] = []
    start = None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": table(),
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = call("query", **kwargs)
        items.extend(unkeyed(load(raw)) or {} for raw in resp["Items"])
        start = resp.get("LastEvaluatedKey")
        if not start:
            return items
