"""The push worker's rules, with in-memory stand-ins for DynamoDB, SQS and the services."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hail import queue
from hail.connections import PushJob
from hail.pushing import (
    DEAD_LETTER_REASON,
    RetryLater,
    Worker,
    mark_dead_letters,
    process_batch,
)
from hail.services import Post, Result
from hail_tools.triggers import sqs_event

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
ARN = "arn:aws:sqs:eu-west-1:123456789012:PushQueue"


def _job(push_id: str = "push-1", connection_id: str = "hook") -> PushJob:
    return PushJob(
        push_id=push_id,
        org_id="demo-school",
        publication_id="welcome1",
        connection_id=connection_id,
        title="Welcome back!",
        url="https://hail.test/p/welcome1",
        comment="Hi",
    )


@dataclass
class MemoryStore:
    """PushStore in memory, with the same conditions as the DynamoDB one."""

    states: dict[str, dict[str, Any]] = field(default_factory=dict)  # connection id -> state
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pending(self, job: PushJob, status: str = "pending", **extra: Any) -> None:
        self.states[job.connection_id] = {"push_id": job.push_id, "status": status, **extra}

    def claim(self, job: PushJob, *, attempt: int, now: datetime, lease_seconds: int) -> str:
        with self.lock:
            state = self.states.get(job.connection_id, {})
            active = state.get("push_id") == job.push_id and state.get("status") in (
                "pending",
                "retrying",
            )
            if not active:
                return "done"
            if state.get("lease_until", 0) >= now.timestamp():
                return "busy"
            state.update(attempts=attempt, lease_until=now.timestamp() + lease_seconds)
            return "claimed"

    def connection(
        self, org_id: str, connection_id: str
    ) -> tuple[dict[str, Any] | None, dict[str, str]]:
        return self.connections.get(connection_id), self.secrets.get(connection_id, {})

    def finish(self, job: PushJob, status: str, *, now: datetime, error: str | None = None) -> bool:
        with self.lock:
            state = self.states.get(job.connection_id, {})
            if state.get("push_id") != job.push_id or state.get("status") not in (
                "pending",
                "retrying",
            ):
                return False
            state["status"] = status
            state.pop("lease_until", None)
            if status == "posted":
                state["last_successful_post"] = now.strftime("%Y-%m-%d %H:%M:%S")
            if error is not None:
                state["last_error"] = error
            return True

    def put_in_exception(
        self, org_id: str, connection_id: str, reason: str, *, now: datetime
    ) -> None:
        self.connections[connection_id].update(exception=True, exception_reason=reason)


@dataclass
class MemoryRedelivery:
    delays: list[tuple[str, int]] = field(default_factory=list)
    broken: bool = False

    def delay(self, receipt_handle: str, seconds: int) -> None:
        if self.broken:
            raise queue.QueueUnavailable("no queue")
        self.delays.append((receipt_handle, seconds))


@dataclass
class Scripted:
    """A `deliver` that answers from a list and records what it was asked to post."""

    results: list[Result]
    posted: list[tuple[str, Post, dict[str, str]]] = field(default_factory=list)
    before: Callable[[], None] | None = None

    def __call__(
        self, service: str, post: Post, settings: Any, credentials: Any, http: Any
    ) -> Result:
        if self.before:
            self.before()
        self.posted.append((service, post, dict(credentials)))
        return self.results.pop(0)


def _world(*results: Result) -> tuple[Worker, MemoryStore, MemoryRedelivery, Scripted]:
    store = MemoryStore()
    store.connections["hook"] = {
        "id": "hook",
        "service": "webhook",
        "authorised": True,
        "configured": True,
        "exception": False,
        "settings": {"url": "https://example.org/h"},
    }
    store.secrets["hook"] = {"secret": "s"}
    redelivery = MemoryRedelivery()
    deliver = Scripted(list(results))
    worker = Worker(
        store,
        redelivery,
        http=object(),  # type: ignore[arg-type]
        max_attempts=5,
        retry_base=30,
        retry_cap=900,
        deliver=deliver,
        clock=lambda: NOW,
        jitter=lambda: 1.0,
    )
    return worker, store, redelivery, deliver


# ------------------------------------------------------------------ outcomes


def test_posted() -> None:
    # Given a pending push and a service that accepts it
    worker, store, redelivery, deliver = _world(Result("posted", "ok"))
    store.pending(_job())

    # When the worker processes its first delivery
    outcome = worker.process(_job(), attempt=1, receipt_handle="r1")

    # Then it is posted, with the time, and the service got the publication and credentials
    assert outcome == "posted"
    assert store.states["hook"] == {
        "push_id": "push-1",
        "status": "posted",
        "attempts": 1,
        "last_successful_post": "2026-11-22 10:00:00",
    }
    service, post, credentials = deliver.posted[0]
    assert (service, credentials) == ("webhook", {"secret": "s"})
    assert post == Post("push-1", "welcome1", "Welcome back!", "https://hail.test/p/welcome1", "Hi")
    assert redelivery.delays == []


def test_retry_backs_off_and_reports_the_record() -> None:
    # Given a service that is down
    worker, store, redelivery, _ = _world(Result("retry", "The webhook answered 503"))
    store.pending(_job())

    # When the second delivery fails
    with pytest.raises(RetryLater):
        worker.process(_job(), attempt=2, receipt_handle="r2")

    # Then the push is retrying, keeps the reason, and comes back after 30 * 2 seconds
    assert store.states["hook"]["status"] == "retrying"
    assert store.states["hook"]["last_error"] == "The webhook answered 503"
    assert "lease_until" not in store.states["hook"]
    assert redelivery.delays == [("r2", 60)]


def test_retry_after_is_honoured() -> None:
    worker, store, redelivery, _ = _world(Result("retry", "429", retry_after=300.5))
    store.pending(_job())
    with pytest.raises(RetryLater):
        worker.process(_job(), attempt=1, receipt_handle="r")
    assert redelivery.delays == [("r", 301)]


@pytest.mark.parametrize(
    ("attempt", "jitter", "retry_after", "delay"),
    [
        (1, 1.0, None, 30),
        (2, 1.0, None, 60),
        (3, 1.0, None, 120),
        (4, 1.0, None, 240),
        (10, 1.0, None, 900),  # capped
        (1, 0.0, None, 15),  # the jitter spans the upper half
        (2, 0.5, None, 45),
        (1, 1.0, 5.0, 30),  # a shorter Retry-After does not shorten the backoff
        (1, 1.0, 10**9, 6 * 3600),  # a huge one is bounded
    ],
)
def test_backoff(attempt: int, jitter: float, retry_after: float | None, delay: int) -> None:
    worker, *_ = _world()
    worker.jitter = lambda: jitter
    assert worker.backoff(attempt, retry_after) == delay


def test_last_attempt_fails_for_good() -> None:
    # Given a push on its last allowed delivery, and the service still down
    worker, store, redelivery, _ = _world(Result("retry", "Network error: timed out"))
    store.pending(_job(), status="retrying")

    # When it fails again
    outcome = worker.process(_job(), attempt=5, receipt_handle="r5")

    # Then it is failed (the message is deleted, not retried), with the reason
    assert outcome == "gave_up"
    assert store.states["hook"]["status"] == "failed"
    assert store.states["hook"]["last_error"] == (
        "Gave up after 5 attempts. Network error: timed out"
    )
    assert redelivery.delays == []


def test_revoked_fails_and_puts_the_connection_in_exception() -> None:
    worker, store, _, _ = _world(Result("revoked", "Facebook answered 400: (190) expired"))
    store.pending(_job())

    assert worker.process(_job(), attempt=1, receipt_handle="r") == "revoked"

    assert store.states["hook"]["status"] == "failed"
    assert store.states["hook"]["last_error"] == "Facebook answered 400: (190) expired"
    assert store.connections["hook"]["exception"] is True
    assert store.connections["hook"]["exception_reason"] == "Facebook answered 400: (190) expired"


def test_rejected_fails_and_leaves_the_connection_alone() -> None:
    worker, store, _, _ = _world(Result("rejected", "X answered 403: duplicate"))
    store.pending(_job())

    assert worker.process(_job(), attempt=1, receipt_handle="r") == "rejected"

    assert store.states["hook"]["status"] == "failed"
    assert store.states["hook"]["last_error"] == "X answered 403: duplicate"
    assert store.connections["hook"]["exception"] is False


def test_an_outage_does_not_disconnect() -> None:
    worker, store, _, _ = _world(*[Result("retry", "503")] * 5)
    store.pending(_job())
    for attempt in range(1, 5):
        with pytest.raises(RetryLater):
            worker.process(_job(), attempt=attempt, receipt_handle="r")
    assert worker.process(_job(), attempt=5, receipt_handle="r") == "gave_up"
    assert store.connections["hook"]["exception"] is False


# ------------------------------------------------------------------ idempotency


def test_redelivery_of_a_finished_push_does_nothing() -> None:
    # Given a push that was posted
    worker, store, _, deliver = _world(Result("posted", "ok"))
    store.pending(_job())
    worker.process(_job(), attempt=1, receipt_handle="r")
    before = dict(store.states["hook"])

    # When SQS delivers the same message again
    outcome = worker.process(_job(), attempt=2, receipt_handle="r")

    # Then nothing is posted and nothing changes
    assert outcome == "skipped"
    assert len(deliver.posted) == 1
    assert store.states["hook"] == before


def test_a_replaced_push_does_nothing() -> None:
    # Given a newer push of the pair
    worker, store, _, deliver = _world()
    store.pending(_job("push-2"))

    # When the old job arrives
    assert worker.process(_job("push-1"), attempt=1, receipt_handle="r") == "skipped"

    # Then nothing is posted
    assert deliver.posted == []
    assert store.states["hook"] == {"push_id": "push-2", "status": "pending"}


def test_a_push_another_delivery_is_posting_comes_back_later() -> None:
    # Given a delivery holding the push's lease
    worker, store, redelivery, deliver = _world()
    store.pending(_job(), lease_until=NOW.timestamp() + 30)

    # When a duplicate delivery arrives
    with pytest.raises(RetryLater):
        worker.process(_job(), attempt=1, receipt_handle="dup")

    # Then it posts nothing and changes nothing
    assert deliver.posted == []
    assert store.states["hook"]["status"] == "pending"
    assert redelivery.delays == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"exception": True}, "The connection is in exception."),
        ({"authorised": False}, "The connection is not authorised and configured."),
        (None, "The connection was removed."),
    ],
)
def test_a_connection_changed_since_the_push_fails_it(
    change: dict[str, Any] | None, reason: str
) -> None:
    worker, store, _, deliver = _world()
    store.pending(_job())
    if change is None:
        del store.connections["hook"]
    else:
        store.connections["hook"].update(change)

    assert worker.process(_job(), attempt=1, receipt_handle="r") == "rejected"

    assert deliver.posted == []
    assert store.states["hook"]["status"] == "failed"
    assert store.states["hook"]["last_error"] == reason


def test_backoff_not_set_still_retries() -> None:
    worker, store, redelivery, _ = _world(Result("retry", "503"))
    redelivery.broken = True
    store.pending(_job())
    with pytest.raises(RetryLater):
        worker.process(_job(), attempt=1, receipt_handle="r")
    assert store.states["hook"]["status"] == "retrying"


# ------------------------------------------------------------------ batches


def _message(ident: str, body: str, receive_count: int = 1) -> dict[str, Any]:
    return {
        "MessageId": ident,
        "ReceiptHandle": f"rh-{ident}",
        "Body": body,
        "MD5OfBody": "0" * 32,
        "Attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1763805600000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1763805600000",
        },
    }


def test_a_batch_is_posted_concurrently_and_only_failures_are_reported() -> None:
    # Given three pushes whose posts can only finish if all three are in flight at once
    jobs = [_job(f"push-{n}", f"hook{n}") for n in range(3)]
    worker, store, _, deliver = _world(
        Result("posted", "ok"), Result("posted", "ok"), Result("posted", "ok")
    )
    for job in jobs:
        store.connections[job.connection_id] = {
            **store.connections["hook"],
            "id": job.connection_id,
        }
        store.pending(job)
    together = threading.Barrier(3, timeout=10)
    deliver.before = together.wait
    # And a fourth message that is not a push job
    messages = [_message(f"m{n}", job.model_dump_json()) for n, job in enumerate(jobs)]
    messages.append(_message("junk", "{not json"))

    # When the batch is processed
    response = process_batch(sqs_event(messages, ARN, "eu-west-1"), None, worker)

    # Then the three were posted (the barrier proves they overlapped); only the junk failed
    assert response == {"batchItemFailures": [{"itemIdentifier": "junk"}]}
    assert [store.states[j.connection_id]["status"] for j in jobs] == ["posted"] * 3


def test_a_retry_in_a_batch_is_a_batch_item_failure() -> None:
    worker, store, redelivery, _ = _world(Result("retry", "503"))
    store.pending(_job())
    event = sqs_event([_message("m1", _job().model_dump_json(), 3)], ARN, "eu-west-1")

    response = process_batch(event, None, worker)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert redelivery.delays == [("rh-m1", 120)]  # third attempt: 30 * 2^2
    assert store.states["hook"]["attempts"] == 3


def test_dead_letters_are_marked_failed() -> None:
    # Given a push still pending, one already posted, and a message that is not a job
    store = MemoryStore()
    store.pending(_job("push-1", "a"))
    store.pending(_job("push-2", "b"), status="posted")
    messages = [
        _message("d1", _job("push-1", "a").model_dump_json(), 6),
        _message("d2", _job("push-2", "b").model_dump_json(), 6),
        _message("d3", json.dumps({"hello": "world"})),
    ]

    # When the dead-letter handler gets them
    response = mark_dead_letters(sqs_event(messages, ARN, "eu-west-1"), None, store)

    # Then the pending one is failed with the reason; the rest is left alone and deleted
    assert response == {"batchItemFailures": []}
    assert store.states["a"]["status"] == "failed"
    assert store.states["a"]["last_error"] == DEAD_LETTER_REASON
    assert store.states["b"]["status"] == "posted"
