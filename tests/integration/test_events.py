"""Every sample event in events/ (the ones `sam local invoke -e` takes) invoked against the
handler template.yaml routes it to, through the real Lambda entry point."""

import json
from pathlib import Path

import pytest
from hail_tools import template as tpl
from hail_tools.gateway import LambdaContext, import_handler

EVENTS = sorted((Path(__file__).resolve().parents[2] / "events").glob("*.json"))
TEMPLATE = tpl.load_template()


def _function_for(event: dict) -> tpl.Function:
    functions = tpl.functions(TEMPLATE)
    if "Records" in event:
        queue = event["Records"][0]["eventSourceARN"].rsplit(":", 1)[1]
        for function in functions.values():
            if any(e.queue == queue or queue.startswith(e.queue) for e in function.sqs_events):
                return function
        raise AssertionError(f"no function is triggered by queue {queue}")
    for route in tpl.routes(TEMPLATE):
        if (route.method, route.path) == (event["httpMethod"], event["resource"]):
            return functions[route.function]
    raise AssertionError(f"no route for {event['httpMethod']} {event['resource']}")


def test_there_is_an_event_for_every_route():
    covered = set()
    for path in EVENTS:
        event = json.loads(path.read_text())
        if "httpMethod" in event:
            covered.add((event["httpMethod"], event["resource"]))
    declared = {(r.method, r.path) for r in tpl.routes(TEMPLATE) if r.method != "ANY"}
    assert declared - covered == set()


@pytest.mark.parametrize("path", EVENTS, ids=[p.stem for p in EVENTS])
def test_the_sample_event_is_handled(seeded, token, gateway, local_signin, path):
    # Given the sample event, with a fresh access token where it carries one (and a fresh
    # code from the local sign-in where it exchanges one)
    raw = path.read_text().replace("Bearer REPLACE_WITH_ACCESS_TOKEN", token("alice"))
    if "REPLACE_WITH_AUTHORIZATION_CODE" in raw:
        raw = raw.replace("REPLACE_WITH_AUTHORIZATION_CODE", local_signin.code("alice"))
    event = json.loads(raw)
    function = _function_for(event)
    # When its handler is invoked as Lambda would
    result = import_handler(function)(
        event, LambdaContext(function, gateway.context, "test-request")
    )
    # Then it succeeds
    if "Records" in event:
        assert set(result) == {"batchItemFailures"}
    else:
        assert 200 <= result["statusCode"] < 400, result.get("body")
        assert result["isBase64Encoded"] is False
