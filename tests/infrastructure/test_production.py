"""template.yaml as a production stack: data kept, access logged, alarms wired, parameters
checked at deploy time, gateway errors in the functions' envelope with CORS, and every
DynamoDB call's worst case inside every function's timeout.

Generic where it can be: a table, function or log group added later is held to the same
rules."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hail.errors import error_body
from hail.storage import base as db
from hail_tools import template as tpl
from hail_tools.gateway import LocalGateway

TEMPLATE = tpl.load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]
FUNCTIONS = tpl.functions(TEMPLATE)


def _of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in RESOURCES.items() if v["Type"] == kind}


# ------------------------------------------------------------------ data kept


@pytest.mark.parametrize("table", sorted(_of_type("AWS::DynamoDB::Table")))
def test_tables_are_retained_protected_and_recoverable(table: str) -> None:
    resource = RESOURCES[table]
    # A stack deletion, a failed first create or a replacing change keeps the table
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    props = resource["Properties"]
    assert props["DeletionProtectionEnabled"] is True
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True


def test_credentials_are_encrypted_with_a_rotated_key_used_only_through_dynamodb() -> None:
    sse = RESOURCES["CredentialsTable"]["Properties"]["SSESpecification"]
    assert sse["SSEType"] == "KMS"
    assert sse["KMSMasterKeyId"] == {"Fn::GetAtt": ["CredentialsKey", "Arn"]}
    key = RESOURCES["CredentialsKey"]
    assert key["DeletionPolicy"] == "Retain"  # the retained table's backups need it
    assert key["Properties"]["EnableKeyRotation"] is True
    for statement in key["Properties"]["KeyPolicy"]["Statement"]:
        assert statement["Principal"] != "*" and statement["Principal"].get("AWS") != "*"
        actions = statement["Action"] if isinstance(statement["Action"], list) else []
        if {"kms:Decrypt", "kms:Encrypt"} & set(actions):
            assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {
                "Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"
            }


# ------------------------------------------------------------------ the API stage


def test_one_stage_throttled_traced_and_access_logged() -> None:
    api = RESOURCES["HailApi"]["Properties"]
    # OpenApiVersion set: SAM makes no second, unthrottled stage named "Stage"
    assert api["OpenApiVersion"].startswith("3.")
    assert api["TracingEnabled"] is True
    (settings,) = api["MethodSettings"]
    assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    assert settings["DataTraceEnabled"] is False  # no bodies (tokens, drafts) in logs
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}


def test_the_access_log_is_one_json_object_with_who_what_and_how_long() -> None:
    fmt = RESOURCES["HailApi"]["Properties"]["AccessLogSetting"]["Format"]
    # Every $context variable stands inside a JSON string, so each line parses
    record = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "x", fmt))
    assert {
        "requestId",
        "sourceIp",
        "caller",
        "principal",
        "httpMethod",
        "resourcePath",
        "status",
        "latency",
        "integrationLatency",
        "integrationError",
        "functionRequestId",  # the Lambda request id, which the functions' logs carry
    } <= set(record)
    assert "$context.requestId" in fmt and "$context.integration.latency" in fmt


# ------------------------------------------------------------------ logs


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_each_function_logs_to_its_own_group_of_the_stack(function_id: str) -> None:
    config = RESOURCES[function_id]["Properties"]["LoggingConfig"]
    group = config["LogGroup"]["Ref"]
    assert RESOURCES[group]["Type"] == "AWS::Logs::LogGroup"
    owners = [
        f
        for f in FUNCTIONS
        if RESOURCES[f]["Properties"].get("LoggingConfig", {}).get("LogGroup") == {"Ref": group}
    ]
    assert owners == [function_id]


@pytest.mark.parametrize("group", sorted(_of_type("AWS::Logs::LogGroup")))
def test_every_log_group_is_kept_the_retention_parameter(group: str) -> None:
    assert RESOURCES[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


# ------------------------------------------------------------------ alarms


def _referenced(value: Any) -> set[str]:
    text = json.dumps(value)
    return set(re.findall(r'"Ref": "(\w+)"', text))


def test_alarms_watch_errors_throttles_and_the_dead_letters() -> None:
    alarms = _of_type("AWS::CloudWatch::Alarm")
    assert set(alarms) >= {
        "ApiServerErrorsAlarm",
        "PushFunctionErrorsAlarm",
        "FunctionThrottlesAlarm",
        "DynamoDBThrottlesAlarm",
        "PushDeadLettersAlarm",
        "PushQueueAgeAlarm",
    }
    notify = [{"Fn::If": ["HasAlarmTopicArn", {"Ref": "AlarmTopicArn"}, {"Ref": "AlarmTopic"}]}]
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == notify, name
        assert alarm["Properties"]["OKActions"] == notify, name
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching", name
    # Every function's throttles, every table's, every queue consumer's errors
    assert set(FUNCTIONS) <= _referenced(alarms["FunctionThrottlesAlarm"])
    assert set(_of_type("AWS::DynamoDB::Table")) <= _referenced(alarms["DynamoDBThrottlesAlarm"])
    consumers = {f for f, function in FUNCTIONS.items() if function.sqs_events}
    assert consumers <= _referenced(alarms["PushFunctionErrorsAlarm"])


def test_the_alarm_topic_is_the_stacks_unless_one_is_given() -> None:
    assert RESOURCES["AlarmTopic"]["Condition"] == "MakesAlarmTopic"
    assert RESOURCES["AlarmEmailSubscription"]["Condition"] == "SubscribesAlarmEmail"
    default = tpl.make_context(TEMPLATE)
    assert tpl.resolve({"Condition": "MakesAlarmTopic"}, default) is True
    assert tpl.resolve({"Condition": "SubscribesAlarmEmail"}, default) is False
    given = tpl.make_context(TEMPLATE, {"AlarmTopicArn": "arn:aws:sns:eu-west-1:1:ops"})
    assert tpl.resolve({"Condition": "MakesAlarmTopic"}, given) is False


# ------------------------------------------------------------------ options, off by default


def test_waf_and_reserved_concurrency_are_off_by_default() -> None:
    default = tpl.make_context(TEMPLATE)
    assert tpl.resolve({"Condition": "WafOn"}, default) is False
    assert tpl.resolve({"Condition": "ReservesConcurrency"}, default) is False
    for name in ("WebAcl", "WebAclAssociation"):
        assert RESOURCES[name]["Condition"] == "WafOn"
    on = tpl.make_context(TEMPLATE, {"EnableWaf": "true", "ReservedConcurrency": "20"})
    assert tpl.resolve({"Condition": "WafOn"}, on) is True
    reserved = TEMPLATE["Globals"]["Function"]["ReservedConcurrentExecutions"]
    assert tpl.resolve(reserved, on) == "20"


# ------------------------------------------------------------------ parameters


def _accepts(parameter: str, value: str) -> bool:
    spec = PARAMETERS[parameter]
    if "AllowedValues" in spec:
        return value in [str(v) for v in spec["AllowedValues"]]
    return re.fullmatch(spec.get("AllowedPattern", ".*"), value) is not None


@pytest.mark.parametrize(
    ("parameter", "good", "bad"),
    [
        (
            "TokenIssuer",
            ["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab", ""],
            ["http://issuer.example", "file:///etc/keys", "issuer", "https://a b"],
        ),
        (
            "JwksUrl",
            ["https://issuer.example/.well-known/jwks.json", ""],
            ["http://issuer.example/jwks", "file:///jwks.json"],
        ),
        ("TokenAudience", ["3n4b5c6d7e", ""], ["two words"]),
        (
            "PublicBaseUrl",
            ["", "https://api.example.org", "https://x.org/v"],
            ["http://a", "https://a/"],
        ),
        (
            "CorsAllowOrigins",
            ["", "*", "https://app.example.org", "https://a.org,http://localhost:3000"],
            ["https://a.org, https://b.org", "app.example.org", "https://a.org/path"],
        ),
        ("AlarmEmail", ["", "ops@example.org"], ["ops", "a b@example.org"]),
        ("AlarmTopicArn", ["", "arn:aws:sns:eu-west-1:123456789012:ops"], ["ops"]),
        ("LogRetentionDays", ["30", "365"], ["31", "0"]),
    ],
)
def test_parameters_are_checked_at_deploy_time(
    parameter: str, good: list[str], bad: list[str]
) -> None:
    # CloudFormation refuses a value its AllowedPattern or AllowedValues refuse: a bad
    # value fails the deploy, not every request
    assert all(_accepts(parameter, v) for v in good), (parameter, good)
    assert not any(_accepts(parameter, v) for v in bad), (parameter, bad)


def test_an_existing_providers_settings_are_required_together() -> None:
    # Without TokenIssuer the stack creates a user pool, which supplies the rest; with it,
    # the other settings of that provider must be given too (refused at deploy time)
    (rule,) = TEMPLATE["Rules"].values()
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "TokenIssuer"}, ""]}]}
    asserted = {a["Assert"]["Fn::Not"][0]["Fn::Equals"][0]["Ref"] for a in rule["Assertions"]}
    assert asserted == {"TokenAudience", "JwksUrl", "OAuthAuthorizeUrl", "OAuthTokenUrl"}


# ------------------------------------------------------------------ timeouts


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_a_database_calls_worst_case_fits_in_the_function_timeout(function_id: str) -> None:
    # A call made with the whole budget ends (answer or 503) before Lambda stops the function
    assert FUNCTIONS[function_id].timeout >= db.WORST_CALL + db.RESERVE
    retries = db.CLIENT_CONFIG.retries or {}
    assert retries["total_max_attempts"] == db.ATTEMPTS
    assert (db.CLIENT_CONFIG.connect_timeout, db.CLIENT_CONFIG.read_timeout) == (
        db.CONNECT_TIMEOUT,
        db.READ_TIMEOUT,
    )
    assert db.WORST_CALL == db.ATTEMPTS * (db.CONNECT_TIMEOUT + db.READ_TIMEOUT) + 1


# ------------------------------------------------------------------ gateway responses

STATIC = {  # response type -> (status, error code, message) of its fixed message
    "MISSING_AUTHENTICATION_TOKEN": (404, "NOT_FOUND", "No such resource."),
    "RESOURCE_NOT_FOUND": (404, "NOT_FOUND", "No such resource."),
    "UNAUTHORIZED": (401, "UNAUTHORIZED", "A valid access token is required."),
    "ACCESS_DENIED": (403, "FORBIDDEN", "Not allowed."),
    "WAF_FILTERED": (403, "FORBIDDEN", "The request was refused by the web application firewall."),
    "REQUEST_TOO_LARGE": (413, "PAYLOAD_TOO_LARGE", "The request body is too large."),
    "THROTTLED": (429, "RATE_LIMITED", "Too many requests; retry later."),
    "QUOTA_EXCEEDED": (429, "RATE_LIMITED", "Request quota exceeded; retry later."),
    "INTEGRATION_FAILURE": (502, "INTERNAL", "The function failed to answer; it has been logged."),
    "INTEGRATION_TIMEOUT": (
        503,
        "UNAVAILABLE",
        "The service is temporarily unavailable; retry later.",
    ),
}


def test_gateway_errors_are_the_functions_envelope_byte_for_byte() -> None:
    responses = tpl.gateway_responses(TEMPLATE)
    for kind, (status, code, message) in STATIC.items():
        response = responses[kind]
        assert response.status_code == status, kind
        body, _ = error_body(status, code, message, None, None)
        assert response.templates["application/json"].encode() == body, kind
        problem, _ = error_body(status, code, message, None, "application/problem+json")
        # Python before 3.13 names 413 "Request Entity Too Large" (RFC 9110: Content Too Large)
        problem = problem.replace(b"Request Entity Too Large", b"Content Too Large")
        assert response.templates["application/problem+json"].encode() == problem, kind
    # API Gateway's own message, in the same envelope
    default_4xx = responses["DEFAULT_4XX"].templates["application/json"]
    rendered = default_4xx.replace("$context.error.messageString", json.dumps("Bad thing"))
    assert rendered.encode() == error_body(400, "BAD_REQUEST", "Bad thing", None, None)[0]


def test_5xx_statuses_stay_distinct() -> None:
    responses = tpl.gateway_responses(TEMPLATE)
    # DEFAULT_5XX keeps API Gateway's status (500, 502, 504): no StatusCode forces 500
    assert responses["DEFAULT_5XX"].status_code is None
    assert responses["INTEGRATION_FAILURE"].status_code == 502
    assert responses["INTEGRATION_TIMEOUT"].status_code == 503  # the 29 s limit: retry
    assert responses["INTEGRATION_TIMEOUT"].headers["Retry-After"] == "1"
    body = responses["DEFAULT_5XX"].templates["application/json"].encode()
    assert body == error_body(500, "INTERNAL", "Internal error; it has been logged.", None, None)[0]


@pytest.fixture
def restored_environment() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.usefixtures("restored_environment")
@pytest.mark.parametrize(
    ("allowed", "origin", "expected"),
    [
        ("", "https://app.example.org", None),
        ("https://app.example.org", "https://app.example.org", "https://app.example.org"),
        ("*", "https://any.example.org", "*"),
        (
            "https://a.example.org,https://b.example.org",
            "https://b.example.org",
            "https://b.example.org",
        ),
    ],
)
def test_gateway_errors_carry_cors_headers_when_cors_is_on(
    allowed: str, origin: str, expected: str | None
) -> None:
    # Given the stack deployed with CorsAllowOrigins
    gateway = LocalGateway(TEMPLATE, {"CorsAllowOrigins": allowed, "TokenIssuer": "https://i"})
    headers = {"Origin": origin, "Accept": "application/json"}

    # When API Gateway itself answers: no such route (404), a body over its limit (413)
    not_found = gateway.request("GET", "/v1/nowhere", headers=headers)
    too_large = gateway.gateway_response("REQUEST_TOO_LARGE", list(headers.items()))
    throttled = gateway.gateway_response("THROTTLED", list(headers.items()))

    # Then a browser app may read the error (and its Retry-After) when CORS is on
    for response in (not_found, too_large, throttled):
        assert response.header("Access-Control-Allow-Origin") == expected
        exposed = response.header("Access-Control-Expose-Headers")
        assert exposed == (None if expected is None else "Retry-After,WWW-Authenticate")
    assert not_found.status == 404 and not_found.json()["error"]["error_code"] == "NOT_FOUND"
    assert throttled.header("Retry-After") == "1"


# ------------------------------------------------------------------ scanners


def test_every_skipped_checkov_rule_has_its_reason() -> None:
    # Given the scanner's configuration beside the template
    lines = (tpl.REPO_ROOT / ".checkov.yaml").read_text().splitlines()
    skips = [n for n, line in enumerate(lines) if re.match(r"\s+- CKV2?_AWS_\d+\s*$", line)]

    # Then each skipped rule is preceded by the comment that says why
    assert skips
    for n in skips:
        assert lines[n - 1].strip().startswith("#"), lines[n]
