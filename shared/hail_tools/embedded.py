"""The embedded AWS for `make run`: moto's server in a thread of this process."""

from __future__ import annotations

import logging
import os
from collections.abc import MutableMapping
from dataclasses import dataclass

from moto.server import ThreadedMotoServer

DEFAULT_REGION = "eu-west-1"


@dataclass
class EmbeddedAws:
    endpoint: str  # e.g. http://127.0.0.1:40123
    server: ThreadedMotoServer

    def stop(self) -> None:
        self.server.stop()


def start(host: str | None = None, port: int = 0) -> EmbeddedAws:
    """Start moto's server (port 0: any free port) and return it with its endpoint URL.

    It listens on loopback: it has no authentication. HAIL_AWS_HOST moves it, for Docker
    containers on Linux (`sam local invoke`), which cannot reach the host's loopback: the
    docker0 address (e.g. 172.17.0.1), or 0.0.0.0 for every interface."""
    host = host or os.environ.get("HAIL_AWS_HOST") or "127.0.0.1"
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per AWS call
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    if bound_host in ("0.0.0.0", "::"):  # noqa: S104 - where it listens; called on loopback
        bound_host = "127.0.0.1"
    return EmbeddedAws(f"http://{bound_host}:{bound_port}", server)


def stop(aws: EmbeddedAws) -> None:
    aws.stop()


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
