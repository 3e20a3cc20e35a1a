"""The push worker: post each queued push to its remote service and record what came of it.

    2xx                                -> posted (and last_successful_post)
    429, 5xx, timeout, network error   -> retrying: the message is hidden for an exponential
                                          backoff (at least the service's Retry-After) and
                                          reported as a batch item failure, so SQS brings it
                                          back; on the last attempt -> failed
    401/403, a revoked token           -> failed, and the connection put in exception
    any other 4xx                      -> failed
    publication no longer published    -> failed, nothing posted

Every failure keeps its reason in `last_error`. A delivery first claims the push by its id
(a conditional write: the pair must still carry this push id, be pending or retrying, and
not be leased by another delivery): the claim records the attempt and takes a lease longer
than the function's timeout. A delivery of a finished push, or of one a newer push has
replaced, does nothing. A claim that finds an expired lease knows the previous attempt
never finished (the worker crashed or timed out): it records that as the reason before
posting again. Then the worker reads the connection, its credentials and the publication
as it is now, and posts the publication's current title and URL. Services that take an
idempotency key get the push id.

A batch's records are posted concurrently: Powertools' AsyncBatchProcessor runs one
coroutine per record, each handing its (blocking) exchange to a thread of a pool sized to
the batch. Every exchange has its own deadline (hail.services.transport).

What reaches the dead-letter queue (deliveries that never recorded an outcome) is marked
failed by `mark_dead_letters`, with the reason, so no push stays pending.
"""

import asyncio
import math
import os
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache, partial
from typing import Any, Literal, Protocol

from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    BatchProcessor,
    EventType,
    async_process_partial_response,
    process_partial_response,
)
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json, ValidationError

from hail import queue, services
from hail.connections import PushJob, timestamp
from hail.models import utc_now
from hail.observability import logger, metrics, tracer
from hail.records import Publication
from hail.services import Post, Result
from hail.settings import get_settings
from hail.storage import base as db
from hail.storage import connections as connections_db

MAX_DELAY_SECONDS = 6 * 3600  # a Retry-After beyond this is not honoured in full
# A claim's lease: longer than the worker's Timeout (30 s, so a live delivery never loses
# it), shorter than the queue's VisibilityTimeout (180 s, so the next delivery finds it
# expired). tests/infrastructure checks both against template.yaml.
LEASE_SECONDS = 60
BATCH_SIZE = 10  # = the event source's BatchSize: a whole batch posts at once
DEAD_LETTER_REASON = (
    "Not delivered: no delivery of this push recorded an outcome (each crashed, timed out or "
    "could not reach the database), and it was moved to the dead-letter queue."
)

_metrics_lock = threading.Lock()  # Metrics is shared by the handlers of a local run


class PushRecord(SqsRecordModel):
    body: Json[PushJob]


class RetryLater(Exception):
    """Report the record as a batch item failure: SQS delivers it again."""


def _count(name: str) -> None:
    with _metrics_lock:
        metrics.add_metric(name=name, unit="Count", value=1)


def unfinished_reason(state: Mapping[str, Any], attempt: int) -> str | None:
    """Why the state a claim replaced shows earlier deliveries that never recorded an
    outcome, if it does: a lease still held (a claim whose delivery stopped before its
    outcome was written) or receives that never got as far as claiming."""
    claimed = int(state.get("attempts") or 0)
    if state.get("lease_until") is not None:
        return (
            f"Attempt {claimed} did not finish: the worker stopped (crashed or timed out) "
            "before recording what came of it."
        )
    if attempt > claimed + 1:
        return (
            f"Delivery {attempt - 1} ended without posting: the worker stopped (crashed "
            "or timed out), could not reach the database, or found another delivery posting."
        )
    return None


def without_secrets(reason: str, credentials: Mapping[str, str]) -> str:
    """A reason as it may be stored, logged and shown to the organisation's members: any
    credential a remote echoed back (in an error body, say) is masked."""
    for value in credentials.values():
        if value and len(value) >= 4:
            reason = reason.replace(value, "[secret]")
    return reason


# ------------------------------------------------------------------- ports ---


@dataclass(frozen=True)
class Claim:
    """The answer to a claim: `kind` "claimed" (post it), "busy" (another delivery holds
    it) or "done" (nothing to do); for a claim, why earlier deliveries left no outcome (if
    they did not) and the lease taken."""

    kind: Literal["claimed", "busy", "done"]
    unfinished: str | None = None
    lease_until: int = 0


@dataclass(frozen=True)
class Delivery:
    """What a delivery needs, read when it delivers (None: no longer exists)."""

    connection: dict | None
    credentials: dict[str, str]
    publication: Publication | None


class PushStore(Protocol):
    def claim(self, job: PushJob, *, attempt: int, now: datetime, lease_seconds: int) -> Claim:
        """Take the push for posting (recording the attempt and a lease)."""

    def note(self, job: PushJob, error: str, *, now: datetime, lease_until: int) -> bool:
        """Mark the claimed push retrying with the reason of an unfinished attempt."""

    def delivery(self, job: PushJob) -> Delivery: ...

    def finish(self, job: PushJob, status: str, *, now: datetime, error: str | None = None) -> bool:
        """Record the outcome; False, and nothing written, if the push is finished or
        replaced."""

    def last_error(self, job: PushJob) -> str | None:
        """The reason recorded for this push, if it is still the pair's current push."""

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
    """PushStore over DynamoDB (hail.storage.connections)."""

    def claim(self, job: PushJob, *, attempt: int, now: datetime, lease_seconds: int) -> Claim:
        epoch = int(now.timestamp())
        lease_until = epoch + lease_seconds
        kind, before = connections_db.claim_push(
            job.publication_id,
            job.connection_id,
            job.push_id,
            attempt=attempt,
            now=timestamp(now),
            now_epoch=epoch,
            lease_until=lease_until,
        )
        if kind != "claimed":
            return Claim("busy" if kind == "busy" else "done")
        return Claim("claimed", unfinished_reason(before, attempt), lease_until)

    def note(self, job: PushJob, error: str, *, now: datetime, lease_until: int) -> bool:
        return connections_db.note_push_error(
            job.publication_id,
            job.connection_id,
            job.push_id,
            error=error,
            now=timestamp(now),
            lease_until=lease_until,
        )

    def delivery(self, job: PushJob) -> Delivery:
        connection, credentials, publication = connections_db.get_delivery(
            job.org_id, job.connection_id, job.publication_id
        )
        return Delivery(connection, credentials, publication)

    def finish(self, job: PushJob, status: str, *, now: datetime, error: str | None = None) -> bool:
        return connections_db.finish_push(
            job.publication_id,
            job.connection_id,
            job.push_id,
            status=status,
            now=timestamp(now),
            error=error,
        )

    def last_error(self, job: PushJob) -> str | None:
        state = connections_db.get_push(job.publication_id, job.connection_id) or {}
        return state.get("last_error") if state.get("push_id") == job.push_id else None

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
    # Where publications are served (PublicBaseUrl); empty: the URL the job was queued with.
    public_base_url: str = ""

    def process(self, job: PushJob, *, attempt: int, receipt_handle: str) -> str:
        """Post one push: "posted", "revoked", "rejected", "gave_up", "skipped" (nothing to
        do) or "superseded" (posted or tried, but the push was replaced meanwhile, so the
        outcome was not recorded); raises RetryLater when the message must come back."""
        log = {"push_id": job.push_id, "connection_id": job.connection_id, "attempt": attempt}
        claim = self.store.claim(
            job, attempt=attempt, now=self.clock(), lease_seconds=LEASE_SECONDS
        )
        if claim.kind == "done":
            logger.info("Push already finished or replaced; nothing to do", extra=log)
            return "skipped"
        if claim.kind == "busy":
            raise RetryLater("Another delivery of this push is posting it.")
        if claim.unfinished is not None:
            logger.warning(claim.unfinished, extra=log)
            noted = self.store.note(
                job, claim.unfinished, now=self.clock(), lease_until=claim.lease_until
            )
            if not noted:  # replaced since the claim: not this delivery's to post
                return "superseded"
        result = self._post(job)
        now = self.clock()
        if result.kind == "revoked":  # about the credentials, whatever became of this push
            self.store.put_in_exception(job.org_id, job.connection_id, result.reason, now=now)
        outcome: str = result.kind
        status = {"posted": "posted", "retry": "retrying"}.get(result.kind, "failed")
        reason = result.reason
        if result.kind == "retry" and attempt >= self.max_attempts:
            outcome, status = "gave_up", "failed"
            reason = f"Gave up after {attempt} attempts. {result.reason}"
        log.update(outcome=outcome, reason=reason)
        if not self.store.finish(
            job, status, now=now, error=None if status == "posted" else reason
        ):
            logger.warning(
                "Outcome not recorded: the push was replaced or finished meanwhile", extra=log
            )
            return "superseded"
        if status == "posted":
            logger.info("Push posted", extra=log)
            return outcome
        if status == "failed":
            logger.warning("Push failed", extra=log)
            return outcome
        delay = self.backoff(attempt, result.retry_after)
        try:
            self.redelivery.delay(receipt_handle, delay)
        except queue.QueueUnavailable:
            logger.exception("Backoff not set; the queue's visibility timeout applies", extra=log)
        logger.info("Push will be retried", extra={**log, "delay_seconds": delay})
        raise RetryLater(f"Retry in {delay} s: {reason}")

    def _post(self, job: PushJob) -> Result:
        found = self.store.delivery(job)
        connection, publication = found.connection, found.publication
        if publication is None:
            return Result("rejected", "The publication no longer exists.")
        if publication.get("status") != "published":
            return Result("rejected", "The publication is no longer published: nothing posted.")
        if connection is None:
            return Result("rejected", "The connection was removed.")
        if connection.get("exception"):
            return Result("rejected", "The connection is in exception.")
        if not connection.get("authorised") or not connection.get("configured"):
            return Result("rejected", "The connection is not authorised and configured.")
        post = Post(
            job.push_id,
            job.publication_id,
            str(publication.get("title") or ""),
            self.url(job),
            job.comment,
        )
        settings = connection.get("settings") or {}
        result = self.deliver(connection["service"], post, settings, found.credentials, self.http)
        return replace(result, reason=without_secrets(result.reason, found.credentials))

    def url(self, job: PushJob) -> str:
        """The publication's URL as the API gives it now."""
        if self.public_base_url:
            return f"{self.public_base_url.rstrip('/')}/p/{job.publication_id}"
        return job.url

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
        Http(
            allow_private=settings.allow_private_webhooks,
            timeout=settings.push_deadline_seconds,
        ),
        max_attempts=settings.push_max_attempts,
        retry_base=settings.push_retry_base_seconds,
        public_base_url=settings.public_base_url,
    )


# ---------------------------------------------------------------- handlers ---


def _records(event: Mapping[str, Any]) -> bool:
    """Whether the event has records (Lambda never sends an empty batch; a test or a
    hand-made event may, and Powertools refuses one)."""
    return bool(event.get("Records"))


def process_batch(event: dict, context: Any, worker: Worker | None = None) -> dict:
    """Post every record of an SQS batch concurrently; the partial batch response."""
    if not _records(event):
        return {"batchItemFailures": []}
    chosen = worker or default_worker()
    processor = AsyncBatchProcessor(
        EventType.SQS, model=PushRecord, raise_on_entire_batch_failure=False
    )
    size = min(len(event["Records"]), BATCH_SIZE)
    with ThreadPoolExecutor(max_workers=size, thread_name_prefix="push") as pool:

        async def record_handler(record: PushRecord) -> str:
            process = partial(
                chosen.process,
                record.body,
                attempt=int(record.attributes.ApproximateReceiveCount),
                receipt_handle=record.receiptHandle,
            )
            try:
                outcome = await asyncio.get_running_loop().run_in_executor(pool, process)
            except RetryLater:
                _count("PushesRetried")
                raise
            _count(f"Pushes_{outcome}")
            return outcome

        return dict(
            _keeping_the_callers_event_loop(
                partial(
                    async_process_partial_response,
                    event=event,
                    record_handler=record_handler,
                    processor=processor,
                    context=context,
                )
            )
        )


def _keeping_the_callers_event_loop(run: Callable[[], Any]) -> Any:
    """In Lambda, Powertools runs the batch's coroutines on the runtime thread's event loop
    (and keeps it for the next invocation). Elsewhere it uses asyncio.run, which leaves the
    calling thread with no event loop; a local run or a test then calls an API handler in
    the same thread, and Mangum asks that thread for its loop. So, outside Lambda, the
    batch runs in a thread of its own."""
    if os.getenv("LAMBDA_TASK_ROOT"):  # set by the Lambda runtime, as Powertools checks
        return run()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push-batch") as own:
        return own.submit(run).result()


def mark_dead_letters(event: dict, context: Any, store: PushStore | None = None) -> dict:
    """Mark every push that reached the dead-letter queue as failed, with the reason
    (unless it finished or was replaced meanwhile). A message that is not a push job is
    logged and dropped."""
    if not _records(event):
        return {"batchItemFailures": []}
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
        earlier = chosen.last_error(job)
        reason = DEAD_LETTER_REASON + (f" Last error: {earlier}" if earlier else "")
        marked = chosen.finish(job, "failed", now=utc_now(), error=reason)
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
