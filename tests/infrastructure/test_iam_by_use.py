"""Each function's IAM allows exactly the AWS calls its routes really make.

The calls are observed, not guessed: every route is exercised through the local gateway
while botocore reports each call, and each call is checked against that function's
policy statements in template.yaml."""

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from hail_tools import template as tpl
from test_template_matches_code import TEMPLATE, _statements, allowed

ACCOUNT, REGION = "123456789012", "eu-west-1"
NEW = {"title": "IAM", "status": "unpublished", "style_id": "magazine"}


def _token_exchange(signin: Any) -> tuple[str, str, dict]:
    """A code signed in through the local issuer, exchanged (a JSON body)."""
    code = signin.code("paula")
    return (
        "POST",
        "/v1/oauth/access_token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:8080/callback",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
        },
    )


Scenario = tuple[str, str, dict | None] | Callable[[Any], tuple[str, str, dict | None]]
# One request per route (method, path template) that succeeds and exercises its writes.
SCENARIOS: dict[tuple[str, str], Scenario] = {
    ("GET", "/v1/organisations/{id}/styles"): ("GET", "/v1/organisations/demo-school/styles", None),
    ("GET", "/v1/organisations/{id}/publications"): (
        "GET",
        "/v1/organisations/demo-school/publications?limit=2&search=a",
        None,
    ),
    ("GET", "/v1/organisations/{id}/publications/count"): (
        "GET",
        "/v1/organisations/demo-school/publications/count?search=a",
        None,
    ),
    ("POST", "/v1/organisations/{id}/publications"): (
        "POST",
        "/v1/organisations/demo-school/publications",
        NEW,
    ),
    ("GET", "/v1/publications/{id}"): ("GET", "/v1/publications/camp2026", None),
    ("PUT", "/v1/publications/{id}"): (
        "PUT",
        "/v1/publications/camp2026",
        {"status": "published", "style_id": "magazine"},
    ),
    ("POST", "/v1/publications/{id}/watch"): ("POST", "/v1/publications/camp2026/watch", None),
    ("DELETE", "/v1/publications/{id}/watch"): ("DELETE", "/v1/publications/camp2026/watch", None),
    ("GET", "/v1/publications/{id}/preview"): ("GET", "/v1/publications/camp2026/preview", None),
    ("GET", "/p/{id}"): ("GET", "/p/welcome1", None),
    ("GET", "/a/{id}"): ("GET", "/a/garden26", None),
    ("GET", "/v1/publications/{id}/connections"): (
        "GET",
        "/v1/publications/welcome1/connections",
        None,
    ),
    ("POST", "/v1/publications/{id}/connections"): (
        "POST",
        "/v1/publications/welcome1/connections",
        {"connection_id": "webhook-demo"},
    ),
    ("GET", "/v1/publications/{id}/articles"): ("GET", "/v1/publications/welcome1/articles", None),
    ("PUT", "/v1/publications/{id}/articles"): (
        "PUT",
        "/v1/publications/camp2026/articles",
        ["campkit1", "debate01"],
    ),
    ("POST", "/v1/publications/{id}/articles"): (
        "POST",
        "/v1/publications/camp2026/articles",
        {"article_id": "board001", "position": 0},
    ),
    ("DELETE", "/v1/publications/{id}/articles/{article_id}"): (
        "DELETE",
        "/v1/publications/camp2026/articles/campkit1",
        None,
    ),
    ("GET", "/v1/organisations/{id}/articles"): (
        "GET",
        "/v1/organisations/demo-school/articles?limit=2&search=camp&updated_start="
        "2020-01-01%2000:00:00&updated_end=2030-01-01%2000:00:00",
        None,
    ),
    ("POST", "/v1/organisations/{id}/articles"): (
        "POST",
        "/v1/organisations/demo-school/articles",
        {"title": "IAM", "tags": ["sport"], "private_tags": ["needsphoto"]},
    ),
    ("GET", "/v1/organisations/{id}/articles/count"): (
        "GET",
        "/v1/organisations/demo-school/articles/count?start=2020-01-01%2000:00:00"
        "&end=2030-01-01%2000:00:00",
        None,
    ),
    ("GET", "/v1/articles/{id}"): ("GET", "/v1/articles/garden26", None),
    ("PUT", "/v1/articles/{id}"): ("PUT", "/v1/articles/camplog1", {"tags": ["arts"]}),
    ("DELETE", "/v1/articles/{id}"): ("DELETE", "/v1/articles/campkit1", None),
    ("GET", "/v1/me"): ("GET", "/v1/me", None),
    ("GET", "/v1/users/{id}"): ("GET", "/v1/users/vera", None),
    ("GET", "/v1/users/{id}/organisations"): ("GET", "/v1/users/paula/organisations", None),
    ("GET", "/v1/organisations/{id}"): ("GET", "/v1/organisations/demo-school", None),
    ("GET", "/oauth/authorise"): (
        "GET",
        "/oauth/authorise?client_id=demo-client&response_type=code"
        "&redirect_uri=http://127.0.0.1:8080/callback",
        None,
    ),
    ("POST", "/v1/oauth/access_token"): _token_exchange,
}
for _kind, _tag, _gone in (("tags", "sport", "notices"), ("private-tags", "needsphoto", "embargo")):
    SCENARIOS.update(
        {
            ("GET", f"/v1/organisations/{{id}}/{_kind}"): (
                "GET",
                f"/v1/organisations/demo-school/{_kind}",
                None,
            ),
            ("POST", f"/v1/organisations/{{id}}/{_kind}"): (
                "POST",
                f"/v1/organisations/demo-school/{_kind}",
                {"name": "IAM"},
            ),
            ("GET", f"/v1/{_kind}/{{id}}"): ("GET", f"/v1/{_kind}/{_tag}", None),
            ("PUT", f"/v1/{_kind}/{{id}}"): ("PUT", f"/v1/{_kind}/{_tag}", {"name": "IAM"}),
            ("DELETE", f"/v1/{_kind}/{{id}}"): ("DELETE", f"/v1/{_kind}/{_gone}", None),
            ("GET", f"/v1/{_kind}/{{id}}/articles"): (
                "GET",
                f"/v1/{_kind}/{_tag}/articles?limit=1",
                None,
            ),
        }
    )


def _required(operation: str, params: dict, table_arns: dict[str, str]) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs one call needs."""

    def arn(table: str, index: str | None = None) -> str:
        base = table_arns[table]
        return f"{base}/index/{index}" if index else base

    if operation == "TransactWriteItems":
        kinds = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
        }
        return [
            (f"dynamodb:{kinds[kind]}", arn(item[kind]["TableName"]))
            for item in params["TransactItems"]
            for kind in item
        ]
    if "QueueUrl" in params:
        queue = params["QueueUrl"].rstrip("/").rsplit("/", 1)[1]
        return [(f"sqs:{operation}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}")]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{operation}", arn(t)) for t in params["RequestItems"]]
    return [(f"dynamodb:{operation}", arn(params["TableName"], params.get("IndexName")))]


def test_each_function_may_make_the_calls_it_makes(seeded, token, aws, local_signin):
    # Given every DynamoDB call the handlers make reported as it is made, by function (the
    # handlers run on this thread; the local issuer's own reads, on its threads, are not
    # the functions')
    calls: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    current: list[str] = []

    def record(model, params, **_):
        if threading.current_thread() is threading.main_thread():
            calls[current[0]].append((model.name, params))

    session = boto3._get_default_session()._session
    session.register("before-parameter-build.dynamodb", record)
    session.register("before-parameter-build.sqs", record)
    from hail import queue
    from hail.storage import base as db

    db.reset()
    getattr(queue, "reset", lambda: None)()
    routes = [r for r in tpl.routes(TEMPLATE) if r.method != "ANY"]
    missing = [(r.method, r.path) for r in routes if (r.method, r.path) not in SCENARIOS]
    assert not missing, f"add a scenario for {missing}"

    # When each route is exercised
    for route in routes:
        scenario = SCENARIOS[(route.method, route.path)]
        current[:] = ["test"]
        method, path, body = scenario(local_signin) if callable(scenario) else scenario
        current[:] = [route.function]
        user = "alice" if method == "DELETE" and "tags/" in path else "paula"  # admins only
        response = seeded.request(method, path, headers={"Authorization": token(user)}, json=body)
        assert response.status < 400, (method, path, response.text)

    # Then each call is allowed by that function's own policy
    context = tpl.make_context(TEMPLATE, region=REGION)
    table_arns = {
        aws.names[logical]: f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{aws.names[logical]}"
        for logical in aws.tables
    }
    assert any(op == "SendMessage" for op, _ in calls["ConnectionsFunction"]), "push must queue"
    assert [op for op, _ in calls["OAuthFunction"]] == ["UpdateItem"], "the profile is written"
    for function_id, made in calls.items():
        if function_id == "test":
            continue
        statements = _statements(function_id, context)
        for operation, params in made:
            assert operation != "Scan"
            if operation in ("GetQueueUrl",):
                continue
            for action, resource in _required(operation, params, table_arns):
                assert allowed(statements, action, resource), (function_id, action, resource)


@pytest.mark.parametrize("function_id", ["PublicationsFunction"])
def test_read_only_routes_cannot_query_indexes_they_do_not_need(function_id):
    context = tpl.make_context(TEMPLATE, region=REGION)
    statements = _statements(function_id, context)
    index_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/DataTable/index/list-created"
    assert not allowed(statements, "dynamodb:Query", index_arn)
