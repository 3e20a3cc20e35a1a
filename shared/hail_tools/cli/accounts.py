"""`hail admin org|user|client`: organisations and their profiles, user profiles, and the
OAuth clients of the local sign-in.

An empty value removes a field (`--avatar-url ""`). In a deployment, a user's email and
names are refreshed from the identity provider at each sign-in; the rest stays as set here.
"""

import argparse
import json
import re
from typing import Any
from urllib.parse import urlsplit

ORG_URLS = (
    "website_url",
    "facebook_url",
    "youtube_url",
    "google_url",
    "privacy_policy_url",
    "terms_url",
    "avatar_url",
    "small_avatar_url",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TWITTER = re.compile(r"^[A-Za-z0-9_]{1,15}$")


def _now() -> str:
    from hail.accounts import now

    return now()


def _text(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _url(name: str, value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SystemExit(f"error: --{name.replace('_', '-')} must be an http(s) URL")
    return value


def _email(value: str) -> str | None:
    value = value.strip()
    if value and not _EMAIL.match(value):
        raise SystemExit("error: --email must be an email address")
    return value or None


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "organisation"


# ------------------------------------------------------------------ organisations ---


def _org_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The profile fields given on the command line (None: remove the field)."""
    changes: dict[str, Any] = {}
    for field in ORG_URLS:
        value = getattr(args, field)
        if value is not None:
            changes[field] = _url(field, value)
    if args.email is not None:
        changes["email"] = _email(args.email)
    if args.slug is not None:
        slug = args.slug.strip()
        if slug and not _SLUG.match(slug):
            raise SystemExit("error: --slug takes lower-case letters, digits and hyphens")
        changes["slug"] = slug or None
    if args.twitter_username is not None:
        handle = args.twitter_username.strip().removeprefix("@")
        if handle and not _TWITTER.match(handle):
            raise SystemExit("error: --twitter-username is 1-15 letters, digits or _")
        changes["twitter_username"] = handle or None
    if args.country is not None:
        code = args.country.strip().upper()
        if not code:
            changes["country"] = None
        elif not re.fullmatch(r"[A-Z]{2}", code) or not args.country_name:
            raise SystemExit("error: --country takes an ISO 3166 code (NZ) with --country-name")
        else:
            changes["country"] = {"code": code, "name": args.country_name.strip()}
    elif args.country_name is not None:
        raise SystemExit("error: --country-name goes with --country")
    for flag, field in (
        ("suspended", "is_suspended"),
        ("subscription", "active_subscription"),
        ("credit_card", "active_credit_card"),
    ):
        if getattr(args, flag) is not None:
            changes[field] = getattr(args, flag)
    return changes


def _org_create(args: argparse.Namespace) -> str:
    from hail.storage import accounts as accounts_db

    changes = _org_changes(args)
    if accounts_db.get_organisation(args.org) is None:
        changes.setdefault("slug", slugify(args.name))
    accounts_db.put_organisation(args.org, args.name, changes, now=_now())
    return f"organisation {args.org} saved"


def _org_update(args: argparse.Namespace) -> str:
    from hail.storage import accounts as accounts_db

    changes = _org_changes(args)
    if args.name is not None:
        if not args.name.strip():
            raise SystemExit("error: an organisation needs a name")
        changes["name"] = args.name.strip()
    if not changes:
        raise SystemExit("error: nothing to change")
    accounts_db.update_organisation(args.org, changes)
    return f"organisation {args.org} updated"


def _org_show(args: argparse.Namespace) -> str:
    from hail import accounts
    from hail.storage import accounts as accounts_db

    org = accounts_db.get_organisation(args.org)
    if org is None:
        raise SystemExit(f"error: no organisation '{args.org}'")
    view = accounts.organisation_view(org, role="owner")
    del view["role"]
    return json.dumps(view, indent=2)


def _org_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--slug")
    parser.add_argument("--email", help="the public contact address")
    for field in ORG_URLS:
        parser.add_argument(f"--{field.replace('_', '-')}", dest=field, metavar="URL")
    parser.add_argument("--twitter-username", metavar="HANDLE")
    parser.add_argument("--country", metavar="CODE", help="ISO 3166 code, e.g. NZ")
    parser.add_argument("--country-name", metavar="NAME", help="e.g. 'New Zealand'")
    for flag, what in (
        ("suspended", "is_suspended"),
        ("subscription", "active_subscription"),
        ("credit-card", "active_credit_card"),
    ):
        parser.add_argument(
            f"--{flag}", action=argparse.BooleanOptionalAction, default=None, help=what
        )


# -------------------------------------------------------------------------- users ---


def _user_changes(args: argparse.Namespace) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if args.email is not None:
        changes["email"] = _email(args.email)
    for field in ("first_name", "last_name"):
        if getattr(args, field) is not None:
            changes[field] = _text(getattr(args, field))
    if args.avatar_url is not None:
        changes["avatar_url"] = _url("avatar_url", args.avatar_url)
    for flag, field in (
        ("organisation_emails", "wants_organisation_emails"),
        ("promotion_emails", "wants_promotion_emails"),
    ):
        if getattr(args, flag) is not None:
            changes[field] = getattr(args, flag)
    return changes


def _user_add(args: argparse.Namespace) -> str:
    from hail.storage import accounts as accounts_db

    accounts_db.put_user(args.user, _user_changes(args), now=_now())
    return f"user {args.user} saved"


def _user_update(args: argparse.Namespace) -> str:
    from hail.storage import accounts as accounts_db

    changes = _user_changes(args)
    if not changes:
        raise SystemExit("error: nothing to change")
    accounts_db.update_user(args.user, changes)
    return f"user {args.user} updated"


def _user_show(args: argparse.Namespace) -> str:
    from hail import accounts
    from hail.storage import accounts as accounts_db

    user = accounts_db.get_user(args.user)
    if user is None:
        raise SystemExit(f"error: no user '{args.user}'")
    return json.dumps(
        {**accounts.user_view(args.user, user), "roles": user.get("roles") or {}}, indent=2
    )


def _user_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email")
    parser.add_argument("--first-name")
    parser.add_argument("--last-name")
    parser.add_argument("--avatar-url", metavar="URL")
    parser.add_argument(
        "--organisation-emails", action=argparse.BooleanOptionalAction, default=None
    )
    parser.add_argument("--promotion-emails", action=argparse.BooleanOptionalAction, default=None)


# ------------------------------------------------------------------------ clients ---


def _client_add(args: argparse.Namespace) -> str:
    from hail_tools import signin

    if not args.redirect_uri and not args.loopback:
        raise SystemExit("error: give --redirect-uri (one or more), or --loopback")
    try:
        secret = signin.add_client(
            args.client, args.redirect_uri or [], any_loopback=args.loopback, secret=args.secret
        )
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    return f"client {args.client} registered with the local sign-in\nclient secret: {secret}"


def _client_list(args: argparse.Namespace) -> str:
    from hail_tools import signin

    lines = [f"{signin.DEMO_CLIENT_ID}  (built in)  any loopback redirect URI"]
    for client in signin.registered_clients().values():
        uris = list(client.redirect_uris) + (["any loopback"] if client.any_loopback else [])
        lines.append(f"{client.client_id}  {' '.join(uris)}")
    return "\n".join(lines)


def _client_remove(args: argparse.Namespace) -> str:
    from hail_tools import signin

    if not signin.remove_client(args.client):
        raise SystemExit(f"error: no client '{args.client}'")
    return f"client {args.client} removed"


# ------------------------------------------------------------------------ parsers ---


def add_parsers(kinds: argparse._SubParsersAction) -> None:
    org = kinds.add_parser("org", help="organisations and their public profile").add_subparsers(
        dest="action", required=True
    )
    create = org.add_parser("create", help="create an organisation (or rename it)")
    create.add_argument("org")
    create.add_argument("--name", required=True)
    _org_options(create)
    create.set_defaults(run=_org_create, aws=True)
    update = org.add_parser("update", help="change an organisation's name or profile")
    update.add_argument("org")
    update.add_argument("--name")
    _org_options(update)
    update.set_defaults(run=_org_update, aws=True)
    show = org.add_parser("show", help="an organisation's fields, as its members see them")
    show.add_argument("org")
    show.set_defaults(run=_org_show, aws=True)

    user = kinds.add_parser("user", help="users' profiles").add_subparsers(
        dest="action", required=True
    )
    user_add = user.add_parser("add", help="create a user's profile (or change it)")
    user_add.add_argument("user", help="the user id: the sub of their access tokens")
    _user_options(user_add)
    user_add.set_defaults(run=_user_add, aws=True)
    user_update = user.add_parser("update", help="change an existing user's profile")
    user_update.add_argument("user")
    _user_options(user_update)
    user_update.set_defaults(run=_user_update, aws=True)
    user_show = user.add_parser("show", help="a user's profile and roles")
    user_show.add_argument("user")
    user_show.set_defaults(run=_user_show, aws=True)

    client = kinds.add_parser("client", help="OAuth clients of the local sign-in").add_subparsers(
        dest="action", required=True
    )
    client_add = client.add_parser("add", help="register an OAuth client with the local sign-in")
    client_add.add_argument("client", help="the client_id")
    client_add.add_argument(
        "--redirect-uri", action="append", metavar="URI", help="allowed redirect URI (repeat)"
    )
    client_add.add_argument(
        "--loopback", action="store_true", help="also any http://localhost|127.0.0.1|[::1] URI"
    )
    client_add.add_argument("--secret", help="the client secret (default: a random one)")
    client_add.set_defaults(run=_client_add, aws=False)
    client_list = client.add_parser("list", help="the local sign-in's OAuth clients")
    client_list.set_defaults(run=_client_list, aws=False)
    client_remove = client.add_parser("remove", help="remove a registered client")
    client_remove.add_argument("client")
    client_remove.set_defaults(run=_client_remove, aws=False)
