"""`hail invoke`, `hail event` and `hail sam-env`: one function with one event, without
Docker (or with it, through the SAM CLI)."""

import argparse
import json
import sys
from pathlib import Path

from hail_tools import keys


def _invoke(args: argparse.Namespace) -> int:
    from hail_tools import invoke

    user = None if args.no_token else args.user
    return invoke.run(args.function, args.event, user=user, template_path=args.template)


def _print_event(event: dict) -> int:
    print(json.dumps(event, indent=2))
    return 0


def _usage_error(error: Exception) -> int:
    print(f"error: {error}", file=sys.stderr)
    return 2


def _event_api(args: argparse.Namespace) -> int:
    from hail_tools import events, project

    try:
        headers = [_header(text) for text in args.header or []]
        body = args.body
        if body is not None and body.startswith("@"):
            body = Path(body[1:]).read_text(encoding="utf-8")
        event, function = events.api_event(
            project.load_project(args.template),
            args.method,
            args.path,
            user=None if args.no_token else args.user,
            scope=args.scope,
            body=body,
            headers=headers,
        )
    except (project.UsageError, OSError) as error:
        return _usage_error(error)
    name = project.short_name(function)
    print(f"({function} serves this: hail invoke {name} -)", file=sys.stderr)
    return _print_event(event)


def _header(text: str) -> tuple[str, str]:
    from hail_tools.project import UsageError

    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise UsageError(f"--header takes 'Name: value', not {text!r}")
    return name.strip(), value.strip()


def _event_sqs_push(args: argparse.Namespace) -> int:
    from hail_tools import events, project

    try:
        event = events.sqs_push_event(
            project.load_project(args.template),
            args.publication,
            args.connection,
            org_id=args.org,
            title=args.title,
            url=args.url,
            comment=args.comment,
            push_id=args.push_id,
            receive_count=args.receive_count,
            queue=args.queue,
        )
    except project.UsageError as error:
        return _usage_error(error)
    return _print_event(event)


def _event_s3(args: argparse.Namespace) -> int:
    from hail_tools import events

    return _print_event(
        events.s3_event(
            args.bucket, args.key, size=args.size, etag=args.etag, event_name=args.event_name
        )
    )


def _sam_env(args: argparse.Namespace) -> int:
    from hail_tools import project, sam

    try:
        print(
            sam.write(project.load_project(args.template), args.output, args.host, args.public_url)
        )
    except project.UsageError as error:
        return _usage_error(error)
    return 0


def add_parsers(commands: argparse._SubParsersAction) -> None:
    def template_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--template", help="a SAM template (default: template.yaml)")

    def token_options(command: argparse.ArgumentParser, what: str) -> None:
        command.add_argument("--user", default="alice", help=f"{what} (default: alice)")
        command.add_argument("--no-token", action="store_true", help="no Authorization header")

    run = commands.add_parser(
        "invoke",
        help="run one function with one event, as `sam local invoke` does, without Docker",
        description="Run one function's handler in this (fresh) process, with the environment "
        "the template gives it and a Lambda context, against the AWS of a running `make run` "
        "(else an in-process one with the demo data). The response goes to stdout, logs to "
        "stderr; exit status 1 on an unhandled error or a timeout, 2 on a bad event.",
    )
    run.add_argument("function", help="logical id (PublicationsFunction) or short name")
    run.add_argument("event", help="an event file (events/*.json), or - for standard input")
    token_options(run, "whose token replaces REPLACE_WITH_ACCESS_TOKEN in the event")
    template_option(run)
    run.set_defaults(run=_invoke, aws=False)

    event = commands.add_parser("event", help="print a fresh sample event for `hail invoke`")
    kinds = event.add_subparsers(dest="kind", required=True)
    api = kinds.add_parser("api", help="the API Gateway proxy event of a request")
    api.add_argument("method", help="GET, POST, PUT, DELETE, ...")
    api.add_argument("path", help="e.g. /v1/publications/welcome1 (a query may follow ?)")
    token_options(api, "the token's subject")
    api.add_argument("--scope", default=keys.DEFAULT_SCOPE, help="the token's scopes")
    api.add_argument("--body", help="the request body (JSON), or @FILE")
    api.add_argument("--header", action="append", metavar="'NAME: VALUE'")
    template_option(api)
    api.set_defaults(run=_event_api, aws=False)

    push = kinds.add_parser("sqs-push", help="a push job as the push worker receives it")
    push.add_argument("--publication", required=True)
    push.add_argument("--connection", required=True)
    push.add_argument("--org", help="default: the demo publication's organisation")
    push.add_argument("--title", help="default: the demo publication's title")
    push.add_argument("--url", help="default: the publication's page on `make run`")
    push.add_argument("--comment")
    push.add_argument(
        "--push-id",
        help="default: a new one (the worker posts only a push pending under this id)",
    )
    push.add_argument("--receive-count", type=int, default=1, help="the delivery's attempt")
    push.add_argument("--queue", default="PushQueue", help="the queue's logical id")
    template_option(push)
    push.set_defaults(run=_event_sqs_push, aws=False)

    s3 = kinds.add_parser("s3", help="an S3 object-created notification")
    s3.add_argument("--bucket", required=True)
    s3.add_argument("--key", required=True)
    s3.add_argument("--size", type=int, default=0)
    s3.add_argument("--etag")
    s3.add_argument("--event-name", default="ObjectCreated:Put")
    s3.set_defaults(run=_event_s3, aws=False)

    sam_env = commands.add_parser(
        "sam-env",
        help="write env.json for `sam local invoke`/`start-api` against `make run`",
    )
    sam_env.add_argument("--output", type=Path, default=None, help="default: env.json")
    sam_env.add_argument(
        "--host", help="how containers reach this machine (default: host.docker.internal)"
    )
    sam_env.add_argument(
        "--public-url", help="PUBLIC_BASE_URL (default: make run's; sam start-api's URL)"
    )
    template_option(sam_env)
    sam_env.set_defaults(run=_sam_env, aws=False)
