"""A local webhook receiver for `make run`: where the demo connection `webhook-demo` posts.

It does what docs/pushes.md asks of a real receiver: verifies X-Hail-Signature over the
raw body with the shared secret (401 if wrong or older than five minutes) and treats a
push id it has seen as already done. Every post it got is listed, newest last, at

    GET http://127.0.0.1:<port>/      -> {"received": [{"push_id", "signature_valid", ...}]}

(the last KEEP posts, so that a long-running `make run` does not grow without end).

    python -m hail_tools.sink [PORT]  runs one on its own (secret: the demo's).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import OrderedDict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hail.services.webhook import SIGNATURE_HEADER, verify

KEEP = 1000  # posts listed, and push ids remembered to tell a redelivery


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a batch connects at once; the default 5 drops SYNs (1 s stalls)


class WebhookSink:
    def __init__(
        self, secret: str, host: str = "127.0.0.1", port: int = 0, delay: float = 0.0
    ) -> None:
        self.secret = secret
        self.delay = delay  # seconds before answering (the benchmark's slow remote)
        self.received: deque[dict[str, Any]] = deque(maxlen=KEEP)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._server = _Server((host, port), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="webhook-sink",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def hook_url(self) -> str:
        """Where a connection posts."""
        return f"{self.url}/hooks/demo"

    def start(self) -> WebhookSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for a serve_forever() that never ran
            self._server.shutdown()
        self._server.server_close()

    def receive(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        """Check and record one post; the status and body to answer with."""
        valid = verify(self.secret, headers.get(SIGNATURE_HEADER.lower()), body, time.time())
        push_id = headers.get("x-hail-push-id", "")
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        with self._lock:
            duplicate = valid and push_id in self._seen
            if valid:
                self._seen[push_id] = None
                self._seen.move_to_end(push_id)
                while len(self._seen) > KEEP:
                    self._seen.popitem(last=False)
            self.received.append(
                {
                    "received_at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                    "path": path,
                    "push_id": push_id,
                    "signature_valid": valid,
                    "duplicate": duplicate,
                    "event": event,
                }
            )
        if not valid:
            return 401, {"error": "The X-Hail-Signature does not match this body."}
        return 200, {"received": True, "duplicate": duplicate}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, document: Any) -> None:
                data = json.dumps(document, indent=2).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                with sink._lock:
                    listed = list(sink.received)
                self._answer(200, {"received": listed})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if sink.delay:
                    time.sleep(sink.delay)
                self._answer(*sink.receive(self.path, headers, body))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def start(secret: str, host: str = "127.0.0.1", port: int = 0, delay: float = 0.0) -> WebhookSink:
    return WebhookSink(secret, host, port, delay).start()


if __name__ == "__main__":
    from hail_tools.demo import WEBHOOK_SECRET

    sink = start(WEBHOOK_SECRET, port=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(f"Webhook sink on {sink.url} (posts to {sink.hook_url})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sink.stop()
