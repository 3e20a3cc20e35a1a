"""Lists, as the SPEC's "Lists" section says, for every kind of item: the parameters, and
how a list is read.

Three ways to read a list, chosen from its parameters:
- an index page: the order's index, within a key range if the range is on the order's own
  field; reads limit + 1 entries per status partition, then the items shown;
- a window: a range on a field the order does not sort by (updated_start/updated_end, or
  start/end under another order): the range's index is read whole (at most MAX_WINDOW
  entries), the items fetched and sorted in memory;
- a scan: `search` reads the items in order until enough match (a search that matches
  nothing reads the organisation's whole list: the only list that does).
"""

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from itertools import islice
from typing import Any, Generic, TypeVar

from hail.errors import BadRequest
from hail.storage import listing as idx
from hail.storage.base import parallel

T = TypeVar("T", bound=Mapping[str, Any])

MAX_LIMIT = 200
MAX_SKIP = 10_000  # a numeric offset reads what it skips; cursors do not
MAX_WINDOW = 10_000  # entries a window may read
MAX_SCAN = 100_000  # items a search may read
MAX_WHOLE = 10_000  # items a list without `limit` may hold (more cannot fit one response)
MAX_SEARCH = 200  # characters
SCAN_CHUNK = 400  # items fetched per step of a scan
_DIGITS = re.compile(r"[0-9]{1,9}")
_ORDER = re.compile(r"([a-z_]+)(?:\|(asc|desc))?")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@dataclass(frozen=True)
class Kind:
    """The list rules of one kind of item."""

    name: str  # "publications", for messages
    statuses: tuple[str, ...]
    orders: dict[str, str]  # the API's order field -> the index (see storage.listing)
    default_order: str
    date_field: str | None = None  # what start/end filter on (None: not accepted)
    updated: bool = False  # updated_start/updated_end accepted
    flags: bool = False  # flagged/untagged accepted


@dataclass(frozen=True)
class Params:
    limit: int | None = None
    skip: int = 0
    cursor: str | None = None
    order: str = "created"  # an index name
    descending: bool = True
    statuses: tuple[str, ...] = ()  # () = all
    search: str | None = None  # case-folded
    flagged: bool | None = None
    untagged: bool | None = None
    start: str | None = None  # the date range (inclusive)
    end: str | None = None
    updated_start: str | None = None
    updated_end: str | None = None


def parse(kind: Kind, given: Mapping[str, str], *, ordered: bool = True) -> Params:
    """The list parameters of a request; 400 naming the first malformed one. Unknown
    parameters are ignored (real clients send some)."""
    params = Params(order=kind.orders[kind.default_order])
    limit, offset = given.get("limit"), given.get("offset")
    if ordered:
        if limit is not None:
            if not _DIGITS.fullmatch(limit) or not 1 <= int(limit) <= MAX_LIMIT:
                raise BadRequest(
                    f"The 'limit' parameter must be a whole number from 1 to {MAX_LIMIT}."
                )
            params = replace(params, limit=int(limit))
        if offset not in (None, ""):
            if limit is None:
                raise BadRequest("The 'offset' parameter can only be used together with 'limit'.")
            if _DIGITS.fullmatch(offset):
                params = replace(params, skip=int(offset))  # checked when it is used
            else:
                params = replace(params, cursor=offset)  # checked when it is used
        order = given.get("order")
        if order is not None:
            match = _ORDER.fullmatch(order)
            if not match or match[1] not in kind.orders:
                fields = ", ".join(kind.orders)
                raise BadRequest(
                    f"The 'order' parameter must be one of {fields}, optionally followed by "
                    "'|asc' or '|desc'."
                )
            # a field alone sorts ascending
            params = replace(params, order=kind.orders[match[1]], descending=match[2] == "desc")
        elif kind.orders[kind.default_order] == params.order:
            params = replace(params, descending=True)
    status = given.get("status")
    if kind.statuses and status is not None and status != "":  # else accepted and ignored
        wanted = tuple(dict.fromkeys(s.strip() for s in status.split(",")))
        if any(s not in kind.statuses for s in wanted):
            raise BadRequest(
                f"The 'status' parameter must be one or more of {', '.join(kind.statuses)}, "
                "separated by commas."
            )
        params = replace(params, statuses=wanted)
    search = given.get("search")
    if search is not None and search.strip():
        folded = " ".join(search.casefold().split())
        if len(folded) > MAX_SEARCH:
            raise BadRequest(f"The 'search' parameter must be at most {MAX_SEARCH} characters.")
        params = replace(params, search=folded)
    if kind.flags:
        params = replace(params, flagged=_flag(given, "flagged"), untagged=_flag(given, "untagged"))
    if kind.date_field:
        start, end = _range(given, "start", "end")
        params = replace(params, start=start, end=end)
    if kind.updated:
        start, end = _range(given, "updated_start", "updated_end")
        params = replace(params, updated_start=start, updated_end=end)
    return params


def _flag(given: Mapping[str, str], name: str) -> bool | None:
    value = given.get(name)
    if value is None or value == "":
        return None
    if value not in ("0", "1"):
        raise BadRequest(f"The '{name}' parameter must be 1 (only those) or 0 (only the others).")
    return value == "1"


def _range(given: Mapping[str, str], first: str, second: str) -> tuple[str | None, str | None]:
    low, high = given.get(first), given.get(second)
    if low is None and high is None:
        return None, None
    if low is None or high is None:
        raise BadRequest(f"The '{first}' and '{second}' parameters go together: give both.")
    for name, value in ((first, low), (second, high)):
        if not _MOMENT.fullmatch(value):
            raise BadRequest(f"The '{name}' parameter must be a date-time as YYYY-MM-DD HH:MM:SS.")
        try:
            datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise BadRequest(f"The '{name}' parameter is not a real date-time.") from None
    return low, high


# ------------------------------------------------------------------ reading ---


@dataclass(frozen=True)
class Source(Generic[T]):
    """How a kind's list reaches its items, for `read`."""

    listing: Callable[..., idx.Listing]  # (statuses, order, descending, **bounds) -> Listing
    load: Callable[[list[idx.Entry]], list[T]]  # the items of entries, in their order
    sort_key: Callable[[T, str], str]  # an item's sort key in an index (as the index has it)
    search_text: Callable[[T], str] | None = None  # case-folded text `search` matches
    keep: Callable[[T], bool] | None = None  # what a window must also keep (say, one tag's)
    updated_field: str = "updated_at"


@dataclass(frozen=True)
class Result(Generic[T]):
    items: list[T]
    next_cursor: str | None


def read(
    kind: Kind,
    source: Source[T],
    params: Params,
    counted: Callable[[], int] | None = None,
) -> Result[T]:
    """The page (or the whole list, without `limit`) the parameters ask for. `counted`, if
    given, says how many items match when only statuses and flags filter: an offset past
    the end is then answered without reading."""
    statuses = params.statuses or kind.statuses
    plain = not (params.search or params.start or params.updated_start)
    if params.skip and counted is not None and plain and params.skip >= counted():
        return Result([], None)
    if params.skip > MAX_SKIP:
        raise BadRequest(
            f"The 'offset' parameter may skip at most {MAX_SKIP} {kind.name} (skipping reads "
            "them); follow the 'next' links to go further."
        )
    windowed = _window_index(params)
    if windowed is not None:
        return _window(kind, source, params, statuses, windowed)
    low, high = _bounds(params.start, params.end) if params.order == "date" else (None, None)
    listing = source.listing(
        statuses, params.order, params.descending, low=low, high=high, **_flags(params)
    )
    if params.search:
        return _scan(source, params, listing)
    if params.limit is None:
        try:
            entries = idx.entries(listing, at_most=MAX_WHOLE)
        except idx.TooMany:
            raise too_long(kind) from None
        return Result(_load_all(source, entries), None)
    found = idx.page(listing, limit=params.limit, skip=params.skip, cursor=params.cursor)
    return Result(source.load(found.entries), found.next_cursor)


def too_long(kind: Kind) -> BadRequest:
    return BadRequest(
        f"The list holds more than {MAX_WHOLE} {kind.name}, too many for one response; page "
        "through it with 'limit' (and the 'next' links)."
    )


def _load_all(source: Source[T], entries: list[idx.Entry]) -> list[T]:
    """Items of many entries, fetched a few hundred at a time side by side."""
    parts = [entries[i : i + SCAN_CHUNK] for i in range(0, len(entries), SCAN_CHUNK)]
    return [item for items in parallel(*(partial(source.load, p) for p in parts)) for item in items]


def count(kind: Kind, source: Source[T], params: Params, counted: Callable[[], int]) -> int:
    """How many items match: `counted` (the organisation's counters) when only statuses and
    flags filter; an index count for one range; a read of the items otherwise."""
    if not params.search and params.updated_start is None and params.start is None:
        return counted()
    statuses = params.statuses or kind.statuses
    if not params.search and (params.start is None) != (params.updated_start is None):
        order, (low, high) = (
            ("date", _bounds(params.start, params.end))
            if params.start is not None
            else ("updated", _bounds(params.updated_start, params.updated_end))
        )
        listing = source.listing(statuses, order, True, low=low, high=high, **_flags(params))
        return idx.count(listing)
    everything = replace(params, limit=None, skip=0, cursor=None)
    return len(read(kind, source, everything).items)


def _flags(params: Params) -> dict[str, bool | None]:
    return {"flagged": params.flagged, "untagged": params.untagged}


def _bounds(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    if start is None or end is None:
        return None, None
    return idx.date_bound(start, upper=False), idx.date_bound(end, upper=True)


def _window_index(params: Params) -> str | None:
    """The index a window reads, if the list needs one."""
    if params.updated_start is not None:
        return "updated"
    if params.start is not None and params.order != "date":
        return "date"
    return None


def _matches(source: Source[T], params: Params, item: T) -> bool:
    if source.keep is not None and not source.keep(item):
        return False
    if params.search and source.search_text and params.search not in source.search_text(item):
        return False
    for field, low, high in (
        ("date", params.start, params.end),
        (source.updated_field, params.updated_start, params.updated_end),
    ):
        if low is not None and high is not None:
            value = str(item.get(field) or "")[:19]
            if not low <= value <= high:
                return False
    return True


def _window(
    kind: Kind, source: Source[T], params: Params, statuses: Sequence[str], index: str
) -> Result[T]:
    start, end = (
        (params.updated_start, params.updated_end)
        if index == "updated"
        else (params.start, params.end)
    )
    low, high = _bounds(start, end)
    window = source.listing(statuses, index, True, low=low, high=high, **_flags(params))
    try:
        entries = idx.entries(window, at_most=MAX_WINDOW)
    except idx.TooMany:
        raise BadRequest(
            f"More than {MAX_WINDOW} {kind.name} are in that date range: narrow it."
        ) from None
    items = [item for item in _load_all(source, entries) if _matches(source, params, item)]
    ordered = source.listing(statuses, params.order, params.descending)
    position = partial(_position, ordered)
    keyed = sorted(
        ((source.sort_key(item, params.order), item) for item in items),
        key=lambda pair: position(pair[0]),
        reverse=params.descending,
    )
    bound = _bound(ordered, params)
    if params.cursor:
        _, after = idx.decode_cursor(bound, params.cursor)
        if params.descending:
            keyed = [pair for pair in keyed if position(pair[0]) < position(after)]
        else:
            keyed = [pair for pair in keyed if position(pair[0]) > position(after)]
    return _paged(params, keyed, bound)


def _position(listing: idx.Listing, sort: str) -> tuple[bool, str]:
    """A sort key as the list orders it (ascending, or reversed when descending): undated
    keys after the dated ones in both directions."""
    undated = listing.undated_last and sort.startswith(idx.NO_DATE)
    return (not undated if listing.descending else undated), sort


def _bound(listing: idx.Listing, params: Params) -> idx.Listing:
    """The listing a cursor of this request is signed for (its filters included)."""
    extra = repr(
        (params.search, params.start, params.end, params.updated_start, params.updated_end)
    )
    return replace(listing, extra=extra)


def _paged(params: Params, keyed: list[tuple[str, T]], bound: idx.Listing) -> Result[T]:
    if params.limit is None:
        return Result([item for _, item in keyed], None)
    shown = keyed[params.skip : params.skip + params.limit]
    more = len(keyed) > params.skip + params.limit
    nxt = None
    if more and shown:
        last = shown[-1][0]
        nxt = idx.cursor_for(bound, 0, idx.Entry("", "", last))
    return Result([item for _, item in shown], nxt)


def _scan(source: Source[T], params: Params, listing: idx.Listing) -> Result[T]:
    """Items in list order, fetched a chunk at a time, until enough match."""
    bound = _bound(listing, params)
    after = idx.decode_cursor(bound, params.cursor) if params.cursor else None
    want = None if params.limit is None else params.skip + params.limit + 1
    rows = idx.iterate(listing, after=after, chunk=1000)
    matched: list[tuple[int, idx.Entry, T]] = []
    read_so_far = 0
    while want is None or len(matched) < want:
        chunk = list(islice(rows, SCAN_CHUNK * 4))
        if not chunk:
            break
        read_so_far += len(chunk)
        if read_so_far > MAX_SCAN:
            raise BadRequest("The search reads too much; narrow it with a status or a date range.")
        parts = [chunk[i : i + SCAN_CHUNK] for i in range(0, len(chunk), SCAN_CHUNK)]
        loaded = parallel(*(partial(source.load, [e for _, e in part]) for part in parts))
        by_id = {item["id"]: item for items in loaded for item in items}
        for segment, entry in chunk:
            item = by_id.get(entry.pk.split("#", 1)[1])
            if item is not None and _matches(source, params, item):
                matched.append((segment, entry, item))
    if params.limit is None:
        return Result([item for _, _, item in matched], None)
    shown = matched[params.skip : params.skip + params.limit]
    more = len(matched) > params.skip + params.limit
    nxt = idx.cursor_for(bound, shown[-1][0], shown[-1][1]) if more and shown else None
    return Result([item for _, _, item in shown], nxt)


def by_order(items: Iterable[T], ids: Sequence[str]) -> list[T]:
    """`items` in the order of `ids` (missing ones left out)."""
    found = {item["id"]: item for item in items}
    return [found[i] for i in ids if i in found]
