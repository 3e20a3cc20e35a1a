"""template.yaml against the code: routes, environment, IAM, tables and indexes.

The deployed system is what template.yaml says; these tests fail when the code and the
template drift apart."""

import re
from pathlib import Path

import pytest
from hail.settings import Settings
from hail.storage.listing import FLAGS, INDEXES, PARTITION
from hail_tools import template as tpl
from hail_tools.gateway import import_function

TEMPLATE = tpl.load_template()
RESOURCES = TEMPLATE["Resources"]
API_FUNCTIONS = sorted({r.function for r in tpl.routes(TEMPLATE)})
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("function_id", API_FUNCTIONS)
def test_the_template_routes_are_exactly_what_the_app_serves(gateway, function_id):
    app = import_function(tpl.functions(TEMPLATE)[function_id]).app
    served = {
        (method, route.path)
        for route in app.state.api_routes
        for method in route.methods - {"HEAD"}
    }
    declared = {(r.method, r.path) for r in tpl.routes(TEMPLATE) if r.function == function_id}
    assert {d for d in declared if d[0] != "ANY"} == served
    # Every path also has a catch-all, so an unsupported method reaches the app (405 + Allow).
    assert {p for _, p in served} == {p for m, p in declared if m == "ANY"}


def test_every_path_is_served_by_one_function():
    owners: dict[str, set[str]] = {}
    for route in tpl.routes(TEMPLATE):
        owners.setdefault(route.path, set()).add(route.function)
    assert {p: f for p, f in owners.items() if len(f) > 1} == {}


def test_every_api_event_uses_the_one_rest_api():
    for route in tpl.routes(TEMPLATE):
        event = RESOURCES[route.function]["Properties"]["Events"][route.event]
        assert event["Properties"]["RestApiId"] == {"Ref": "HailApi"}, route


@pytest.mark.parametrize("function_id", API_FUNCTIONS)
def test_each_api_function_has_every_required_setting(function_id):
    env = tpl.functions(TEMPLATE)[function_id].environment
    required = {
        name.upper() for name, field in Settings.model_fields.items() if field.is_required()
    }
    assert required <= set(env)


def test_every_setting_the_code_reads_is_known_to_the_template_or_has_a_default():
    env = set()
    for function in tpl.functions(TEMPLATE).values():
        env |= set(function.environment)
    for name, field in Settings.model_fields.items():
        assert name.upper() in env or not field.is_required(), name


def test_gateway_responses_put_api_gateway_errors_in_the_envelope():
    responses = RESOURCES["HailApi"]["Properties"]["GatewayResponses"]
    for kind in (
        "MISSING_AUTHENTICATION_TOKEN",
        "THROTTLED",
        "REQUEST_TOO_LARGE",
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    ):
        templates = responses[kind]["ResponseTemplates"]
        assert '"error_code"' in templates["application/json"], kind
        assert '"error_code"' in templates["application/problem+json"], kind
    assert responses["THROTTLED"]["ResponseParameters"]["Headers"]["Retry-After"] == "'1'"
    assert responses["UNAUTHORIZED"]["ResponseParameters"]["Headers"]["WWW-Authenticate"] == (
        "'Bearer'"
    )


def test_the_indexes_the_data_access_queries_exist_with_its_keys():
    table = RESOURCES["DataTable"]["Properties"]
    indexes = {
        gsi["IndexName"]: tuple(k["AttributeName"] for k in gsi["KeySchema"])
        for gsi in table["GlobalSecondaryIndexes"]
    }
    used = set()
    for order in INDEXES:
        name, sort = INDEXES[order]
        assert indexes[name] == (PARTITION, sort)
        used.add(name)
        projection = next(
            g["Projection"] for g in table["GlobalSecondaryIndexes"] if g["IndexName"] == name
        )
        # keys and the filter flags only: an item's write costs one small entry per index
        assert projection == {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(FLAGS)}
    assert used == set(indexes), "an index nobody queries costs a write per item"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]


def test_no_request_path_scans():
    for path in (REPO / "shared" / "hail").rglob("*.py"):
        assert not re.search(r"\.scan\(|\"scan\"|'scan'", path.read_text()), path


def test_only_the_data_access_imports_boto3():
    layer = REPO / "shared" / "hail"
    for path in layer.rglob("*.py"):
        if path.parent != layer / "storage" and path.name != "queue.py":
            assert not re.search(r"^\s*(import|from) boto", path.read_text(), re.M), path
    for path in (REPO / "functions").rglob("*.py"):
        assert "boto" not in path.read_text(), path
