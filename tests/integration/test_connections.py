"""GET and POST /v1/publications/{id}/connections through the local gateway (moto behind)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from hail import connections, queue
from hail.storage import connections as connections_db
from hail_tools.atomic import serialise_dynamodb_writes

PUSH = "/v1/publications/welcome1/connections"


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    serialise_dynamodb_writes()  # moto's conditional writes race otherwise; DynamoDB's don't
    queue.reset()
    yield
    queue.reset()


def _conn(ident: str, name: str, service: str, **flags: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "authorised": flags.get("authorised", True),
        "authorised_name": flags.get("authorised_name"),
        "exception": flags.get("exception", False),
        "exception_reason": flags.get("exception_reason"),
        "configured": flags.get("configured", True),
        "service": service_of(service),
        "status": flags.get("status"),
        "last_successful_post": flags.get("last_successful_post"),
        "last_error": flags.get("last_error"),
    }


def service_of(service: str) -> dict[str, str]:
    return {"id": service, "name": connections.NAMES[service]}


DEMO = [
    _conn(
        "facebook-expired",
        "Demo School",
        "facebook",
        authorised_name="Alice Owner",
        exception=True,
        exception_reason="Facebook answered 400: Error validating access token: Session has "
        "expired on Friday, 20-Nov-26 10:00:00 PST.",
    ),
    _conn("webhook-demo", "Demo webhook (local sink)", "webhook", authorised_name="Demo School"),
    _conn("x-unconfigured", "DemoSchool", "x", authorised_name="Demo School", configured=False),
    _conn(
        "mastodon-unauthorised",
        "demoschool@mastodon.social",
        "mastodon",
        authorised=False,
        configured=False,
    ),
]


def _jobs(aws: Any) -> list[dict[str, Any]]:
    """Every message on the push queue (left invisible afterwards)."""
    found: list[dict[str, Any]] = []
    while True:
        messages = aws.sqs.receive_message(
            QueueUrl=aws.queues["PushQueue"], MaxNumberOfMessages=10
        ).get("Messages", [])
        if not messages:
            return found
        found += [json.loads(m["Body"]) for m in messages]


def _error(message: str, code: str = "BAD_REQUEST") -> dict[str, Any]:
    return {"error": {"message": message, "error_code": code}}


# ------------------------------------------------------------------------ listing


def test_list_shows_every_connection_of_the_organisation_with_no_push_yet(api: Any) -> None:
    # Given the demo data, where nothing was ever pushed
    # When a viewer lists the connections of a publication
    response = api("GET", PUSH, user="vera", scope="content.read")

    # Then every demo-school connection is there, by name, without credentials
    assert response.status == 200
    assert response.json() == DEMO


def test_list_as_hal(api: Any) -> None:
    # Given / When the list is asked for as HAL
    response = api("GET", PUSH, headers={"Accept": "application/hal+json"})

    # Then the connections are embedded, with links to push and to the publication
    assert response.status == 200
    assert response.header("Content-Type") == "application/hal+json"
    doc = response.json()
    assert doc["_links"] == {"self": {"href": f"https://hail.test{PUSH}"}}
    embedded = doc["_embedded"]["connections"]
    assert [c["id"] for c in embedded] == [c["id"] for c in DEMO]
    assert embedded[0]["_links"] == {
        "push": {"href": f"https://hail.test{PUSH}"},
        "publication": {"href": "https://hail.test/v1/publications/welcome1"},
    }


def test_list_says_why_the_last_push_failed_and_why_a_connection_is_in_exception(
    api: Any,
) -> None:
    # Given a push of welcome1 that failed, and the connection put in exception by it
    connections_db.start_push(
        "welcome1", "webhook-demo", push_id="p1", org_id="demo-school",
        now="2026-11-22 10:00:00", stale_before="2026-11-22 09:00:00",
    )  # fmt: skip
    connections_db.finish_push(
        "welcome1", "webhook-demo", "p1", status="failed", now="2026-11-22 10:00:03",
        error='The webhook answered 401: {"error": "bad signature"}',
    )  # fmt: skip
    connections_db.put_connection_in_exception(
        "demo-school", "webhook-demo", 'The webhook answered 401: {"error": "bad signature"}',
        "2026-11-22 10:00:03",
    )  # fmt: skip

    # When the publication's connections are listed, and another publication's
    listed = {c["id"]: c for c in api("GET", PUSH).json()}
    other = {c["id"]: c for c in api("GET", "/v1/publications/sports01/connections").json()}

    # Then the reasons are given: the push's for welcome1 only, the connection's for both
    reason = 'The webhook answered 401: {"error": "bad signature"}'
    assert listed["webhook-demo"]["status"] == "failed"
    assert listed["webhook-demo"]["last_error"] == reason
    assert listed["webhook-demo"]["exception"] is True
    assert listed["webhook-demo"]["exception_reason"] == reason
    assert (other["webhook-demo"]["last_error"], other["webhook-demo"]["exception_reason"]) == (
        None,
        reason,
    )
    assert listed["x-unconfigured"]["last_error"] is None
    assert listed["x-unconfigured"]["exception_reason"] is None


def test_a_new_push_starts_without_the_last_error(api: Any, aws: Any) -> None:
    # Given a pair whose last push failed, with its reason
    connections_db.start_push(
        "welcome1", "webhook-demo", push_id="p1", org_id="demo-school",
        now="2026-11-22 10:00:00", stale_before="2026-11-22 09:00:00",
    )  # fmt: skip
    connections_db.finish_push(
        "welcome1", "webhook-demo", "p1", status="failed", now="2026-11-22 10:00:03",
        error="The webhook answered 400: no",
    )  # fmt: skip

    # When it is pushed again
    response = api("POST", PUSH, json={"connection_id": "webhook-demo"})

    # Then the new push (pending) carries no error of the old one, in the answer and stored
    assert response.status == 202
    assert (response.json()["status"], response.json()["last_error"]) == ("pending", None)
    state = connections_db.get_push("welcome1", "webhook-demo")
    assert state is not None and "last_error" not in state
    assert _listed_error(api) is None


def _listed_error(api: Any) -> Any:
    return next(c for c in api("GET", PUSH).json() if c["id"] == "webhook-demo")["last_error"]


@pytest.mark.parametrize(
    ("path", "user", "scope", "status", "code"),
    [
        (PUSH, "oscar", None, 403, "FORBIDDEN"),  # another organisation's publication
        (PUSH, "alice", "content.write", 403, "FORBIDDEN"),  # no content.read
        ("/v1/publications/nothere/connections", "alice", None, 404, "NOT_FOUND"),
        (PUSH, None, None, 401, "UNAUTHORIZED"),
    ],
)
def test_list_refusals(
    api: Any, path: str, user: str | None, scope: str | None, status: int, code: str
) -> None:
    # Given / When the list is asked for by someone who may not see it, or for nothing
    response = api("GET", path, user=user, scope=scope)

    # Then the status and code are as the SPEC says
    assert response.status == status
    assert response.json()["error"]["error_code"] == code


# ------------------------------------------------------------------------ pushing


def test_push_is_accepted_queued_and_pending(api: Any, aws: Any) -> None:
    # Given a publisher and an authorised, configured connection
    # When they push a published publication to it with a comment
    response = api(
        "POST", PUSH, user="paula", json={"connection_id": "webhook-demo", "comment": "Read it!"}
    )

    # Then 202 with the connection, now pending
    assert response.status == 202
    assert response.json() == {**DEMO[1], "status": "pending"}
    # And exactly one job is queued, carrying the publication as it is now
    jobs = _jobs(aws)
    assert len(jobs) == 1
    push_id = jobs[0].pop("push_id")
    assert jobs[0] == {
        "org_id": "demo-school",
        "publication_id": "welcome1",
        "connection_id": "webhook-demo",
        "title": "Welcome back!",
        "url": "https://hail.test/p/welcome1",
        "comment": "Read it!",
    }
    # And the stored state is pending under that push id
    state = connections_db.get_push("welcome1", "webhook-demo")
    assert state is not None
    assert (state["status"], state["push_id"], state["attempts"]) == ("pending", push_id, 0)
    # And the list shows it
    listed = api("GET", PUSH).json()
    assert listed[1] == {**DEMO[1], "status": "pending"}
    assert [c["status"] for c in listed] == [None, "pending", None, None]


def test_push_as_hal(api: Any) -> None:
    # Given / When a push asks for HAL
    response = api(
        "POST",
        PUSH,
        json={"connection_id": "webhook-demo"},
        headers={"Accept": "application/hal+json"},
    )

    # Then the connection comes with its links
    assert response.status == 202
    doc = response.json()
    assert doc["status"] == "pending"
    assert doc["_links"]["self"] == {"href": f"https://hail.test{PUSH}"}


def _other_school_connection() -> None:
    connections.add_connection(
        "other-school",
        connection_id="other-hook",
        service="webhook",
        name="Other hook",
        settings={"url": "https://example.org/hook"},
        credentials={"secret": "s"},
    )


@pytest.mark.parametrize(
    ("publication", "connection_id", "message"),
    [
        (
            "welcome1",
            "facebook-expired",
            "The connection is in exception: it must be authorised and configured again.",
        ),
        ("welcome1", "mastodon-unauthorised", "The connection is not authorised."),
        ("welcome1", "x-unconfigured", "The connection is not configured."),
        ("welcome1", "nope", "'nope' is not one of the organisation's connections."),
        ("welcome1", "other-hook", "'other-hook' is not one of the organisation's connections."),
        (
            "camp2026",
            "webhook-demo",
            "Only a published publication can be pushed to a connection.",
        ),
    ],
)
def test_push_refused_with_400(
    api: Any, aws: Any, publication: str, connection_id: str, message: str
) -> None:
    # Given a connection that cannot be pushed to, or a publication that cannot be pushed
    _other_school_connection()

    # When a publisher pushes
    response = api(
        "POST",
        f"/v1/publications/{publication}/connections",
        user="alice",
        json={"connection_id": connection_id},
    )

    # Then 400 says why, and nothing was queued or stored
    assert response.status == 400
    assert response.json() == _error(message)
    assert _jobs(aws) == []
    assert connections_db.get_push(publication, connection_id) is None


def test_push_refused_while_pending(api: Any, aws: Any) -> None:
    # Given a push that is pending
    first = api("POST", PUSH, json={"connection_id": "webhook-demo"})
    assert first.status == 202
    pending = connections_db.get_push("welcome1", "webhook-demo")

    # When the same pair is pushed again
    second = api("POST", PUSH, json={"connection_id": "webhook-demo"})

    # Then 400, one job only, and the pending push is untouched
    assert second.status == 400
    assert second.json() == _error(
        "A push of this publication to this connection is already pending."
    )
    assert len(_jobs(aws)) == 1
    assert connections_db.get_push("welcome1", "webhook-demo") == pending


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "connection_id"),
        ({"connection_id": ""}, "connection_id"),
        ({"connection_id": 7}, "connection_id"),
    ],
)
def test_push_body_is_validated(api: Any, body: dict[str, Any], field: str) -> None:
    # Given / When a push body without a usable connection id
    response = api("POST", PUSH, json=body)

    # Then 400 INVALID names the field
    assert response.status == 400
    error = response.json()["error"]
    assert error["error_code"] == "INVALID"
    assert [e["field"] for e in error["errors"]] == [field]


def test_push_body_must_be_json(api: Any) -> None:
    # Given / When the body is not JSON
    response = api(
        "POST",
        PUSH,
        body="connection_id=webhook-demo",
        headers={"Content-Type": "application/json"},
    )

    # Then 400
    assert response.status == 400
    assert response.json() == _error("The request body is not valid JSON.")


@pytest.mark.parametrize(
    ("user", "scope", "status", "code"),
    [
        ("eddie", None, 403, "FORBIDDEN"),  # editor: below publisher
        ("vera", None, 403, "FORBIDDEN"),  # viewer
        ("alice", "content.read content.write", 403, "FORBIDDEN"),  # no content.connections
        ("oscar", None, 403, "FORBIDDEN"),  # another organisation
        (None, None, 401, "UNAUTHORIZED"),
    ],
)
def test_push_refused_to_who_may_not(
    api: Any, aws: Any, user: str | None, scope: str | None, status: int, code: str
) -> None:
    # Given / When someone who may not push tries
    response = api("POST", PUSH, user=user, scope=scope, json={"connection_id": "webhook-demo"})

    # Then the status is as the SPEC says and nothing happened
    assert response.status == status
    assert response.json()["error"]["error_code"] == code
    assert _jobs(aws) == []
    assert connections_db.get_push("welcome1", "webhook-demo") is None


def test_push_of_an_unknown_publication_is_404(api: Any) -> None:
    # Given / When a push names no publication
    response = api("POST", "/v1/publications/nothere/connections", json={"connection_id": "x"})

    # Then 404
    assert response.status == 404
    assert response.json() == _error("No publication with id 'nothere'.", "NOT_FOUND")


def test_exactly_one_of_simultaneous_pushes_is_accepted(api: Any, aws: Any) -> None:
    # Given eight clients ready to push the same pair at the same moment
    clients = 8
    barrier = threading.Barrier(clients)
    statuses: list[int] = []

    def push() -> None:
        barrier.wait()
        statuses.append(api("POST", PUSH, json={"connection_id": "webhook-demo"}).status)

    # When they all push
    threads = [threading.Thread(target=push) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then exactly one is accepted, the others are told it is pending; one job is queued
    assert sorted(statuses) == [202] + [400] * (clients - 1)
    jobs = _jobs(aws)
    assert len(jobs) == 1
    state = connections_db.get_push("welcome1", "webhook-demo")
    assert state is not None and state["push_id"] == jobs[0]["push_id"]


def test_queue_failure_answers_503_and_changes_nothing(api: Any, aws: Any) -> None:
    # Given a pair that was posted before, and a queue that cannot be reached
    connections_db.start_push(
        "welcome1",
        "webhook-demo",
        push_id="old",
        org_id="demo-school",
        now="2026-01-01 10:00:00",
        stale_before="2026-01-01 09:00:00",
    )
    connections_db.finish_push(
        "welcome1", "webhook-demo", "old", status="posted", now="2026-01-01 10:00:05"
    )
    before = connections_db.get_push("welcome1", "webhook-demo")
    aws.sqs.delete_queue(QueueUrl=aws.queues["PushQueue"])

    # When the pair is pushed, and a never-pushed pair too
    response = api("POST", PUSH, json={"connection_id": "webhook-demo"})
    fresh_conn = _add_hook("second-hook")
    fresh = api("POST", PUSH, json={"connection_id": fresh_conn})

    # Then both are 503 with Retry-After, and each pair is exactly as it was
    for answer in (response, fresh):
        assert answer.status == 503
        assert answer.header("Retry-After") == "5"
        assert answer.json() == _error(
            "The push could not be queued and nothing was changed; retry shortly.", "UNAVAILABLE"
        )
    assert connections_db.get_push("welcome1", "webhook-demo") == before
    assert connections_db.get_push("welcome1", fresh_conn) is None
    # And the list still shows the last post
    listed = {c["id"]: c for c in api("GET", PUSH).json()}
    assert listed["webhook-demo"]["status"] == "posted"
    assert listed["webhook-demo"]["last_successful_post"] == "2026-01-01 10:00:05"


@pytest.mark.parametrize(
    "failure",
    [
        ReadTimeoutError(endpoint_url="https://sqs.eu-west-1.amazonaws.com/"),
        ConnectTimeoutError(endpoint_url="https://sqs.eu-west-1.amazonaws.com/"),
        EndpointConnectionError(endpoint_url="https://sqs.eu-west-1.amazonaws.com/"),
    ],
    ids=["read-timeout", "connect-timeout", "unreachable"],
)
def test_a_queue_that_times_out_answers_503_and_changes_nothing(
    api: Any, aws: Any, failure: Exception
) -> None:
    # Given SQS that does not answer in time (every attempt the client makes)
    attempts: list[str] = []

    def time_out(**kwargs: Any) -> None:
        attempts.append(kwargs["event_name"])
        raise failure

    queue.client().meta.events.register("before-send.sqs.SendMessage", time_out)

    # When the pair is pushed
    response = api("POST", PUSH, json={"connection_id": "webhook-demo"})

    # Then 503 with Retry-After, the pair as it was (never pushed), nothing queued
    assert response.status == 503
    assert response.header("Retry-After") == "5"
    assert response.json()["error"]["error_code"] == "UNAVAILABLE"
    assert connections_db.get_push("welcome1", "webhook-demo") is None
    assert _jobs(aws) == []
    # And the client tried twice, within its budget (tests/infrastructure checks the sum)
    assert len(attempts) == queue.SQS_CONFIG.retries["total_max_attempts"] == 2


def _add_hook(ident: str) -> str:
    connections.add_connection(
        "demo-school",
        connection_id=ident,
        service="webhook",
        name=ident,
        settings={"url": "https://example.org/hook"},
        credentials={"secret": "s"},
    )
    return ident


@pytest.mark.parametrize("status", ["posted", "failed", "retrying"])
def test_a_finished_or_retrying_push_can_be_pushed_again(api: Any, aws: Any, status: str) -> None:
    # Given a pair whose last push is posted, failed or retrying
    connections_db.start_push(
        "welcome1",
        "webhook-demo",
        push_id="old",
        org_id="demo-school",
        now="2026-01-01 10:00:00",
        stale_before="2026-01-01 09:00:00",
    )
    connections_db.finish_push(
        "welcome1", "webhook-demo", "old", status=status, now="2026-01-01 10:00:05"
    )

    # When it is pushed again
    response = api("POST", PUSH, json={"connection_id": "webhook-demo"})

    # Then the new push replaces the old one (whose job, if any, will find nothing to do)
    assert response.status == 202
    state = connections_db.get_push("welcome1", "webhook-demo")
    assert state is not None
    assert state["status"] == "pending"
    assert state["push_id"] == _jobs(aws)[0]["push_id"] != "old"
    expected_post = "2026-01-01 10:00:05" if status == "posted" else None
    assert response.json()["last_successful_post"] == expected_post


def test_a_pending_push_lost_for_an_hour_no_longer_blocks(api: Any) -> None:
    # Given a pair left pending two hours ago (its job never reached the queue)
    connections_db.start_push(
        "welcome1",
        "webhook-demo",
        push_id="lost",
        org_id="demo-school",
        now="2020-01-01 10:00:00",
        stale_before="2020-01-01 09:00:00",
    )

    # When it is pushed
    response = api("POST", PUSH, json={"connection_id": "webhook-demo"})

    # Then the push is accepted
    assert response.status == 202
    state = connections_db.get_push("welcome1", "webhook-demo")
    assert state is not None and state["push_id"] != "lost"
