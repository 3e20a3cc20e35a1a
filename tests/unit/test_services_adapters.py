"""Service adapters with an in-memory HTTP: what they send, and how they read answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from hail.services import Post, Result, deliver, facebook, mastodon, slack, webhook, x
from hail.services.targets import RefusedTarget, check_url, is_public
from hail.services.transport import Reply, TransportError, outcome, retry_after

NOW = 1_800_000_000.0
POST = Post("push-1", "welcome1", "Welcome back!", "https://hail.test/p/welcome1", "Hi all")


@dataclass
class FakeHttp:
    """Answers every POST with `reply` (or raises `error`), and keeps what was sent."""

    reply: Reply = field(default_factory=lambda: Reply(200, {}, b"{}"))
    error: Exception | None = None
    sent: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    def now(self) -> float:
        return NOW

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        self.sent.append((url, body, dict(headers)))
        if self.error:
            raise self.error
        return self.reply


def _reply(status: int, body: Any = None, **headers: str) -> Reply:
    data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return Reply(status, {k.lower().replace("_", "-"): v for k, v in headers.items()}, data)


# ------------------------------------------------------------------ transport


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("2a00:1450:4001:80b::200e", True),
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # link-local: the instance metadata service
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("192.0.0.170", False),  # IETF protocol assignments
        ("192.0.2.1", False),  # documentation
        ("198.18.0.1", False),  # benchmarking
        ("224.0.0.1", False),  # multicast
        ("239.255.255.250", False),
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),  # broadcast
        ("::", False),  # unspecified
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),  # unique local
        ("fec0::1", False),  # site-local (deprecated)
        ("ff02::1", False),  # multicast
        ("100::1", False),  # discard-only
        ("2001:db8::1", False),  # documentation
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:169.254.169.254", False),
        ("::ffff:8.8.8.8", False),  # IPv4-mapped: never how a public host is reached
        ("::127.0.0.1", False),  # IPv4-compatible loopback
        ("::10.0.0.1", False),  # IPv4-compatible private
        ("::8.8.8.8", False),  # IPv4-compatible (deprecated) of anything
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("64:ff9b:1::a00:1", False),  # local-use NAT64 prefix
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("2002:c0a8:101::1", False),  # 6to4 of 192.168.1.1
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo, client 192.0.2.45
        ("2001:0:808:808:0:0:80ff:fefe", False),  # Teredo, client 127.0.1.1
        ("2001:0:808:808:0:0:f7f7:f7f7", False),  # Teredo, even of 8.8.8.8
    ],
)
def test_only_public_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(address) is public


@pytest.mark.parametrize(
    ("url", "allow_private", "refused"),
    [
        ("https://hooks.example.org/a?b=c", False, None),
        ("https://8.8.8.8/hook", False, None),
        ("http://hooks.example.org/a", False, "only https URLs can be posted to"),
        ("http://127.0.0.1:9/a", False, "only https URLs can be posted to"),
        ("http://127.0.0.1:9/a", True, None),
        ("http://localhost:9/a", True, None),
        ("http://[::1]:9/a", True, None),
        ("http://hooks.example.org/a", True, "only https URLs can be posted to"),
        ("http://10.0.0.1/a", True, "only https URLs can be posted to"),
        ("ftp://hooks.example.org/a", True, "only https URLs can be posted to"),
        ("https:///nohost", False, "only https URLs can be posted to"),
        ("https://hooks.example.org:99999/", False, "the URL is not valid"),
        ("https://127.0.0.1/a", False, "127.0.0.1 is not a public address"),
        ("https://[::ffff:a9fe:a9fe]/a", False, "::ffff:a9fe:a9fe is not a public address"),
        ("https://10.0.0.1/a", True, None),
    ],
)
def test_which_urls_may_be_posted_to(url: str, allow_private: bool, refused: str | None) -> None:
    if refused is None:
        assert check_url(url, allow_private=allow_private).host
    else:
        with pytest.raises(RefusedTarget) as caught:
            check_url(url, allow_private=allow_private)
        assert str(caught.value).startswith(refused)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after": "120"}, 120.0),
        ({"retry-after": "Fri, 15 Jan 2027 08:01:00 GMT"}, 60.0),  # NOW is 08:00:00 that day
        ({"retry-after": "Fri, 15 Jan 2027 07:00:00 GMT"}, 0.0),  # a date gone by
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], wait: float | None) -> None:
    assert retry_after(headers, NOW) == wait


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, "posted"),
        (204, "posted"),
        (301, "rejected"),  # redirects are not followed
        (400, "rejected"),
        (401, "revoked"),
        (403, "revoked"),
        (404, "rejected"),
        (408, "retry"),
        (422, "rejected"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
    ],
)
def test_usual_reading_of_statuses(status: int, kind: str) -> None:
    assert outcome(_reply(status, "x"), "S", now=NOW).kind == kind


def test_reason_is_short_and_on_one_line() -> None:
    result = outcome(_reply(500, "line one\n\nline two " + "z" * 500), "S", now=NOW)
    assert result.reason.startswith("S answered 500: line one line two zzz")
    assert len(result.reason) < 230
    assert "\n" not in result.reason


def test_network_errors_and_missing_settings_through_deliver() -> None:
    down = FakeHttp(error=TransportError("timed out"))
    assert deliver("x", POST, {}, {"access_token": "t"}, down) == Result(
        "retry", "Network error: timed out"
    )
    assert deliver("x", POST, {}, {}, FakeHttp()) == Result(
        "rejected", "Not configured: 'access_token' is not set"
    )
    assert deliver("myspace", POST, {}, {}, FakeHttp()).kind == "rejected"


# ------------------------------------------------------------------ webhook


def test_webhook_signature_round_trip() -> None:
    body = b'{"a":1}'
    header = webhook.sign("s3cret", 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert webhook.verify("s3cret", header, body, now=1_700_000_100)
    assert not webhook.verify("s3cret", header, body + b" ", now=1_700_000_100)  # body changed
    assert not webhook.verify("other", header, body, now=1_700_000_100)  # wrong secret
    assert not webhook.verify("s3cret", header, body, now=1_700_000_400)  # too old
    assert not webhook.verify("s3cret", None, body, now=1_700_000_000)
    rotated = f"{header},v1=deadbeef"
    assert webhook.verify("s3cret", rotated, body, now=1_700_000_000)


def test_webhook_request() -> None:
    http = FakeHttp()
    result = webhook.post(POST, {"url": "https://example.org/h"}, {"secret": "s"}, http)
    assert result.kind == "posted"
    url, body, headers = http.sent[0]
    assert url == "https://example.org/h"
    assert headers["X-Hail-Signature"] == webhook.sign("s", int(NOW), body)
    assert json.loads(body)["created"] == int(NOW)


# ------------------------------------------------------------------ slack


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (200, "ok", "posted"),
        (404, "no_service", "revoked"),
        (403, "invalid_token", "revoked"),
        (410, "channel_is_archived", "revoked"),
        (404, "channel_not_found", "revoked"),
        (400, "invalid_payload", "rejected"),
        (403, "something_new", "rejected"),
        (429, "rate_limited", "retry"),
        (500, "rollup_error", "retry"),
    ],
)
def test_slack_answers(status: int, code: str, kind: str) -> None:
    http = FakeHttp(_reply(status, code))
    assert slack.post(POST, {}, {"webhook_url": "https://hooks.slack.com/x"}, http).kind == kind


# ------------------------------------------------------------------ mastodon


def test_mastodon_rate_limit_reset_header() -> None:
    http = FakeHttp(
        _reply(429, {"error": "Too many requests"}, X_RateLimit_Reset="2027-01-15T08:02:00Z")
    )
    result = mastodon.post(POST, {"base_url": "https://m.example"}, {"access_token": "t"}, http)
    assert result.kind == "retry"
    assert result.retry_after == 120.0  # 2027-01-15T08:02:00Z is NOW + 120 s


def test_mastodon_instance_limit_and_visibility_settings() -> None:
    http = FakeHttp(_reply(200, {"id": "9"}))
    post = Post("p", "welcome1", "T", "https://hail.test/p/1", "c" * 2000)
    settings = {
        "base_url": "https://m.example/",
        "max_characters": "1000",
        "visibility": "unlisted",
    }
    result = mastodon.post(post, settings, {"access_token": "t"}, http)
    assert result == Result("posted", "Mastodon accepted the status", remote_id="9")
    url, body, _ = http.sent[0]
    assert url == "https://m.example/api/v1/statuses"
    sent = json.loads(body)
    assert sent["visibility"] == "unlisted"
    assert 900 < len(sent["status"]) <= 1000


# ------------------------------------------------------------------ facebook


@pytest.mark.parametrize(
    ("status", "code", "transient", "kind"),
    [
        (400, 190, False, "revoked"),  # expired or revoked token
        (403, 10, False, "revoked"),  # permission denied
        (403, 200, False, "revoked"),
        (400, 4, False, "retry"),  # app rate limit
        (403, 32, False, "retry"),  # page rate limit
        (400, 368, False, "rejected"),  # blocked for policy
        (400, 100, False, "rejected"),  # invalid parameter
        (500, 1, True, "retry"),
        (400, 999, True, "retry"),  # whatever is flagged transient
    ],
)
def test_facebook_error_codes(status: int, code: int, transient: bool, kind: str) -> None:
    error = {"message": "m", "type": "OAuthException", "code": code}
    if transient:
        error["is_transient"] = True
    http = FakeHttp(_reply(status, {"error": error}))
    settings = {"page_id": "42"}
    assert facebook.post(POST, settings, {"access_token": "t"}, http).kind == kind


def test_facebook_default_url_and_form() -> None:
    http = FakeHttp(_reply(200, {"id": "42_1"}))
    facebook.post(POST, {"page_id": "42"}, {"access_token": "tok"}, http)
    url, body, headers = http.sent[0]
    assert url == "https://graph.facebook.com/v21.0/42/feed"
    assert headers == {"Content-Type": "application/x-www-form-urlencoded"}
    assert b"access_token=tok" in body


def test_facebook_answer_without_json() -> None:
    http = FakeHttp(_reply(502, "<html>Bad gateway</html>"))
    assert facebook.post(POST, {"page_id": "42"}, {"access_token": "t"}, http).kind == "retry"


# ------------------------------------------------------------------ x


def test_x_rate_limit_reset() -> None:
    reset = str(int(NOW) + 600)
    http = FakeHttp(_reply(429, {"title": "Too Many Requests"}, x_rate_limit_reset=reset))
    result = x.post(POST, {}, {"access_token": "t"}, http)
    assert (result.kind, result.retry_after) == ("retry", 600.0)


@pytest.mark.parametrize(
    ("status", "detail", "kind"),
    [
        (403, "You are not allowed to create a Tweet with duplicate content.", "rejected"),
        (403, "You are not permitted to perform this action.", "revoked"),
        (401, "Unauthorized", "revoked"),
        (400, "One or more parameters to your request was invalid.", "rejected"),
        (503, "Service Unavailable", "retry"),
    ],
)
def test_x_answers(status: int, detail: str, kind: str) -> None:
    http = FakeHttp(_reply(status, {"detail": detail, "status": status}))
    assert x.post(POST, {}, {"access_token": "t"}, http).kind == kind


def test_x_default_url() -> None:
    http = FakeHttp(_reply(201, {"data": {"id": "7", "text": "t"}}))
    assert x.post(POST, {}, {"access_token": "t"}, http).remote_id == "7"
    assert http.sent[0][0] == "https://api.x.com/2/tweets"
