"""One-time preview links and the sessions they open; who may see a publication's page.

A preview token is a random secret handed out once, in the preview URL. Only its SHA-256
is stored, with an expiry. Visiting the URL spends the token (one conditional write) and
opens a preview session for that publication alone: another random secret, kept by the
browser in the `hail` cookie and stored here only as a hash. Knows rules, not HTTP.
"""

import hashlib
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from hail import publications
from hail.storage import accounts as accounts_db
from hail.storage import previews as previews_db

TOKEN_BYTES = 32  # 256 random bits, 43 URL-safe characters
PREVIEW_SECONDS = 15 * 60
SESSION_SECONDS = 60 * 60
MAX_SESSIONS_READ = 3  # cookies looked up per page view (a browser normally sends one)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{32,128}$")

# The clock every rule here reads (seconds since the epoch). Routes pass `clock()` in;
# tests pass their own `now`.
clock: Callable[[], float] = time.time


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def plausible(secret: str) -> bool:
    """Could this be a token or session id we issued? (Others are refused without a read.)"""
    return bool(_SECRET.match(secret))


def timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True, slots=True)
class Preview:
    url: str
    expires_at: str  # UTC, YYYY-MM-DD HH:MM:SS


@dataclass(frozen=True, slots=True)
class Session:
    id: str  # the secret for the cookie; never stored
    publication_id: str
    max_age: int


@dataclass(frozen=True, slots=True)
class Shown:
    publication: dict
    organisation_name: str
    public: bool  # False: shown through a preview session only


def create(user_id: str, publication_id: str, base_url: str, now: float) -> Preview:
    """A one-time preview URL for a publication; any member of its organisation may ask."""
    pub = publications.get(user_id, publication_id).pub  # 404 unknown, 403 not a member
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = int(now) + PREVIEW_SECONDS
    previews_db.put_preview(digest(token), pub["id"], expires)
    return Preview(url=f"{base_url}/p/{pub['id']}?access={token}", expires_at=timestamp(expires))


def redeem(publication_id: str, token: str, now: float) -> Session | None:
    """Spend a preview token on the publication it was made for and open a session; None
    if the token is wrong, already used, expired or for another publication."""
    if not plausible(token):
        return None
    session_id = secrets.token_urlsafe(TOKEN_BYTES)
    spent = previews_db.spend_preview(
        digest(token), publication_id, int(now), digest(session_id), int(now) + SESSION_SECONDS
    )
    return Session(session_id, publication_id, SESSION_SECONDS) if spent else None


def page(publication_id: str, session_ids: Iterable[str], now: float) -> Shown | None:
    """The publication if this visitor may see it: anyone once it is published, before that
    only a holder of a live preview session for it. None means "show nothing"."""
    hashes = sorted({digest(s) for s in session_ids if plausible(s)})[:MAX_SESSIONS_READ]
    pub, sessions = previews_db.get_page(publication_id, hashes)
    if pub is None:
        return None
    public = pub["status"] == "published"
    if not public and not any(
        s.get("publication_id") == pub["id"] and s.get("expires", 0) > now for s in sessions
    ):
        return None
    org = accounts_db.get_organisation(pub["org_id"]) or {}
    return Shown(pub, str(org.get("name") or ""), public)
