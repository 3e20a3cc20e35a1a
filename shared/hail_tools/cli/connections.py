"""`hail admin connection ...`: an organisation's connections and their credentials."""

import argparse
import os
import sys
from urllib.parse import urlsplit


def _use_credentials(args: argparse.Namespace) -> None:
    table = args.credentials_table or os.environ.get("CREDENTIALS_TABLE_NAME")
    os.environ["CREDENTIALS_TABLE_NAME"] = table or "CredentialsTable"


def _allow_private() -> bool:
    """Whether URLs may point at loopback and private addresses (and loopback over plain
    http), as the worker they are for would allow: in local development only, that is with
    ALLOW_PRIVATE_WEBHOOKS set, or against the embedded AWS of `make run` (whose worker
    runs with it)."""
    if os.environ.get("ALLOW_PRIVATE_WEBHOOKS", "").lower() in ("1", "true", "yes"):
        return True
    host = urlsplit(os.environ.get("AWS_ENDPOINT_URL", "")).hostname or ""
    return host in ("localhost", "127.0.0.1", "::1")


def _pairs(given: list[str] | None, what: str) -> dict[str, str]:
    """KEY=VALUE arguments; a VALUE of "-" is read from standard input (keeps secrets out
    of the shell history)."""
    found = {}
    for item in given or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"error: --{what} takes KEY=VALUE, not {item!r}")
        found[key] = sys.stdin.readline().rstrip("\n") if value == "-" else value
    return found


def _connection_line(connection: dict, credentials: dict[str, str]) -> str:
    from hail import connections

    flags = [
        "authorised" if connection.get("authorised") else "not authorised",
        "configured" if connection.get("configured") else "not configured",
    ]
    if connection.get("exception"):
        flags.append(f"in exception ({connection.get('exception_reason') or 'set by hand'})")
    missing = connections.missing(connection, credentials)
    if missing:
        flags.append(f"missing {', '.join(missing)}")
    return (
        f"{connection['id']}  {connection['service']}  {connection['name']!r}  {'; '.join(flags)}"
    )


def _connection_add(args: argparse.Namespace) -> str:
    from hail import connections
    from hail.storage import connections as connections_db

    _use_credentials(args)
    connection = connections.add_connection(
        args.org,
        connection_id=args.id,
        service=args.service,
        name=args.name,
        authorised=args.authorised,
        authorised_name=args.authorised_name,
        configured=args.configured,
        exception=args.exception,
        settings=_pairs(args.setting, "setting"),
        credentials=_pairs(args.credential, "credential"),
        allow_private=_allow_private(),
    )
    credentials = connections_db.get_credentials(args.org, connection["id"])
    return "saved: " + _connection_line(connection, credentials)


def _connection_update(args: argparse.Namespace) -> str:
    from hail import connections
    from hail.storage import connections as connections_db

    _use_credentials(args)
    connection = connections.update_connection(
        args.org,
        args.id,
        name=args.name,
        authorised=args.authorised,
        authorised_name=args.authorised_name,
        configured=args.configured,
        exception=args.exception,
        settings=_pairs(args.setting, "setting"),
        credentials=_pairs(args.credential, "credential"),
        allow_private=_allow_private(),
    )
    credentials = connections_db.get_credentials(args.org, args.id)
    return "saved: " + _connection_line(connection, credentials)


def _connection_remove(args: argparse.Namespace) -> str:
    from hail import connections

    _use_credentials(args)
    connections.remove_connection(args.org, args.id)
    return f"connection {args.id} removed from {args.org}"


def _connection_list(args: argparse.Namespace) -> str:
    from hail.storage import connections as connections_db

    _use_credentials(args)
    found = sorted(connections_db.list_connections(args.org), key=lambda c: c["id"])
    states = connections_db.push_states(args.publication) if args.publication else {}
    lines = []
    for connection in found:
        line = _connection_line(
            connection, connections_db.get_credentials(args.org, connection["id"])
        )
        state = states.get(connection["id"])
        if state:
            line += (
                f"\n    {args.publication}: {state.get('status')}, last posted "
                f"{state.get('last_successful_post') or 'never'}, attempts "
                f"{state.get('attempts', 0)}, last error: {state.get('last_error') or '-'}"
            )
        lines.append(line)
    return "\n".join(lines) or f"no connections in {args.org}"


def add_parsers(kinds: argparse._SubParsersAction) -> None:
    from hail.services import NAMES

    connection = kinds.add_parser("connection", help="connections to remote services")
    actions = connection.add_subparsers(dest="action", required=True)
    flag = argparse.BooleanOptionalAction

    def common(command: argparse.ArgumentParser, *, adding: bool) -> None:
        command.add_argument("--authorised-name", help="who authorised it on the service")
        command.add_argument("--authorised", action=flag, default=True if adding else None)
        command.add_argument("--configured", action=flag, default=True if adding else None)
        command.add_argument("--exception", action=flag, default=False if adding else None)
        command.add_argument(
            "--setting", action="append", metavar="KEY=VALUE", help="e.g. url=, page_id="
        )
        command.add_argument(
            "--credential", action="append", metavar="KEY=VALUE", help="VALUE - reads stdin"
        )
        command.add_argument("--credentials-table", help="default: CredentialsTable")

    add = actions.add_parser("add", help="add a connection (or replace one with --id)")
    add.add_argument("org")
    add.add_argument("--service", required=True, choices=sorted(NAMES))
    add.add_argument("--name", required=True)
    add.add_argument("--id", help="the connection id (default: a new random one)")
    common(add, adding=True)
    add.set_defaults(run=_connection_add, aws=True)

    update = actions.add_parser("update", help="change a connection")
    update.add_argument("org")
    update.add_argument("id")
    update.add_argument("--name")
    common(update, adding=False)
    update.set_defaults(run=_connection_update, aws=True)

    remove = actions.add_parser("remove", help="remove a connection and its credentials")
    remove.add_argument("org")
    remove.add_argument("id")
    remove.add_argument("--credentials-table", help="default: CredentialsTable")
    remove.set_defaults(run=_connection_remove, aws=True)

    listing = actions.add_parser("list", help="an organisation's connections")
    listing.add_argument("org")
    listing.add_argument("--publication", help="also show this publication's push state")
    listing.add_argument("--credentials-table", help="default: CredentialsTable")
    listing.set_defaults(run=_connection_list, aws=True)
