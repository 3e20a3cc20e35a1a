"""HTTP for the adapters: one POST per exchange, under one overall deadline, to a public
address only.

- **One deadline** (10 s by default) covers the whole exchange: resolving the name,
  connecting, the TLS handshake, sending, and reading the whole (bounded) answer. Socket
  timeouts alone bound each read, not their sum: a remote that drips its answer a byte at a
  time would hold the worker for as long as it likes. A watchdog timer shuts the socket
  down when the deadline passes, which ends whatever read or write is blocked on it.
- **Address guard** (`hail.services.targets`): the URL must be one that may be posted to;
  the name is resolved once; every address it resolves to must be public, else nothing is
  sent; the connection is made to those checked addresses (never to the name again, so a
  second DNS answer cannot differ), while TLS still verifies the certificate for the name
  (SNI). `allow_private` (local development only) lifts the address check.
- Redirects are not followed; at most MAX_RESPONSE_BYTES of an answer are read.
"""

import contextlib
import http.client
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from hail.services import Result
from hail.services.targets import RefusedTarget, Target, check_url, is_public

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Hail-Push/1.0"
DEADLINE_SECONDS = 10.0  # one exchange, all included (SPEC: "Writes, retries and failures")


class TransportError(Exception):
    """No answer: DNS, refused or reset connection, TLS, timeout. Worth retrying."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


# ------------------------------------------------------------------- exchange ---


class _Deadline:
    """The time left of one exchange, and a watchdog that shuts the exchange's socket down
    when it runs out (ending a blocked read or write at once)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._over = False
        self._finished = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "_Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._finished = True
            self._socket = None

    @property
    def over(self) -> bool:
        return self._over

    def left(self) -> float:
        """Seconds left; TransportError once none are."""
        left = self._ends - time.monotonic()
        if left <= 0 or self._over:
            raise TransportError(self.reason())
        return left

    def reason(self) -> str:
        return f"timed out (no complete answer within {self.seconds:g} s)"

    def watch(self, sock: socket.socket) -> None:
        """The socket to shut down when the deadline passes."""
        with self._lock:
            self._socket = sock
            if self._over:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._over = True
            if self._socket is not None:
                _shut(self._socket)


def _shut(sock: socket.socket) -> None:
    # socket.socket's own shutdown, also for an SSLSocket: it acts on the connection (the
    # blocked reader sees end of file) without touching the TLS object another thread uses.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _resolve(
    resolver: Callable[..., list[Any]], host: str, port: int, deadline: _Deadline
) -> list[tuple[Any, Any]]:
    """(family, socket address) of every address of `host`; the lookup counts against the
    deadline (getaddrinfo cannot be interrupted, so it runs in a thread that is left to
    finish on its own if it is too slow)."""
    found: dict[str, Any] = {}

    def lookup() -> None:
        try:
            found["infos"] = resolver(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            found["error"] = exc

    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        lookup()  # a literal address: nothing to wait for
    except ValueError:
        thread = threading.Thread(target=lookup, name="push-resolve", daemon=True)
        thread.start()
        thread.join(deadline.left())
        if thread.is_alive():
            raise TransportError(deadline.reason()) from None
    if "error" in found or not found.get("infos"):
        raise TransportError(f"cannot resolve {host}")
    return [(info[0], info[4]) for info in found["infos"]]


class _Connection(http.client.HTTPConnection):
    """An HTTPConnection whose socket is opened by the exchange (to checked addresses)."""

    def __init__(self, host: str, port: int, *, default_port: int, open_socket: Any) -> None:
        self.default_port = default_port  # Host: without the port when it is the usual one
        super().__init__(host, port)
        self._open_socket = open_socket

    def connect(self) -> None:
        self.sock = self._open_socket()


class Http:
    """POSTs for the adapters, each one exchange under one deadline. `allow_private` (local
    development) lifts the address guard and allows plain http to loopback."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout: float = DEADLINE_SECONDS,
        tls: ssl.SSLContext | None = None,
        resolver: Callable[..., list[Any]] = socket.getaddrinfo,
    ) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self._tls = tls or ssl.create_default_context()
        self._resolver = resolver

    def now(self) -> float:
        return time.time()

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        target = check_url(url, allow_private=self.allow_private)
        with _Deadline(self.timeout) as deadline:
            addresses = self._addresses(target, deadline)
            connection = _Connection(
                target.host,
                target.port,
                default_port=443 if target.scheme == "https" else 80,
                open_socket=lambda: self._open(target, addresses, deadline),
            )
            try:
                connection.request(
                    "POST", target.path, body=body, headers={"User-Agent": USER_AGENT, **headers}
                )
                response = connection.getresponse()
                data = response.read(MAX_RESPONSE_BYTES)
                found = {name.lower(): value for name, value in response.getheaders()}
            except (OSError, ValueError, http.client.HTTPException) as exc:
                # A socket timeout is never longer than what was left: the deadline too.
                late = deadline.over or isinstance(exc, TimeoutError)
                raise TransportError(deadline.reason() if late else _describe(exc)) from exc
            finally:
                connection.close()
            if deadline.over:  # the answer may look complete, but it was cut short
                raise TransportError(deadline.reason())
            return Reply(response.status, found, data)

    def _addresses(self, target: Target, deadline: _Deadline) -> list[tuple[Any, Any]]:
        """Resolve once; refuse the target if any address is not public."""
        addresses = _resolve(self._resolver, target.host, target.port, deadline)
        if not self.allow_private:
            for _family, address in addresses:
                if not is_public(str(address[0])):
                    raise RefusedTarget(f"{target.host} resolves to a non-public address")
        return addresses

    def _open(
        self, target: Target, addresses: list[tuple[Any, Any]], deadline: _Deadline
    ) -> socket.socket:
        """A connection to the first checked address that answers (TLS for the name)."""
        error: OSError | None = None
        for family, address in addresses:
            sock: socket.socket = socket.socket(family, socket.SOCK_STREAM)
            try:
                deadline.watch(sock)
                sock.settimeout(deadline.left())
                sock.connect(address)
                if target.scheme == "https":
                    sock = self._tls.wrap_socket(
                        sock, server_hostname=target.host, do_handshake_on_connect=False
                    )
                    deadline.watch(sock)
                    sock.do_handshake()
                return sock
            except OSError as exc:
                sock.close()
                error = exc
                if deadline.over:
                    break
            except BaseException:
                sock.close()
                raise
        raise error or TransportError(f"cannot connect to {target.host}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TransportError):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or exc})"
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


# ------------------------------------------------------------------ answers ---


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), if any."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError):
        return None


def snippet(text: Any, limit: int = 200) -> str:
    """A short, single-line excerpt of what a service said."""
    flat = re.sub(r"\s+", " ", str(text or "")).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def outcome(
    reply: Reply,
    service: str,
    detail: Any = None,
    *,
    now: float,
    revoked: frozenset[int] = frozenset({401, 403}),
    wait: float | None = None,
) -> Result:
    """The usual reading of an HTTP answer: 2xx posted; 408, 429 and 5xx retry (after
    `wait`, else Retry-After); 401 and 403 revoked; anything else (other 4xx, and
    redirects, which are not followed) rejected."""
    status = reply.status
    said = snippet(detail if detail is not None else reply.text)
    reason = f"{service} answered {status}" + (f": {said}" if said else "")
    if 200 <= status < 300:
        return Result("posted", reason)
    if status in (408, 429) or status >= 500:
        if wait is None:
            wait = retry_after(reply.headers, now)
        return Result("retry", reason, wait)
    if status in revoked:
        return Result("revoked", reason)
    return Result("rejected", reason)
