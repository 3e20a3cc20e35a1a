"""Pushes end to end through `make run`: the API queues, the emulated SQS trigger runs the
worker, the worker posts to the local webhook sink."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def _connection(server: Any, publication: str, ident: str) -> dict[str, Any]:
    status, _, body = server.call("GET", f"/v1/publications/{publication}/connections")
    assert status == 200
    found: dict[str, Any] = next(c for c in json.loads(body) if c["id"] == ident)
    return found


def _until_not_pending(server: Any, publication: str, ident: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        connection = _connection(server, publication, ident)
        if connection["status"] != "pending" or time.monotonic() > deadline:
            return connection
        time.sleep(0.2)


def _sink(server: Any) -> list[dict[str, Any]]:
    line = next(line for line in server.output if line.strip().startswith("webhook sink "))
    url = re.search(r"http://\S+", line).group(0)
    with urllib.request.urlopen(url, timeout=10) as response:
        received: list[dict[str, Any]] = json.loads(response.read())["received"]
    return received


def test_push_then_poll_until_posted(server: Any) -> None:
    # Given the demo's webhook connection, never pushed
    assert _connection(server, "welcome1", "webhook-demo")["status"] is None

    # When a publisher pushes a published publication to it
    status, _, body = server.call(
        "POST",
        "/v1/publications/welcome1/connections",
        user="paula",
        body={"connection_id": "webhook-demo", "comment": "From the e2e test"},
    )

    # Then it is accepted as pending, and soon posted
    assert status == 202
    assert json.loads(body)["status"] == "pending"
    connection = _until_not_pending(server, "welcome1", "webhook-demo")
    assert connection["status"] == "posted"
    assert connection["last_successful_post"] is not None
    # And the sink got it once, signed
    posts = [p for p in _sink(server) if p["event"]["publication"]["id"] == "welcome1"]
    assert len(posts) == 1
    assert posts[0]["signature_valid"] is True
    assert posts[0]["event"]["comment"] == "From the e2e test"
    assert posts[0]["event"]["publication"]["url"] == f"{server.url}/p/welcome1"


def test_simultaneous_pushes_one_accepted(server: Any) -> None:
    # Given / When eight pushes of one pair at once
    def push(_: int) -> int:
        status, _, _ = server.call(
            "POST",
            "/v1/publications/sports01/connections",
            user="paula",
            body={"connection_id": "webhook-demo"},
        )
        return status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(push, range(8)))

    # Then exactly one is accepted, and exactly one post arrives
    assert statuses == [202] + [400] * 7
    assert _until_not_pending(server, "sports01", "webhook-demo")["status"] == "posted"
    posts = [p for p in _sink(server) if p["event"]["publication"]["id"] == "sports01"]
    assert len(posts) == 1


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        (
            "facebook-expired",
            "The connection is in exception: it must be authorised and configured again.",
        ),
        ("x-unconfigured", "The connection is not configured."),
        ("mastodon-unauthorised", "The connection is not authorised."),
    ],
)
def test_demo_connections_that_cannot_be_pushed(server: Any, connection: str, message: str) -> None:
    status, _, body = server.call(
        "POST", "/v1/publications/welcome1/connections", body={"connection_id": connection}
    )
    assert status == 400
    assert json.loads(body) == {"error": {"message": message, "error_code": "BAD_REQUEST"}}
