"""What a page may load: its Content-Security-Policy, the origins it may name, its ETag.

Every page carries its stylesheet inline, allowed through the stylesheet's SHA-256 (no
'unsafe-inline', no script at all). Images may come from one media origin, a custom
stylesheet (and its fonts and images) from one more origin; nothing else is fetched.
"""

import base64
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

LOCALHOST = frozenset({"localhost", "127.0.0.1", "::1"})
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}$")


@dataclass(frozen=True, slots=True)
class Document:
    html: str
    content_security_policy: str


def hash_source(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def safe_origin(url: str | None) -> str | None:
    """The origin of a URL a page may fetch from: https (or http on localhost), a plain host
    name, no credentials. None for anything else."""
    if not url or any(c.isspace() or c in "'\"<>\\;," for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in LOCALHOST)
    if not secure or not _HOST.match(host) or parts.username or parts.password:
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def stylesheet_origin(url: str | None) -> str | None:
    """The origin of a custom stylesheet URL, if it is one a page may load (else None)."""
    return safe_origin(url)


def media_origin_of(origin: str | None) -> str | None:
    """`origin` itself if it is a safe origin (scheme, host, port and nothing more)."""
    return origin if origin and safe_origin(origin) == origin else None


def on_origin(url: object, origin: str | None) -> bool:
    """Is `url` a file served from `origin` (so that the page's CSP lets it load)?"""
    return bool(origin) and isinstance(url, str) and safe_origin(url) == origin


def content_security_policy(
    style_hash: str, custom_origin: str | None = None, media_origin: str | None = None
) -> str:
    """No script, no frames, no forms; nothing fetched but the page's own stylesheet, the
    pictures of the media origin, and the custom stylesheet (with its fonts and images)."""
    extra = f" {custom_origin}" if custom_origin else ""
    parts = ["default-src 'none'", f"style-src {style_hash}{extra}"]
    images = " ".join(dict.fromkeys(o for o in (media_origin, custom_origin) if o))
    if images:
        parts.append(f"img-src {images}")
    if custom_origin:
        parts.append(f"font-src {custom_origin}")
    parts += ["base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"]
    return "; ".join(parts)


def etag(document: Document) -> str:
    return '"' + hashlib.sha256(document.html.encode()).hexdigest()[:32] + '"'
