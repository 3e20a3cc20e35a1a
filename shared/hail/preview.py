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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from hail import publications
from hail.articles import Refs
from hail.records import Article, Publication
from hail.storage import accounts as accounts_db
from hail.storage import articles as articles_db
from hail.storage import base as db
from hail.storage import previews as previews_db
from hail.storage import tags as tags_db

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
    publication: Publication
    organisation_name: str
    public: bool  # False: shown through a preview session only
    articles: list[Article] = field(default_factory=list)  # what the page may show, in order
    refs: Refs = field(default_factory=Refs)


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
    org, found, catalogue = db.parallel(
        partial(accounts_db.get_organisation, pub["org_id"]),
        partial(articles_db.get_many, pub["articles"]),
        partial(tags_db.catalogue, pub["org_id"]),
    )
    shown = [found[i] for i in pub["articles"] if i in found]
    if public:  # the public page shows only what is published; a preview shows it all
        shown = [a for a in shown if a["status"] == "published"]
    name = str((org or {}).get("name") or "")
    return Shown(pub, name, public, shown, Refs(tags=catalogue))


@dataclass(frozen=True, slots=True)
class ArticlePage:
    article: Article
    organisation_name: str
    refs: Refs


def article_page(article_id: str) -> ArticlePage | None:
    """A published article, with what its page shows; None for anything else."""
    article = articles_db.get_many([article_id]).get(article_id)
    if article is None or article["status"] != "published":
        return None
    org, catalogue = db.parallel(
        partial(accounts_db.get_organisation, article["org_id"]),
        partial(tags_db.catalogue, article["org_id"]),
    )
    return ArticlePage(article, str((org or {}).get("name") or ""), Refs(tags=catalogue))
