"""Mastodon: POST /api/v1/statuses on the account's instance (`settings.base_url`, e.g.
https://mastodon.social) with the user's token (`credentials.access_token`) and the push id
as Idempotency-Key, so a retried push is posted once.
https://docs.joinmastodon.org/methods/statuses/#create
"""

import json
from collections.abc import Mapping
from datetime import datetime

from hail.services import Post, Result, required
from hail.services.text import compose, mastodon_length
from hail.services.transport import Http, outcome, retry_after

MAX_CHARACTERS = 500  # the default; an instance may allow more (settings.max_characters)


def message(post: Post, limit: int = MAX_CHARACTERS) -> str:
    return compose(post.title, post.url, post.comment, limit=limit, measure=mastodon_length)


def _wait(headers: Mapping[str, str], now: float) -> float | None:
    """Retry-After, else the X-RateLimit-Reset time (ISO 8601) Mastodon sends with 429."""
    found = retry_after(headers, now)
    if found is not None:
        return found
    reset = headers.get("x-ratelimit-reset")
    if not reset:
        return None
    try:
        return max(0.0, datetime.fromisoformat(reset.replace("Z", "+00:00")).timestamp() - now)
    except ValueError:
        return None


def post(
    post: Post, settings: Mapping[str, str], credentials: Mapping[str, str], http: Http
) -> Result:
    base = required(settings, "base_url").rstrip("/")
    token = required(credentials, "access_token")
    limit = int(settings.get("max_characters") or MAX_CHARACTERS)
    body = {"status": message(post, limit), "visibility": settings.get("visibility") or "public"}
    reply = http.post(
        f"{base}/api/v1/statuses",
        json.dumps(body, ensure_ascii=False).encode(),
        {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": post.push_id,
        },
    )
    data = reply.json()
    now = http.now()
    if 200 <= reply.status < 300 and isinstance(data, dict):
        return Result("posted", "Mastodon accepted the status", remote_id=str(data.get("id")))
    error = data.get("error") if isinstance(data, dict) else None
    return outcome(reply, "Mastodon", error, now=now, wait=_wait(reply.headers, now))
