"""Clean-up jobs: what a deletion leaves to do (remove a deleted tag from what it tagged...),
written by the deletion's own transaction, so nothing is forgotten if the work stops
half-way. The request does the work at once when it can; the housekeeping function
finishes what is left.

    JOB#<id> / JOB   kind, ref (what was deleted), org_id, created_at; listed in
                     "JOB#pending" by creation (s_created), so the oldest are found first
"""

from typing import Any

from hail.storage import listing
from hail.storage.base import batch_get_keys, call, item_key, table

PENDING = "JOB#pending"


def job(job_id: str, kind: str, ref: str, org_id: str, now: str) -> dict[str, Any]:
    return {
        "pk": f"JOB#{job_id}",
        "sk": "JOB",
        "id": job_id,
        "kind": kind,
        "ref": ref,
        "org_id": org_id,
        "created_at": now,
        listing.PARTITION: PENDING,
        **listing.sort_keys(job_id, created=now),
    }


def done(job_id: str) -> None:
    call("delete_item", TableName=table(), Key=item_key(f"JOB#{job_id}", "JOB"))


def pending(limit: int = 100) -> list[dict[str, Any]]:
    """The oldest unfinished jobs."""
    found = listing.page(listing.Listing((PENDING,), "created", descending=False), limit=limit)
    items = batch_get_keys(item_key(e.pk, e.sk) for e in found.entries)
    return sorted(items, key=lambda j: j["created_at"])
