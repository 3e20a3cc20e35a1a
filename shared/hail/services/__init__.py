"""Service adapters: each posts a publication to one kind of remote service through that
service's documented HTTP API, and says what came of it (a Result).

This module is light (the connections API imports it for the service names); an adapter
and the HTTP transport are imported only when a push is delivered.
"""

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from hail.services.transport import Http

NAMES = {
    "facebook": "Facebook Page",
    "x": "X",
    "mastodon": "Mastodon",
    "slack": "Slack",
    "webhook": "Webhook",
}

Kind = Literal["posted", "retry", "revoked", "rejected"]


@dataclass(frozen=True)
class Post:
    """What is posted: the publication as it was when pushed, and the pusher's comment."""

    push_id: str
    publication_id: str
    title: str
    url: str
    comment: str | None = None


@dataclass(frozen=True)
class Result:
    """posted; retry (rate limit, outage, network: try again later, after `retry_after`
    seconds if the service said so); revoked (the credentials no longer work: the connection
    must be authorised again); rejected (the service refused this post)."""

    kind: Kind
    reason: str = ""
    retry_after: float | None = None
    remote_id: str | None = None


class NotConfigured(Exception):
    """A setting or credential the service needs is missing."""


class Adapter(Protocol):
    def __call__(
        self,
        post: Post,
        settings: Mapping[str, str],
        credentials: Mapping[str, str],
        http: "Http",
    ) -> Result: ...


def adapter(service: str) -> Adapter:
    if service not in NAMES:
        raise NotConfigured(f"unknown service '{service}'")
    module = importlib.import_module(f"hail.services.{service}")
    post: Adapter = module.post
    return post


def required(values: Mapping[str, str], name: str) -> str:
    value = values.get(name)
    if not value:
        raise NotConfigured(f"'{name}' is not set")
    return str(value)


def deliver(
    service: str,
    post: Post,
    settings: Mapping[str, str],
    credentials: Mapping[str, str],
    http: "Http",
) -> Result:
    """Post with the service's adapter; network failures are worth a retry, a missing
    setting or a refused target address is not."""
    from hail.services.targets import RefusedTarget
    from hail.services.transport import TransportError

    try:
        return adapter(service)(post, settings, credentials, http)
    except TransportError as exc:
        return Result("retry", f"Network error: {exc}")
    except RefusedTarget as exc:
        return Result("rejected", f"Target refused: {exc}")
    except NotConfigured as exc:
        return Result("rejected", f"Not configured: {exc}")
