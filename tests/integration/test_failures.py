"""Failures half-way: nothing half-written, nothing internal leaked, clear answers."""

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from hail import publications
from hail.errors import Unavailable
from hail.storage import accounts as accounts_db
from hail.storage import base as db
from hail.storage import publications as publications_db

NEW = {"title": "x", "status": "unpublished", "style_id": "magazine"}


def test_an_unexpected_error_is_a_500_that_reveals_nothing(api, monkeypatch):
    # Given a bug deep in the data access
    def broken(**_):
        raise RuntimeError("secret table name DataTable and a stack frame")

    monkeypatch.setattr(publications_db, "fetch", broken)
    # When a client asks
    response = api("GET", "/v1/publications/camp2026")
    # Then it gets a 500 in the envelope with only a request id
    assert response.status == 500
    error = response.json()["error"]
    assert error["error_code"] == "INTERNAL"
    assert error["message"].startswith("Internal error; it has been logged (request id ")
    assert "secret" not in response.text and "DataTable" not in response.text
    assert "Traceback" not in response.text


def test_database_throttling_is_503_with_retry_after(api, monkeypatch):
    client = db.client()

    def throttled(**_):
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
            "BatchGetItem",
        )

    monkeypatch.setattr(client, "batch_get_item", throttled)
    response = api("GET", "/v1/publications/camp2026")
    assert response.status == 503
    assert response.header("retry-after") == "1"
    assert response.json()["error"]["error_code"] == "UNAVAILABLE"


def test_a_taken_id_is_never_overwritten(api, monkeypatch, stored, org_counts):
    # Given the id generator first proposes an id that is taken
    proposals = iter(["camp2026", "fresh001"])
    monkeypatch.setattr(publications, "new_id", lambda: next(proposals))
    before = stored("camp2026")
    # When a publication is created
    response = api("POST", "/v1/organisations/demo-school/publications", json=NEW)
    # Then it gets another id, and the existing one is untouched
    assert response.status == 201
    assert response.json()["id"] == "fresh001"
    assert stored("camp2026") == before
    assert org_counts("demo-school") == (2, 3)


def test_a_lost_race_changes_nothing_and_keeps_counters_exact(api, monkeypatch, stored, org_counts):
    # Given another request publishes camp2026 between our read and our write
    real_fetch = publications_db.fetch

    def racing_fetch(**kwargs):
        found = real_fetch(**kwargs)
        if found.publication and not racing_fetch.done:
            racing_fetch.done = True
            stale = found.publication
            publications_db.save(
                stale, {**stale, "status": "published", "version": stale["version"] + 1}
            )
        return found

    racing_fetch.done = False
    before = stored("camp2026")
    monkeypatch.setattr(publications_db, "fetch", racing_fetch)
    # When we publish it too, from the stale read
    response = api("PUT", "/v1/publications/camp2026", user="paula", json={"status": "published"})
    # Then we are told to retry, and the counters moved once, not twice
    assert response.status == 409
    assert response.json()["error"]["error_code"] == "CONFLICT"
    assert stored("camp2026")["version"] == before["version"] + 1
    assert org_counts("demo-school") == (3, 1)


def test_a_style_withdrawn_between_read_and_write_is_422_and_writes_nothing(
    api, monkeypatch, stored, org_counts
):
    # Given the organisation loses "newsletter" after the request has read it
    real_fetch = publications_db.fetch

    def withdrawing_fetch(**kwargs):
        found = real_fetch(**kwargs)
        accounts_db.set_org_style("demo-school", "newsletter", False)
        return found

    monkeypatch.setattr(publications_db, "fetch", withdrawing_fetch)
    response = api(
        "POST", "/v1/organisations/demo-school/publications", json={**NEW, "style_id": "newsletter"}
    )
    assert response.status == 422
    assert org_counts("demo-school") == (2, 2)
    listed = api("GET", "/v1/organisations/demo-school/publications").json()
    assert len(listed) == 4


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_non_json_body_is_400(api, content_type, org_counts):
    response = api(
        "POST",
        "/v1/organisations/demo-school/publications",
        body="title=x",
        headers={"Content-Type": content_type},
    )
    assert response.status == 400
    assert org_counts("demo-school") == (2, 2)


# ------------------------------------------------------------------ timeouts and budgets


@pytest.fixture
def failing_sends() -> Any:
    """failing_sends(client, error): every attempt of `client` fails with `error`, as
    botocore sees a network failure (its retries apply); returns the attempts' operations."""
    registered: list[tuple[Any, Any]] = []

    def make(client: Any, error: Exception) -> list[str]:
        attempts: list[str] = []

        def fail(request: Any, **_: Any) -> None:
            attempts.append(request.headers.get("X-Amz-Target", b"").decode())
            raise error

        client.meta.events.register_first("before-send.dynamodb", fail)
        registered.append((client, fail))
        return attempts

    yield make
    for client, fail in registered:
        client.meta.events.unregister("before-send.dynamodb", fail)


@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com/"),
        ConnectTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com/"),
        EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com/"),
    ],
    ids=["read-timeout", "connect-timeout", "unreachable"],
)
def test_a_database_timeout_is_503_with_retry_after(api, failing_sends, error):
    # Given DynamoDB does not answer (every attempt times out, or cannot connect)
    attempts = failing_sends(db.client(), error)

    # When a client asks
    response = api("GET", "/v1/publications/camp2026")

    # Then it is told to retry, in the envelope, after the call's own retry
    assert response.status == 503
    assert response.header("retry-after") == "1"
    assert response.json() == {
        "error": {
            "message": "The database did not answer in time; retry shortly.",
            "error_code": "UNAVAILABLE",
        }
    }
    assert attempts == ["DynamoDB_20120810.BatchGetItem"] * db.ATTEMPTS


def test_a_silent_database_is_a_read_timeout_and_a_503(monkeypatch):
    # Given a DynamoDB endpoint that accepts connections and never answers
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(server.accept()[0]), daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{server.getsockname()[1]}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setattr(
        db, "CLIENT_CONFIG", db.SINGLE_ATTEMPT_CONFIG.merge(Config(read_timeout=0.3))
    )
    db.reset()
    try:
        # When a call is made
        with pytest.raises(Unavailable) as raised:
            db.call("get_item", TableName="DataTable", Key=db.key("PUB", "x"))
        # Then botocore's real read timeout, with the configured limit, became a 503
        assert isinstance(raised.value.__cause__, ReadTimeoutError)
        assert raised.value.headers == {"Retry-After": "1"}
        assert db.client().meta.config.read_timeout == 0.3
    finally:
        db.reset()
        server.close()
        for connection in held:
            connection.close()


class _Context:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_the_time_left_decides_the_attempts_and_refuses_calls_that_cannot_fit(aws, failing_sends):
    # Given DynamoDB never answers
    timeout = ReadTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com/")
    full = failing_sends(db.client(), timeout)
    with db.time_budget(_Context(int(db.WORST_SINGLE_ATTEMPT * 1000 + 600))):
        single = failing_sends(db.client_for_time_left(), timeout)
    key = db.key("PUB", "camp2026")

    # When calls are made with plenty of time, with less than a retry needs, and with less
    # than one attempt needs
    for remaining_s in (10, db.WORST_CALL - 1, db.WORST_SINGLE_ATTEMPT - 1):
        with db.time_budget(_Context(remaining_s * 1000)), pytest.raises(Unavailable):
            db.call("get_item", TableName=aws.table_name, Key=key)

    # Then the first retried, the second made one attempt, the third none
    assert (len(full), len(single)) == (db.ATTEMPTS, 1)
    # And outside an invocation there is no budget
    with pytest.raises(Unavailable):
        db.call("get_item", TableName=aws.table_name, Key=key)
    assert len(full) == 2 * db.ATTEMPTS
