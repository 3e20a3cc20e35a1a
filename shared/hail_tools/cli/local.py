"""`hail token` and `hail seed`: local tokens and the demo data."""

import argparse

from hail_tools import keys


def _token(args: argparse.Namespace) -> str:
    return keys.mint_token(args.user, scope=args.scope, ttl=args.ttl)


def _seed(args: argparse.Namespace) -> str:
    from hail_tools import demo

    return "\n".join(demo.seed()) or "nothing to do"


def add_parsers(commands: argparse._SubParsersAction) -> None:
    token = commands.add_parser("token", help="print an access token the local server accepts")
    token.add_argument("user")
    token.add_argument("--scope", default=keys.DEFAULT_SCOPE)
    token.add_argument("--ttl", type=int, default=3600, help="seconds; negative = expired")
    token.set_defaults(run=_token, aws=False)

    seed = commands.add_parser("seed", help="load the demo data")
    seed.set_defaults(run=_seed, aws=True)
