"""Lists: four indexes shared by every kind of item, their sort keys, signed cursors, and
the merge of partitions read side by side.

Every listable row carries a partition `lp` (what it is listed in, for one status: e.g.
"ART#<org>#draft", or "TAGART#<tag>#published" for an article's row under a tag) and up to
four sort keys. The indexes project only keys (and the `flagged`/`untagged` flags that
filters read), so an item's write costs one small entry per index, and a change that
touches no sort key or flag writes no index at all. A list reads entries, then the items.

A list over several statuses reads their partitions at the same time (one round trip) and
merges them in order. A cursor is the last sort key returned (plus the segment, for orders
that read two key ranges), signed, and bound to the list it came from.
"""

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import secrets
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, partial
from itertools import islice
from typing import Any

from hail.errors import BadRequest
from hail.settings import get_settings
from hail.storage.base import call, parallel, table

SEP = "\x01"  # sorts below every printable character, so "a" < "a b" in title order
NO_DATE = "~"  # sorts after every date: undated items (publications' due dates) come last
MAX_TITLE_KEY_BYTES = 400  # the title part of a sort key (DynamoDB allows 1,024 bytes a key)
PARTITION = "lp"
INDEXES = {
    "created": ("list-created", "s_created"),
    "title": ("list-title", "s_title"),
    "date": ("list-date", "s_date"),
    "updated": ("list-updated", "s_updated"),
}
INDEX_ATTRS = frozenset({PARTITION, *(attribute for _, attribute in INDEXES.values())})
FLAGS = ("flagged", "untagged")  # projected into every index, for filters
PAGE_BYTES = 1024 * 1024  # what one Query returns at most


# ---------------------------------------------------------------- sort keys ---


def title_key(title: str) -> str:
    """Case-insensitive title order, cut to a whole number of characters under the byte
    limit (a title of 255 emoji is 1,020 bytes)."""
    folded = " ".join(title.casefold().split())
    encoded = folded.encode()[:MAX_TITLE_KEY_BYTES]
    return encoded.decode(errors="ignore")


def sort_keys(
    ident: str,
    *,
    created: str,
    title: str | None = None,
    date: str | None = None,
    updated: str | None = None,
) -> dict[str, str]:
    """The sort keys of a row: unique (they end with the id), ties broken by creation."""
    keys = {"s_created": f"{created}{SEP}{ident}"}
    if title is not None:
        keys["s_title"] = f"{title_key(title)}{SEP}{created}{SEP}{ident}"
    if date is not None:
        keys["s_date"] = f"{date or NO_DATE}{SEP}{created}{SEP}{ident}"
    if updated is not None:
        keys["s_updated"] = f"{updated}{SEP}{ident}"
    return keys


def date_bound(moment: str, *, upper: bool) -> str:
    """An inclusive sort-key bound for a date-time ("YYYY-MM-DD HH:MM:SS"): every key of
    that second sorts between the lower and the upper bound."""
    return moment + ("\x02" if upper else "")


# ------------------------------------------------------------------- lists ---


@dataclass(frozen=True)
class Listing:
    """What to read: partitions merged in one order, optionally within a key range."""

    partitions: tuple[str, ...]
    order: str  # a key of INDEXES
    descending: bool = True
    low: str | None = None  # inclusive bounds on the sort key
    high: str | None = None
    undated_last: bool = False  # NO_DATE keys after the dated ones, in both directions
    flagged: bool | None = None  # filters on the projected flags
    untagged: bool | None = None
    extra: str = ""  # what else the caller filters on: part of the fingerprint only

    @property
    def index(self) -> tuple[str, str]:
        return INDEXES[self.order]

    def segments(self) -> int:
        return 2 if self.undated_last and self.descending else 1

    def fingerprint(self) -> str:
        text = json.dumps(dataclasses.astuple(self))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Entry:
    pk: str
    sk: str
    sort: str

    @property
    def item_key(self) -> tuple[str, str]:
        """(pk, sk) of the listed item itself: every row of an item lives under its pk."""
        return self.pk, self.pk.split("#", 1)[0]


def _condition(
    listing: Listing, segment: int, after: str | None
) -> tuple[str, dict[str, Any], str | None]:
    """(key condition, its values, a sort key to leave out) for one segment, after `after`.

    Bounds are inclusive; a cursor's own key is read again and left out (one extra entry)."""
    low, high, below = listing.low, listing.high, None
    if listing.undated_last and listing.descending:
        assert low is None and high is None, "undated-last lists take no range"
        if segment == 0:
            below = NO_DATE  # the dated keys
        else:
            low = NO_DATE  # the undated ones
    if after is not None:
        if listing.descending:
            high, below = after, None
        else:
            low = after
    values: dict[str, Any] = {}
    if low is not None and high is not None:
        values = {":lo": {"S": low}, ":hi": {"S": high}}
        condition = "#p = :p AND #s BETWEEN :lo AND :hi"
    elif below is not None:
        values = {":hi": {"S": below}}
        condition = "#p = :p AND #s < :hi"
    elif high is not None:
        values = {":hi": {"S": high}}
        condition = "#p = :p AND #s <= :hi"
    elif low is not None:
        values = {":lo": {"S": low}}
        condition = "#p = :p AND #s >= :lo"
    else:
        condition = "#p = :p"
    return condition, values, after


def _filter(listing: Listing) -> tuple[str | None, dict[str, str], dict[str, Any]]:
    parts, names, values = [], {}, {}
    for flag in FLAGS:
        wanted = getattr(listing, flag)
        if wanted is None:
            continue
        names[f"#{flag}"] = flag
        values[f":{flag}"] = {"BOOL": True}
        parts.append(
            f"#{flag} = :{flag}"
            if wanted
            else f"(attribute_not_exists(#{flag}) OR #{flag} <> :{flag})"
        )
    return (" AND ".join(parts) or None), names, values


def _read(
    listing: Listing, partition: str, segment: int, after: str | None, want: int | None
) -> list[Entry]:
    """Up to `want` entries (all when None) of one partition and segment, in list order."""
    index, attribute = listing.index
    condition, values, drop = _condition(listing, segment, after)
    values[":p"] = {"S": partition}
    where, names, filter_values = _filter(listing)
    kwargs: dict[str, Any] = {
        "TableName": table(),
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ScanIndexForward": not listing.descending,
        "ExpressionAttributeNames": {
            "#p": PARTITION,
            **({"#s": attribute} if "#s" in condition else {}),
            **names,
        },
        "ExpressionAttributeValues": {**values, **filter_values},
    }
    if where:
        kwargs["FilterExpression"] = where
    found: list[Entry] = []
    while True:
        if want is not None:
            kwargs["Limit"] = want - len(found) + (1 if drop is not None else 0)
        resp = call("query", **kwargs)
        for raw in resp["Items"]:
            sort = raw[attribute]["S"]
            if sort == drop:
                continue
            found.append(Entry(raw["pk"]["S"], raw["sk"]["S"], sort))
        start = resp.get("LastEvaluatedKey")
        if not start or (want is not None and len(found) >= want):
            return found[:want] if want is not None else found
        kwargs["ExclusiveStartKey"] = start


def iterate(
    listing: Listing, *, after: tuple[int, str] | None = None, chunk: int = 500
) -> Iterator[tuple[int, Entry]]:
    """(segment, entry) in list order, from after `after` on, read lazily: each partition
    `chunk` entries at a time (the first chunks of all partitions in one round trip)."""
    start_segment, start_key = after if after else (0, None)
    for segment in range(start_segment, listing.segments()):
        last = {p: start_key if segment == start_segment else None for p in listing.partitions}
        buffers: dict[str, deque[Entry]] = {p: deque() for p in listing.partitions}
        open_ = set(listing.partitions)

        while True:
            empty = [p for p in open_ if not buffers[p]]
            reads = [partial(_read, listing, p, segment, last[p], chunk) for p in empty]
            for partition, got in zip(empty, parallel(*reads), strict=True):
                buffers[partition].extend(got)
                if len(got) < chunk:
                    open_.discard(partition)
                if got:
                    last[partition] = got[-1].sort
            heads = [p for p in listing.partitions if buffers[p]]
            if not heads:
                break
            pick = max if listing.descending else min
            chosen = pick(heads, key=lambda p: buffers[p][0].sort)
            yield segment, buffers[chosen].popleft()


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next_cursor: str | None


def page(listing: Listing, *, limit: int, skip: int = 0, cursor: str | None = None) -> Page:
    """`limit` entries after skipping `skip` (or from `cursor`), and the cursor of the next
    page if there is one. Reads at most skip + limit + 1 entries of each partition, all
    partitions in one round trip."""
    after = _decode(listing, cursor) if cursor else None
    want = skip + limit + 1
    rows = list(islice(iterate(listing, after=after, chunk=want), want))
    shown = rows[skip : skip + limit]
    more = len(rows) > skip + limit
    nxt = _encode(listing, *shown[-1]) if more and shown else None
    return Page([entry for _, entry in shown], nxt)


def entries(listing: Listing, *, at_most: int | None = None) -> list[Entry]:
    """Every entry in list order; TooMany if there are more than `at_most`."""
    chunk = 1000 if at_most is None else min(at_most + 1, 1000)
    rows = iterate(listing, chunk=chunk)
    found = [entry for _, entry in (rows if at_most is None else islice(rows, at_most + 1))]
    if at_most is not None and len(found) > at_most:
        raise TooMany(at_most)
    return found


class TooMany(Exception):
    """A list is longer than the caller is prepared to read."""


def count(listing: Listing) -> int:
    """How many entries match, counted by the database (it still reads the entries)."""
    index, attribute = listing.index

    def one(partition: str) -> int:
        if listing.segments() == 1:
            condition, values, _ = _condition(listing, 0, None)
        else:
            condition, values = "#p = :p", {}
        values[":p"] = {"S": partition}
        where, names, filter_values = _filter(listing)
        kwargs: dict[str, Any] = {
            "TableName": table(),
            "IndexName": index,
            "KeyConditionExpression": condition,
            "Select": "COUNT",
            "ExpressionAttributeNames": {"#p": PARTITION, **names}
            | ({"#s": attribute} if "#s" in condition else {}),
            "ExpressionAttributeValues": {**values, **filter_values},
        }
        if where:
            kwargs["FilterExpression"] = where
        total = 0
        while True:
            resp = call("query", **kwargs)
            total += int(resp["Count"])
            if not resp.get("LastEvaluatedKey"):
                return total
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    return sum(parallel(*(partial(one, p) for p in listing.partitions)))


# ----------------------------------------------------------------- cursors ---

BAD_CURSOR = "The 'offset' parameter is not a number or a cursor from a 'next' link."
MAX_CURSOR = 2048


@cache
def _secret() -> bytes:
    """The key cursors are signed with: CURSOR_SECRET, else one made for this process (a
    local run; a deployment always sets it, so every container signs alike)."""
    configured = get_settings().cursor_secret
    return configured.encode() if configured else secrets.token_bytes(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str) -> str:
    return _b64(hmac.new(_secret(), payload.encode(), hashlib.sha256).digest()[:16])


def sign(doc: Any) -> str:
    """A tamper-proof token holding `doc` (JSON): the cursors of every list."""
    payload = _b64(json.dumps(doc, separators=(",", ":")).encode())
    return f"{payload}.{_signature(payload)}"


def unsign(token: str) -> Any:
    """What `sign` put in the token; 400 if it was not made here or was changed."""
    payload, _, signature = token.partition(".")
    if len(token) > MAX_CURSOR or not hmac.compare_digest(signature, _signature(payload)):
        raise BadRequest(BAD_CURSOR)
    try:
        return json.loads(_unb64(payload))
    except (ValueError, binascii.Error):
        raise BadRequest(BAD_CURSOR) from None


def _encode(listing: Listing, segment: int, entry: Entry) -> str:
    return sign({"f": listing.fingerprint(), "g": segment, "k": entry.sort})


def _decode(listing: Listing, cursor: str) -> tuple[int, str]:
    """(segment, last sort key) of a cursor made for this very list; else 400."""
    doc = unsign(cursor)
    valid = (
        isinstance(doc, dict)
        and doc.get("f") == listing.fingerprint()
        and isinstance(doc.get("g"), int)
        and 0 <= doc["g"] < listing.segments()
        and isinstance(doc.get("k"), str)
        and doc["k"] != ""
    )
    if not valid:
        raise BadRequest(BAD_CURSOR)
    return doc["g"], doc["k"]


def cursor_for(listing: Listing, segment: int, entry: Entry) -> str:
    """A cursor positioned after `entry` (for lists that are not read by `page`)."""
    return _encode(listing, segment, entry)


def decode_cursor(listing: Listing, cursor: str) -> tuple[int, str]:
    """(segment, sort key) of a cursor made for this list; 400 otherwise."""
    return _decode(listing, cursor)
