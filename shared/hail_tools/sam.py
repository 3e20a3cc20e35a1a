"""`hail sam-env` (`make sam-env`): an env.json with which `sam local invoke` and `sam local
start-api` run the functions in Docker against the embedded AWS of a running `make run`.

SAM only sets, from `--env-vars`, variables the template declares; so env.json gives each
function every variable template.yaml declares for it, resolved with local values:

- AWS_ENDPOINT_URL (declared through the AwsEndpointUrl parameter, absent in AWS): the
  embedded AWS as a container reaches it. Docker Desktop (macOS, Windows) forwards
  host.docker.internal to the host's loopback, where the embedded AWS listens. On Linux a
  container reaches the host only through the docker0 bridge (host.docker.internal with
  `--add-host host.docker.internal:host-gateway`), so `make run` must listen there too:
  `HAIL_AWS_HOST=172.17.0.1 make run` (docker0's address) or `HAIL_AWS_HOST=0.0.0.0`.
- JWKS_URL: the local token keys. The local server reads them from a file the container
  does not have, so they are put in a public-read object of the embedded S3 and served
  over HTTP from there, as an issuer serves its JWKS.
- the tables and queues (their local names and URLs), the local issuer and audience, and
  PUBLIC_BASE_URL (the `make run` URL, or --public-url for `sam local start-api`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from hail_tools import REPO_ROOT, keys
from hail_tools import template as tpl
from hail_tools.project import (
    FAKE_CREDENTIALS,
    Project,
    Server,
    UsageError,
    aws_clients,
    parameters,
    region,
    running_server,
)
from hail_tools.triggers import LOCAL_ENVIRONMENT

KEYS_BUCKET = "hail-local-keys"
DEFAULT_OUTPUT = REPO_ROOT / "env.json"


def container_host() -> str:
    """How a container names the host: host.docker.internal (Docker Desktop forwards it to
    the host; on Linux, `--add-host host.docker.internal:host-gateway`)."""
    return "host.docker.internal"


def _rehost(url: str, host: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host))


def publish_jwks(server: Server, region_name: str) -> str:
    """Put the local JWKS in a public-read object of the embedded S3; its path."""
    import boto3

    s3 = boto3.session.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=region_name,
    ).client("s3", endpoint_url=server.endpoint)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if KEYS_BUCKET not in existing:
        where = {} if region_name == "us-east-1" else {"LocationConstraint": region_name}
        s3.create_bucket(Bucket=KEYS_BUCKET, CreateBucketConfiguration=where)
    s3.put_object(
        Bucket=KEYS_BUCKET,
        Key="jwks.json",
        Body=keys.ensure_keys().jwks_path.read_bytes(),
        ContentType="application/json",
        ACL="public-read",
    )
    return f"/{KEYS_BUCKET}/jwks.json"


def environments(
    project: Project, server: Server, host: str, public_url: str | None = None
) -> dict[str, dict[str, str]]:
    """Per function (logical id), the values of the variables the template declares."""
    region_name = region()
    endpoint = _rehost(server.endpoint, host)
    jwks_url = endpoint + publish_jwks(server, region_name)
    values = {
        **parameters(public_url or server.url, jwks_url, server),
        "AwsEndpointUrl": endpoint,
    }
    context = tpl.make_context(project.template, values, region_name)
    tpl.create_resources(project.template, context, *aws_clients(server.endpoint, region_name))
    context.queue_urls = {k: _rehost(url, host) for k, url in context.queue_urls.items()}
    found = {}
    for logical_id, function in project.functions(context).items():
        environment = dict(function.environment)
        environment.update({k: v for k, v in LOCAL_ENVIRONMENT.items() if k in environment})
        found[logical_id] = environment
    return found


def write(
    project: Project,
    output: Path | None = None,
    host: str | None = None,
    public_url: str | None = None,
) -> str:
    """`hail sam-env`: write env.json; what to run next."""
    output = output or DEFAULT_OUTPUT
    server = running_server()
    if server is None:
        raise UsageError("no `make run` is running (start it first: env.json names its AWS)")
    chosen = host or container_host()
    found = environments(project, server, chosen, public_url)
    output.write_text(json.dumps(found, indent=2, sort_keys=True) + "\n")
    linux = sys.platform.startswith("linux") and chosen == "host.docker.internal"
    add_host = " --add-host host.docker.internal:host-gateway" if linux else ""
    flags = f"--env-vars {output.name} --region {region()}{add_host}"
    lines = [
        f"Wrote {output} for `make run` at {server.url} (AWS {server.endpoint}; containers reach "
        f"it as {_rehost(server.endpoint, chosen)}).",
        "Then:",
        "  sam build",
        "  .venv/bin/hail event api GET /v1/publications/camp2026 \\",
        f"    | sam local invoke PublicationsFunction -e - {flags}",
        f"  sam local start-api --port 3001 {flags}",
    ]
    if linux:
        lines.append(
            "(On Linux, containers cannot reach the host's loopback: `make run` must listen on "
            "docker0 too, e.g. HAIL_AWS_HOST=172.17.0.1 make run, or HAIL_AWS_HOST=0.0.0.0.)"
        )
    return "\n".join(lines)
