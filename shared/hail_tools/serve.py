"""`make run`: the API on http://127.0.0.1:PORT, backed by an embedded AWS with demo data.

    PORT=3000 AWS_PORT=3001 SINK_PORT=3002 SIGNIN_PORT=3003 HOST=127.0.0.1 \
        python -m hail_tools.serve

Every local endpoint has a fixed default port and a variable that moves it (0: any free
port), listed in PORTS and printed at startup. Startup is in `start()` so end-to-end tests
and the benchmark can reuse it (with free ports).
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
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import boto3

from hail_tools import LOCAL_DIR, embedded, keys, signin, triggers
from hail_tools import template as tpl
from hail_tools.gateway import HEADERS_TOO_LARGE, MAX_REQUEST_BODY, LocalGateway, Response
from hail_tools.project import PARAMETERS_FILE

ENDPOINT_FILE = LOCAL_DIR / "endpoint"
URL_FILE = LOCAL_DIR / "url"  # the API's URL, beside it (`hail invoke`, `hail event`)
T = TypeVar("T")


# The local endpoints: key -> (what it is, the variable that sets its port, default port).
# A new local server adds its line here, and its URL to Running.endpoints.
PORTS: dict[str, tuple[str, str, int]] = {
    "api": ("API", "PORT", 3000),
    "aws": ("embedded AWS", "AWS_PORT", 3001),
    "sink": ("webhook sink", "SINK_PORT", 3002),
    "signin": ("sign-in", "SIGNIN_PORT", 3003),
}


class PortInUseError(OSError):
    """A port `make run` needs is taken; `variable` is the setting that moves it."""

    def __init__(self, key: str, host: str, port: int) -> None:
        self.what, self.variable, _ = PORTS[key]
        self.host, self.port = host, port
        super().__init__(errno.EADDRINUSE, f"port {port} on {host} ({self.what}) is already in use")

    def advice(self) -> str:
        """One line: what is taken and how to move it."""
        return (
            f"error: port {self.port} on {self.host} ({self.what}) is already in use: "
            f"set {self.variable} to a free port (`make run {self.variable}="
            f"{self.port + 100 if self.port else 0}`), or {self.variable}=0 for any free port"
        )


def port_setting(key: str, environ: Mapping[str, str] | None = None) -> int:
    """The port of a local endpoint from its variable (PORTS), or its default."""
    _, variable, default = PORTS[key]
    raw = (os.environ if environ is None else environ).get(variable, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) > 65535:
        raise SystemExit(f"error: {variable}={raw!r} is not a port number (0 to 65535)")
    return int(raw)


def _binding(key: str, host: str, port: int, bind: Callable[[], T]) -> T:
    """bind(), with a port in use reported as PortInUseError naming its variable."""
    try:
        return bind()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(key, host, port) from error
        raise


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
        if length < 0:
            raise ValueError("negative Content-Length")
        if length <= MAX_REQUEST_BODY:
            return self.rfile.read(length)
        while length > 0 and (chunk := self.rfile.read(min(length, 1 << 16))):
            length -= len(chunk)
        return None

    def _forward(self) -> None:
        started = time.perf_counter()
        raw_path, _, raw_query = self.path.partition("?")
        headers = list(self.headers.items())
        try:
            body = self._read_body()
        except ValueError:  # a Content-Length or chunk size that is not a number
            self.send_error(HTTPStatus.BAD_REQUEST, "Malformed Content-Length or chunk size")
            return
        gateway = self.server.gateway
        if body is None:
            response = gateway.gateway_response("REQUEST_TOO_LARGE", headers)
        else:
            try:
                response = gateway.handle(
                    self.command, raw_path, raw_query, headers, body, self.client_address[0]
                )
            except Exception:  # the gateway's own bug: still an answer in the envelope
                traceback.print_exc(file=sys.stderr)
                response = gateway.gateway_response("DEFAULT_5XX", headers)
        self._send(response)
        elapsed = (time.perf_counter() - started) * 1000
        sys.stderr.write(
            f"{self.command} {_loggable(self.path)} {response.status} {elapsed:.0f}ms\n"
        )

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def __getattr__(self, name: str) -> Any:
        """Every method goes to the gateway (`do_TRACE`, `do_get`...), which answers what API
        Gateway would, in the envelope; http.server alone would send a 501 HTML page."""
        if name.startswith("do_"):
            return self._forward
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, a header line over 64 KiB,
        over 100 headers, ...) in the envelope, with their status, instead of an HTML page."""
        self.close_connection = True
        self.request_version = self.protocol_version  # not 0.9's bare body: a malformed line
        headers = getattr(self, "headers", None)
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        text = f"{message if message and message != phrase else phrase}."
        if code == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:  # a line over 64 KiB, or 100 lines
            text = HEADERS_TOO_LARGE
        response = self.server.gateway.gateway_response(
            "DEFAULT_4XX",  # even a 505: the client's request is at fault
            list(headers.items()) if headers is not None else [],
            message=text,
            status=code,
        )
        self._send(response)
        sys.stderr.write(f"{self.command} {getattr(self, 'path', '')} {code} ({text})\n")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # _forward writes one line per request

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


_SECRET_PARAMETERS = re.compile(
    r"(?<=[?&])(access_token|code|refresh_token|client_secret|code_verifier|state)=[^&]*", re.I
)


def _loggable(path: str) -> str:
    """A request's path for the log: tokens, codes and secrets in its query blanked."""
    return _SECRET_PARAMETERS.sub(lambda m: f"{m.group(1)}=[hidden]", path)


@dataclass
class Running:
    url: str  # e.g. http://127.0.0.1:3000
    aws: embedded.EmbeddedAws
    gateway: LocalGateway
    server: _Server
    thread: threading.Thread
    pushes: triggers.LocalPushes | None = None  # the SQS triggers and the webhook sink
    # What main() prints: (key in PORTS, URL); a new local server appends its own.
    endpoints: list[tuple[str, str]] = field(default_factory=list)
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


class _Bound:
    """Sockets bound for start(), closed again if it fails half-way."""

    def __init__(self) -> None:
        self.closers: list[Callable[[], None]] = []

    def close(self) -> None:
        for close in reversed(self.closers):
            close()


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
    aws_port: int = 0,
    sink_port: int = 0,
    signin_port: int = 0,
    seed: bool = True,
    keys_dir: Path | None = None,
    endpoint_file: Path | None = ENDPOINT_FILE,
) -> Running:
    """Bind the ports (0: any free port), start the embedded AWS, create the template's
    resources, seed the demo data and serve the API in a background thread. A port in use
    raises PortInUseError before anything else starts."""
    from hail_tools import sink
    from hail_tools.demo import WEBHOOK_SECRET

    bound = _Bound()
    pushes = None
    try:
        server = _binding("api", host, port, lambda: _Server((host, port), _RequestHandler))
        bound.closers.append(server.server_close)
        url = f"http://{host}:{server.server_address[1]}"
        aws = _binding("aws", host, aws_port, lambda: embedded.start(host, aws_port))
        bound.closers.append(aws.stop)
        receiver = _binding(
            "sink", host, sink_port, lambda: sink.WebhookSink(WEBHOOK_SECRET, host, sink_port)
        )
        bound.closers.append(receiver.stop)
        local_keys = keys.ensure_keys(keys_dir)
        issuer = _binding(
            "signin",
            host,
            signin_port,
            lambda: signin.LocalIssuer(host, signin_port, keys_dir=local_keys.directory),
        )
        bound.closers.append(issuer.stop)
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
            domain_name=url.removeprefix("http://"),
            forwarded_proto="http",
        )
        sqs = boto3.client("sqs")
        pushes = triggers.start_local_pushes(template, context, gateway, sqs, host, receiver)
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
        if pushes is not None:
            pushes.stop_triggers()
        bound.close()
        raise
    server.gateway = gateway
    thread = threading.Thread(target=server.serve_forever, name="hail-http", daemon=True)
    thread.start()
    endpoints = [("api", url), ("aws", aws.endpoint), ("sink", f"{receiver.url}/")]
    endpoints.append(("signin", f"{issuer.url}/"))
    return Running(url, aws, gateway, server, thread, pushes, endpoints, issuer)


def describe(running: Running) -> list[str]:
    """The lines main() prints about the local endpoints."""
    notes = {
        "aws": "(`hail admin` finds it through .local/endpoint)",
        "sink": "(GET: the posts webhook-demo received)",
        "signin": "(the local issuer's sign-in page)",
    }
    lines = ["Local endpoints (each port has a variable; 0 = any free port):"]
    for key, url in running.endpoints:
        what, variable, _ = PORTS[key]
        lines.append(f"  {what:<20} {url:<24} {variable:<11} {notes.get(key, '')}".rstrip())
    return lines


def main() -> int:
    host = os.environ.get("HOST") or "127.0.0.1"
    try:
        running = start(
            port_setting("api"),
            host,
            aws_port=port_setting("aws"),
            sink_port=port_setting("sink"),
            signin_port=port_setting("signin"),
        )
    except PortInUseError as error:
        print(error.advice(), file=sys.stderr)
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
    print("\n".join(describe(running)))
    print(
        f"Sign-in: {running.url}/oauth/authorise with the demo OAuth client "
        f"{signin.DEMO_CLIENT_ID} / {signin.DEMO_CLIENT_SECRET} (redirect URIs: any "
        "http://localhost, http://127.0.0.1 or http://[::1] address)"
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
