"""Push worker throughput: one SQS batch of 10 pushes beside a single push, through the
worker's real Lambda handler, each post answered by a local remote after 50 ms.

    python -m bench.worker

moto's server, in a process of its own, stands in for SQS and DynamoDB (so that, as with
AWS, a database call is I/O for the worker, not CPU); the remote is the webhook sink on
127.0.0.1 (it checks every signature). A batch of 10 is also timed with its posts made one
at a time, to show what posting a batch concurrently buys.
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import local_environment

REMOTE_DELAY = 0.05  # seconds the remote takes to answer
ROUNDS = 7
BATCH = 10


def _moto_server() -> tuple[subprocess.Popen, str]:
    """moto's server in its own process, on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto server did not start")


class Bench:
    def __init__(self, gateway: Any, sqs: Any, hook_url: str) -> None:
        from hail import connections
        from hail.observability import metrics
        from hail.pushing import default_worker
        from hail.settings import get_settings
        from hail_tools import template as tpl
        from hail_tools.gateway import import_handler

        get_settings.cache_clear()
        default_worker.cache_clear()
        self.metrics = metrics
        self.gateway = gateway
        self.sqs = sqs
        self.queue_url = gateway.context.queue_url("PushQueue")
        self.function = tpl.functions(gateway.template, gateway.context)["PushWorkerFunction"]
        self.handler = import_handler(self.function)
        self.connections = [f"bench-{n}" for n in range(BATCH)]
        for ident in self.connections:
            connections.add_connection(
                "demo-school",
                connection_id=ident,
                service="webhook",
                name=ident,
                settings={"url": hook_url},
                credentials={"secret": "bench-secret"},
            )

    def _queue(self, count: int) -> list[dict[str, Any]]:
        """Push welcome1 to `count` connections; the messages as the poller receives them."""
        from hail import connections
        from hail.models import PushRequest

        for ident in self.connections[:count]:
            connections.push(
                "paula", "welcome1", PushRequest(connection_id=ident), "http://127.0.0.1/p/welcome1"
            )
        messages: list[dict[str, Any]] = []
        while len(messages) < count:
            messages += self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
        return messages

    def invoke(self, count: int) -> float:
        """Milliseconds the worker's handler takes for one batch of `count` pushes."""
        from hail_tools import triggers
        from hail_tools.gateway import LambdaContext

        messages = self._queue(count)
        arn = "arn:aws:sqs:eu-west-1:123456789012:PushQueue"
        event = triggers.sqs_event(messages, arn, "eu-west-1")
        context = LambdaContext(self.function, self.gateway.context, str(uuid.uuid4()))
        started = time.perf_counter()
        response = self.handler(event, context)
        elapsed = (time.perf_counter() - started) * 1000
        self.metrics.clear_metrics()
        assert response == {"batchItemFailures": []}, response
        self.sqs.delete_message_batch(
            QueueUrl=self.queue_url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)
            ],
        )
        return elapsed


def _posts_only(hook_url: str) -> float:
    """Milliseconds for the posts of a batch alone, made at once: what a batch would take
    if the database calls cost nothing."""
    from hail.services import Post, deliver
    from hail.services.transport import Http

    http = Http(allow_private=True)
    posts = [
        Post(str(uuid.uuid4()), "welcome1", "Welcome back!", "http://x/p/1") for _ in range(BATCH)
    ]

    def one(post: Post) -> str:
        return deliver("webhook", post, {"url": hook_url}, {"secret": "bench-secret"}, http).kind

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=BATCH) as pool:
        kinds = list(pool.map(one, posts))
    elapsed = (time.perf_counter() - started) * 1000
    assert kinds == ["posted"] * BATCH, kinds
    return elapsed


def _row(label: str, count: int, timings: list[float]) -> tuple[str, ...]:
    median = statistics.median(timings)
    return (
        label,
        str(count),
        f"{median:.0f}",
        f"{median / count:.1f}",
        f"{count / median * 1000:.0f}",
    )


def run(rounds: int = ROUNDS) -> list[tuple[str, ...]]:
    import boto3
    from hail import pushing
    from hail_tools import demo, keys, sink
    from hail_tools import template as tpl
    from hail_tools.gateway import LocalGateway

    moto, endpoint = _moto_server()
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    remote = sink.start("bench-secret", delay=REMOTE_DELAY)
    try:
        template = tpl.load_template()
        context = tpl.make_context(
            template,
            {"TokenIssuer": keys.ISSUER, "TokenAudience": keys.AUDIENCE, "JwksUrl": "file:///x"},
            "eu-west-1",
        )
        sqs = boto3.client("sqs")
        tpl.create_resources(template, context, boto3.client("dynamodb"), sqs)
        gateway = LocalGateway(template, context, env={"ALLOW_PRIVATE_WEBHOOKS": "true"})
        demo.seed()
        bench = Bench(gateway, sqs, remote.hook_url)
        bench.invoke(1)  # warm: imports, clients
        single = [bench.invoke(1) for _ in range(rounds)]
        batch = [bench.invoke(BATCH) for _ in range(rounds)]
        pushing.BATCH_SIZE = 1  # one exchange at a time, for comparison
        try:
            sequential = [bench.invoke(BATCH) for _ in range(rounds)]
        finally:
            pushing.BATCH_SIZE = BATCH
        posts_only = [_posts_only(remote.hook_url) for _ in range(rounds)]
    finally:
        remote.stop()
        moto.terminate()
        moto.wait(timeout=10)
    assert len(remote.received) == (1 + rounds * (1 + 3 * BATCH))
    assert all(r["signature_valid"] and not r["duplicate"] for r in remote.received)
    return [
        _row("single push", 1, single),
        _row(f"batch of {BATCH}, posted concurrently", BATCH, batch),
        _row(f"batch of {BATCH}, posted one at a time (for comparison)", BATCH, sequential),
        _row(f"just the {BATCH} posts, concurrently (no SQS, no DynamoDB)", BATCH, posts_only),
    ]


def main() -> None:
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with tempfile.TemporaryDirectory() as tmp:
        local_environment(Path(tmp), "ERROR")
        rows = run()
    header = ("case", "pushes per invocation", "invocation ms (median)", "ms per push", "pushes/s")
    print(
        f"\n### Push worker: one invocation, remote answering in {REMOTE_DELAY * 1000:.0f} ms "
        f"(median of {ROUNDS}; moto server in another process)\n"
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
