"""Shared fixtures: moto resources built from template.yaml, local keys, the local gateway."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from hail_tools import keys
from hail_tools import template as tpl
from hail_tools.gateway import LocalGateway
from moto import mock_aws

REGION = "eu-west-1"


@dataclass
class AwsResources:
    dynamodb: Any  # boto3 DynamoDB client
    sqs: Any  # boto3 SQS client
    template: dict[str, Any]
    context: tpl.Context
    names: dict[str, str] = field(default_factory=dict)  # logical id -> physical name

    @property
    def table_name(self) -> str:
        return self.names["DataTable"]

    @property
    def tables(self) -> dict[str, str]:
        kinds = self.template["Resources"]
        return {k: v for k, v in self.names.items() if kinds[k]["Type"] == "AWS::DynamoDB::Table"}

    @property
    def queues(self) -> dict[str, str]:
        """Queue URL by logical id."""
        return dict(self.context.queue_urls)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsResources]:
    """moto with every table and queue of template.yaml; fake credentials in the env."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        template = tpl.load_template()
        context = tpl.make_context(template, region=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        names = tpl.create_resources(template, context, dynamodb, sqs)
        yield AwsResources(dynamodb, sqs, template, context, names)


@pytest.fixture(scope="session")
def local_keys(tmp_path_factory: pytest.TempPathFactory) -> keys.LocalKeys:
    """A key pair for this test session only (never the developer's .local/)."""
    return keys.ensure_keys(tmp_path_factory.mktemp("keys"))


def _reset_layer_caches() -> None:
    for module_name, attribute in (
        ("hail.settings", "get_settings"),
        ("hail.auth", "get_verifier"),
        ("hail.storage", "reset"),
        ("hail.queue", "reset"),
        ("hail.pushing", "default_worker"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        target = getattr(module, attribute, None)
        if target is None:
            continue
        clear = getattr(target, "cache_clear", None)
        (clear or target)()


@pytest.fixture
def gateway(aws: AwsResources, local_keys: keys.LocalKeys) -> Iterator[LocalGateway]:
    """The template's API in-process, over moto, with local token settings."""
    saved = dict(os.environ)
    parameters = {
        "TokenIssuer": keys.ISSUER,
        "TokenAudience": keys.AUDIENCE,
        "JwksUrl": Path(local_keys.jwks_path).resolve().as_uri(),
        "PublicBaseUrl": "https://hail.test",
    }
    context = tpl.make_context(
        aws.template, parameters, REGION, queue_urls=dict(aws.context.queue_urls)
    )
    gateway = LocalGateway(aws.template, context)  # sets the functions' env vars
    _reset_layer_caches()
    yield gateway
    _reset_layer_caches()
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def token(local_keys: keys.LocalKeys) -> Callable[..., str]:
    """Factory: token(sub="alice", scope=None, ttl=3600, **claims) -> "Bearer ..."."""

    def make(sub: str = "alice", scope: str | None = None, ttl: int = 3600, **claims: Any) -> str:
        options: dict[str, Any] = {"ttl": ttl, "directory": local_keys.directory}
        if scope is not None:
            options["scope"] = scope
        if claims:
            options["claims"] = claims
        return "Bearer " + keys.mint_token(sub, **options)

    return make


@pytest.fixture
def seeded(gateway: LocalGateway) -> LocalGateway:
    """The gateway over the demo data."""
    from hail_tools import demo

    demo.seed()
    return gateway
