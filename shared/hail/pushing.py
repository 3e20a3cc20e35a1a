"""The push worker: post each queued push to its remote service and record what came of it.

    2xx                                -> posted (and last_successful_post)
    429, 5xx, timeout, network error   -> retrying: the message is hidden for an exponential
                                          backoff (at least the service's Retry-After) and
                                          reported as a batch item failure, so SQS brings it
                                          back; on the last attempt -> failed
    401/403, a revoked token           -> failed, and the connection put in exception
    any other 4xx                      -> failed

Every failure keeps its reason in `last_error`. Each delivery first claims the push by its
id (a conditional write: the pair must still carry this push id, be pending or retrying,
and not be held by another delivery), so a delivery of a finished push, or of one a newer
push has replaced, does nothing. Services that take an idempotency key get the push id.
Records of a batch are posted concurrently: a Powertools BatchProcessor whose records are
processed in the threads of a pool made once per container.

What reaches the dead-letter queue (deliveries that crashed or timed out every time) is
marked failed by `dead_letter_handler`, so no push stays pending.
"""

import math
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json, ValidationError

from hail import queue, services
from hail.connections import PushJob, timestamp
from hail.models import utc_now
from hail.observability import logger, metrics, tracer
from hail.services import Post, Result
from hail.settings import get_settings
from hail.storage import base as db
from hail.storage import connections as connections_db

MAX_DELAY_SECONDS = 6 * 3600  # a Retry-After beyond this is not honoured in full
LEASE_SECONDS = 60  # > one post (HTTP timeout 10 s), < the queue's visibility timeout
CONCURRENCY = 10  # = the event source's BatchSize: a whole batch posts at once
DEAD_LETTER_REASON = (
    "Not delivered: every delivery of this push crashed or timed out, and it was moved "
    "to the dead-letter queue."
)

_executor = ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="push")
_metrics_lock = threading.Lock()


class PushRecord(SqsRecordModel):
    body: Json[PushJob]


class RetryLater(Exception):
    """Report the record as a batch item failure: SQS delivers it again."""


class ConcurrentBatchProcessor(BatchProcessor):
    """A BatchProcessor that processes the records of a batch at the same time, in threads
    (what it collects is appended to lists, which is safe across threads)."""

    def process(self) -> list[tuple]:
        return list(_executor.map(self._process_record, self.records))


def _count(name: str) -> None:
    with _metrics_lock:
        metrics.add_metric(name=name, unit="Count", value=1)


# ------------------------------------------------------------------- ports ---


class PushStore(Protocol):
    def claim(self, job: PushJob, *, attempt: int, now: datetime, lease_seconds: int) -> str:
        """ "claimed", "busy" (another delivery holds it) or "done" (nothing to do)."""

    def connection(self, org_id: str, connection_id: str) -> tuple[dict | None, dict[str, str]]:
        """The connection (None if removed) and its credentials."""

    def finish(
        self, job: PushJob, status: str, *, now: datetime, error: str | None = None
    ) -> bool: ...

    def put_in_exception(
        self, org_id: str, connection_id: str, reason: str, *, now: datetime
    ) -> None: ...


class Redelivery(Protocol):
    def delay(self, receipt_handle: str, seconds: int) -> None: ...


class Poster(Protocol):
    def now(self) -> float: ...

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Any: ...


Deliver = Callable[[str, Post, Mapping[str, str], Mapping[str, str], Any], Result]


class DynamoPushStore:
    """PushStore over DynamoDB (hail.storage)."""

    def claim(self, job: PushJob, *, attempt: int, now: datetime, lease_seconds: int) -> str:
        epoch = int(now.timestamp())
        return connections_db.claim_push(
            job.publication_id,
            job.connection_id,
            job.push_id,
            attempt=attempt,
            now=timestamp(now),
            now_epoch=epoch,
            lease_until=epoch + lease_seconds,
        )

    def connection(self, org_id: str, connection_id: str) -> tuple[dict | None, dict[str, str]]:
        return connections_db.get_connection_and_credentials(org_id, connection_id)

    def finish(self, job: PushJob, status: str, *, now: datetime, error: str | None = None) -> bool:
        return connections_db.finish_push(
            job.publication_id,
            job.connection_id,
            job.push_id,
            status=status,
            now=timestamp(now),
            error=error,
        )

    def put_in_exception(
        self, org_id: str, connection_id: str, reason: str, *, now: datetime
    ) -> None:
        connections_db.put_connection_in_exception(org_id, connection_id, reason, timestamp(now))


class SqsRedelivery:
    """Redelivery through the message's visibility on the push queue (hail.queue)."""

    def delay(self, receipt_handle: str, seconds: int) -> None:
        queue.delay(receipt_handle, seconds)


# ------------------------------------------------------------------ worker ---


@dataclass
class Worker:
    store: PushStore
    redelivery: Redelivery
    http: Poster
    max_attempts: int = 5
    retry_base: float = 30.0
    retry_cap: float = 900.0
    deliver: Deliver = services.deliver
    clock: Callable[[], datetime] = utc_now
    jitter: Callable[[], float] = field(default=random.random)

    def process(self, job: PushJob, *, attempt: int, receipt_handle: str) -> str:
        """Post one push: "posted", "revoked", "rejected", "gave_up" or "skipped"; raises
        RetryLater when the message must come back."""
        log = {"push_id": job.push_id, "connection_id": job.connection_id, "attempt": attempt}
        claim = self.store.claim(
            job, attempt=attempt, now=self.clock(), lease_seconds=LEASE_SECONDS
        )
        if claim == "done":
            logger.info("Push already finished or replaced; nothing to do", extra=log)
            return "skipped"
        if claim == "busy":
            raise RetryLater("Another delivery of this push is posting it.")
        result = self._post(job)
        now = self.clock()
        log["reason"] = result.reason
        if result.kind == "posted":
            self.store.finish(job, "posted", now=now)
            logger.info("Push posted", extra=log)
            return "posted"
        if result.kind == "revoked":
            self.store.put_in_exception(job.org_id, job.connection_id, result.reason, now=now)
            self.store.finish(job, "failed", now=now, error=result.reason)
            logger.warning("Push failed; connection put in exception", extra=log)
            return "revoked"
        if result.kind == "rejected":
            self.store.finish(job, "failed", now=now, error=result.reason)
            logger.warning("Push refused", extra=log)
            return "rejected"
        if attempt >= self.max_attempts:
            reason = f"Gave up after {attempt} attempts. {result.reason}"
            self.store.finish(job, "failed", now=now, error=reason)
            logger.warning("Push failed after the last attempt", extra=log)
            return "gave_up"
        self.store.finish(job, "retrying", now=now, error=result.reason)
        delay = self.backoff(attempt, result.retry_after)
        try:
            self.redelivery.delay(receipt_handle, delay)
        except queue.QueueUnavailable:
            logger.exception("Backoff not set; the queue's visibility timeout applies", extra=log)
        logger.info("Push will be retried", extra={**log, "delay_seconds": delay})
        raise RetryLater(f"Retry in {delay} s: {result.reason}")

    def _post(self, job: PushJob) -> Result:
        connection, credentials = self.store.connection(job.org_id, job.connection_id)
        if connection is None:
            return Result("rejected", "The connection was removed.")
        if connection.get("exception"):
            return Result("rejected", "The connection is in exception.")
        if not connection.get("authorised") or not connection.get("configured"):
            return Result("rejected", "The connection is not authorised and configured.")
        post = Post(job.push_id, job.publication_id, job.title, job.url, job.comment)
        settings = connection.get("settings") or {}
        return self.deliver(connection["service"], post, settings, credentials, self.http)

    def backoff(self, attempt: int, retry_after: float | None) -> int:
        """Seconds until the next attempt: base * 2^(attempt-1), capped, the upper half
        jittered; never less than the service's Retry-After."""
        ceiling = min(self.retry_cap, self.retry_base * 2 ** (attempt - 1))
        delay = ceiling / 2 + self.jitter() * ceiling / 2
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(math.ceil(delay), MAX_DELAY_SECONDS)


@lru_cache(maxsize=1)
def default_worker() -> Worker:
    """The worker over DynamoDB, SQS and real HTTP, made once per container."""
    from hail.services.transport import Http

    settings = get_settings()
    return Worker(
        DynamoPushStore(),
        SqsRedelivery(),
        Http(allow_private=settings.allow_private_webhooks),
        max_attempts=settings.push_max_attempts,
        retry_base=settings.push_retry_base_seconds,
    )


# ---------------------------------------------------------------- handlers ---


def process_batch(event: dict, context: Any, worker: Worker | None = None) -> dict:
    """Post every record of an SQS batch concurrently; the partial batch response."""
    chosen = worker or default_worker()
    processor = ConcurrentBatchProcessor(
        EventType.SQS, model=PushRecord, raise_on_entire_batch_failure=False
    )

    def record_handler(record: PushRecord) -> str:
        job: PushJob = record.body
        attempt = int(record.attributes.ApproximateReceiveCount)
        try:
            outcome = chosen.process(job, attempt=attempt, receipt_handle=record.receiptHandle)
        except RetryLater:
            _count("PushesRetried")
            raise
        _count(f"Pushes_{outcome}")
        return outcome

    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )


def mark_dead_letters(event: dict, context: Any, store: PushStore | None = None) -> dict:
    """Mark every push that reached the dead-letter queue as failed (unless it finished or
    was replaced meanwhile). A message that is not a push job is logged and dropped."""
    chosen = store or DynamoPushStore()
    processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)

    def record_handler(record: Any) -> str:
        try:
            job = PushJob.model_validate_json(record.body)
        except ValidationError:
            logger.error(
                "Dropped a dead letter that is not a push job", extra={"body": record.body}
            )
            return "dropped"
        marked = chosen.finish(job, "failed", now=utc_now(), error=DEAD_LETTER_REASON)
        logger.warning("Dead letter", extra={"push_id": job.push_id, "marked_failed": marked})
        if marked:
            _count("PushesDeadLettered")
        return "failed" if marked else "skipped"

    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )


def _lambda(process: Callable[[dict, Any], dict]) -> Callable[[dict, Any], dict]:
    @logger.inject_lambda_context
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def handler(event: dict, context: Any) -> dict:
        with db.time_budget(context):  # the calls of this thread (the pool's have 7 s each)
            return process(event, context)

    return handler


def worker_handler() -> Callable[[dict, Any], dict]:
    """The push worker's Lambda entry point."""
    return _lambda(process_batch)


def dead_letter_handler() -> Callable[[dict, Any], dict]:
    """The dead-letter queue's Lambda entry point."""
    return _lambda(mark_dead_letters)
