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

Administration (and `hail seed`) works on one DynamoDB table, found in this order:
AWS_ENDPOINT_URL if set; with --table (or $TABLE_NAME), that table of an AWS account
(AWS_PROFILE or the usual AWS variables, and a region); else the table of the running
`make run`, whose embedded AWS is named in .local/endpoint.
"""

import argparse
import os
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from hail_tools import LOCAL_DIR, REPO_ROOT, keys
from hail_tools.cli import accounts, admin, connections, invoke, local

LOCAL_TABLE = "DataTable"  # the table of `make run` (logical ids are its names)
POINT_AT_AWS = "point at AWS with AWS_PROFILE/AWS_REGION and --table"


class Unreachable(Exception):
    """No table to work on: what was tried, and what to do."""


@dataclass
class Target:
    """Where administration goes, said in errors."""

    table: str
    endpoint: str | None = None  # the local embedded AWS, or AWS_ENDPOINT_URL
    found_in: str = ""  # where the endpoint came from
    region: str | None = None

    def __str__(self) -> str:
        if self.endpoint:
            return f"table {self.table} at {self.endpoint} (from {self.found_in})"
        return f"table {self.table} in AWS region {self.region}"


_target: Target | None = None


def _shown(path: Path) -> str:
    """A path as the user would type it (relative to the repository when inside it)."""
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _answers(endpoint: str) -> bool:
    """Whether something listens at the endpoint (a quick TCP connect, no retries)."""
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


def _use_aws(table: str | None) -> Target:
    """Point the shared layer at the right account and table before it is used; raise
    Unreachable, saying what was tried, when there is none."""
    import boto3

    env = os.environ
    endpoint_file = LOCAL_DIR / "endpoint"
    if env.get("AWS_ENDPOINT_URL"):
        target = Target(table or env.get("TABLE_NAME") or LOCAL_TABLE, env["AWS_ENDPOINT_URL"])
        target.found_in = "AWS_ENDPOINT_URL"
    elif table is None and endpoint_file.exists():
        target = Target(LOCAL_TABLE, endpoint_file.read_text().strip(), _shown(endpoint_file))
        if not _answers(target.endpoint or ""):
            raise Unreachable(
                f"no local server answers at {target.endpoint} ({target.found_in} is left "
                "from a `make run` that did not stop cleanly): start `make run`, or " + POINT_AT_AWS
            )
        env["AWS_ENDPOINT_URL"] = target.endpoint or ""
        env.setdefault("AWS_ACCESS_KEY_ID", "testing")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        env.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
        env.pop("AWS_PROFILE", None)
    elif table or env.get("TABLE_NAME"):
        region = boto3.session.Session().region_name or env.get("AWS_REGION")
        target = Target(table or env["TABLE_NAME"], region=region)
        if region is None:
            raise Unreachable(
                f"no AWS region for table {target.table}: set AWS_REGION, or AWS_PROFILE "
                "with a region (or start `make run` and leave out --table)"
            )
        env.setdefault("AWS_DEFAULT_REGION", region)  # boto3 does not read AWS_REGION
    else:
        raise Unreachable(
            f"no local server found ({_shown(endpoint_file)} missing): start `make run`, "
            "or " + POINT_AT_AWS
        )
    env["TABLE_NAME"] = target.table
    env.setdefault("CREDENTIALS_TABLE_NAME", "CredentialsTable")
    # The token settings are not used by administration, but the settings model wants them.
    env.setdefault("TOKEN_ISSUER", keys.ISSUER)
    env.setdefault("TOKEN_AUDIENCE", keys.AUDIENCE)
    env.setdefault("JWKS_URL", "file:///dev/null")
    return target


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hail", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--table",
        help="the DynamoDB table of a deployed stack (its DataTableName output); without "
        "it, the running `make run`",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    local.add_parsers(commands)
    invoke.add_parsers(commands)
    admin_parser = commands.add_parser(
        "admin",
        help="organisations, users, members, styles, connections, OAuth clients (local or on AWS)",
    )
    kinds = admin_parser.add_subparsers(dest="kind", required=True, metavar="GROUP")
    accounts.add_parsers(kinds)
    admin.add_parsers(kinds)
    connections.add_parsers(kinds)
    _describe_commands(parser)
    return parser


def _describe_commands(parser: argparse.ArgumentParser) -> None:
    """Give every command the description its help line says (`hail admin org --help`
    then says what `org` is), and list the commands of each group with their help."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, command in action.choices.items():
                line = helps.get(name, "")
                if command.description is None and line:
                    command.description = f"{line[:1].upper()}{line[1:]}."
                _describe_commands(command)


def main(argv: Sequence[str] | None = None) -> int:
    global _target
    args = _parser().parse_args(argv)
    try:
        if args.aws:
            _target = _use_aws(args.table)
        run: Callable[[argparse.Namespace], str | int] = args.run
        result = run(args)
        if isinstance(result, int):  # the command printed what it had to: its exit status
            return result
        print(result)
    except Exception as exc:  # one clear line instead of a traceback
        print(f"error: {_describe(exc)}", file=sys.stderr)
        return 1
    return 0


def _describe(exc: Exception) -> str:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
    from hail.errors import HailError

    if isinstance(exc, Unreachable | HailError):
        return str(exc.args[0]) if isinstance(exc, Unreachable) else exc.message
    tried = f" (tried {_target})" if _target is not None else ""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "AWS error"), error.get("Message", "")
        if code == "ResourceNotFoundException":
            return (
                f"{message}{tried}: give the stack's table with --table (the DataTableName "
                "output of `aws cloudformation describe-stacks`), or start `make run`"
            )
        return f"{code}: {message}{tried}".strip()
    if isinstance(exc, NoCredentialsError):
        return (
            f"no AWS credentials{tried}: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(exc, BotoCoreError):
        return f"cannot reach AWS{tried}: {exc}"
    return f"{type(exc).__name__}: {exc}"


if __name__ == "__main__":
    sys.exit(main())
