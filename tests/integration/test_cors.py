"""CORS, for browser apps on other origins: off unless CORS_ALLOW_ORIGINS names them."""

import json
from pathlib import Path

import pytest
from hail.api import create_app, lambda_handler
from hail.routes.publications import router
from hail.settings import get_settings
from hail_tools import template as tpl
from hail_tools.gateway import LambdaContext

EVENT = Path(__file__).resolve().parents[2] / "events" / "publications_get.json"


@pytest.fixture
def invoke(seeded, token, monkeypatch):
    def make(origins: str):
        monkeypatch.setenv("CORS_ALLOW_ORIGINS", origins)
        get_settings.cache_clear()
        handler = lambda_handler(create_app(router))
        function = tpl.functions(seeded.template)["PublicationsFunction"]

        def call(method: str, headers: dict[str, str]) -> dict:
            event = json.loads(
                EVENT.read_text().replace("Bearer REPLACE_WITH_ACCESS_TOKEN", token("alice"))
            )
            event["httpMethod"] = method
            event["headers"].update(headers)
            event["multiValueHeaders"].update({k: [v] for k, v in headers.items()})
            result = handler(event, LambdaContext(function, seeded.context, "cors"))
            result["headers"] = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
            return result

        return call

    yield make
    get_settings.cache_clear()


def test_a_listed_origin_may_call_and_read_the_paging_headers(invoke):
    call = invoke("https://app.school.example, https://admin.school.example")
    preflight = call(
        "OPTIONS",
        {
            "Origin": "https://app.school.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type, if-match",
        },
    )
    assert preflight["statusCode"] == 200
    assert preflight["headers"]["access-control-allow-origin"] == "https://app.school.example"
    assert "PUT" in preflight["headers"]["access-control-allow-methods"]
    response = call("GET", {"Origin": "https://app.school.example"})
    assert response["statusCode"] == 200
    assert response["headers"]["access-control-allow-origin"] == "https://app.school.example"
    exposed = response["headers"]["access-control-expose-headers"]
    assert {"Link", "ETag", "Location"} <= {h.strip() for h in exposed.split(",")}


def test_another_origin_gets_no_cors_headers(invoke):
    call = invoke("https://app.school.example")
    response = call("GET", {"Origin": "https://evil.example"})
    assert response["statusCode"] == 200
    assert "access-control-allow-origin" not in response["headers"]
    preflight = call(
        "OPTIONS", {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert preflight["statusCode"] == 400
    assert json.loads(preflight["body"]) == {
        "error": {"message": "Disallowed CORS origin", "error_code": "BAD_REQUEST"}
    }


def test_without_the_setting_there_is_no_cors(invoke):
    call = invoke("")
    response = call("GET", {"Origin": "https://app.school.example"})
    assert "access-control-allow-origin" not in response["headers"]
    assert (
        call(
            "OPTIONS",
            {"Origin": "https://app.school.example", "Access-Control-Request-Method": "GET"},
        )["statusCode"]
        == 405
    )
