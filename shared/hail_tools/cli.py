"""The `hail` command: local tokens, demo data and administration.

    hail token USER [--scope "a b"] [--ttl SECONDS]
    hail seed
    hail admin org create ORG --name NAME
    hail admin member add ORG USER --role ROLE
    hail admin member remove ORG USER
    hail admin style add STYLE --name NAME [--description D] [--preview-url URL]
    hail admin style offer ORG STYLE [--unavailable]
    hail admin publication css PUBLICATION (URL | --clear)
    hail admin connection add ORG --service SERVICE --name NAME [--id ID] [--authorised-name N]
                                  [--no-authorised] [--no-configured] [--exception]
                                  [--setting KEY=VALUE ...] [--credential KEY=VALUE ...]
    hail admin connection update ORG ID [--name N] [--authorised-name N] [--[no-]authorised]
                                  [--[no-]configured] [--[no-]exception] [--setting K=V]
                                  [--credential K=V]     (K= with no value removes K)
    hail admin connection remove ORG ID
    hail admin connection list ORG [--publication PUB]

Administration talks to whatever AWS endpoint is configured: the embedded one while
`make run` runs (found through .local/endpoint), or a real account (AWS_PROFILE or the
usual AWS variables, with --table naming the stack's DataTable).
"""

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from hail_tools import LOCAL_DIR, keys

ROLES = ("owner", "admin", "publisher", "editor", "viewer")


def _use_aws(table: str | None) -> None:
    """Point the shared layer at the right account and table before it is used."""
    endpoint_file = LOCAL_DIR / "endpoint"
    if "AWS_ENDPOINT_URL" not in os.environ and endpoint_file.exists():
        os.environ["AWS_ENDPOINT_URL"] = endpoint_file.read_text().strip()
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    os.environ["TABLE_NAME"] = table or os.environ.get("TABLE_NAME", "DataTable")
    os.environ.setdefault("CREDENTIALS_TABLE_NAME", "CredentialsTable")
    # The token settings are not used by administration, but the settings model wants them.
    os.environ.setdefault("TOKEN_ISSUER", keys.ISSUER)
    os.environ.setdefault("TOKEN_AUDIENCE", keys.AUDIENCE)
    os.environ.setdefault("JWKS_URL", "file:///dev/null")


def _token(args: argparse.Namespace) -> str:
    return keys.mint_token(args.user, scope=args.scope, ttl=args.ttl)


def _seed(args: argparse.Namespace) -> str:
    from hail_tools import demo

    return "\n".join(demo.seed()) or "nothing to do"


def _org_create(args: argparse.Namespace) -> str:
    from hail.storage import accounts as accounts_db

    accounts_db.put_organisation(args.org, args.name)
    return f"organisation {args.org} saved"


def _member_add(args: argparse.Namespace) -> str:
    from hail.storage import accounts as accounts_db

    if accounts_db.get_organisation(args.org) is None:
        raise SystemExit(f"error: no organisation '{args.org}'")
    accounts_db.set_member(args.org, args.user, args.role)
    return f"{args.user} is now {args.role} of {args.org}"


def _member_remove(args: argparse.Namespace) -> str:
    from hail.storage import accounts as accounts_db

    accounts_db.set_member(args.org, args.user, None)
    return f"{args.user} removed from {args.org}"


def _style_add(args: argparse.Namespace) -> str:
    from hail.storage import accounts as accounts_db

    accounts_db.put_style(args.style, args.name, args.description, args.preview_url)
    return f"style {args.style} saved"


def _style_offer(args: argparse.Namespace) -> str:
    from hail.storage import accounts as accounts_db

    accounts_db.set_org_style(args.org, args.style, not args.unavailable)
    state = "not yet available" if args.unavailable else "available"
    return f"style {args.style} is {state} to {args.org}"


def _publication_css(args: argparse.Namespace) -> str:
    from urllib.parse import urlsplit

    from hail.storage import publications as publications_db

    url = None if args.clear else args.url
    if url is not None and urlsplit(url).scheme != "https":
        raise SystemExit("error: the stylesheet must be an https:// URL")
    if url is None and not args.clear:
        raise SystemExit("error: give a URL, or --clear")
    publications_db.set_custom_css(args.publication, url)
    return f"{args.publication}: custom CSS {'removed' if url is None else url}"


def _use_credentials(args: argparse.Namespace) -> None:
    table = args.credentials_table or os.environ.get("CREDENTIALS_TABLE_NAME")
    os.environ["CREDENTIALS_TABLE_NAME"] = table or "CredentialsTable"


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


def _connection_parsers(kinds: argparse._SubParsersAction) -> None:
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hail", description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", help="DynamoDB table (default: $TABLE_NAME or DataTable)")
    commands = parser.add_subparsers(dest="command", required=True)

    token = commands.add_parser("token", help="print an access token the local server accepts")
    token.add_argument("user")
    token.add_argument("--scope", default=keys.DEFAULT_SCOPE)
    token.add_argument("--ttl", type=int, default=3600, help="seconds; negative = expired")
    token.set_defaults(run=_token, aws=False)

    seed = commands.add_parser("seed", help="load the demo data")
    seed.set_defaults(run=_seed, aws=True)

    admin = commands.add_parser("admin", help="organisations, members, styles, connections")
    kinds = admin.add_subparsers(dest="kind", required=True)

    org = kinds.add_parser("org").add_subparsers(dest="action", required=True)
    create = org.add_parser("create", help="create or rename an organisation")
    create.add_argument("org")
    create.add_argument("--name", required=True)
    create.set_defaults(run=_org_create, aws=True)

    member = kinds.add_parser("member").add_subparsers(dest="action", required=True)
    add = member.add_parser("add", help="add a member, or change their role")
    add.add_argument("org")
    add.add_argument("user")
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(run=_member_add, aws=True)
    remove = member.add_parser("remove", help="remove a member")
    remove.add_argument("org")
    remove.add_argument("user")
    remove.set_defaults(run=_member_remove, aws=True)

    style = kinds.add_parser("style").add_subparsers(dest="action", required=True)
    style_add = style.add_parser("add", help="add or change a style in the catalogue")
    style_add.add_argument("style")
    style_add.add_argument("--name", required=True)
    style_add.add_argument("--description", default="")
    style_add.add_argument("--preview-url", default="")
    style_add.set_defaults(run=_style_add, aws=True)
    offer = style.add_parser("offer", help="offer a style to an organisation")
    offer.add_argument("org")
    offer.add_argument("style")
    offer.add_argument("--unavailable", action="store_true", help="offer it as 'coming soon'")
    offer.set_defaults(run=_style_offer, aws=True)

    publication = kinds.add_parser("publication").add_subparsers(dest="action", required=True)
    css = publication.add_parser("css", help="set (or clear) a publication's custom_css_url")
    css.add_argument("publication")
    css.add_argument("url", nargs="?", help="an https:// stylesheet")
    css.add_argument("--clear", action="store_true")
    css.set_defaults(run=_publication_css, aws=True)

    _connection_parsers(kinds)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.aws:
        _use_aws(args.table)
    run: Callable[[argparse.Namespace], str] = args.run
    try:
        print(run(args))
    except Exception as exc:  # one clear line instead of a traceback
        print(f"error: {_describe(exc)}", file=sys.stderr)
        return 1
    return 0


def _describe(exc: Exception) -> str:
    from botocore.exceptions import BotoCoreError, ClientError
    from hail.errors import HailError

    if isinstance(exc, HailError):
        return exc.message
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'AWS error')}: {error.get('Message', '')}".strip()
    if isinstance(exc, BotoCoreError):
        return f"cannot reach AWS ({exc})"
    return f"{type(exc).__name__}: {exc}"


if __name__ == "__main__":
    sys.exit(main())
