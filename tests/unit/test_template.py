"""template.yaml as local tooling reads it: tags, intrinsic functions, routes, resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from hail_tools import template as tpl
from hail_tools.gateway import LocalGateway
from moto import mock_aws

SHORT_TAGS = """
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Thing:
    Properties:
      A: !Ref Stage
      B: !GetAtt Table.Arn
      C: !GetAtt [Table, StreamArn]
      D: !Sub "${AWS::Region}-${Stage}"
      E: !Join [",", [a, b]]
      F: !If [IsProd, yes-prod, not-prod]
      G: !Select [1, !GetAZs ""]
      H: !ImportValue SharedVpc
      I: !Not [!Condition IsProd]
      J: !Sub
        - "${Name}-x"
        - Name: !Ref Stage
"""


def _context(template: dict[str, Any], **parameters: str) -> tpl.Context:
    return tpl.make_context(template, parameters, region="eu-west-1", stack_name="hail-test")


def test_short_tags_load_as_long_form(tmp_path: Path) -> None:
    # Given a template using CloudFormation short tags
    path = tmp_path / "template.yaml"
    path.write_text(SHORT_TAGS)

    # When it is loaded
    props = tpl.load_template(path)["Resources"]["Thing"]["Properties"]

    # Then every tag is the long form CloudFormation documents
    assert props["A"] == {"Ref": "Stage"}
    assert props["B"] == {"Fn::GetAtt": ["Table", "Arn"]}
    assert props["C"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert props["D"] == {"Fn::Sub": "${AWS::Region}-${Stage}"}
    assert props["E"] == {"Fn::Join": [",", ["a", "b"]]}
    assert props["F"] == {"Fn::If": ["IsProd", "yes-prod", "not-prod"]}
    assert props["G"] == {"Fn::Select": [1, {"Fn::GetAZs": ""}]}
    assert props["H"] == {"Fn::ImportValue": "SharedVpc"}
    assert props["I"] == {"Fn::Not": [{"Condition": "IsProd"}]}
    assert props["J"] == {"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "Stage"}}]}


def test_the_project_template_loads() -> None:
    # Given / When the repository's template.yaml is loaded
    template = tpl.load_template()

    # Then its short tags are resolved into long form
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["TABLE_NAME"] == {"Ref": "DataTable"}
    assert template["Resources"]["DataTable"]["Type"] == "AWS::DynamoDB::Table"


def test_resolve_intrinsics(tmp_path: Path) -> None:
    # Given the short-tag template with a parameter, a table and a condition
    path = tmp_path / "template.yaml"
    path.write_text(SHORT_TAGS)
    template = tpl.load_template(path)
    template["Parameters"] = {"Stage": {"Type": "String", "Default": "dev"}}
    template["Resources"]["Table"] = {"Type": "AWS::DynamoDB::Table", "Properties": {}}
    context = _context(template, Stage="prod")
    context.imports["SharedVpc"] = "vpc-123"

    # When its properties are resolved
    props = tpl.resolve(template["Resources"]["Thing"]["Properties"], context)

    # Then parameters, pseudo parameters, resource attributes and conditions are applied
    assert props == {
        "A": "prod",
        "B": "arn:aws:dynamodb:eu-west-1:123456789012:table/Table",
        "C": "arn:aws:dynamodb:eu-west-1:123456789012:table/Table/stream/1970-01-01T00:00:00.000",
        "D": "eu-west-1-prod",
        "E": "a,b",
        "F": "yes-prod",
        "G": "eu-west-1b",
        "H": "vpc-123",
        "I": False,
        "J": "prod-x",
    }


def test_resolve_references_to_tables_queues_and_pseudo_parameters() -> None:
    # Given a template with a table, a queue and a named queue
    template = {
        "Parameters": {"Level": {"Type": "String", "Default": "INFO"}},
        "Resources": {
            "DataTable": {"Type": "AWS::DynamoDB::Table"},
            "Jobs": {"Type": "AWS::SQS::Queue"},
            "Named": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "named-q"}},
        },
    }
    context = _context(template)

    # When references are resolved
    def resolved(value: Any) -> Any:
        return tpl.resolve(value, context)

    # Then each resolves as CloudFormation would, with local names
    assert resolved({"Ref": "Level"}) == "INFO"
    assert resolved({"Ref": "DataTable"}) == "DataTable"
    assert resolved({"Ref": "AWS::StackName"}) == "hail-test"
    assert resolved({"Ref": "AWS::AccountId"}) == "123456789012"
    assert resolved({"Fn::Sub": "${DataTable.Arn}/index/*"}) == (
        "arn:aws:dynamodb:eu-west-1:123456789012:table/DataTable/index/*"
    )
    assert resolved({"Fn::GetAtt": ["Jobs", "Arn"]}) == "arn:aws:sqs:eu-west-1:123456789012:Jobs"
    assert resolved({"Fn::GetAtt": ["Named", "QueueName"]}) == "named-q"
    assert resolved({"Ref": "Jobs"}) == "https://sqs.eu-west-1.amazonaws.com/123456789012/Jobs"
    assert resolved({"Fn::Sub": "${!Literal}-${Level}"}) == "${Literal}-INFO"
    assert resolved({"A": {"Ref": "AWS::NoValue"}, "B": 1}) == {"B": 1}
    context.queue_urls["Jobs"] = "http://127.0.0.1:5000/123456789012/Jobs"
    assert resolved({"Fn::GetAtt": ["Jobs", "QueueUrl"]}) == context.queue_urls["Jobs"]
    with pytest.raises(KeyError):
        resolved({"Ref": "Nope"})


def test_routes_of_the_project_template() -> None:
    # Given the project template
    template = tpl.load_template()

    # When its routes are listed
    found = {(r.function, r.path, r.method) for r in tpl.routes(template)}
    route = next(r for r in tpl.routes(template) if r.path == "/v1/publications/{id}")

    # Then every Api event is a route, with its handler file
    assert ("PublicationsFunction", "/v1/publications/{id}", "GET") in found
    assert ("PublicationsFunction", "/v1/publications/{id}", "ANY") in found
    assert ("OrganisationsFunction", "/v1/organisations/{id}/publications", "POST") in found
    assert route.handler_file == tpl.REPO_ROOT / "functions/publications/app.py"
    assert route.handler_attr == "handler"


def test_functions_merge_globals_and_expose_sqs_events() -> None:
    # Given a function with its own env, a worker with an SQS trigger, and globals
    template = {
        "Globals": {
            "Function": {
                "Timeout": 10,
                "MemorySize": 512,
                "Environment": {"Variables": {"TABLE_NAME": {"Ref": "DataTable"}, "A": "1"}},
            }
        },
        "Resources": {
            "DataTable": {"Type": "AWS::DynamoDB::Table"},
            "Jobs": {"Type": "AWS::SQS::Queue"},
            "WorkerFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "functions/worker/",
                    "Handler": "app.handler",
                    "Timeout": 30,
                    "Environment": {"Variables": {"A": "2"}},
                    "Events": {
                        "Batch": {
                            "Type": "SQS",
                            "Properties": {
                                "Queue": {"Fn::GetAtt": ["Jobs", "Arn"]},
                                "BatchSize": 5,
                                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            },
                        }
                    },
                },
            },
        },
    }

    # When the functions are read with a context
    worker = tpl.functions(template, _context(template))["WorkerFunction"]

    # Then globals are merged, the function wins, and the SQS trigger is exposed
    assert worker.timeout == 30
    assert worker.memory_size == 512
    assert worker.environment == {"TABLE_NAME": "DataTable", "A": "2"}
    assert worker.handler_file == tpl.REPO_ROOT / "functions/worker/app.py"
    assert worker.sqs_events == [
        tpl.SqsEvent("Batch", "Jobs", 5, ("ReportBatchItemFailures",), 0, True)
    ]
    assert tpl.routes(template) == []


def test_gateway_responses_of_the_project_template() -> None:
    # Given / When the project's gateway responses are read
    responses = tpl.gateway_responses(tpl.load_template())

    # Then status codes, literal headers and templates are there
    assert responses["UNAUTHORIZED"].status_code == 401
    assert responses["UNAUTHORIZED"].headers == {"WWW-Authenticate": "Bearer"}
    assert responses["DEFAULT_4XX"].status_code is None
    assert set(responses["MISSING_AUTHENTICATION_TOKEN"].templates) == {
        "application/json",
        "application/problem+json",
    }


# --------------------------------------------------------------------------- route matching


def _api(*events: tuple[str, str]) -> dict[str, Any]:
    return {
        "Resources": {
            "Api": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "v1"}},
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "fn/",
                    "Handler": "app.handler",
                    "Events": {
                        f"E{n}": {"Type": "Api", "Properties": {"Path": path, "Method": method}}
                        for n, (path, method) in enumerate(events)
                    },
                },
            },
        }
    }


@pytest.fixture
def matcher() -> LocalGateway:
    return LocalGateway(
        _api(
            ("/items/{id}", "get"),
            ("/items/special", "GET"),
            ("/items/{id}", "ANY"),
            ("/items/{id}/parts", "POST"),
            ("/files/{path+}", "ANY"),
            ("/{proxy+}", "GET"),
        )
    )


@pytest.mark.parametrize(
    ("method", "path", "resource", "route_method", "params"),
    [
        ("GET", "/items/special", "/items/special", "GET", {}),  # literal beats {param}
        ("GET", "/items/42", "/items/{id}", "GET", {"id": "42"}),  # explicit beats ANY
        ("PATCH", "/items/42", "/items/{id}", "ANY", {"id": "42"}),  # ANY for the rest
        ("GET", "/items/42/", "/items/{id}", "GET", {"id": "42"}),  # trailing slash
        ("GET", "/items/a%2Fb", "/items/{id}", "GET", {"id": "a%2Fb"}),  # not decoded
        ("PUT", "/files/a/b/c", "/files/{path+}", "ANY", {"path": "a/b/c"}),  # greedy
        ("GET", "/items/42/parts/x", "/{proxy+}", "GET", {"proxy": "items/42/parts/x"}),
        ("GET", "/other", "/{proxy+}", "GET", {"proxy": "other"}),
    ],
)
def test_route_matching_precedence(
    matcher: LocalGateway,
    method: str,
    path: str,
    resource: str,
    route_method: str,
    params: dict[str, str],
) -> None:
    # Given routes with literals, parameters, a greedy path and ANY
    # When a request path is matched
    found, route, path_params = matcher.match(method, path)

    # Then API Gateway's precedence decides the resource and the method
    assert found == resource
    assert route is not None and route.method == route_method
    assert path_params == params


@pytest.mark.parametrize(
    ("method", "path", "resource"),
    [
        ("GET", "/items/42/parts", "/items/{id}/parts"),  # resource without GET or ANY
        ("POST", "/other", "/{proxy+}"),
        ("GET", "/files", "/files"),  # intermediate resource, greedy needs a segment
        ("GET", "/", "/"),
    ],
)
def test_paths_without_a_method(
    matcher: LocalGateway, method: str, path: str, resource: str
) -> None:
    # Given / When a path matches a resource that has no such method
    found, route, _ = matcher.match(method, path)

    # Then there is no route (API Gateway answers MISSING_AUTHENTICATION_TOKEN)
    assert (found, route) == (resource, None)


def test_no_resource_at_all() -> None:
    # Given an API without a catch-all
    gateway = LocalGateway(_api(("/items/{id}", "GET")))

    # When / Then an unknown path matches nothing
    assert gateway.match("GET", "/nothing/here") == ("", None, {})


# --------------------------------------------------------------------------- resources


def test_create_resources_builds_tables_and_queues_idempotently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a template whose queue is declared before its dead-letter queue
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    template = tpl.load_template()
    template["Resources"]["PushQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "VisibilityTimeout": 60,
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": ["PushDeadLetterQueue", "Arn"]},
                "maxReceiveCount": 3,
            },
        },
    }
    template["Resources"]["PushDeadLetterQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {"MessageRetentionPeriod": 1209600},
    }
    context = _context(template)

    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        sqs = boto3.client("sqs", region_name="eu-west-1")

        # When the resources are created twice
        tpl.create_resources(template, context, dynamodb, sqs)
        names = tpl.create_resources(template, context, dynamodb, sqs)

        # Then the table has the template's keys, indexes and TTL
        assert names["DataTable"] == "DataTable"
        table = dynamodb.describe_table(TableName="DataTable")["Table"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} >= {"list-created"}
        ttl = dynamodb.describe_time_to_live(TableName="DataTable")["TimeToLiveDescription"]
        assert ttl == {"AttributeName": "ttl", "TimeToLiveStatus": "ENABLED"}
        # And the queue redrives to its dead-letter queue
        attributes = sqs.get_queue_attributes(
            QueueUrl=context.queue_urls["PushQueue"], AttributeNames=["All"]
        )["Attributes"]
        assert attributes["VisibilityTimeout"] == "60"
        assert json.loads(attributes["RedrivePolicy"]) == {
            "deadLetterTargetArn": "arn:aws:sqs:eu-west-1:123456789012:PushDeadLetterQueue",
            "maxReceiveCount": 3,
        }
        assert len(sqs.list_queues()["QueueUrls"]) == 2


def test_event_source_mappings_are_sqs_triggers_of_their_function() -> None:
    # Given a worker triggered by an event source mapping rather than a SAM SQS event
    template = {
        "Resources": {
            "Jobs": {"Type": "AWS::SQS::Queue"},
            "Stream": {"Type": "AWS::Kinesis::Stream"},
            "WorkerFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "functions/worker/", "Handler": "app.handler"},
            },
            "WorkerTrigger": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "WorkerFunction"},
                    "EventSourceArn": {"Fn::GetAtt": ["Jobs", "Arn"]},
                    "BatchSize": 7,
                    "MaximumBatchingWindowInSeconds": 2,
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                    "Enabled": False,
                },
            },
            "StreamTrigger": {  # not a queue: not an SQS trigger
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "WorkerFunction"},
                    "EventSourceArn": {"Fn::GetAtt": ["Stream", "Arn"]},
                },
            },
        }
    }

    # When the functions are read
    worker = tpl.functions(template)["WorkerFunction"]

    # Then the mapping is the worker's SQS trigger, as the local triggers run it
    assert worker.sqs_events == [
        tpl.SqsEvent("WorkerTrigger", "Jobs", 7, ("ReportBatchItemFailures",), 2, False)
    ]


def test_gateway_response_headers_resolve_conditions_and_copy_request_headers() -> None:
    # Given gateway responses whose headers depend on a parameter, one copied from the request
    template = {
        "Parameters": {"Origins": {"Type": "String", "Default": ""}},
        "Conditions": {"HasOrigins": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Origins"}, ""]}]}},
        "Resources": {
            "Api": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "GatewayResponses": {
                        "THROTTLED": {
                            "StatusCode": "429",
                            "ResponseParameters": {
                                "Headers": {
                                    "Retry-After": "'1'",
                                    "Access-Control-Allow-Origin": {
                                        "Fn::If": [
                                            "HasOrigins",
                                            "method.request.header.Origin",
                                            {"Ref": "AWS::NoValue"},
                                        ]
                                    },
                                }
                            },
                        }
                    }
                },
            }
        },
    }

    # When they are read without, then with, the parameter
    off = tpl.gateway_responses(template)["THROTTLED"]
    on = tpl.gateway_responses(template, _context(template, Origins="https://a.org"))["THROTTLED"]

    # Then literal headers are unquoted, and the mapped one is named, or absent
    assert (off.headers, off.request_headers) == ({"Retry-After": "1"}, {})
    assert (on.headers, on.request_headers) == (
        {"Retry-After": "1"},
        {"Access-Control-Allow-Origin": "Origin"},
    )
