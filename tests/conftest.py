"""Shared fixtures: moto resources built from template.yaml, local keys, the local gateway.

moto runs once per session: the template's tables and queues are created once, and each
test that asks for `aws` starts from empty tables and queues (or, with `seeded`, from a
copy of the demo data, seeded once per session). Tests that start their own `mock_aws()`
are unaffected: the session's mock is only active while a test holds `aws`, and anything
they remove is created again before the next such test.
"""

from __future__ import annotations

import copy
import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from hail_tools import keys
from hail_tools import template as tpl
from hail_tools.gateway import LocalGateway
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.sqs.models import sqs_backends

REGION = "eu-west-1"


@cache
def _template() -> dict[str, Any]:
    return tpl.load_template()


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


class _Session:
    """The session's moto, its resources and the demo data snapshot."""

    def __init__(self) -> None:
        self.mock = mock_aws()
        self.demo: dict[str, Any] | None = None  # table name -> copy of moto's items

    @staticmethod
    def _moto_tables() -> dict[str, Any]:
        return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables

    def start(self) -> AwsResources:
        self.mock.start(reset=False)
        template = copy.deepcopy(_template())
        context = tpl.make_context(template, region=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        names = tpl.create_resources(template, context, dynamodb, sqs)  # only what is missing
        for name in names.values():
            table = self._moto_tables().get(name)
            if table is not None:
                table.items.clear()
        for queue in sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues.values():
            # PurgeQueue is refused twice a minute (as in SQS): empty moto's queue directly.
            queue._messages = []
            queue._pending_messages = set()
            queue.deleted_messages = set()
        return AwsResources(dynamodb, sqs, template, context, names)

    def stop(self) -> None:
        self.mock.stop(remove_data=False)

    def restore_demo(self, seed: Callable[[], object]) -> None:
        """Put the demo data in the (empty) tables: seeded the first time, copied after."""
        tables = self._moto_tables()
        if self.demo is None:
            seed()
            self.demo = {name: copy.deepcopy(table.items) for name, table in tables.items()}
            return
        for name, items in self.demo.items():
            tables[name].items = copy.deepcopy(items)


@pytest.fixture(scope="session")
def _moto_session() -> _Session:
    return _Session()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, _moto_session: _Session) -> Iterator[AwsResources]:
    """moto with every table and queue of template.yaml, empty; fake credentials in the env."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    resources = _moto_session.start()
    try:
        yield resources
    finally:
        _moto_session.stop()


@pytest.fixture(scope="session")
def local_keys(tmp_path_factory: pytest.TempPathFactory) -> keys.LocalKeys:
    """A key pair for this test session only (never the developer's .local/)."""
    return keys.ensure_keys(tmp_path_factory.mktemp("keys"))


def _reset_layer_caches() -> None:
    for module_name, attribute in (
        ("hail.settings", "get_settings"),
        ("hail.auth", "get_verifier"),
        ("hail.storage.base", "reset"),
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
def gateway_with(
    aws: AwsResources, local_keys: keys.LocalKeys
) -> Iterator[Callable[..., LocalGateway]]:
    """Factory: gateway_with(**template parameters) -> the template's API in-process, over
    moto, with local token settings unless the parameters say otherwise."""
    saved = dict(os.environ)

    def make(**overrides: str) -> LocalGateway:
        parameters = {
            "TokenIssuer": keys.ISSUER,
            "TokenAudience": keys.AUDIENCE,
            "JwksUrl": Path(local_keys.jwks_path).resolve().as_uri(),
            "PublicBaseUrl": "https://hail.test",
            **overrides,
        }
        context = tpl.make_context(
            aws.template, parameters, REGION, queue_urls=dict(aws.context.queue_urls)
        )
        made = LocalGateway(aws.template, context)  # sets the functions' env vars
        _reset_layer_caches()
        return made

    yield make
    _reset_layer_caches()
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def gateway(gateway_with: Callable[..., LocalGateway]) -> LocalGateway:
    """The template's API in-process, over moto, with local token settings."""
    return gateway_with()


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
def seeded(gateway: LocalGateway, _moto_session: _Session) -> LocalGateway:
    """The gateway over the demo data."""
    from hail_tools import demo

    _moto_session.restore_demo(demo.seed)
    return gateway


@pytest.fixture
def local_signin(seeded: LocalGateway, local_keys: keys.LocalKeys, tmp_path: Path) -> Iterator[Any]:
    """The local OAuth issuer of `make run` on a free port, over the demo data, with the
    gateway's sign-in routes pointed at it (a `fakes.signin.Signin` driver)."""
    from fakes.signin import Signin
    from hail.settings import get_settings
    from hail_tools import signin

    issuer = signin.start(keys_dir=local_keys.directory, clients_path=tmp_path / "clients.json")
    settings = {"OAUTH_AUTHORIZE_URL": issuer.authorize_url, "OAUTH_TOKEN_URL": issuer.token_url}
    seeded.environment.update(settings)
    os.environ.update(settings)
    get_settings.cache_clear()
    try:
        yield Signin(seeded, issuer)
    finally:
        issuer.stop()
