"""The embedded AWS for `make run`: moto's server in a thread of this process."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

DEFAULT_REGION = "eu-west-1"


@dataclass
class EmbeddedAws:
    endpoint: str  # e.g. http://127.0.0.1:3001
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start(host: str | None = None, port: int = 0) -> EmbeddedAws:
    """Start moto's server (port 0: any free port) and return it with its endpoint URL.

    It listens on loopback: it has no authentication. HAIL_AWS_HOST moves it, for Docker
    containers on Linux (`sam local invoke`), which cannot reach the host's loopback: the
    docker0 address (e.g. 172.17.0.1), or 0.0.0.0 for every interface.

    The port is bound here, so that a port in use raises OSError(EADDRINUSE): moto's
    ThreadedMotoServer binds in its thread and then waits for ever, and werkzeug, given
    a port to bind, prints a message and exits the process."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    host = host or os.environ.get("HAIL_AWS_HOST") or "127.0.0.1"
    untrack_moto_models()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per AWS call
    app = DomainDispatcherApplication(create_backend_app)
    with socket.create_server((host, port), backlog=128) as listening:  # SO_REUSEADDR
        server = make_server(
            host,
            port,
            app,
            threaded=True,
            request_handler=MotoRequestHandler,
            fd=listening.fileno(),  # werkzeug serves a duplicate of it
        )
    thread = threading.Thread(target=server.serve_forever, name="embedded-aws", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    if bound_host in ("0.0.0.0", "::"):  # noqa: S104 - where it listens; called on loopback
        bound_host = "127.0.0.1"
    return EmbeddedAws(f"http://{bound_host!s}:{bound_port}", server, thread)


def stop(aws: EmbeddedAws) -> None:
    aws.stop()


def untrack_moto_models() -> None:
    """Stop moto from keeping every model object it ever made.

    moto appends each instance of its models (a DynamoDB Item, Table, an SQS Message...) to
    a class-level list, `instances_tracked`, for its dashboard (/moto-api/), and never lets
    go of them. It copies whole tables for each TransactWriteItems (to roll back) and makes
    Items for every write and projected read, so a long-running local server grew by tens
    of kilobytes per request. Nothing here uses the dashboard: new instances are no longer
    recorded. Idempotent."""
    from moto.core.common_models import BaseModel

    if getattr(BaseModel, "_hail_untracked", False):
        return

    def new(cls: type, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    BaseModel.__new__ = staticmethod(new)  # type: ignore[method-assign]
    BaseModel._hail_untracked = True  # type: ignore[attr-defined]


def configure_env(endpoint: str, environ: MutableMapping[str, str] | None = None) -> None:
    """Point every boto3 client made later (here or in child processes) at `endpoint`."""
    env = os.environ if environ is None else environ
    env["AWS_ENDPOINT_URL"] = endpoint
    env["AWS_ACCESS_KEY_ID"] = "testing"
    env["AWS_SECRET_ACCESS_KEY"] = "testing"  # noqa: S105 - moto's fake credentials
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    env.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    env["AWS_EC2_METADATA_DISABLED"] = "true"
