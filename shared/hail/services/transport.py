"""HTTP for the adapters: one POST per exchange, under one overall deadline, to a public
address only.

- **One deadline** (10 s by default) covers the whole exchange: resolving the name,
  connecting, the TLS handshake, sending, and reading the whole (bounded) answer. Socket
  timeouts alone bound each read, not their sum: a remote that drips its answer a byte at a
  time would hold the worker for as long as it likes. A watchdog timer shuts the socket
  down when the deadline passes, which ends whatever read or write is blocked on it.
- **Address guard**: the name is resolved once; every address it resolves to must be
  public (`is_public`), else nothing is sent; the connection is made to those checked
  addresses (never to the name again, so a second DNS answer cannot differ), while TLS
  still verifies the certificate for the name (SNI). `allow_private` (local development
  only) lifts the address check.
- **Only https** (plain http only to loopback, and only with `allow_private`); redirects
  are not followed; at most MAX_RESPONSE_BYTES of an answer are read.
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
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from hail.services import Result

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Hail-Push/1.0"
DEADLINE_SECONDS = 10.0  # one exchange, all included (SPEC: "Writes, retries and failures")


class TransportError(Exception):
    """No answer: DNS, refused or reset connection, TLS, timeout. Worth retrying."""


class RefusedTarget(Exception):
    """The URL may not be posted to (scheme, or a non-public address)."""


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


# ------------------------------------------------------------- address guard ---

_NET4 = ipaddress.IPv4Network
_NET6 = ipaddress.IPv6Network

# IPv4 blocks that are not globally reachable (IANA special-purpose registry), checked
# explicitly rather than through `is_global`, whose tables differ between Python versions.
NON_PUBLIC_V4 = tuple(
    _NET4(n)
    for n in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local (instance metadata lives here)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255 (broadcast)
    )
)
GLOBAL_UNICAST_V6 = _NET6("2000::/3")  # every public IPv6 address is in it
NON_PUBLIC_V6 = tuple(
    _NET6(n)
    for n in (
        "2001::/23",  # IETF protocol assignments (Teredo's 2001::/32 among them)
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
    )
)
# IPv6 forms that carry an IPv4 address: that address decides.
NAT64 = _NET6("64:ff9b::/96")  # RFC 6052 well-known prefix: the last 32 bits
SIX_TO_FOUR = _NET6("2002::/16")  # RFC 3056: bits 16-48
TEREDO = _NET6("2001::/32")  # RFC 4380: embeds a server and a client (inverted) address
IPV4_COMPATIBLE = _NET6("::/96")  # deprecated (RFC 4291): ::a.b.c.d, and :: and ::1
IPV4_MAPPED = _NET6("::ffff:0:0/96")  # ::ffff:a.b.c.d


def _public_v4(ip: ipaddress.IPv4Address) -> bool:
    return not any(ip in net for net in NON_PUBLIC_V4)


def is_public(address: str) -> bool:
    """True only for a globally routable unicast address. Refused: loopback, private,
    link-local, shared, multicast, reserved, unspecified, documentation and benchmarking
    ranges; IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and Teredo (2001::/32)
    forms whatever they embed (no public service is reached that way); NAT64 (64:ff9b::/96)
    and 6to4 (2002::/16) forms unless the IPv4 address they embed is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return _public_v4(ip)
    if ip in IPV4_MAPPED or ip in IPV4_COMPATIBLE:
        return False
    if ip in NAT64:
        return _public_v4(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        return _public_v4(ip.sixtofour)
    if ip in TEREDO:  # reached only through a relay; no webhook or service lives there
        return False
    if ip not in GLOBAL_UNICAST_V6 or any(ip in net for net in NON_PUBLIC_V6):
        return False
    return not (ip.is_multicast or ip.is_private or ip.is_reserved or ip.is_link_local)


def _is_loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class Target(NamedTuple):
    scheme: str
    host: str
    port: int
    path: str  # with the query


def check_url(url: str, *, allow_private: bool) -> Target:
    """What may be posted to, as the adapters and `hail admin connection` both check it:
    https (http only to loopback, and only when `allow_private`), a host, a valid port, and
    a host that is not a non-public address written as such. Raises RefusedTarget."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedTarget("the URL is not valid (host or port)") from exc
    host = parts.hostname
    plain_allowed = parts.scheme == "http" and allow_private and _is_loopback_host(host or "")
    if not host or not (parts.scheme == "https" or plain_allowed):
        raise RefusedTarget(
            "only https URLs can be posted to (plain http only to loopback, in local development)"
        )
    if not allow_private:
        try:
            literal = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            literal = None
        if literal is not None and not is_public(str(literal)):
            raise RefusedTarget(f"{host} is not a public address")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


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
