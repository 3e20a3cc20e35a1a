"""Articles: the item, the rows that list it, and the organisation's counters.

    ART#<id> / ART          the article, listed in "ART#<org>#<status>" (sort keys s_created,
                            s_title, s_date, s_updated; flags `flagged`, `untagged`)
    ART#<id> / TAG#<tag>    one row per tag or private tag: listed in "TAGART#<tag>#<status>"
    ART#<id> / FLAGGED      while flagged: listed in "FLAGART#<org>#<status>"
    ART#<id> / UNTAGGED     while it has no (public) tag: listed in "UNTAGART#<org>#<status>"
    ART#<id> / INPUB#<pub>  the publication lists it (for removing it from there on delete;
                            may outlive the listing for a moment, never the reverse)
    ORG#<org> / ORG         c_ART_<status>_<flagged 0|1>_<untagged 0|1> counters, gen_ART

Rows carry the sort keys but `s_updated` (an edit rewrites only the article and its
`list-updated` entry); they are derived from the article, so a change compares the rows
before and after and writes only the difference.
"""

from collections.abc import Iterable
from itertools import product
from typing import Any, cast

from hail.errors import Changed, Conflict
from hail.records import Article
from hail.storage import listing
from hail.storage.base import IdTaken, batch_get_keys, item_key, query_prefix
from hail.storage.writes import Change, Rows, unchanged

STATUSES = ("draft", "ready", "published")
GENERATION = "gen_ART"
_STORED_ONLY = listing.INDEX_ATTRS | {"pk", "sk", "untagged"}


def counter(status: str, flagged: bool, untagged: bool) -> str:
    return f"c_ART_{status}_{int(flagged)}_{int(untagged)}"


def counted(
    org: dict[str, Any], statuses: Iterable[str], flagged: bool | None, untagged: bool | None
) -> int:
    """What the organisation's counters say matches."""
    flags = [flagged] if flagged is not None else [False, True]
    untags = [untagged] if untagged is not None else [False, True]
    return sum(int(org.get(counter(s, f, u), 0)) for s, f, u in product(statuses, flags, untags))


def record(item: dict | None) -> Article | None:
    if item is None:
        return None
    return cast(Article, {k: v for k, v in item.items() if k not in _STORED_ONLY})


def _flags(article: Article) -> dict[str, bool]:
    flags = {"flagged": article["flagged"], "untagged": not article["tags"]}
    return {name: True for name, on in flags.items() if on}


def _item(article: Article) -> dict[str, Any]:
    return {
        **article,
        "pk": f"ART#{article['id']}",
        "sk": "ART",
        listing.PARTITION: f"ART#{article['org_id']}#{article['status']}",
        **listing.sort_keys(
            article["id"],
            created=article["created_at"],
            title=article["title"],
            date=article["date"],
            updated=article["updated_at"],
        ),
        **_flags(article),
    }


def rows(article: Article) -> Rows:
    """The rows that list the article, by sort key under ART#<id>."""
    status, org = article["status"], article["org_id"]
    keys = listing.sort_keys(
        article["id"], created=article["created_at"], title=article["title"], date=article["date"]
    )
    flags = _flags(article)
    found: Rows = {}
    for tag_id in [*article["tags"], *article["private_tags"]]:
        found[f"TAG#{tag_id}"] = {listing.PARTITION: f"TAGART#{tag_id}#{status}", **keys, **flags}
    if article["flagged"]:
        found["FLAGGED"] = {listing.PARTITION: f"FLAGART#{org}#{status}", **keys, **flags}
    if not article["tags"]:
        found["UNTAGGED"] = {listing.PARTITION: f"UNTAGART#{org}#{status}", **keys, **flags}
    return found


def _count_key(article: Article) -> str:
    return counter(article["status"], article["flagged"], not article["tags"])


def save(
    old: Article | None,
    new: Article | None,
    *,
    generations: dict[str, int] | None = None,
    before: Change | None = None,
) -> None:
    """Create (old None), change, or delete (new None) an article with its rows and the
    counters, in one transaction (after the actions already in `before`). A write that
    adds references is refused (409) if an item of a kind in `generations` was deleted
    since the references were checked."""
    change = before or Change()
    changed = Changed("The article was changed at the same time; retry.")
    if new is not None:
        if old is None:
            change.put(_item(new), condition="attribute_not_exists(pk)", failure=IdTaken(new["id"]))
        else:
            change.put(
                _item(new),
                condition="#v = :v",
                names={"#v": "version"},
                values={":v": old["version"]},
                failure=changed,
            )
    elif old is not None:
        change.delete(
            f"ART#{old['id']}",
            "ART",
            condition="#v = :v",
            names={"#v": "version"},
            values={":v": old["version"]},
            failure=changed,
        )
    current = new or old
    assert current is not None
    change.rows(f"ART#{current['id']}", rows(old) if old else {}, rows(new) if new else {})
    deltas: dict[str, int] = {}
    if old is not None:
        deltas[_count_key(old)] = deltas.get(_count_key(old), 0) - 1
    if new is not None:
        deltas[_count_key(new)] = deltas.get(_count_key(new), 0) + 1
    else:
        deltas[GENERATION] = 1
    change.org(
        current["org_id"],
        deltas,
        requires=unchanged(generations or {}),
        failure=Conflict("Something it refers to was deleted at the same time; retry."),
    )
    change.commit()


def get_many(article_ids: Iterable[str], *, consistent: bool = False) -> dict[str, Article]:
    keys = [item_key(f"ART#{i}", "ART") for i in dict.fromkeys(article_ids)]
    found = {}
    for item in batch_get_keys(keys, consistent=consistent):
        article = record(item)
        if article is not None:
            found[article["id"]] = article
    return found


def fetch(article_id: str, user_id: str) -> tuple[Article | None, dict[str, str]]:
    """The article and the caller's roles, in one round trip."""
    keys = [item_key(f"ART#{article_id}", "ART"), item_key(f"USER#{user_id}", "USER")]
    found = {item["pk"]: item for item in batch_get_keys(keys)}
    user = found.get(f"USER#{user_id}") or {}
    return record(found.get(f"ART#{article_id}")), dict(user.get("roles", {}))


def publications_of(article_id: str) -> list[str]:
    """The publications that may list the article (its INPUB rows)."""
    return [row["publication_id"] for row in query_prefix(f"ART#{article_id}", "INPUB#")]


def in_publication(change: Change, article_ids: Iterable[str], publication_id: str) -> None:
    """Note that a publication lists these articles (before it does)."""
    for article_id in article_ids:
        change.put(
            {
                "pk": f"ART#{article_id}",
                "sk": f"INPUB#{publication_id}",
                "publication_id": publication_id,
            }
        )


def out_of_publication(change: Change, article_ids: Iterable[str], publication_id: str) -> None:
    """Forget that a publication listed these articles (after it stopped)."""
    for article_id in article_ids:
        change.delete(f"ART#{article_id}", f"INPUB#{publication_id}")


def listed(
    org_id: str, statuses: Iterable[str], order: str, descending: bool = True, **bounds: Any
) -> listing.Listing:
    """The organisation's articles of these statuses: the flagged or untagged rows when only
    those are wanted (they hold few), else the articles' own entries, filtered. `bounds`:
    low, high, flagged, untagged (as listing.Listing takes them)."""
    family = "ART"
    if order != "updated":  # rows carry no s_updated
        if bounds.get("flagged"):
            family, bounds["flagged"] = "FLAGART", None
        elif bounds.get("untagged"):
            family, bounds["untagged"] = "UNTAGART", None
    partitions = tuple(f"{family}#{org_id}#{s}" for s in statuses)
    return listing.Listing(partitions, order, descending, **bounds)


def tagged(
    tag_id: str, statuses: Iterable[str], order: str, descending: bool = True, **bounds: Any
) -> listing.Listing:
    """A tag's articles of these statuses (its rows under the tag)."""
    partitions = tuple(f"TAGART#{tag_id}#{s}" for s in statuses)
    return listing.Listing(partitions, order, descending, **bounds)
