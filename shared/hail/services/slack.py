"""Slack incoming webhook: POST {"text": ...} to the webhook URL (a secret: it is kept in
`credentials.webhook_url`). Slack answers 200 "ok", or a status with a plain-text error
code; the codes below mean the webhook or its channel is gone or disabled.
https://api.slack.com/messaging/webhooks#handling_errors
"""

import json
from collections.abc import Mapping

from hail.services import Post, Result, required
from hail.services.text import compose, slack_escape
from hail.services.transport import Http, outcome

MAX_TEXT = 4000  # Slack's advice for the text field (it truncates beyond 40,000)
REVOKED = frozenset(
    {
        "invalid_token",
        "token_revoked",
        "token_expired",
        "no_service",
        "no_service_id",
        "no_team",
        "team_disabled",
        "channel_not_found",
        "channel_is_archived",
        "action_prohibited",
        "posting_to_general_channel_denied",
    }
)


def message(post: Post) -> str:
    text = compose(
        post.title,
        post.url,
        post.comment,
        limit=MAX_TEXT,
        measure=lambda t: len(slack_escape(t)),
    )
    return slack_escape(text)


def post(
    post: Post, settings: Mapping[str, str], credentials: Mapping[str, str], http: Http
) -> Result:
    url = required(credentials, "webhook_url")
    body = json.dumps({"text": message(post)}, ensure_ascii=False).encode()
    reply = http.post(url, body, {"Content-Type": "application/json"})
    code = reply.text.strip()
    if reply.status >= 400 and code in REVOKED:
        return Result("revoked", f"Slack answered {reply.status}: {code}")
    return outcome(reply, "Slack", code, now=http.now(), revoked=frozenset())
