"""template.yaml's sign-in: the Cognito user pool created by default (or an existing provider
named by parameters), checked against what the code expects, and the accounts and OAuth
functions' leading-key-limited IAM against the calls they really make."""

from __future__ import annotations

from typing import Any

from hail.auth import SCOPES
from hail.settings import Settings
from hail_tools import template as tpl

TEMPLATE = tpl.load_template()
RESOURCES = TEMPLATE["Resources"]
COGNITO = ("UserPool", "UserPoolDomain", "HailResourceServer", "UserPoolClient")
EXISTING = {
    "TokenIssuer": "https://issuer.example",
    "TokenAudience": "client-a,client-b",
    "AudienceClaim": "aud",
    "ScopePrefix": "https://api.example/",
    "JwksUrl": "https://issuer.example/jwks.json",
    "OAuthAuthorizeUrl": "https://issuer.example/authorize",
    "OAuthTokenUrl": "https://issuer.example/token",
    "OAuthClientAuth": "client_secret_post",
}


def _environment(function_id: str, **parameters: str) -> dict[str, str]:
    context = tpl.make_context(TEMPLATE, parameters, region="eu-west-1")
    return tpl.functions(TEMPLATE, context)[function_id].environment


def test_the_user_pool_is_created_by_default_and_only_then() -> None:
    condition = TEMPLATE["Conditions"]["CreateUserPool"]
    for logical_id in COGNITO:
        assert RESOURCES[logical_id]["Condition"] == "CreateUserPool", logical_id
    assert tpl.resolve(condition, tpl.make_context(TEMPLATE)) is True
    assert tpl.resolve(condition, tpl.make_context(TEMPLATE, EXISTING)) is False


def test_by_default_the_functions_trust_the_created_pool() -> None:
    env = _environment("OAuthFunction")
    pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_UserPool"
    assert env["TOKEN_ISSUER"] == pool
    assert env["JWKS_URL"] == f"{pool}/.well-known/jwks.json"
    assert (env["AUDIENCE_CLAIM"], env["TOKEN_AUDIENCE"]) == ("client_id", "UserPoolClient,")
    domain = "https://hail-local.auth.eu-west-1.amazoncognito.com"
    assert env["OAUTH_AUTHORIZE_URL"] == f"{domain}/oauth2/authorize"
    assert env["OAUTH_TOKEN_URL"] == f"{domain}/oauth2/token"
    assert env["OAUTH_CLIENT_AUTH"] == "client_secret_basic"  # what Cognito documents first
    known = Settings.model_fields
    settings = Settings(**{k.lower(): v for k, v in env.items() if k.lower() in known})
    identifier = RESOURCES["HailResourceServer"]["Properties"]["Identifier"]
    assert settings.scope_prefix == f"{identifier}/"


def test_with_an_existing_provider_the_parameters_are_used() -> None:
    env = _environment("OAuthFunction", **EXISTING)
    assert {
        "TOKEN_ISSUER": env["TOKEN_ISSUER"],
        "TOKEN_AUDIENCE": env["TOKEN_AUDIENCE"],
        "AUDIENCE_CLAIM": env["AUDIENCE_CLAIM"],
        "SCOPE_PREFIX": env["SCOPE_PREFIX"],
        "JWKS_URL": env["JWKS_URL"],
        "OAUTH_AUTHORIZE_URL": env["OAUTH_AUTHORIZE_URL"],
        "OAUTH_TOKEN_URL": env["OAUTH_TOKEN_URL"],
        "OAUTH_CLIENT_AUTH": env["OAUTH_CLIENT_AUTH"],
    } == {
        "TOKEN_ISSUER": "https://issuer.example",
        "TOKEN_AUDIENCE": "client-a,client-b",
        "AUDIENCE_CLAIM": "aud",
        "SCOPE_PREFIX": "https://api.example/",
        "JWKS_URL": "https://issuer.example/jwks.json",
        "OAUTH_AUTHORIZE_URL": "https://issuer.example/authorize",
        "OAUTH_TOKEN_URL": "https://issuer.example/token",
        "OAUTH_CLIENT_AUTH": "client_secret_post",
    }


def test_the_resource_server_holds_the_six_hail_scopes_and_the_client_may_ask_them() -> None:
    server = RESOURCES["HailResourceServer"]["Properties"]
    assert [s["ScopeName"] for s in server["Scopes"]] == list(SCOPES)
    prefix = f"{server['Identifier']}/"
    client = RESOURCES["UserPoolClient"]["Properties"]
    extra = Settings.model_fields["oauth_extra_scopes"].default.split()
    assert set(client["AllowedOAuthScopes"]) == {f"{prefix}{s}" for s in SCOPES} | set(extra)
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["GenerateSecret"] is True
    assert client["CallbackURLs"] == {"Ref": "CallbackUrls"}
    assert "HailResourceServer" in [RESOURCES["UserPoolClient"]["DependsOn"]]


def test_token_answers_are_kept_out_of_traces() -> None:
    assert _environment("OAuthFunction")["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"


def test_the_local_resolver_ignores_what_it_does_not_create(aws: Any) -> None:
    # The Cognito resources are not created locally: only tables and queues are.
    kinds = {RESOURCES[logical]["Type"] for logical in aws.names}
    assert kinds == {"AWS::DynamoDB::Table", "AWS::SQS::Queue"}
