"""SQS data access for pushes: send a push job, and delay a job's next delivery.

Like storage, the only other module that knows boto3; the client is made once per container.
"""

import json
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from hail.settings import get_settings
from hail.storage.base import CLIENT_CONFIG

MAX_VISIBILITY_SECONDS = 43_200  # SQS: a message is hidden for at most 12 hours in all

_client: Any = None


class QueueUnavailable(Exception):
    """The queue could not be reached or refused the call."""


def client() -> Any:
    """The SQS client, made once per container."""
    global _client
    if _client is None:
        _client = boto3.client("sqs", config=CLIENT_CONFIG)
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
