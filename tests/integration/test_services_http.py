"""Each service adapter against a local fake that answers as the real service does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakes.services import PAGE_ID, SECRET, TOKEN, FakeService, settings_for
from hail.services import Post, Result, deliver, webhook
from hail.services.transport import Http

POST = Post(
    push_id="5b0c6f0e-2f0a-4a53-9a43-1c1a1f6f2b11",
    publication_id="welcome1",
    title="Welcome back!",
    url="https://hail.test/p/welcome1",
    comment="Term starts Monday.",
)
SERVICES = ["webhook", "slack", "mastodon", "facebook", "x"]


@pytest.fixture
def http() -> Http:
    return Http(allow_private=True, timeout=1.0)


def _fake(service: str) -> Iterator[FakeService]:
    with FakeService(service) as fake:
        yield fake


def _push(fake: FakeService, http: Http, post: Post = POST, **overrides: str) -> Result:
    settings, credentials = settings_for(fake)
    credentials.update(overrides)
    return deliver(fake.service, post, settings, credentials, http)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("ok", "posted"),
        ("rate_limited", "retry"),
        ("server_error", "retry"),
        ("slow", "retry"),
        ("revoked", "revoked"),
        ("bad_request", "rejected"),
    ],
)
def test_outcome_classes(service: str, answer: str, kind: str, http: Http) -> None:
    # Given a fake service that will answer so
    for fake in _fake(service):
        fake.then(answer)

        # When the adapter posts to it
        result = _push(fake, http)

        # Then the outcome class is the one that answer means
        assert result.kind == kind, result.reason
        assert len(fake.received) == 1


@pytest.mark.parametrize(
    ("service", "wait_at_least"),
    [("webhook", 7), ("slack", 30), ("mastodon", 100), ("x", 800)],
)
def test_rate_limits_say_how_long_to_wait(service: str, wait_at_least: int, http: Http) -> None:
    # Given a service answering 429 with Retry-After or its own reset header
    for fake in _fake(service):
        fake.then("rate_limited")

        # When the adapter posts
        result = _push(fake, http)

        # Then the wait it asked for is kept (Retry-After, X-RateLimit-Reset, x-rate-limit-reset)
        assert result.kind == "retry"
        assert result.retry_after is not None and result.retry_after >= wait_at_least


def test_network_errors_are_retried(http: Http) -> None:
    # Given a webhook URL nobody listens on
    # When the adapter posts
    result = deliver("webhook", POST, {"url": "http://127.0.0.1:9/hook"}, {"secret": SECRET}, http)

    # Then it is worth retrying, and the reason says why
    assert result == Result("retry", "Network error: connection refused")


@pytest.mark.parametrize("service", ["mastodon", "x", "facebook"])
def test_a_wrong_token_is_revoked(service: str, http: Http) -> None:
    # Given a service that checks the token
    for fake in _fake(service):
        # When the adapter posts with a token it does not know
        result = _push(fake, http, access_token="stale")

        # Then the connection must be authorised again
        assert result.kind == "revoked"


def test_webhook_request_is_signed_and_carries_the_push_id(http: Http) -> None:
    for fake in _fake("webhook"):
        # Given / When a push is posted to the webhook
        result = _push(fake, http)

        # Then the receiver could verify it, and got the documented event
        assert result.kind == "posted"
        got = fake.received[0]
        assert got.headers["content-type"] == "application/json"
        assert got.headers["x-hail-event"] == "publication.pushed"
        assert got.headers["x-hail-push-id"] == POST.push_id
        assert got.headers["idempotency-key"] == POST.push_id
        signature = got.headers["x-hail-signature"]
        timestamp = int(signature.split(",")[0].removeprefix("t="))
        assert webhook.verify(SECRET, signature, got.body, now=timestamp)
        assert not webhook.verify("other", signature, got.body, now=timestamp)
        event = got.json()
        assert event == {
            "id": POST.push_id,
            "type": "publication.pushed",
            "created": timestamp,
            "publication": {"id": "welcome1", "title": "Welcome back!", "url": POST.url},
            "comment": "Term starts Monday.",
            "text": "Welcome back!\nhttps://hail.test/p/welcome1\n\nTerm starts Monday.",
        }


def test_webhook_gone_puts_the_connection_in_exception(http: Http) -> None:
    for fake in _fake("webhook"):
        fake.then("gone")
        # Given / When the receiver answers 410 Gone
        result = _push(fake, http)
        # Then the connection must be configured again
        assert result.kind == "revoked"
        assert result.reason == 'The webhook answered 410: {"error": "this endpoint was removed"}'


def test_webhook_refuses_private_targets_unless_allowed() -> None:
    # Given the production setting (private addresses refused)
    guarded = Http(allow_private=False, timeout=1.0)
    for fake in _fake("webhook"):
        # When a webhook points at loopback
        result = _push(fake, guarded)

        # Then nothing is sent and the push is refused for good
        assert result.kind == "rejected"
        assert (
            result.reason
            == "Target refused: 127.0.0.1 is a loopback, private or link-local address"
        )
        assert fake.received == []


def test_slack_posts_escaped_text(http: Http) -> None:
    for fake in _fake("slack"):
        # Given a title with Slack's control characters
        post = Post("p1", "welcome1", "Fish & chips <night>", POST.url, None)

        # When it is posted
        result = _push(fake, http, post=post)

        # Then Slack got them escaped
        assert result == Result("posted", "Slack answered 200: ok")
        assert fake.received[0].json() == {
            "text": "Fish &amp; chips &lt;night&gt;\nhttps://hail.test/p/welcome1"
        }


def test_mastodon_sends_the_push_id_as_idempotency_key(http: Http) -> None:
    for fake in _fake("mastodon"):
        # Given / When the same push is posted twice (a redelivery)
        first = _push(fake, http)
        second = _push(fake, http)

        # Then both carried the push id as Idempotency-Key, and Mastodon made one status
        assert [r.headers["idempotency-key"] for r in fake.received] == [POST.push_id] * 2
        assert first.remote_id == second.remote_id == "103704874086360371"
        got = fake.received[0]
        assert got.headers["authorization"] == f"Bearer {TOKEN}"
        assert got.json() == {
            "status": "Welcome back!\nhttps://hail.test/p/welcome1\n\nTerm starts Monday.",
            "visibility": "public",
        }


def test_facebook_posts_message_link_and_token(http: Http) -> None:
    for fake in _fake("facebook"):
        # Given / When a push is posted to a Page
        result = _push(fake, http)

        # Then the Graph API got the form fields, and the post id is kept
        assert result.kind == "posted"
        assert result.remote_id == f"{PAGE_ID}_987654321"
        assert fake.received[0].form() == {
            "message": "Welcome back!\n\nTerm starts Monday.",
            "link": "https://hail.test/p/welcome1",
            "access_token": TOKEN,
        }


def test_facebook_expired_token_is_revoked_with_the_reason(http: Http) -> None:
    for fake in _fake("facebook"):
        fake.then("revoked")
        result = _push(fake, http)
        assert result.kind == "revoked"
        assert result.reason.startswith(
            "Facebook answered 400: (190) Error validating access token"
        )


def test_x_duplicate_is_rejected_not_revoked(http: Http) -> None:
    for fake in _fake("x"):
        fake.then("duplicate")
        # Given / When X refuses a duplicate post
        result = _push(fake, http)
        # Then this post failed, but the connection is fine
        assert result == Result(
            "rejected",
            "X answered 403: You are not allowed to create a Tweet with duplicate content.",
        )


def test_x_posts_the_text(http: Http) -> None:
    for fake in _fake("x"):
        result = _push(fake, http)
        assert result.kind == "posted"
        assert result.remote_id == "1445880548472328192"
        assert fake.received[0].json() == {
            "text": "Welcome back!\nhttps://hail.test/p/welcome1\n\nTerm starts Monday."
        }
        assert fake.received[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_missing_settings_are_rejected(http: Http) -> None:
    # Given / When a Facebook connection without a page id is pushed
    result: Any = deliver("facebook", POST, {}, {"access_token": TOKEN}, http)
    # Then it fails without a request
    assert result == Result("rejected", "Not configured: 'page_id' is not set")
