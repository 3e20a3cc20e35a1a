"""`hail admin member|style|publication`: members, styles, page CSS (organisations, users
and clients: cli/accounts.py)."""

import argparse

ROLES = ("owner", "admin", "publisher", "editor", "viewer")


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
    from hail.models import utc_now

    now = utc_now().strftime("%Y-%m-%d %H:%M:%S.%f")
    publications_db.set_custom_css(args.publication, url, now)
    return f"{args.publication}: custom CSS {'removed' if url is None else url}"


def add_parsers(kinds: argparse._SubParsersAction) -> None:
    member = kinds.add_parser(
        "member", help="an organisation's members and their roles"
    ).add_subparsers(dest="action", required=True)
    add = member.add_parser("add", help="add a member, or change their role")
    add.add_argument("org")
    add.add_argument("user")
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(run=_member_add, aws=True)
    remove = member.add_parser("remove", help="remove a member")
    remove.add_argument("org")
    remove.add_argument("user")
    remove.set_defaults(run=_member_remove, aws=True)

    style = kinds.add_parser(
        "style", help="the style catalogue, and the styles offered to an organisation"
    ).add_subparsers(dest="action", required=True)
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

    publication = kinds.add_parser(
        "publication", help="what an operator sets on a publication (its page's stylesheet)"
    ).add_subparsers(dest="action", required=True)
    css = publication.add_parser("css", help="set (or clear) a publication's custom_css_url")
    css.add_argument("publication")
    css.add_argument("url", nargs="?", help="an https:// stylesheet")
    css.add_argument("--clear", action="store_true")
    css.set_defaults(run=_publication_css, aws=True)
