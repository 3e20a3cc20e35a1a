"""Connections: a publication's connections with its push state, pushing it to one, and
their administration. Knows rules, not HTTP, DynamoDB or SQS.

A push moves the (publication, connection) pair to `pending` under a new push id with a
conditional write (of simultaneous pushes exactly one gets it), then queues the job; if
the queue cannot be reached the pair is put back as it was and the caller gets 503.
"""

import re
import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from hail import queue
from hail.errors import BadRequest, NotFound, Unavailable
from hail.models import PushRequest, utc_now
from hail.observability import logger
from hail.publications import member_role, new_id, require_role
from hail.records import Publication
from hail.services import NAMES
from hail.settings import get_settings
from hail.storage import accounts as accounts_db
from hail.storage import connections as connections_db
from hail.storage import publications as publications_db

# A push still pending this long after it was queued is taken to be lost (say the function
# stopped between the write and the queue): another push of the pair is then accepted.
PENDING_LOST_AFTER = timedelta(hours=1)
ADMIN_EXCEPTION = "Put in exception by an administrator."
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# What each service needs: (settings, credentials). See docs/pushes.md.
SERVICE_NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "webhook": (("url",), ("secret",)),
    "slack": ((), ("webhook_url",)),
    "mastodon": (("base_url",), ("access_token",)),
    "facebook": (("page_id",), ("access_token",)),
    "x": ((), ("access_token",)),
}


class PushJob(BaseModel):
    """The message on the push queue: the publication as it was when pushed."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    push_id: str
    org_id: str
    publication_id: str
    connection_id: str
    title: str
    url: str
    comment: str | None = None


def timestamp(moment: datetime) -> str:
    """UTC, as this API writes every date-time."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


# ------------------------------------------------------------- representation ---


def view(connection: dict, state: dict | None) -> dict:
    """A connection as the Hail API shows it, with one publication's push state: Hail's
    fields, plus why the last push of the pair failed (`last_error`) and why the connection
    is in exception (`exception_reason`), each null when there is nothing to say."""
    state = state or {}
    service = connection["service"]
    exception = bool(connection.get("exception"))
    return {
        "id": connection["id"],
        "name": connection["name"],
        "authorised": bool(connection.get("authorised")),
        "authorised_name": connection.get("authorised_name"),
        "exception": exception,
        "exception_reason": (connection.get("exception_reason") or None) if exception else None,
        "configured": bool(connection.get("configured")),
        "service": {"id": service, "name": NAMES.get(service, service)},
        "status": state.get("status"),
        "last_successful_post": state.get("last_successful_post"),
        "last_error": state.get("last_error"),
    }


# ------------------------------------------------------------------ the API ---


def _publication(user_id: str, publication_id: str) -> tuple[Publication, str]:
    found = publications_db.fetch(user_id=user_id, publication_id=publication_id)
    pub = found.publication
    if pub is None:
        raise NotFound(f"No publication with id '{publication_id}'.")
    return pub, member_role(found.roles, pub["org_id"])


def list_for_publication(user_id: str, publication_id: str) -> list[dict]:
    """The organisation's connections, each with this publication's push state."""
    pub, _role = _publication(user_id, publication_id)
    found = connections_db.list_connections(pub["org_id"])
    states = connections_db.push_states(publication_id)
    found.sort(key=lambda c: (str(c["name"]).casefold(), c["id"]))
    return [view(c, states.get(c["id"])) for c in found]


def _pushable(connection: dict | None, connection_id: str, pub: Publication) -> dict:
    if connection is None:
        raise BadRequest(f"'{connection_id}' is not one of the organisation's connections.")
    if connection.get("exception"):
        raise BadRequest(
            "The connection is in exception: it must be authorised and configured again."
        )
    if not connection.get("authorised"):
        raise BadRequest("The connection is not authorised.")
    if not connection.get("configured"):
        raise BadRequest("The connection is not configured.")
    if pub["status"] != "published":
        raise BadRequest("Only a published publication can be pushed to a connection.")
    return connection


def push(user_id: str, publication_id: str, request: PushRequest, publication_url: str) -> dict:
    """Queue a push of the publication to one of its organisation's connections; the
    connection with its new (pending) state."""
    pub, role = _publication(user_id, publication_id)
    require_role(role, "publisher", "push to a connection")
    org_id, connection_id = pub["org_id"], request.connection_id
    connection = _pushable(connections_db.get_connection(org_id, connection_id), connection_id, pub)
    push_id = str(uuid.uuid4())
    now = utc_now()
    try:
        previous = connections_db.start_push(
            publication_id,
            connection_id,
            push_id=push_id,
            org_id=org_id,
            now=timestamp(now),
            stale_before=timestamp(now - PENDING_LOST_AFTER),
        )
    except connections_db.AlreadyPending:
        raise BadRequest(
            "A push of this publication to this connection is already pending."
        ) from None
    job = PushJob(
        push_id=push_id,
        org_id=org_id,
        publication_id=publication_id,
        connection_id=connection_id,
        title=pub["title"],
        url=publication_url,
        comment=request.comment or None,
    )
    try:
        queue.send_job(job.model_dump())
    except queue.QueueUnavailable:
        logger.exception("Push not queued", extra={"push_id": push_id})
        _put_back(publication_id, connection_id, push_id, previous)
        raise Unavailable(
            "The push could not be queued and nothing was changed; retry shortly.",
            retry_after=5,
        ) from None
    logger.info("Push queued", extra={"push_id": push_id, "connection_id": connection_id})
    return view(connection, {**(previous or {}), "status": "pending", "last_error": None})


def _put_back(publication_id: str, connection_id: str, push_id: str, previous: dict | None) -> None:
    try:
        connections_db.undo_push(publication_id, connection_id, push_id, previous)
    except Exception:  # the 503 stands; a pair left pending is released after PENDING_LOST_AFTER
        logger.exception("Push state not restored", extra={"push_id": push_id})


# ----------------------------------------------------------- administration ---


def add_connection(
    org_id: str,
    *,
    service: str,
    name: str,
    connection_id: str | None = None,
    authorised: bool = True,
    authorised_name: str | None = None,
    configured: bool = True,
    exception: bool = False,
    exception_reason: str | None = None,
    settings: dict[str, str] | None = None,
    credentials: dict[str, str] | None = None,
    only_new: bool = False,
    allow_private: bool | None = None,
) -> dict:
    """Create (or replace) a connection of the organisation; its stored form. What it
    stores is checked as the adapters would use it (`check_stored`); with `only_new`, an
    existing connection is returned untouched."""
    if accounts_db.get_organisation(org_id) is None:
        raise NotFound(f"No organisation with id '{org_id}'.")
    if service not in NAMES:
        raise BadRequest(f"Unknown service '{service}'; one of: {', '.join(sorted(NAMES))}.")
    connection_id = connection_id or new_id()
    if not ID_PATTERN.match(connection_id):
        raise BadRequest("A connection id is 1-64 characters: a-z, 0-9, '-' and '_'.")
    existing = connections_db.get_connection(org_id, connection_id)
    if only_new and existing is not None:
        return existing
    connection = {
        "id": connection_id,
        "org_id": org_id,
        "service": service,
        "name": name,
        "authorised": authorised,
        "authorised_name": authorised_name if authorised else None,
        "configured": configured,
        "exception": exception,
        "exception_reason": (exception_reason or ADMIN_EXCEPTION) if exception else None,
        "settings": dict(settings or {}),
    }
    kept = connections_db.get_credentials(org_id, connection_id) if existing else {}
    check_stored(
        connection, credentials or kept, given=(settings, credentials), allow_private=allow_private
    )
    if credentials:  # first: a connection is never stored configured before its credentials
        connections_db.put_credentials(org_id, connection_id, credentials)
    if not connections_db.put_connection(connection, only_new=only_new):
        return connections_db.get_connection(org_id, connection_id) or connection
    return connection


def update_connection(
    org_id: str,
    connection_id: str,
    *,
    name: str | None = None,
    authorised: bool | None = None,
    authorised_name: str | None = None,
    configured: bool | None = None,
    exception: bool | None = None,
    settings: dict[str, str] | None = None,
    credentials: dict[str, str] | None = None,
    allow_private: bool | None = None,
) -> dict:
    """Change what is given; settings and credentials are merged into what is there (an
    empty value removes a key). Clearing `exception` forgets why it was set. The result is
    checked as `add_connection` checks it; nothing is written if it fails."""
    current = connections_db.get_connection(org_id, connection_id)
    if current is None:
        raise NotFound(f"No connection '{connection_id}' in '{org_id}'.")
    changes: dict = {}
    for field, value in (
        ("name", name),
        ("authorised", authorised),
        ("authorised_name", authorised_name),
        ("configured", configured),
        ("exception", exception),
    ):
        if value is not None:
            changes[field] = value
    if exception is False:
        changes["exception_reason"] = None
    elif exception and not current.get("exception"):
        changes["exception_reason"] = ADMIN_EXCEPTION
    if settings:
        changes["settings"] = _merged(current.get("settings") or {}, settings)
    kept = connections_db.get_credentials(org_id, connection_id)
    merged_credentials = _merged(kept, credentials) if credentials else kept
    check_stored(
        {**current, **changes},
        merged_credentials,
        given=(settings, credentials),
        allow_private=allow_private,
    )
    if credentials:
        connections_db.put_credentials(org_id, connection_id, merged_credentials)
    if not changes:
        return current
    return connections_db.update_connection(org_id, connection_id, changes)


# Settings and credentials that hold a URL the adapters post to.
URL_FIELDS = frozenset({"url", "base_url", "webhook_url"})


def check_stored(
    connection: dict,
    credentials: dict[str, str],
    *,
    given: tuple[dict[str, str] | None, dict[str, str] | None] = (None, None),
    allow_private: bool | None = None,
) -> None:
    """Refuse (BadRequest) what the adapters could not post with: a URL they would refuse
    (not https; plain http only to loopback with `allow_private`, the local development
    setting; a non-public address), among the values `given` or, for a connection marked
    configured, among all it has; and a connection marked configured that lacks a setting
    or credential its service needs."""
    from hail.services.targets import RefusedTarget, check_url

    if allow_private is None:
        allow_private = get_settings().allow_private_webhooks
    stored = connection.get("settings") or {}
    checked: list[tuple[str, str, str]] = []
    for kind, values in (("setting", given[0] or {}), ("credential", given[1] or {})):
        checked += [(kind, k, v) for k, v in values.items() if k in URL_FIELDS and v]
    if connection.get("configured"):
        checked += [("setting", k, v) for k, v in stored.items() if k in URL_FIELDS and v]
        checked += [("credential", k, v) for k, v in credentials.items() if k in URL_FIELDS and v]
    for kind, key, value in checked:
        try:
            check_url(value, allow_private=allow_private)
        except RefusedTarget as exc:
            shown = value if kind == "setting" else "(secret)"
            raise BadRequest(f"The {kind} {key} {shown} cannot be posted to: {exc}.") from None
    lacking = missing(connection, credentials) if connection.get("configured") else []
    if lacking:
        service = NAMES.get(connection["service"], connection["service"])
        raise BadRequest(
            f"A {service} connection cannot post without {' and '.join(lacking)}: give "
            f"{'it' if len(lacking) == 1 else 'them'}, or mark the connection not configured."
        )


def _merged(current: dict[str, str], given: dict[str, str]) -> dict[str, str]:
    merged = {**current, **given}
    return {k: v for k, v in merged.items() if v}


def remove_connection(org_id: str, connection_id: str) -> None:
    connections_db.delete_connection(org_id, connection_id)
    connections_db.delete_credentials(org_id, connection_id)


def missing(connection: dict, credentials: dict[str, str]) -> list[str]:
    """The settings and credentials the connection's service needs but lacks."""
    needs_settings, needs_credentials = SERVICE_NEEDS.get(connection["service"], ((), ()))
    have = connection.get("settings") or {}
    return [f"setting {n}" for n in needs_settings if not have.get(n)] + [
        f"credential {n}" for n in needs_credentials if not credentials.get(n)
    ]
