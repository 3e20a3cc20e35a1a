"""Lambda's SQS event source mappings, emulated for the local run (from template.yaml alone).

For each `Type: SQS` event of each function, a thread long-polls the queue for up to
BatchSize messages, invokes the handler in-process with the event Lambda would send, and
then does what Lambda does with the answer:

- the handler returned normally: without ReportBatchItemFailures every message is deleted;
  with it, every message but those listed in `batchItemFailures` (an identifier that is
  empty or not in the batch fails the whole batch, as Lambda does);
- the handler raised or ran past its Timeout: nothing is deleted.

A message not deleted comes back when its visibility timeout ends (the queue's, or what
the handler set with ChangeMessageVisibility), and SQS itself (moto) moves it to the
dead-letter queue once it has been received maxReceiveCount times (RedrivePolicy).
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hail_tools import template as tpl
from hail_tools.gateway import LambdaContext, import_handler

Handler = Callable[[dict[str, Any], Any], Any]
DEFAULT_SENDER = "AIDAIENQZJOLO23YVJ4VO"


@dataclass(frozen=True)
class SqsTrigger:
    function: tpl.Function
    event: tpl.SqsEvent
    queue_url: str
    queue_arn: str


def sqs_triggers(template: dict[str, Any], context: tpl.Context) -> list[SqsTrigger]:
    """Every enabled SQS event of the template's functions."""
    found = []
    for function in tpl.functions(template, context).values():
        for event in function.sqs_events:
            if event.enabled:
                arn = tpl.resolve({"Fn::GetAtt": [event.queue, "Arn"]}, context)
                found.append(SqsTrigger(function, event, context.queue_url(event.queue), arn))
    return found


# ------------------------------------------------------------------ events ---


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": value.get("BinaryListValues", []),
        "dataType": value.get("DataType", "String"),
    }


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of the SQS event Lambda sends, from a ReceiveMessage message."""
    now = str(int(time.time() * 1000))
    received = message.get("Attributes") or {}
    attributes = {
        "ApproximateReceiveCount": received.get("ApproximateReceiveCount", "1"),
        "SentTimestamp": received.get("SentTimestamp", now),
        "SenderId": received.get("SenderId", DEFAULT_SENDER),
        "ApproximateFirstReceiveTimestamp": received.get("ApproximateFirstReceiveTimestamp", now),
    }
    for optional in (
        "AWSTraceHeader",
        "MessageGroupId",
        "MessageDeduplicationId",
        "SequenceNumber",
        "DeadLetterQueueSourceArn",
    ):
        if optional in received:
            attributes[optional] = received[optional]
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def sqs_event(messages: Iterable[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [sqs_record(m, queue_arn, region) for m in messages]}


def failed_message_ids(result: Any, message_ids: list[str], report_failures: bool) -> set[str]:
    """The messages Lambda keeps (does not delete) after a handler returned `result`."""
    if not report_failures or not result:
        return set()
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return set()
    failed = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
    if not failed <= set(message_ids):  # empty, null or unknown identifier
        return set(message_ids)
    return {str(i) for i in failed}


# ------------------------------------------------------------------ polling ---


class Poller:
    """One event source mapping: receive a batch, invoke, delete what succeeded."""

    def __init__(
        self,
        trigger: SqsTrigger,
        context: tpl.Context,
        sqs_client: Any,
        handler: Callable[[], Handler],
        wait_seconds: int = 1,
    ) -> None:
        self.trigger = trigger
        self.context = context
        self.sqs = sqs_client
        self.handler = handler
        self.wait_seconds = wait_seconds
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=self.run, name=f"sqs-{trigger.function.logical_id}", daemon=True
        )

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll_once()
            except Exception:  # keep polling, as Lambda's poller would
                if self.stopping.is_set():
                    return
                traceback.print_exc(file=sys.stderr)
                self.stopping.wait(1)

    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.sqs.receive_message(
            QueueUrl=self.trigger.queue_url,
            MaxNumberOfMessages=min(count, 10),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        return found

    def poll_once(self) -> int:
        """Receive one batch and invoke the handler with it; how many messages there were.
        With MaximumBatchingWindowInSeconds, a batch is gathered until it is full or the
        window has passed since its first message."""
        event = self.trigger.event
        messages = self._receive(event.batch_size, self.wait_seconds)
        window_ends = time.monotonic() + event.maximum_batching_window
        while messages and len(messages) < event.batch_size and time.monotonic() < window_ends:
            if self.stopping.is_set():
                break
            more = self._receive(event.batch_size - len(messages), 0)
            messages += more
            if not more:
                self.stopping.wait(0.05)
        if messages:
            self.invoke(messages)
        return len(messages)

    def invoke(self, messages: list[dict[str, Any]]) -> set[str]:
        """Invoke the handler with one batch; the ids of the messages kept on the queue."""
        trigger = self.trigger
        function = trigger.function
        ids = [m["MessageId"] for m in messages]
        event = sqs_event(messages, trigger.queue_arn, self.context.region)
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        try:
            result = self.handler()(event, LambdaContext(function, self.context, request_id))
            if time.monotonic() - started > function.timeout:
                raise TimeoutError(f"Task timed out after {function.timeout} seconds")
            kept = failed_message_ids(
                result, ids, "ReportBatchItemFailures" in trigger.event.function_response_types
            )
        except Exception:
            print(f"[{function.logical_id}] {request_id} failed:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            kept = set(ids)
        done = [m for m in messages if m["MessageId"] not in kept]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=trigger.queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(done[start : start + 10])
                ],
            )
        return kept


def start_sqs_triggers(
    template: dict[str, Any],
    context: tpl.Context,
    sqs_client: Any,
    handlers_loader: Callable[[str], Handler] | None = None,
    *,
    wait_seconds: int = 1,
) -> Callable[[], None]:
    """Start polling every SQS-triggered function's queue; returns a function that stops.

    `handlers_loader(logical_id)` gives a function's handler (the local gateway's loader
    shares its warm modules); by default the handler file is imported here. The functions'
    environment is expected in os.environ already (LocalGateway puts it there)."""
    pollers = []
    for trigger in sqs_triggers(template, context):
        function = trigger.function

        def handler(function: tpl.Function = function) -> Handler:
            if handlers_loader is not None:
                return handlers_loader(function.logical_id)
            return import_handler(function)

        pollers.append(Poller(trigger, context, sqs_client, handler, wait_seconds))
    for poller in pollers:
        poller.thread.start()

    def stop() -> None:
        for poller in pollers:
            poller.stopping.set()
        for poller in pollers:
            poller.thread.join(timeout=wait_seconds + 5)

    return stop


# ------------------------------------------------------------------ local run ---

# What `make run` changes for pushes: posts may reach 127.0.0.1 (the sink), and a failed
# post comes back after about 1, 2, 4, 8 s instead of 30 s and up.
LOCAL_ENVIRONMENT = {"ALLOW_PRIVATE_WEBHOOKS": "true", "PUSH_RETRY_BASE_SECONDS": "1"}


@dataclass
class LocalPushes:
    sink: Any  # hail_tools.sink.WebhookSink
    stop_triggers: Callable[[], None]

    def stop(self) -> None:
        self.stop_triggers()
        self.sink.stop()


def start_local_pushes(
    template: dict[str, Any],
    context: tpl.Context,
    gateway: Any,
    sqs_client: Any,
    host: str,
    receiver: Any = None,
) -> LocalPushes:
    """For `make run`: the webhook sink (`receiver`, already bound, or a new one on any free
    port), the local push settings, atomic writes in the embedded DynamoDB, and the SQS
    triggers (sharing the gateway's warm handlers)."""
    from hail.settings import get_settings

    from hail_tools import sink
    from hail_tools.atomic import serialise_dynamodb_writes
    from hail_tools.demo import WEBHOOK_SECRET

    serialise_dynamodb_writes()
    gateway.environment.update(LOCAL_ENVIRONMENT)
    gateway.apply_environment()
    get_settings.cache_clear()
    receiver = receiver.start() if receiver is not None else sink.start(WEBHOOK_SECRET, host)
    stop = start_sqs_triggers(template, context, sqs_client, gateway.handler)
    return LocalPushes(receiver, stop)
