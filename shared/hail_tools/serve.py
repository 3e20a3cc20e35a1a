"""`make run`: the API on http://127.0.0.1:PORT, backed by an embedded AWS with demo data.

    PORT=3000 HOST=127.0.0.1 python -m hail_tools.serve

Startup is in `start()` so end-to-end tests and the benchmark can reuse it.
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

import boto3

from hail_tools import LOCAL_DIR, embedded, keys, signin, triggers
from hail_tools import template as tpl
from hail_tools.gateway import MAX_REQUEST_BODY, LocalGateway
from hail_tools.project import PARAMETERS_FILE

ENDPOINT_FILE = LOCAL_DIR / "endpoint"
URL_FILE = LOCAL_DIR / "url"  # the API's URL, beside it (`hail invoke`, `hail event`)


class PortInUseError(OSError):
    pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    gateway: LocalGateway


class _RequestHandler(BaseHTTPRequestHandler):
    """Forward every request to the local gateway; HTTP/1.1 with Content-Length."""

    protocol_version = "HTTP/1.1"
    server_version = "hail-local"
    sys_version = ""
    server: _Server

    def version_string(self) -> str:
        return self.server_version

    def _read_body(self) -> bytes | None:
        """The request body, or None (after draining it) when it is over API Gateway's limit."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, size = [], 0
            while chunk_size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunk = self.rfile.read(chunk_size)
                self.rfile.readline()
                size += len(chunk)
                if size <= MAX_REQUEST_BODY:
                    chunks.append(chunk)
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks) if size <= MAX_REQUEST_BODY else None
        length = int(self.headers.get("Content-Length") or 0)
        if length <= MAX_REQUEST_BODY:
            return self.rfile.read(length)
        while length > 0 and (chunk := self.rfile.read(min(length, 1 << 16))):
            length -= len(chunk)
        return None

    def _forward(self) -> None:
        started = time.perf_counter()
        raw_path, _, raw_query = self.path.partition("?")
        headers = list(self.headers.items())
        body = self._read_body()
        gateway = self.server.gateway
        if body is None:
            response = gateway.gateway_response("REQUEST_TOO_LARGE", headers)
        else:
            response = gateway.handle(
                self.command, raw_path, raw_query, headers, body, self.client_address[0]
            )
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        elapsed = (time.perf_counter() - started) * 1000
        sys.stderr.write(
            f"{self.command} {_loggable(self.path)} {response.status} {elapsed:.0f}ms\n"
        )

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _forward

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # _forward writes one line per request

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


_SECRET_PARAMETERS = re.compile(
    r"(?<=[?&])(access_token|code|refresh_token|client_secret|code_verifier|state)=[^&]*", re.I
)


def _loggable(path: str) -> str:
    """The request path for the log, with tokens, codes and secrets blanked."""
    return _SECRET_PARAMETERS.sub(r"\1=[redacted]", path)


@dataclass
class Running:
    url: str  # e.g. http://127.0.0.1:3000
    aws: embedded.EmbeddedAws
    gateway: LocalGateway
    server: _Server
    thread: threading.Thread
    pushes: triggers.LocalPushes | None = None  # the SQS triggers and the webhook sink
    signin: signin.LocalIssuer | None = None  # the local OAuth issuer (sign-in page)

    @property
    def endpoint(self) -> str:
        return self.aws.endpoint

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        if self.pushes is not None:
            self.pushes.stop()
        if self.signin is not None:
            self.signin.stop()
        self.aws.stop()
        if ENDPOINT_FILE.exists() and ENDPOINT_FILE.read_text().strip() == self.aws.endpoint:
            ENDPOINT_FILE.unlink()
            URL_FILE.unlink(missing_ok=True)
            ENDPOINT_FILE.with_name(PARAMETERS_FILE).unlink(missing_ok=True)


def _bind(host: str, port: int) -> _Server:
    try:
        return _Server((host, port), _RequestHandler)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(error.errno, f"port {port} on {host} is already in use") from error
        raise


# Locally: warnings and errors only, no metric documents, and each response reports its
# DynamoDB round trips and items read (X-Db-Round-Trips, X-Db-Items-Read).
LOCAL_ENV = {
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "EXPOSE_DB_STATS": "true",
}


def start(
    port: int = 3000,
    host: str = "127.0.0.1",
    *,
    seed: bool = True,
    keys_dir: Path | None = None,
    endpoint_file: Path | None = ENDPOINT_FILE,
    signin_port: int = 3003,
) -> Running:
    """Bind the ports, start the embedded AWS, create the template's resources, seed the
    demo data and serve the API in a background thread (port 0: any free port). The local
    OAuth issuer (sign-in page) listens on `signin_port`."""
    server = _bind(host, port)
    port = server.server_address[1]
    url = f"http://{host}:{port}"
    local_keys = keys.ensure_keys(keys_dir)
    try:
        issuer = signin.LocalIssuer(host, signin_port, keys_dir=local_keys.directory)
    except OSError as error:
        server.server_close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(
                error.errno, f"the sign-in port {signin_port} on {host} is already in use"
            ) from error
        raise
    aws = embedded.start()
    pushes = None
    try:
        embedded.configure_env(aws.endpoint)
        template = tpl.load_template()
        parameters = {
            "TokenIssuer": keys.ISSUER,
            "TokenAudience": keys.AUDIENCE,
            "JwksUrl": local_keys.jwks_path.resolve().as_uri(),
            "PublicBaseUrl": url,
            "OAuthAuthorizeUrl": issuer.authorize_url,
            "OAuthTokenUrl": issuer.token_url,
        }
        context = tpl.make_context(template, parameters, os.environ["AWS_DEFAULT_REGION"])
        tpl.create_resources(template, context, boto3.client("dynamodb"), boto3.client("sqs"))
        gateway = LocalGateway(
            template,
            context,
            env=LOCAL_ENV,
            domain_name=f"{host}:{port}",
            forwarded_proto="http",
        )
        sqs = boto3.client("sqs")
        pushes = triggers.start_local_pushes(template, context, gateway, sqs, host)
        if seed:
            from hail_tools import demo

            demo.seed(webhook_url=pushes.sink.hook_url, avatar_base=issuer.avatar_base)
        if endpoint_file is not None:
            endpoint_file.parent.mkdir(parents=True, exist_ok=True)
            endpoint_file.write_text(aws.endpoint + "\n")
            endpoint_file.with_name(URL_FILE.name).write_text(url + "\n")
            extra = {k: v for k, v in parameters.items() if k.startswith("OAuth")}
            endpoint_file.with_name(PARAMETERS_FILE).write_text(json.dumps(extra) + "\n")
        issuer.start()
    except BaseException:
        server.server_close()
        issuer.stop()
        if pushes is not None:
            pushes.stop()
        aws.stop()
        raise
    server.gateway = gateway
    thread = threading.Thread(target=server.serve_forever, name="hail-http", daemon=True)
    thread.start()
    return Running(url, aws, gateway, server, thread, pushes, issuer)


def main() -> int:
    port = int(os.environ.get("PORT") or 3000)
    host = os.environ.get("HOST") or "127.0.0.1"
    signin_port = int(os.environ.get("SIGNIN_PORT") or 3003)
    try:
        running = start(port, host, signin_port=signin_port)
    except PortInUseError as error:
        if "sign-in" in str(error.strerror):
            print(f"error: {error.strerror}; try `make run SIGNIN_PORT=0`", file=sys.stderr)
            return 2
        print(
            f"error: port {port} on {host} is already in use; try `make run PORT={port + 1}`",
            file=sys.stderr,
        )
        return 2
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    from hail_tools import demo

    organisation = next(iter(getattr(demo, "ORGANISATIONS", None) or ["ORGANISATION_ID"]))
    example = getattr(demo, "EXAMPLE_PATH", f"/v1/organisations/{organisation}/publications")
    token = keys.mint_token("alice")
    if running.pushes is not None:
        print(f"Webhook sink of webhook-demo: {running.pushes.sink.url}/ (what it received)")
    if running.signin is not None:
        print(
            f"Sign-in: {running.url}/oauth/authorise (local issuer {running.signin.url}/); "
            f"demo OAuth client {signin.DEMO_CLIENT_ID} / {signin.DEMO_CLIENT_SECRET}, "
            "redirect URIs: any http://localhost, http://127.0.0.1 or http://[::1] address"
        )
    print(f"Hail API ready on {running.url} (demo data loaded)")
    print(f'  curl -H "Authorization: Bearer {token}" {running.url}{example}', flush=True)
    while not stopping.wait(1):
        pass
    running.stop()
    print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
