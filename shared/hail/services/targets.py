"""Where pushes may go: URLs the adapters may post to, and addresses that are public.

Shared by the transport (checked on every post, against the addresses the name resolves
to) and by `hail admin connection` (checked when a connection is stored). Light: no
sockets, no TLS.
"""

import ipaddress
from typing import NamedTuple
from urllib.parse import urlsplit


class RefusedTarget(Exception):
    """The URL may not be posted to (scheme, or a non-public address)."""


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
