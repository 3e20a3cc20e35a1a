"""X (Twitter) API v2: POST /2/tweets with the user's OAuth 2.0 access token.
https://docs.x.com/x-api/posts/creation-of-a-post

Text is at most 280 weighted characters (links count 23). 401 means the token no longer
works; 403 is a refusal of this post when it is a duplicate, else of the account or app
(the connection goes into exception); 429 comes with x-rate-limit-reset (epoch seconds).
"""

import json
from collections.abc import Mapping

from hail.services import Post, Result, required
from hail.services.text import compose, x_length
from hail.services.transport import Http, outcome

API_URL = "https://api.x.com"
MAX_WEIGHT = 280


def message(post: Post) -> str:
    return compose(post.title, post.url, post.comment, limit=MAX_WEIGHT, measure=x_length)


def post(
    post: Post, settings: Mapping[str, str], credentials: Mapping[str, str], http: Http
) -> Result:
    token = required(credentials, "access_token")
    base = (settings.get("base_url") or API_URL).rstrip("/")
    reply = http.post(
        f"{base}/2/tweets",
        json.dumps({"text": message(post)}, ensure_ascii=False).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    data = reply.json() if reply.body else None
    now = http.now()
    if 200 <= reply.status < 300:
        posted = data.get("data") if isinstance(data, dict) else None
        remote_id = str(posted.get("id")) if isinstance(posted, dict) else None
        return Result("posted", "X accepted the post", remote_id=remote_id)
    detail = ""
    if isinstance(data, dict):
        detail = str(data.get("detail") or data.get("title") or "")
    if reply.status == 403 and "duplicate" in detail.lower():
        return Result("rejected", f"X answered 403: {detail}")
    wait = None
    reset = reply.headers.get("x-rate-limit-reset", "")
    if reply.status == 429 and reset.isdigit():
        wait = max(0.0, int(reset) - now)
    return outcome(reply, "X", detail or None, now=now, wait=wait)
