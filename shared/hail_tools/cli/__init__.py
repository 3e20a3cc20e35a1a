"""The `hail` command: local tokens, demo data and administration.

    hail token USER [--scope "a b"] [--ttl SECONDS]
    hail seed
    hail admin org create ORG --name NAME [--slug S] [--email E] [--website-url URL] ...
    hail admin org update ORG [--name NAME] [--avatar-url URL] [--country NZ --country-name N]
                              [--[no-]suspended] ... (see --help; "" removes a field)
    hail admin org show ORG
    hail admin user add USER [--email E] [--first-name F] [--last-name L] [--avatar-url URL]
                             [--[no-]organisation-emails] [--[no-]promotion-emails]
    hail admin user update USER [same options]
    hail admin user show USER
    hail admin client add CLIENT_ID (--redirect-uri URI ... | --loopback) [--secret S]
    hail admin client list
    hail admin client remove CLIENT_ID
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
    hail invoke FUNCTION EVENT [--user U | --no-token]   (EVENT: a file, or - for stdin)
    hail event api METHOD PATH [--user U] [--body JSON] | sqs-push --publication P
               --connection C | s3 --bucket B --key K
    hail sam-env [--host H] [--output env.json]

Administration talks to whatever AWS endpoint is configured: the embedded one while
`make run` runs (found through .local/endpoint), or a real account (AWS_PROFILE or the
usual AWS variables, with --table naming the stack's DataTable).
"""

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from hail_tools import LOCAL_DIR, keys
from hail_tools.cli import accounts, admin, connections, invoke, local


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hail", description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", help="DynamoDB table (default: $TABLE_NAME or DataTable)")
    commands = parser.add_subparsers(dest="command", required=True)
    local.add_parsers(commands)
    invoke.add_parsers(commands)
    admin_parser = commands.add_parser(
        "admin", help="organisations, users, members, styles, connections, OAuth clients"
    )
    kinds = admin_parser.add_subparsers(dest="kind", required=True)
    accounts.add_parsers(kinds)
    admin.add_parsers(kinds)
    connections.add_parsers(kinds)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.aws:
        _use_aws(args.table)
    run: Callable[[argparse.Namespace], str | int] = args.run
    try:
        result = run(args)
        if isinstance(result, int):  # the command printed what it had to: its exit status
            return result
        print(result)
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
