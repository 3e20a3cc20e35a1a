"""Housekeeping: the clean-up jobs a deletion recorded and did not finish (the request that
deleted stopped half-way, say). A deletion does its clean-up at once and removes its job;
what is left is finished here, on a schedule. Safe to run again: each job is idempotent."""

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hail import tags
from hail.models import utc_now
from hail.observability import logger
from hail.storage import jobs as jobs_db

LEFT_FOR = timedelta(minutes=5)  # a job younger than this may still be running in a request
RUNS: dict[str, Callable[..., int | None]] = {tags.UNTAG: tags.untag}
WORK_SECONDS = 45.0  # of the function's 60: the rest of a job waits for the next run


def run_pending(now: Any = None, *, limit: int = 100) -> dict[str, int]:
    """Finish the jobs left over (as many as fit in WORK_SECONDS); how many were finished
    and how many items they changed."""
    until = time.monotonic() + WORK_SECONDS
    started = now or utc_now()
    cutoff = (started - LEFT_FOR).strftime("%Y-%m-%d %H:%M:%S.%f")
    done = changed = 0
    for job in jobs_db.pending(limit):
        if job["created_at"] > cutoff:
            break  # the oldest first: the rest are younger still
        run = RUNS.get(job["kind"])
        if run is None:
            logger.error("Unknown clean-up job", extra={"job": job["id"], "kind": job["kind"]})
            continue
        count = run(job["ref"], job["org_id"], until=until)
        if count is None:
            break  # out of time: the job stays, the next run goes on with it
        changed += count
        jobs_db.done(job["id"])
        done += 1
        logger.info("Clean-up job finished", extra={"job": job["id"], "kind": job["kind"]})
    return {"jobs": done, "changed": changed}


def handler() -> Callable[[dict, Any], dict[str, int]]:
    """The scheduled function's entry point."""
    from hail.observability import metrics, tracer

    @logger.inject_lambda_context
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def handle(event: dict, context: Any) -> dict[str, int]:
        result = run_pending()
        metrics.add_metric(name="CleanUpJobsFinished", unit="Count", value=result["jobs"])
        return result

    return handle
