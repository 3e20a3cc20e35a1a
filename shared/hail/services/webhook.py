"""Signed webhook: a JSON event POSTed to the connection's URL.

    POST <settings.url>
    Content-Type: application/json
    X-Hail-Event: publication.pushed
    X-Hail-Push-Id: <push id>          (the same on every retry of one push)
    Idempotency-Key: <push id>
    X-Hail-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>

A receiver recomputes the signature over the raw body with its copy of the secret
(`credentials.secret`), compares in constant time, refuses a `t` more than five minutes
from its clock, and ignores a push id it has already processed. 2xx means received;
401, 403 and 410 mean the receiver refuses us for good (the connection goes into
exception); 408, 429 and 5xx are retried.
"""

import hashlib
import hmac
import json
from collections.abc import Mapping

from hail.services import Post, Result, required
from hail.services.text import compose
from hail.services.transport import Http, outcome

SIGNATURE_HEADER = "X-Hail-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Hail-Signature value for `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str, header: str | None, body: bytes, now: float, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """What a receiver checks: a v1 signature of this body under `secret`, made recently."""
    timestamp, signatures = None, []
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)


def event(post: Post, created: int) -> bytes:
    document = {
        "id": post.push_id,
        "type": "publication.pushed",
        "created": created,
        "publication": {"id": post.publication_id, "title": post.title, "url": post.url},
        "comment": post.comment,
        "text": compose(post.title, post.url, post.comment),
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def post(
    post: Post, settings: Mapping[str, str], credentials: Mapping[str, str], http: Http
) -> Result:
    url = required(settings, "url")
    secret = required(credentials, "secret")
    now = http.now()
    body = event(post, int(now))
    headers = {
        "Content-Type": "application/json",
        "X-Hail-Event": "publication.pushed",
        "X-Hail-Push-Id": post.push_id,
        "Idempotency-Key": post.push_id,
        SIGNATURE_HEADER: sign(secret, int(now), body),
    }
    reply = http.post(url, body, headers)
    return outcome(reply, "The webhook", now=now, revoked=frozenset({401, 403, 410}))
