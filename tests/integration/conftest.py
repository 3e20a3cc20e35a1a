"""Helpers for driving the API through the local gateway as a client would."""

from collections.abc import Callable
from typing import Any

import pytest
from hail_tools.gateway import LocalGateway, Response

Api = Callable[..., Response]


@pytest.fixture
def api(seeded: LocalGateway, token: Callable[..., str]) -> Api:
    """api(method, path, user="alice", scope=None, json=None, headers=None, body=None)."""

    def call(
        method: str,
        path: str,
        user: str | None = "alice",
        scope: str | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        body: bytes | str | None = None,
    ) -> Response:
        sent = dict(headers or {})
        if user is not None:
            sent.setdefault("Authorization", token(user, scope=scope))
        return seeded.request(method, path, headers=sent, json=json, body=body)

    return call


@pytest.fixture
def stored(aws) -> Callable[[str], dict | None]:
    """The raw stored item of a publication (to check what a request really changed)."""
    from hail.storage import base as db

    def get(publication_id: str) -> dict | None:
        item = aws.dynamodb.get_item(
            TableName=aws.table_name, Key={"pk": {"S": f"PUB#{publication_id}"}, "sk": {"S": "PUB"}}
        ).get("Item")
        return db.load(item)

    return get


@pytest.fixture
def org_counts(aws) -> Callable[[str], tuple[int, int]]:
    def get(org_id: str) -> tuple[int, int]:
        item = aws.dynamodb.get_item(
            TableName=aws.table_name, Key={"pk": {"S": f"ORG#{org_id}"}, "sk": {"S": "ORG"}}
        )["Item"]
        return tuple(  # type: ignore[return-value]
            int(item.get(f"c_PUB_{status}", {"N": "0"})["N"])
            for status in ("published", "unpublished")
        )

    return get


@pytest.fixture
def watch_of(aws) -> Callable[[str, str], str | None]:
    """A user's stored watch state of a publication (watching, unwatched or None)."""

    def get(publication_id: str, user_id: str) -> str | None:
        item = aws.dynamodb.get_item(
            TableName=aws.table_name,
            Key={"pk": {"S": f"PUB#{publication_id}"}, "sk": {"S": f"WATCH#{user_id}"}},
        ).get("Item")
        return item["state"]["S"] if item else None

    return get
