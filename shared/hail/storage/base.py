"""What every storage module shares: the DynamoDB client (made once per container), calls
with their errors mapped and their cost counted per request, and item conversion."""

import contextvars
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar, overload

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from hail.errors import Conflict, NotFound, Unavailable
from hail.settings import get_settings

THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}
T = TypeVar("T")
SERIALIZER = TypeSerializer()
DESERIALIZER = TypeDeserializer()


# ---------------------------------------------------------------- counting ---


@dataclass
class DbStats:
    """What one request cost: sequential round trips (calls made in parallel count once),
    calls, and items read (Query/Scan count what they scanned)."""

    round_trips: int = 0
    calls: int = 0
    items_read: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, round_trips: int, calls: int, items: int) -> None:
        with self._lock:
            self.round_trips += round_trips
            self.calls += calls
            self.items_read += items


_stats: ContextVar[DbStats | None] = ContextVar("hail_db_stats", default=None)
# Inside `parallel`, each branch counts its own sequential round trips here: the branches
# overlap in time, so together they cost as much as the longest.
_branch: ContextVar[list[int] | None] = ContextVar("hail_db_branch", default=None)


def start_stats() -> DbStats:
    stats = DbStats()
    _stats.set(stats)
    return stats


def _add_round_trips(count: int) -> None:
    branch = _branch.get()
    if branch is not None:
        branch[0] += count
        return
    stats = _stats.get()
    if stats is not None:
        stats.add(count, 0, 0)


def _count(parsed: dict, model: Any, **_: Any) -> None:
    stats = _stats.get()
    if stats is None:
        return
    op = model.name
    items = 0
    if op in ("Query", "Scan"):
        items = int(parsed.get("ScannedCount", 0))
    elif op == "GetItem":
        items = 1 if "Item" in parsed else 0
    elif op == "BatchGetItem":
        items = sum(len(v) for v in parsed.get("Responses", {}).values())
    stats.add(0, 1, items)
    _add_round_trips(1)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
PARALLEL_CALLS = 16  # threads of the shared pool (one request at a time in Lambda)


A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


@overload
def parallel(a: Callable[[], A], b: Callable[[], B], /) -> tuple[A, B]: ...
@overload
def parallel(a: Callable[[], A], b: Callable[[], B], c: Callable[[], C], /) -> tuple[A, B, C]: ...
@overload
def parallel(*work: Callable[[], T]) -> tuple[T, ...]: ...
def parallel(*work: Callable[[], Any]) -> tuple[Any, ...]:
    """Run independent reads at the same time: they cost one round trip each only as long
    as the longest of them. The results come back in the order given; the first failure is
    raised. Nested calls (from inside a branch) get threads of their own, so a busy pool
    can never wait on itself."""
    if len(work) <= 1:
        return tuple(w() for w in work)
    counters = [[0] for _ in work]

    def branch(fn: Callable[[], Any], counter: list[int]) -> Any:
        _branch.set(counter)
        return fn()

    runs = [
        partial(contextvars.copy_context().run, branch, fn, counter)
        for fn, counter in zip(work, counters, strict=True)
    ]
    if _branch.get() is None:
        results = [future.result() for future in [_shared_pool().submit(run) for run in runs]]
    else:
        with ThreadPoolExecutor(len(runs), thread_name_prefix="hail-db-nested") as own:
            results = [future.result() for future in [own.submit(run) for run in runs]]
    _add_round_trips(max(counter[0] for counter in counters))
    return tuple(results)


def _shared_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(PARALLEL_CALLS, thread_name_prefix="hail-db")
    return _pool


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


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        number = float(text)
        return int(number) if number.is_integer() else number


def _value(typed: dict) -> Any:
    """One attribute value from DynamoDB's JSON form (a faster TypeDeserializer that gives
    plain ints and floats instead of Decimals)."""
    ((tag, value),) = typed.items()
    if tag == "S":
        return value
    if tag == "N":
        return _number(value)
    if tag == "BOOL":
        return value
    if tag == "NULL":
        return None
    if tag == "M":
        return {k: _value(v) for k, v in value.items()}
    if tag == "L":
        return [_value(v) for v in value]
    if tag == "SS":
        return set(value)
    if tag == "NS":
        return {_number(v) for v in value}
    return DESERIALIZER.deserialize(typed)  # type: ignore[arg-type]  # binary: not used here


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
    return {k: _value(v) for k, v in item.items()}


def dump(values: dict) -> dict:
    # Empty sets cannot be stored: an absent attribute means an empty set.
    return {
        k: SERIALIZER.serialize(v) for k, v in values.items() if not (isinstance(v, set) and not v)
    }


def key(kind: str, ident: str) -> dict:
    return {"pk": {"S": f"{kind}#{ident}"}, "sk": {"S": kind}}


def item_key(pk: str, sk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


BATCH_GET_MAX = 100  # keys per BatchGetItem call
UNPROCESSED_TRIES = 6  # then the database is taken to be too busy


def batch_get_keys(keys: Iterable[dict], *, consistent: bool = False) -> list[dict]:
    """The items of `keys` (raw key dicts; duplicates ignored), in no particular order. Calls of
    100 keys run in parallel; keys DynamoDB leaves unprocessed are asked again with
    exponential backoff and jitter, a few times, then 503."""
    unique = list({(k["pk"]["S"], k["sk"]["S"]): k for k in keys}.values())
    if not unique:
        return []
    chunks = [unique[i : i + BATCH_GET_MAX] for i in range(0, len(unique), BATCH_GET_MAX)]
    results = parallel(
        *(lambda chunk=chunk: _batch_get_chunk(chunk, consistent) for chunk in chunks)
    )
    return [item for found in results for item in found]


def _batch_get_chunk(keys: list[dict], consistent: bool) -> list[dict]:
    name = table()
    pending, items = keys, list[dict]()
    for attempt in range(UNPROCESSED_TRIES):
        if attempt:
            time.sleep(min(1.0, 0.025 * 2**attempt) * random.uniform(0.5, 1.0))  # noqa: S311
        request: dict[str, Any] = {"Keys": pending}
        if consistent:
            request["ConsistentRead"] = True
        resp = call("batch_get_item", RequestItems={name: request})
        items.extend(load(i) or {} for i in resp["Responses"].get(name, []))
        pending = resp.get("UnprocessedKeys", {}).get(name, {}).get("Keys", [])
        if not pending:
            return items
    raise Unavailable("The database is busy; retry shortly.", retry_after=1)


def batch_get(keys: Iterable[tuple[str, str]]) -> list[dict]:
    """The items KIND#<id> / KIND for (kind, id) pairs."""
    return batch_get_keys(key(kind, ident) for kind, ident in keys)


TRANSACT_TRIES = 4


def transact(actions: list[dict]) -> None:
    """TransactWriteItems, tried again (with backoff and jitter) while it is cancelled only
    because another transaction touched the same items at the same moment. Any other
    cancellation (a failed condition) is raised for the caller to read with
    `cancellation()`; a conflict that persists is 409."""
    for attempt in range(TRANSACT_TRIES):
        if attempt:
            time.sleep(0.02 * 2**attempt * random.uniform(0.5, 1.0))  # noqa: S311
        try:
            call("transact_write_items", TransactItems=actions)
            return
        except ClientError as exc:
            reasons = cancellation(exc)
            if exc.response["Error"]["Code"] != "TransactionCanceledException" or any(
                r not in ("None", "TransactionConflict") for r in reasons
            ):
                raise
    raise Conflict("The item was changed at the same time by another request; retry.")


def update_existing(item_key: dict, not_found: str, **kwargs: Any) -> dict:
    """UpdateItem on an item that must exist (else NotFound(not_found)); returns the call's
    response (ask for ReturnValues to get the item)."""
    condition = "attribute_exists(pk)"
    if "ConditionExpression" in kwargs:
        condition = f"{condition} AND ({kwargs.pop('ConditionExpression')})"
    try:
        return call(
            "update_item",
            TableName=table(),
            Key=item_key,
            ConditionExpression=condition,
            **kwargs,
        )
    except ClientError as exc:
        if failed_condition(exc):
            raise NotFound(not_found) from exc
        raise


def cancellation(exc: ClientError) -> list[str]:
    return [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]


class IdTaken(Exception):
    """The generated id is already used: the caller picks another."""


def unkeyed(item: dict | None) -> dict | None:
    return None if item is None else {k: v for k, v in item.items() if k not in ("pk", "sk")}


def failed_condition(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


def get_item(kind: str, ident: str, *, consistent: bool = False) -> dict | None:
    """KIND#<id> / KIND, or None."""
    resp = call("get_item", TableName=table(), Key=key(kind, ident), ConsistentRead=consistent)
    return load(resp.get("Item"))


def query_prefix(pk: str, prefix: str, *, consistent: bool = False) -> list[dict]:
    """Every item under `pk` whose sort key starts with `prefix` (keys left out)."""
    items: list[dict] = []
    start = None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": table(),
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
            "ConsistentRead": consistent,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = call("query", **kwargs)
        items.extend(unkeyed(load(raw)) or {} for raw in resp["Items"])
        start = resp.get("LastEvaluatedKey")
        if not start:
            return items
