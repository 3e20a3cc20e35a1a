"""Facebook Page: POST /{page-id}/feed on the Graph API with the Page access token.
https://developers.facebook.com/docs/pages-api/posts

Errors come as {"error": {"message", "type", "code", "error_subcode", "is_transient"}}:
code 190 is an expired or revoked token, 10 and 200-299 missing permissions (the
connection must be authorised again); 1, 2, 4, 17, 32, 341, 613 and 80001 are transient
or rate limits.
"""

from collections.abc import Mapping
from urllib.parse import quote, urlencode

from hail.services import Post, Result, required
from hail.services.text import compose
from hail.services.transport import Http, outcome, snippet

GRAPH_URL = "https://graph.facebook.com"
API_VERSION = "v21.0"
MAX_MESSAGE = 63_206
REVOKED_CODES = frozenset({102, 190, 10, *range(200, 300)})
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80001})


def message(post: Post) -> str:
    """The link goes in `link` (Facebook shows its preview); the message is the rest."""
    return compose(post.title, None, post.comment, limit=MAX_MESSAGE)


def post(
    post: Post, settings: Mapping[str, str], credentials: Mapping[str, str], http: Http
) -> Result:
    page = required(settings, "page_id")
    token = required(credentials, "access_token")
    base = (settings.get("base_url") or GRAPH_URL).rstrip("/")
    version = settings.get("api_version") or API_VERSION
    form = urlencode({"message": message(post), "link": post.url, "access_token": token})
    reply = http.post(
        f"{base}/{version}/{quote(page, safe='')}/feed",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    data = reply.json()
    now = http.now()
    if 200 <= reply.status < 300 and isinstance(data, dict) and data.get("id"):
        return Result("posted", "Facebook accepted the post", remote_id=str(data["id"]))
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return outcome(reply, "Facebook", now=now)
    code = error.get("code")
    reason = f"Facebook answered {reply.status}: ({code}) {snippet(error.get('message'))}"
    if code in REVOKED_CODES:
        return Result("revoked", reason)
    if code in TRANSIENT_CODES or error.get("is_transient") is True:
        return Result("retry", reason)
    return outcome(reply, "Facebook", f"({code}) {error.get('message')}", now=now)
