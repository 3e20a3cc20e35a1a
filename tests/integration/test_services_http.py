"""Each service adapter against a local fake that answers as the real service does."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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


@dataclass
class _Authority:
    ca: Path
    cert: Path
    key: Path


def _tls_pair(directory: Path, name: str) -> _Authority:
    """A certificate authority and a server certificate for `name` only (not its IP)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)

    def made(subject: str, issuer: Any, key: Any, signer: Any, *, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca_cert = made("Test CA", ca_name, ca_key, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = made(name, ca_name, key, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    paths = _Authority(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    paths.ca.write_bytes(ca_cert.public_bytes(pem))
    paths.cert.write_bytes(cert.public_bytes(pem))
    paths.key.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


class _TlsReceiver:
    """An https webhook receiver on 127.0.0.1 that records the SNI name of each client."""

    def __init__(self, authority: _Authority) -> None:
        self.server_names: list[str | None] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(authority.cert, authority.key)
        context.sni_callback = self._heard

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _heard(self, sock: Any, name: str | None, context: Any) -> None:
        self.server_names.append(name)

    def __enter__(self) -> _TlsReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


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
        # When a webhook points at loopback, over http or https, by address or by name
        port = fake.url.split(":")[2].split("/")[0]
        results = [
            _push(fake, guarded),
            deliver("webhook", POST, {"url": f"https://127.0.0.1:{port}/hooks/hail"},
                    {"secret": SECRET}, guarded),
            deliver("webhook", POST, {"url": f"https://localhost:{port}/hooks/hail"},
                    {"secret": SECRET}, guarded),
        ]  # fmt: skip

        # Then nothing is sent and the push is refused for good
        assert [r.kind for r in results] == ["rejected"] * 3
        assert [r.reason for r in results] == [
            "Target refused: only https URLs can be posted to (plain http only to loopback, "
            "in local development)",
            "Target refused: 127.0.0.1 is not a public address",
            "Target refused: localhost resolves to a non-public address",
        ]
        assert fake.received == []


def _resolving(*answers: list[str]) -> tuple[list[str], Any]:
    """A resolver giving these addresses, one list per call, and the names it was asked."""
    asked: list[str] = []
    queue = list(answers)

    def resolve(host: str, port: int, **_: Any) -> list[Any]:
        asked.append(host)
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    return asked, resolve


def test_a_name_resolving_to_any_private_address_is_refused() -> None:
    # Given a name whose answer mixes a public address and the metadata service
    asked, resolve = _resolving(["93.184.216.34", "169.254.169.254"])
    guarded = Http(allow_private=False, timeout=1.0, resolver=resolve)

    # When a webhook points at it
    result = deliver(
        "webhook", POST, {"url": "https://hooks.example.org/h"}, {"secret": SECRET}, guarded
    )

    # Then nothing is sent
    assert result == Result(
        "rejected", "Target refused: hooks.example.org resolves to a non-public address"
    )
    assert asked == ["hooks.example.org"]


def test_the_address_checked_is_the_address_connected_to() -> None:
    for fake in _fake("webhook"):
        # Given a name that resolves to the fake first, then (DNS rebinding) elsewhere
        port = int(fake.base_url.rsplit(":", 1)[1])
        asked, resolve = _resolving(["127.0.0.1"], ["127.0.0.2"])
        http = Http(allow_private=True, timeout=1.0, resolver=resolve)

        # When a webhook on that name is pushed
        result = deliver(
            "webhook", POST, {"url": f"http://localhost:{port}/hooks/hail"},
            {"secret": SECRET}, http,
        )  # fmt: skip

        # Then the name was resolved once, and the post went to that answer
        assert result.kind == "posted", result.reason
        assert asked == ["localhost"]
        assert fake.received[0].headers["host"] == f"localhost:{port}"


def test_tls_is_verified_for_the_name_while_connecting_to_the_checked_address(
    tmp_path: Path,
) -> None:
    # Given an https receiver on 127.0.0.1 whose certificate names hooks.example.org only
    authority = _tls_pair(tmp_path, "hooks.example.org")
    with _TlsReceiver(authority) as receiver:
        _, resolve = _resolving(["127.0.0.1"])
        trusted = ssl.create_default_context(cafile=str(authority.ca))
        http = Http(allow_private=True, timeout=2.0, tls=trusted, resolver=resolve)

        # When the webhook names the host of the certificate, and then another name
        good = deliver(
            "webhook",
            POST,
            {"url": f"https://hooks.example.org:{receiver.port}/h"},
            {"secret": SECRET},
            http,
        )
        bad = deliver("webhook", POST, {"url": f"https://other.example.org:{receiver.port}/h"},
                      {"secret": SECRET}, http)  # fmt: skip

    # Then the first is posted (SNI and certificate for the name), the second fails TLS
    assert good.kind == "posted", good.reason
    assert receiver.server_names == ["hooks.example.org", "other.example.org"]
    assert bad.kind == "retry"
    assert bad.reason.startswith("Network error: TLS error (CERTIFICATE_VERIFY_FAILED")


@pytest.mark.parametrize(
    ("service", "answer"),
    [(service, "drip") for service in SERVICES] + [("webhook", "hang"), ("webhook", "slow")],
)
def test_one_deadline_for_the_whole_exchange(service: str, answer: str) -> None:
    # Given a service that answers byte by byte (each byte well within a read timeout, the
    # whole taking 4 s), or not at all, or late; and a deadline of half a second
    http = Http(allow_private=True, timeout=0.5)
    for fake in _fake(service):
        fake.then(answer)

        # When the adapter posts
        result = _push(fake, http)

        # Then the exchange is cut at the deadline: worth a retry, and the reason says so
        assert result == Result(
            "retry", "Network error: timed out (no complete answer within 0.5 s)"
        )
        assert len(fake.received) == 1


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
