"""HTTP for the adapters: one POST with timeouts, no redirects, a bounded response, and a
guard that keeps pushes away from loopback, private and link-local addresses. The address
checked is the address connected to, so a DNS answer cannot change between the two."""

import http.client
import ipaddress
import json
import re
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from hail.services import Result

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Hail-Push/1.0"


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


def is_public(address: str) -> bool:
    """True for a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            ip = embedded
    return ip.is_global and not ip.is_multicast


class Http:
    """POSTs for the adapters. `allow_private` (local development) lifts the address guard."""

    def __init__(self, *, allow_private: bool = False, timeout: float = 10.0) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self._tls = ssl.create_default_context()

    def now(self) -> float:
        return time.time()

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise RefusedTarget("only http and https URLs can be posted to")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise RefusedTarget("the URL's port is not valid") from exc
        host = parts.hostname
        address = self._address(host, port)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=self._tls
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.timeout)

        def connect_to_checked_address(
            target: tuple[str, int], timeout: Any = None, source: Any = None
        ) -> socket.socket:
            return socket.create_connection((address, target[1]), timeout, source)

        connection._create_connection = connect_to_checked_address  # type: ignore[attr-defined]
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(
                "POST", path, body=body, headers={"User-Agent": USER_AGENT, **headers}
            )
            response = connection.getresponse()
            data = response.read(MAX_RESPONSE_BYTES)
            found = {name.lower(): value for name, value in response.getheaders()}
            return Reply(response.status, found, data)
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(_describe(exc)) from exc
        finally:
            connection.close()

    def _address(self, host: str, port: int) -> str:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise TransportError(f"cannot resolve {host}") from exc
        addresses = [str(info[4][0]) for info in infos]
        if not self.allow_private:
            for address in addresses:
                if not is_public(address):
                    raise RefusedTarget(f"{host} is a loopback, private or link-local address")
        return addresses[0]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
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
