"""SQS data access for pushes: send a push job, and delay a job's next delivery.

Like storage, the only other module that knows boto3; the client is made once per container.
Every failure to reach SQS (an error answer, throttling, a connection that cannot be made,
a read that times out: botocore raises those as BotoCoreError, not ClientError) is
QueueUnavailable, which the push answers with 503 after putting the pair back.
"""

import json
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from hail.settings import get_settings

MAX_VISIBILITY_SECONDS = 43_200  # SQS: a message is hidden for at most 12 hours in all
# SendMessage answers in milliseconds; when SQS does not, the push must still answer 503
# and put the pair back before the function's Timeout (10 s): at worst two attempts of
# 1 + 2 s, and the standard mode's backoff between them (under 1 s): 7 s.
# tests/infrastructure checks the sum against ConnectionsFunction's Timeout.
SQS_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 2},
    connect_timeout=1,
    read_timeout=2,
    tcp_keepalive=True,
)

_client: Any = None


class QueueUnavailable(Exception):
    """The queue could not be reached or refused the call."""


def client() -> Any:
    """The SQS client, made once per container."""
    global _client
    if _client is None:
        _client = boto3.client("sqs", config=SQS_CONFIG)
    return _client


def reset() -> None:
    """Forget the client (tests switch between mocked accounts)."""
    global _client
    _client = None


def _queue_url() -> str:
    url = get_settings().push_queue_url
    if not url:
        raise QueueUnavailable("PUSH_QUEUE_URL is not set.")
    return url


def send_job(job: dict) -> str:
    """Queue a push job; its SQS message id."""
    try:
        resp = client().send_message(
            QueueUrl=_queue_url(), MessageBody=json.dumps(job, separators=(",", ":"))
        )
    except (ClientError, BotoCoreError) as exc:
        raise QueueUnavailable(str(exc)) from exc
    return str(resp["MessageId"])


def delay(receipt_handle: str, seconds: int) -> None:
    """Keep a received job hidden for `seconds` from now: its next delivery comes then."""
    seconds = max(0, min(int(seconds), MAX_VISIBILITY_SECONDS))
    try:
        client().change_message_visibility(
            QueueUrl=_queue_url(), ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )
    except (ClientError, BotoCoreError) as exc:
        raise QueueUnavailable(str(exc)) from exc
