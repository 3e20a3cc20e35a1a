"""The local gateway behaves like API Gateway in front of Lambda (REST API, proxy v1).

Uses small handlers generated under tmp_path and the project's GatewayResponses, so it
checks the gateway itself, not the project's functions.
"""

from __future__ import annotations

import base64
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hail_tools import template as tpl
from hail_tools.gateway import HEADERS_TOO_LARGE, MAX_REQUEST_BODY, LocalGateway

HANDLERS = """
import base64
import json
import os

LOADS = globals().get("LOADS", 0) + 1


def echo(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({
            "event": event,
            "loads": LOADS,
            "greeting": os.environ.get("GREETING"),
            "context": {
                "function_name": context.function_name,
                "function_version": context.function_version,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "aws_request_id": context.aws_request_id,
                "invoked_function_arn": context.invoked_function_arn,
                "remaining": context.get_remaining_time_in_millis(),
            },
        }),
    }


def boom(event, context):
    raise RuntimeError("secret internal detail")


def malformed(event, context):
    return {"statusCode": 200, "body": {"not": "a string"}}


def binary(event, context):
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "image/png", "X-One": "1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": base64.b64encode(b"\\x89PNG\\x00\\xff").decode(),
        "isBase64Encoded": True,
    }
"""


def _function(handler: str, *events: tuple[str, str]) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": "handlers/",
            "Handler": f"app.{handler}",
            "Events": {
                f"E{n}": {
                    "Type": "Api",
                    "Properties": {"RestApiId": {"Ref": "Api"}, "Path": path, "Method": method},
                }
                for n, (path, method) in enumerate(events)
            },
        },
    }


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[LocalGateway]:
    """A gateway over generated handlers, with the project's gateway responses."""
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "app.py").write_text(textwrap.dedent(HANDLERS))
    project = tpl.load_template()
    project_api = project["Resources"]["HailApi"]["Properties"]
    template = {
        # The project's parameters and conditions: its gateway responses use them (CORS)
        "Parameters": {**project["Parameters"], "StageName": {"Type": "String", "Default": "v1"}},
        "Conditions": project["Conditions"],
        "Globals": {
            "Function": {
                "Timeout": 5,
                "MemorySize": 256,
                "Environment": {"Variables": {"GREETING": "hello", "STAGE": {"Ref": "StageName"}}},
            }
        },
        "Resources": {
            "Api": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "StageName": {"Ref": "StageName"},
                    "GatewayResponses": project_api["GatewayResponses"],
                },
            },
            "EchoFunction": _function(
                "echo", ("/things/{id}", "GET"), ("/things", "POST"), ("/things", "GET")
            ),
            "BoomFunction": _function("boom", ("/boom", "GET")),
            "MalformedFunction": _function("malformed", ("/malformed", "GET")),
            "BinaryFunction": _function("binary", ("/binary", "ANY")),
        },
    }
    saved = dict(os.environ)
    yield LocalGateway(template, base_dir=tmp_path)
    os.environ.clear()
    os.environ.update(saved)


def test_proxy_event_shape(gateway: LocalGateway) -> None:
    # Given a GET with repeated headers and query parameters
    headers = [
        ("Host", "api.test"),
        ("Accept", "application/json"),
        ("User-Agent", "pytest"),
        ("X-Multi", "1"),
        ("X-Multi", "2"),
    ]

    # When it goes through the gateway
    response = gateway.handle(
        "GET", "/things/abc", "tag=a&tag=b%20c&plus=x+y&empty=", headers, b"", "10.0.0.7"
    )

    # Then the handler got a REST proxy event like API Gateway's
    assert response.status == 200
    seen = response.json()
    event = seen["event"]
    assert event["resource"] == "/things/{id}"
    assert event["path"] == "/things/abc"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "abc"}
    assert event["stageVariables"] is None
    assert event["queryStringParameters"] == {"tag": "b c", "plus": "x y", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {
        "tag": ["a", "b c"],
        "plus": ["x y"],
        "empty": [""],
    }
    assert event["headers"]["X-Multi"] == "2"
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["headers"]["X-Forwarded-For"] == "10.0.0.7"
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["path"] == "/v1/things/abc"
    assert context["stage"] == "v1"
    assert context["resourcePath"] == "/things/{id}"
    assert context["httpMethod"] == "GET"
    assert context["domainName"] == "api.test"
    assert context["identity"]["sourceIp"] == "10.0.0.7"
    assert context["identity"]["userAgent"] == "pytest"
    assert context["requestId"] == response.header("x-amzn-requestid")
    assert isinstance(context["requestTimeEpoch"], int)
    # And the Lambda context and environment come from the template
    assert seen["context"]["function_name"] == "EchoFunction"
    assert seen["context"]["function_version"] == "$LATEST"
    assert seen["context"]["memory_limit_in_mb"] == 256
    assert seen["context"]["aws_request_id"] == context["requestId"]
    assert 0 < seen["context"]["remaining"] <= 5000
    assert seen["greeting"] == "hello"
    assert os.environ["STAGE"] == "v1"


def test_empty_query_and_path_parameters_are_null(gateway: LocalGateway) -> None:
    # Given / When a request without query string or path parameters
    event = gateway.request("GET", "/things").json()["event"]

    # Then those fields are null, as API Gateway sends them
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["requestContext"]["domainName"] == "localhost"


def test_handler_module_is_loaded_once(gateway: LocalGateway) -> None:
    # Given / When the same function is called twice (a warm container)
    first = gateway.request("GET", "/things/1").json()
    second = gateway.request("GET", "/things/2/").json()  # trailing slash: same resource

    # Then its module was imported once
    assert first["loads"] == second["loads"] == 1
    assert second["event"]["pathParameters"] == {"id": "2"}


@pytest.mark.parametrize(
    ("accept", "content_type", "body"),
    [
        (
            None,
            "application/json",
            {"error": {"message": "No such resource.", "error_code": "NOT_FOUND"}},
        ),
        (
            "application/problem+json, application/json;q=0.5",
            "application/problem+json",
            {
                "type": "about:blank",
                "title": "Not Found",
                "status": 404,
                "detail": "No such resource.",
                "error_code": "NOT_FOUND",
            },
        ),
    ],
)
def test_unknown_route_gets_the_templated_gateway_response(
    gateway: LocalGateway, accept: str | None, content_type: str, body: dict[str, Any]
) -> None:
    # Given a path no resource matches, and a known path with a method it lacks
    headers = {"Accept": accept} if accept else {}

    # When they are requested
    for method, path in (("GET", "/nowhere"), ("DELETE", "/things/abc")):
        response = gateway.request(method, path, headers=headers)

        # Then API Gateway's MISSING_AUTHENTICATION_TOKEN response, as the template renders it
        assert response.status == 404
        assert response.header("Content-Type") == content_type
        assert response.json() == body


def test_body_over_ten_megabytes_is_rejected_before_the_handler(gateway: LocalGateway) -> None:
    # Given a body just over API Gateway's 10 MB limit
    body = b"x" * (MAX_REQUEST_BODY + 1)

    # When it is posted
    response = gateway.request("POST", "/things", body=body)

    # Then the gateway answers 413 in the envelope
    assert response.status == 413
    assert response.json()["error"]["error_code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("path", ["/boom", "/malformed"])
def test_handler_failure_is_a_502_envelope(
    gateway: LocalGateway, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a handler that raises or returns a malformed result
    # When it is called
    response = gateway.request("GET", path, headers={"Accept": "application/json"})

    # Then the client gets DEFAULT_5XX with API Gateway's own status for a failed function
    # (502, not turned into 500), without internals, and the traceback is logged
    assert response.status == 502
    assert response.json() == {
        "error": {"message": "Internal error; it has been logged.", "error_code": "INTERNAL"}
    }
    assert "secret" not in response.text
    assert "Traceback" in capsys.readouterr().err


def test_binary_request_body_is_base64_encoded(gateway: LocalGateway) -> None:
    # Given a body that is not UTF-8 text, and one that is
    binary = b"\x89PNG\x00\xff\xfe"

    # When they are posted
    event = gateway.request(
        "POST", "/things", headers={"Content-Type": "application/octet-stream"}, body=binary
    ).json()["event"]
    text_event = gateway.request("POST", "/things", json={"title": "héllo"}).json()["event"]

    # Then the binary one arrives base64-encoded and flagged, the text one as it was sent
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == binary
    assert text_event["isBase64Encoded"] is False
    assert text_event["body"] == '{"title":"héllo"}'
    assert text_event["headers"]["Content-Type"] == "application/json"


def test_base64_and_multi_value_response(gateway: LocalGateway) -> None:
    # Given a handler returning a base64 body and multi-value headers
    # When it is called through an ANY route
    response = gateway.request("PATCH", "/binary")

    # Then the body is decoded and every header value is kept
    assert response.status == 201
    assert response.body == b"\x89PNG\x00\xff"
    assert response.header("content-type") == "image/png"
    assert response.header_values("Set-Cookie") == ["a=1", "b=2"]
    assert response.header("X-One") == "1"


def test_unconfigured_response_types_inherit_default_4xx(gateway: LocalGateway) -> None:
    # Given a response type the template does not configure (DEFAULT_4XX is configured)
    # When the gateway renders it
    response = gateway.gateway_response(
        "UNSUPPORTED_MEDIA_TYPE", [("Accept", "application/json")], message="Unsupported Media"
    )

    # Then it keeps its own status and uses DEFAULT_4XX's template with the message
    assert response.status == 415
    assert response.json() == {
        "error": {"message": "Unsupported Media", "error_code": "BAD_REQUEST"}
    }


def test_without_gateway_responses_the_api_gateway_defaults_apply(tmp_path: Path) -> None:
    # Given an API with no GatewayResponses at all
    template = {
        "Resources": {
            "Api": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "prod"}},
            "EchoFunction": _function("echo", ("/things", "GET")),
        }
    }
    gateway = LocalGateway(template, base_dir=tmp_path)

    # When an unknown path is requested
    response = gateway.request("GET", "/nowhere")

    # Then API Gateway's own default answers
    assert response.status == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "get", "Post"])
def test_a_method_api_gateway_does_not_route_is_an_unknown_route(
    gateway: LocalGateway, method: str
) -> None:
    # Given a method that is not one of API Gateway's (they are case-sensitive), on a path
    # with an ANY route and on one with a GET route
    for path in ("/binary", "/things/abc"):
        # When it is requested
        response = gateway.request(method, path)

        # Then no handler runs: the unknown-route response, in the envelope
        assert response.status == 404
        assert response.json() == {
            "error": {"message": "No such resource.", "error_code": "NOT_FOUND"}
        }


def test_request_line_and_headers_over_10_kib_are_refused_with_431(gateway: LocalGateway) -> None:
    # Given headers whose values, with the request line, pass API Gateway's 10,240 bytes,
    # and others just under the limit
    line = len("GET /things/abc HTTP/1.1")
    over = {"X-Big": "a" * (10240 - line + 1)}
    under = {"X-Big": "a" * (10240 - line)}

    # When each is sent
    refused = gateway.request("GET", "/things/abc", headers=over)
    accepted = gateway.request("GET", "/things/abc", headers=under)

    # Then the first is 431 in the envelope, before any handler; the second reaches it
    assert refused.status == 431
    assert refused.json() == {"error": {"message": HEADERS_TOO_LARGE, "error_code": "BAD_REQUEST"}}
    assert accepted.status == 200


def test_compact_gateway_templates_render_byte_for_byte_as_the_functions_do(
    tmp_path: Path,
) -> None:
    # Given gateway responses whose templates are compact JSON, as the functions write it
    from hail.errors import error_body

    compact = '{"error":{"message":"No such resource.","error_code":"NOT_FOUND"}}'
    message = '{"error":{"message":$context.error.messageString,"error_code":"BAD_REQUEST"}}'
    template = {
        "Resources": {
            "Api": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "StageName": "prod",
                    "GatewayResponses": {
                        "MISSING_AUTHENTICATION_TOKEN": {
                            "StatusCode": "404",
                            "ResponseTemplates": {"application/json": compact},
                        },
                        "DEFAULT_4XX": {"ResponseTemplates": {"application/json": message}},
                    },
                },
            },
            "EchoFunction": _function("echo", ("/things", "GET")),
        }
    }
    gateway = LocalGateway(template, base_dir=tmp_path)

    # When the gateway answers an unknown route, and renders a message of its own
    unknown = gateway.request("GET", "/nowhere")
    too_large = gateway.request("GET", "/things", headers={"X-Big": "a" * 10240})

    # Then the bodies are exactly what a function's envelope would be
    assert unknown.body == error_body(404, "NOT_FOUND", "No such resource.", None, None)[0]
    assert too_large.body == error_body(431, "BAD_REQUEST", HEADERS_TOO_LARGE, None, None)[0]
