"""Each function's IAM allows exactly the AWS calls its code makes: every call it makes is
allowed, and every grant it holds is used, down to the DynamoDB key prefixes.

The calls are observed, not guessed: every route is exercised through the local gateway
and every queue consumer through its trigger, while botocore reports each call; the
Lambda service's own calls for a function (its event source mapping's receive, delete and
get-attributes; KMS for a table encrypted with a key of the stack) are added to them.

The rules hold for every AWS::Serverless::Function of the template, so a function added
later fails here until its policy has the same form (template.yaml says it above
Resources) and a scenario below exercises it.

How IAM evaluates what is modelled here:
- `ForAllValues:StringLike` on `dynamodb:LeadingKeys` holds when every partition key the
  request names matches one of the patterns: all the keys of a BatchGetItem, the key of
  each item of a TransactWriteItems (authorized as PutItem, UpdateItem, DeleteItem or
  ConditionCheckItem on that item), the partition key value of a Query. A request naming
  no key at all (Scan) satisfies it vacuously, hence no Scan is ever granted.
- A Query on an index names the index's partition key, here an organisation id, never a
  KIND# key: index queries are granted on named index ARNs, without the condition.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from fakes.services import SECRET, FakeService
from hail_tools import template as tpl
from hail_tools import triggers
from hail_tools.gateway import LambdaContext, import_handler

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = tpl.load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
ACCOUNT, REGION = "123456789012", "eu-west-1"
CONTEXT = tpl.make_context(TEMPLATE, region=REGION)
FUNCTIONS = sorted(tpl.functions(TEMPLATE))
TABLES = {k for k, v in RESOURCES.items() if v["Type"] == "AWS::DynamoDB::Table"}
VERSION = "2012-10-17"
# Tables granted whole, without LeadingKeys, and why. Every other table is single-table
# design: each statement on it names the KIND# prefixes of the items it may touch.
WHOLE_TABLES = {
    "CredentialsTable": "keys are <org>#<connection>, no kind prefix; one reader, the worker",
}
KEY_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*#\*$")  # a kind prefix: ORG#*, PUB#*, ...
ITEM_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:BatchWriteItem",
}
# What the Lambda service does with the function's role for an SQS event source mapping.
MAPPING_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _arn(logical_id: str) -> str:
    return str(tpl.resolve({"Fn::GetAtt": [logical_id, "Arn"]}, CONTEXT))


def policies(function_id: str) -> list[Any]:
    return list(RESOURCES[function_id]["Properties"].get("Policies") or [])


def statements(function_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in policies(function_id):
        if isinstance(policy, dict):
            found += tpl.resolve(_listed(policy.get("Statement") or []), CONTEXT)
    return found


def _leading_keys(statement: dict[str, Any]) -> list[str] | None:
    condition = statement.get("Condition") or {}
    keys = (condition.get("ForAllValues:StringLike") or {}).get("dynamodb:LeadingKeys")
    return None if keys is None else _listed(keys)


@dataclass(frozen=True)
class Need:
    """One permission a call needs: action, resource ARN, the partition keys it names."""

    action: str
    resource: str
    keys: tuple[str, ...] | None = None  # None: not a DynamoDB item request


@dataclass(frozen=True)
class Grant:
    """One (action, resource pattern, key pattern) a statement allows."""

    sid: str
    action: str
    resource: str
    key: str | None  # None: every key (no LeadingKeys condition)


def grants(function_id: str) -> set[Grant]:
    found = set()
    for statement in statements(function_id):
        keys = _leading_keys(statement) or [None]
        for action in _listed(statement["Action"]):
            for resource in _listed(statement["Resource"]):
                for key in keys:
                    found.add(Grant(statement.get("Sid", "?"), action, resource, key))
    return found


def allowed(function_id: str, need: Need) -> bool:
    """IAM's answer for one need, honouring dynamodb:LeadingKeys (ForAllValues)."""
    for statement in statements(function_id):
        if statement.get("Effect") != "Allow" or need.action not in _listed(statement["Action"]):
            continue
        if not any(fnmatch.fnmatchcase(need.resource, r) for r in _listed(statement["Resource"])):
            continue
        patterns = _leading_keys(statement)
        if patterns is None or all(
            any(fnmatch.fnmatchcase(k, p) for p in patterns) for k in need.keys or ()
        ):
            return True
    return False


def used(grant: Grant, needs: set[Need]) -> bool:
    return any(
        need.action == grant.action
        and fnmatch.fnmatchcase(need.resource, grant.resource)
        and (grant.key is None or any(fnmatch.fnmatchcase(k, grant.key) for k in need.keys or ()))
        for need in needs
    )


# ------------------------------------------------------------------ the rules


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_each_policy_is_one_versioned_document_of_explicit_statements(function_id: str) -> None:
    for policy in policies(function_id):
        assert isinstance(policy, dict) and "Statement" in policy, (
            f"{function_id}: explicit statements (least privilege), not SAM policy templates"
        )
        assert policy.get("Version") == VERSION, f"{function_id}: every policy has a Version"
    for statement in statements(function_id):
        assert statement["Effect"] == "Allow", (function_id, statement)
        for action in _listed(statement["Action"]):
            assert "*" not in action, (function_id, action)
        for resource in _listed(statement["Resource"]):
            assert "*" not in resource, (function_id, "every resource is named", resource)


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_dynamodb_statements_are_bounded_by_key_prefix_or_index(function_id: str) -> None:
    for statement in statements(function_id):
        actions = _listed(statement["Action"])
        if not any(a.startswith("dynamodb:") for a in actions):
            continue
        sid = (function_id, statement.get("Sid"))
        assert set(actions) <= ITEM_ACTIONS, (sid, "no Scan, PartiQL or table management")
        resources = _listed(statement["Resource"])
        indexes = [r for r in resources if "/index/" in r]
        if indexes:
            # An index's partition key is not a KIND# key: the index name is the bound.
            assert indexes == resources and actions == ["dynamodb:Query"], sid
            continue
        tables = {r.rsplit("/", 1)[1] for r in resources}
        assert tables <= TABLES, sid
        if tables <= set(WHOLE_TABLES):
            continue
        assert len(tables) == 1 and not tables & set(WHOLE_TABLES), sid
        assert set(statement.get("Condition") or {}) == {"ForAllValues:StringLike"}, sid
        patterns = _leading_keys(statement)
        assert patterns, (sid, "a statement on a single-table design table needs LeadingKeys")
        assert all(KEY_PATTERN.match(p) for p in patterns), (sid, patterns)


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_queue_triggers_are_mappings_so_the_policy_names_the_queue(function_id: str) -> None:
    events = RESOURCES[function_id]["Properties"].get("Events") or {}
    assert not [n for n, e in events.items() if e.get("Type") == "SQS"], (
        f"{function_id}: a SAM SQS event attaches AWSLambdaSQSQueueExecutionRole (Resource "
        "'*'); declare an AWS::Lambda::EventSourceMapping and grant its queue"
    )


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_kms_is_used_only_through_dynamodb(function_id: str) -> None:
    for statement in statements(function_id):
        if any(a.startswith("kms:") for a in _listed(statement["Action"])):
            via = statement["Condition"]["StringEquals"]["kms:ViaService"]
            assert via == f"dynamodb.{REGION}.amazonaws.com", (function_id, statement)


def test_only_the_worker_may_read_credentials_or_use_their_key() -> None:
    table = _arn("CredentialsTable")
    key = _arn("CredentialsKey")
    readers = {
        function_id
        for function_id in FUNCTIONS
        for action in ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")
        if allowed(function_id, Need(action, table, ("demo-school#x",)))
    }
    assert readers == {"PushWorkerFunction"}
    users = {f for f in FUNCTIONS if allowed(f, Need("kms:Decrypt", key))}
    assert users == {"PushWorkerFunction"}
    functions = tpl.functions(TEMPLATE, CONTEXT)
    assert "CREDENTIALS_TABLE_NAME" not in functions["ConnectionsFunction"].environment


@pytest.mark.parametrize("function_id", ["AccountsFunction", "OAuthFunction"])
def test_the_account_functions_cannot_touch_publications(function_id: str) -> None:
    table = _arn("DataTable")
    for action in ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem"):
        assert not allowed(function_id, Need(action, table, ("PUB#welcome1",)))


def test_the_public_viewer_cannot_write_accounts_or_publications() -> None:
    table = _arn("DataTable")
    for action in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"):
        for key in ("USER#paula", "ORG#demo-school", "PUB#welcome1", "STYLE#magazine"):
            assert not allowed("ViewerFunction", Need(action, table, (key,))), (action, key)


# ------------------------------------------------------------------ by use

NEW = {"title": "IAM", "status": "unpublished", "style_id": "magazine"}
LISTS = [
    f"/v1/organisations/demo-school/publications?limit=2&order={order}{status}"
    for order in ("created_date", "title", "due_date")
    for status in ("", "&status=published")
]
EVER = ("2020-01-01%2000:00:00", "2030-01-01%2000:00:00")
Request = tuple[str, str, Any]


def _token_exchange(signin: Any) -> Request:
    """A code signed in through the local issuer, exchanged (a JSON body)."""
    code = signin.code("paula")
    body = {"grant_type": "authorization_code", "code": code, "client_id": "demo-client"}
    body |= {"client_secret": "demo-secret", "redirect_uri": "http://127.0.0.1:8080/callback"}
    return "POST", "/v1/oauth/access_token", body


# Requests per route (method, path template) that succeed and exercise its reads and writes
# (a function of the local sign-in makes one that needs a fresh code).
SCENARIOS: dict[tuple[str, str], list[Request | Callable[[Any], Request]]] = {
    ("GET", "/v1/organisations/{id}/styles"): [
        ("GET", "/v1/organisations/demo-school/styles", None)
    ],
    ("GET", "/v1/organisations/{id}/publications"): [
        *(("GET", path, None) for path in LISTS),
        ("GET", "/v1/organisations/demo-school/publications?search=a", None),
        (
            "GET",
            f"/v1/organisations/demo-school/publications?updated_start={EVER[0]}"
            f"&updated_end={EVER[1]}",
            None,
        ),
    ],
    ("GET", "/v1/organisations/{id}/publications/count"): [
        ("GET", "/v1/organisations/demo-school/publications/count?search=a", None),
        ("GET", "/v1/organisations/demo-school/publications/count?status=published", None),
    ],
    ("POST", "/v1/organisations/{id}/publications"): [
        ("POST", "/v1/organisations/demo-school/publications", NEW),
        (
            "POST",
            "/v1/organisations/demo-school/publications",
            {**NEW, "private_tags": ["consent"]},
        ),
    ],
    ("GET", "/v1/publications/{id}"): [("GET", "/v1/publications/camp2026", None)],
    ("PUT", "/v1/publications/{id}"): [
        ("PUT", "/v1/publications/camp2026", {"style_id": "magazine"}),  # ConditionCheck
        ("PUT", "/v1/publications/camp2026", {"status": "published", "style_id": "newsletter"}),
        ("PUT", "/v1/publications/camp2026", {"private_tags": ["needsphoto", "embargo"]}),
        ("PUT", "/v1/publications/camp2026", {"private_tags": ["embargo"]}),  # a row deleted
    ],
    ("POST", "/v1/publications/{id}/watch"): [("POST", "/v1/publications/camp2026/watch", None)],
    ("DELETE", "/v1/publications/{id}/watch"): [
        ("DELETE", "/v1/publications/camp2026/watch", None)
    ],
    ("GET", "/v1/publications/{id}/preview"): [("GET", "/v1/publications/camp2026/preview", None)],
    ("GET", "/p/{id}"): [("GET", "/p/welcome1", None)],
    ("GET", "/v1/publications/{id}/connections"): [
        ("GET", "/v1/publications/welcome1/connections", None)
    ],
    ("POST", "/v1/publications/{id}/connections"): [
        ("POST", "/v1/publications/welcome1/connections", {"connection_id": "webhook-demo"})
    ],
    ("GET", "/a/{id}"): [("GET", "/a/garden26", None)],
    ("GET", "/v1/publications/{id}/articles"): [
        ("GET", "/v1/publications/welcome1/articles", None)
    ],
    ("PUT", "/v1/publications/{id}/articles"): [
        ("PUT", "/v1/publications/camp2026/articles", ["campkit1", "debate01"])
    ],
    ("POST", "/v1/publications/{id}/articles"): [
        ("POST", "/v1/publications/camp2026/articles", {"article_id": "board001", "position": 0})
    ],
    ("DELETE", "/v1/publications/{id}/articles/{article_id}"): [
        ("DELETE", "/v1/publications/camp2026/articles/campkit1", None)
    ],
    ("GET", "/v1/organisations/{id}/articles"): [
        ("GET", "/v1/organisations/demo-school/articles?limit=2", None),
        ("GET", "/v1/organisations/demo-school/articles?limit=2&order=title", None),
        ("GET", "/v1/organisations/demo-school/articles?limit=2&order=created_date", None),
        ("GET", "/v1/organisations/demo-school/articles?limit=2&search=camp", None),
        (
            "GET",
            f"/v1/organisations/demo-school/articles?updated_start={EVER[0]}&updated_end={EVER[1]}",
            None,
        ),
    ],
    ("POST", "/v1/organisations/{id}/articles"): [
        ("POST", "/v1/organisations/demo-school/articles", {"title": "IAM", "tags": ["sport"]}),
        ("POST", "/v1/organisations/demo-school/articles", {"title": "IAM", "flagged": True}),
    ],
    ("GET", "/v1/organisations/{id}/articles/count"): [
        ("GET", "/v1/organisations/demo-school/articles/count", None),
        (
            "GET",
            f"/v1/organisations/demo-school/articles/count?start={EVER[0]}&end={EVER[1]}",
            None,
        ),
    ],
    ("GET", "/v1/articles/{id}"): [("GET", "/v1/articles/garden26", None)],
    ("PUT", "/v1/articles/{id}"): [
        ("PUT", "/v1/articles/camplog1", {"tags": ["arts"]}),  # a new reference: checked
        ("PUT", "/v1/articles/camplog1", {"status": "ready"}),  # counters moved
    ],
    ("DELETE", "/v1/articles/{id}"): [("DELETE", "/v1/articles/touch026", None)],  # in sports01
    ("GET", "/v1/me"): [("GET", "/v1/me", None)],
    ("GET", "/v1/users/{id}"): [("GET", "/v1/users/vera", None)],
    ("GET", "/v1/users/{id}/organisations"): [("GET", "/v1/users/paula/organisations", None)],
    ("GET", "/v1/organisations/{id}"): [("GET", "/v1/organisations/demo-school", None)],
    ("GET", "/oauth/authorise"): [
        (
            "GET",
            "/oauth/authorise?client_id=demo-client&response_type=code"
            "&redirect_uri=http://127.0.0.1:8080/callback",
            None,
        )
    ],
    ("POST", "/v1/oauth/access_token"): [_token_exchange],
}
for _kind, _tag, _gone in (("tags", "sport", "notices"), ("private-tags", "needsphoto", "embargo")):
    SCENARIOS.update(
        {
            ("GET", f"/v1/organisations/{{id}}/{_kind}"): [
                ("GET", f"/v1/organisations/demo-school/{_kind}", None)
            ],
            ("POST", f"/v1/organisations/{{id}}/{_kind}"): [
                ("POST", f"/v1/organisations/demo-school/{_kind}", {"name": "IAM"})
            ],
            ("GET", f"/v1/{_kind}/{{id}}"): [("GET", f"/v1/{_kind}/{_tag}", None)],
            ("PUT", f"/v1/{_kind}/{{id}}"): [("PUT", f"/v1/{_kind}/{_tag}", {"name": "IAM"})],
            ("DELETE", f"/v1/{_kind}/{{id}}"): [("DELETE", f"/v1/{_kind}/{_gone}", None)],
            ("GET", f"/v1/{_kind}/{{id}}/articles"): [
                ("GET", f"/v1/{_kind}/{_tag}/articles?limit=1", None),
                ("GET", f"/v1/{_kind}/{_tag}/articles?limit=1&order=title", None),
                (
                    "GET",
                    f"/v1/{_kind}/{_tag}/articles?updated_start={EVER[0]}&updated_end={EVER[1]}",
                    None,
                ),
            ],
        }
    )


def _key_schemas() -> dict[str, str]:
    """Partition key attribute of each table and index, by table ARN or index ARN."""
    found: dict[str, str] = {}
    for logical_id in TABLES:
        props = RESOURCES[logical_id]["Properties"]
        arn = _arn(logical_id)
        found[arn] = next(k["AttributeName"] for k in props["KeySchema"] if k["KeyType"] == "HASH")
        for index in props.get("GlobalSecondaryIndexes") or []:
            hash_key = next(k for k in index["KeySchema"] if k["KeyType"] == "HASH")
            found[f"{arn}/index/{index['IndexName']}"] = hash_key["AttributeName"]
    return found


def needs_of(operation: str, params: dict[str, Any]) -> list[Need]:
    """The permissions one call needs."""
    schemas = _key_schemas()

    def table(name: str) -> str:
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"

    def key_of(arn: str, item: dict[str, Any]) -> str:
        return str(item[schemas[arn]]["S"])

    if "QueueUrl" in params:
        queue = params["QueueUrl"].rstrip("/").rsplit("/", 1)[1]
        return [Need(f"sqs:{operation}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}")]
    if operation == "TransactWriteItems":
        kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
        kinds["ConditionCheck"] = "ConditionCheckItem"
        found = []
        for item in params["TransactItems"]:
            for kind, request in item.items():
                arn = table(request["TableName"])
                key = key_of(arn, request.get("Key") or request["Item"])
                found.append(Need(f"dynamodb:{kinds[kind]}", arn, (key,)))
        return found
    if operation in ("BatchGetItem", "BatchWriteItem"):
        found = []
        for name, request in params["RequestItems"].items():
            arn = table(name)
            if operation == "BatchGetItem":
                items = request["Keys"]
            else:
                items = [
                    r.get("PutRequest", {}).get("Item") or r["DeleteRequest"]["Key"]
                    for r in request
                ]
            keys = tuple(key_of(arn, item) for item in items)
            found.append(Need(f"dynamodb:{operation}", arn, keys))
        return found
    arn = table(params["TableName"])
    if operation == "Query":
        if params.get("IndexName"):
            arn = f"{arn}/index/{params['IndexName']}"
        names = params.get("ExpressionAttributeNames") or {}
        for name, value in re.findall(r"(#?\w+)\s*=\s*(:\w+)", params["KeyConditionExpression"]):
            if names.get(name, name) == schemas[arn]:
                key = params["ExpressionAttributeValues"][value]["S"]
        return [Need("dynamodb:Query", arn, (key,))]
    return [Need(f"dynamodb:{operation}", arn, (key_of(arn, params.get("Key") or params["Item"]),))]


def service_needs(function_id: str, needs: set[Need]) -> set[Need]:
    """What the Lambda service and DynamoDB do with the function's role on its behalf."""
    found: set[Need] = set()
    for event in tpl.functions(TEMPLATE)[function_id].sqs_events:
        found |= {Need(action, _arn(event.queue)) for action in MAPPING_ACTIONS}
    for logical_id in TABLES:
        sse = RESOURCES[logical_id]["Properties"].get("SSESpecification") or {}
        key = sse.get("KMSMasterKeyId")
        if key and any(n.resource.startswith(_arn(logical_id)) for n in needs):
            found.add(Need("kms:Decrypt", str(tpl.resolve(key, CONTEXT))))
    return found


@pytest.fixture
def calls(seeded: Any, aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every DynamoDB and SQS call, by the function `calls["current"]` names."""
    from hail import pushing, queue
    from hail.settings import get_settings
    from hail.storage import base as db
    from hail_tools.atomic import serialise_dynamodb_writes

    serialise_dynamodb_writes()
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOKS", "true")
    monkeypatch.setenv("PUSH_RETRY_BASE_SECONDS", "0")
    get_settings.cache_clear()
    pushing.default_worker.cache_clear()
    db.reset()
    queue.reset()
    made: dict[str, list] = defaultdict(list)
    made["current"] = ["test"]

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        # The functions' calls are made on this thread and on their own threads (hail-db...,
        # push...); the local sign-in's own reads, on its server's threads, are not theirs.
        thread = threading.current_thread()
        if thread is threading.main_thread() or thread.name.startswith(("hail-db", "push")):
            made[made["current"][0]].append((model.name, params))

    session = boto3._get_default_session()._session
    session.register("before-parameter-build.dynamodb", record)
    session.register("before-parameter-build.sqs", record)
    yield made
    session.unregister("before-parameter-build.dynamodb", record)
    session.unregister("before-parameter-build.sqs", record)
    pushing.default_worker.cache_clear()
    queue.reset()


def _exercise_routes(calls: dict[str, list], seeded: Any, token: Any, signin: Any) -> None:
    routes = [r for r in tpl.routes(TEMPLATE) if r.method != "ANY"]
    missing = [(r.method, r.path) for r in routes if (r.method, r.path) not in SCENARIOS]
    assert not missing, f"add a scenario for {missing}"
    auth = {"Authorization": token("paula")}
    admin = {"Authorization": token("alice")}  # only admins and owners delete tags
    for route in routes:
        for scenario in SCENARIOS[(route.method, route.path)]:
            calls["current"][:] = ["test"]
            method, path, body = scenario(signin) if callable(scenario) else scenario
            calls["current"][:] = [route.function]
            headers = admin if method == "DELETE" and "tags/" in path else auth
            response = seeded.request(method, path, headers=headers, json=body)
            assert response.status < 400, (method, path, response.text)
    # A preview link visited (the token spent, a session opened), then the session used
    calls["current"][:] = ["PublicationsFunction"]
    url = seeded.request("GET", "/v1/publications/draft001/preview", headers=auth).json()["url"]
    calls["current"][:] = ["ViewerFunction"]
    visit = seeded.request("GET", "/" + url.split("/", 3)[3])
    assert visit.status == 303, visit.text
    cookie = (visit.header("Set-Cookie") or "").split(";")[0]
    assert seeded.request("GET", "/p/draft001", headers={"Cookie": cookie}).status == 200


def _exercise_housekeeping(calls: dict[str, list], aws: Any, gw: Any) -> None:
    """Clean-up jobs left by deletions that stopped half-way, finished on the schedule: a
    public tag (an article left untagged: counters move) and a private tag a publication
    holds."""
    from hail.storage import jobs as jobs_db
    from hail.storage import publications as publications_db
    from hail.storage import tags as tags_db

    calls["current"][:] = ["admin"]
    pub = publications_db.get_many(["welcome1"])[0]["welcome1"]
    publications_db.save(pub, {**pub, "private_tags": ["principal"], "version": pub["version"] + 1})
    for tag_id in ("outdoors", "principal"):
        tag = tags_db.get(tag_id)
        assert tag is not None
        job = jobs_db.job(f"left-{tag_id}", "untag", tag_id, tag["org_id"], "2026-01-01 00:00:00")
        tags_db.delete(tag, job)  # as a request that stopped before its clean-up
    function = tpl.functions(aws.template, gw.context)["HousekeepingFunction"]
    event = json.loads((REPO / "events" / "housekeeping_schedule.json").read_text())
    calls["current"][:] = ["HousekeepingFunction"]
    result = import_handler(function)(event, LambdaContext(function, gw.context, "t"))
    assert result["jobs"] == 2 and result["changed"] >= 3, result


def _exercise_pushes(calls: dict[str, list], seeded: Any, token: Any, aws: Any, gw: Any) -> None:
    from hail import connections

    functions = tpl.functions(aws.template, gw.context)

    def api(method: str, path: str, json: Any = None) -> Any:
        calls["current"][:] = ["ConnectionsFunction"]
        return seeded.request(method, path, headers={"Authorization": token("paula")}, json=json)

    def invoke(function_id: str, queue: str) -> None:
        calls["current"][:] = ["test"]
        messages = aws.sqs.receive_message(
            QueueUrl=aws.queues[queue], MaxNumberOfMessages=10, AttributeNames=["All"]
        )["Messages"]
        calls["current"][:] = [function_id]
        function = functions[function_id]
        event = triggers.sqs_event(messages, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}", REGION)
        import_handler(function)(event, LambdaContext(function, gw.context, "t"))

    with FakeService("webhook") as hook:
        calls["current"][:] = ["admin"]
        connections.update_connection(
            "demo-school",
            "webhook-demo",
            settings={"url": hook.url},
            credentials={"secret": SECRET},
        )
        invoke("PushWorkerFunction", "PushQueue")  # the routes' push: posted
        # Listing and pushing (posted), pushing again (retrying, then revoked)
        push = {"connection_id": "webhook-demo"}
        assert api("GET", "/v1/publications/welcome1/connections").status == 200
        assert api("POST", "/v1/publications/welcome1/connections", push).status == 202
        invoke("PushWorkerFunction", "PushQueue")
        assert api("POST", "/v1/publications/sports01/connections", push).status == 202
        hook.then("server_error", "revoked")
        invoke("PushWorkerFunction", "PushQueue")  # retrying: ChangeMessageVisibility
        invoke("PushWorkerFunction", "PushQueue")  # revoked: the connection put in exception
    # A dead letter
    job = {"push_id": "gone", "org_id": "demo-school", "publication_id": "welcome1"}
    job |= {"connection_id": "webhook-demo", "title": "t", "url": "u"}
    aws.sqs.send_message(QueueUrl=aws.queues["PushDeadLetterQueue"], MessageBody=json.dumps(job))
    invoke("PushDeadLettersFunction", "PushDeadLetterQueue")
    # Pushes whose jobs cannot be queued (the state is put back: PutItem, DeleteItem)
    calls["current"][:] = ["admin"]
    connections.update_connection("demo-school", "webhook-demo", exception=False)
    connections.add_connection(
        "demo-school",
        connection_id="fresh",
        service="webhook",
        name="fresh",
        settings={"url": "https://example.org/h"},
        credentials={"secret": "s"},
    )
    aws.sqs.delete_queue(QueueUrl=aws.queues["PushQueue"])
    fresh = {"connection_id": "fresh"}
    assert api("POST", "/v1/publications/welcome1/connections", fresh).status == 503
    assert api("POST", "/v1/publications/sports01/connections", push).status == 503


def test_each_function_is_granted_exactly_the_calls_it_makes(
    calls: dict[str, list], seeded: Any, token: Any, aws: Any, gateway: Any, local_signin: Any
) -> None:
    # Given every call each function makes, over every route and queue consumer
    _exercise_routes(calls, seeded, token, local_signin)
    _exercise_pushes(calls, seeded, token, aws, gateway)
    _exercise_housekeeping(calls, aws, gateway)
    needs: dict[str, set[Need]] = {}
    for function_id in FUNCTIONS:
        made = {n for op, params in calls[function_id] for n in needs_of(op, params)}
        needs[function_id] = made | service_needs(function_id, made)
    assert all(needs.values()), {f: "never exercised" for f, n in needs.items() if not n}

    # Then each call is allowed by that function's own policy, with those keys
    denied = {f: sorted({n for n in needs[f] if not allowed(f, n)}, key=str) for f in FUNCTIONS}
    assert not any(denied.values()), {f: d for f, d in denied.items() if d}
    # And every grant (action, resource, key prefix) is used by some call
    unused = {
        f: sorted({g for g in grants(f) if not used(g, needs[f])}, key=str) for f in FUNCTIONS
    }
    assert not any(unused.values()), {f: u for f, u in unused.items() if u}
