"""`make bench`: what each endpoint costs, measured through the real handlers.

With 10,000 publications in one organisation (on moto, in-process), it prints
1. per endpoint: DynamoDB round trips and items read per request, as the responses
   themselves report them (X-Db-Round-Trips / X-Db-Items-Read), and
2. the per-request time of GET /v1/publications/{id} through the real Lambda handler,
   beside an empty FastAPI + Mangum route wrapped the same way, measured side by side;
3. cold-start import time of each function beside the empty app.
"""

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from bench import local_environment

REPO = Path(__file__).resolve().parents[1]
N_PUBLICATIONS = 10_000
ORG = "/v1/organisations/demo-school"


def _load_publications(count: int) -> None:
    """Write `count` publications straight into the table, as the API would have."""
    from hail.records import Publication, StyleSnapshot
    from hail.storage import base as db
    from hail.storage import publications as publications_db

    rng = random.Random(42)
    words = ["camp", "sport", "music", "art", "science", "trip"]
    words += ["news", "term", "award", "open", "day", "fair"]
    style: StyleSnapshot = {
        "id": "magazine",
        "name": "Magazine",
        "description": "",
        "preview_url": "",
        "available": True,
    }
    client = db.client()
    table = os.environ["TABLE_NAME"]
    published = 0
    batch: list[dict] = []
    for i in range(count):
        status = "published" if rng.random() < 0.6 else "unpublished"
        published += status == "published"
        title = " ".join(rng.choice(words).capitalize() for _ in range(3)) + f" {i}"
        editorial = f"<p>Issue {i}: {' '.join(rng.choice(words) for _ in range(30))}</p>"
        due = (
            None
            if rng.random() < 0.2
            else f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        )
        created = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00.{i:06d}"
        pub: Publication = {
            "id": f"b{i:07d}",
            "org_id": "demo-school",
            "title": title,
            "editorial": editorial,
            "due_date": f"{due} 00:00:00" if due else None,
            "custom_css_url": None,
            "status": status,
            "style": style,
            "articles": [],
            "featured_article_id": None,
            "private_tags": [],
            "created_at": created,
            "created_by": "paula",
            "updated_at": created,
            "version": 1,
        }
        batch.append({"PutRequest": {"Item": db.dump(publications_db.item(pub))}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})
    client.update_item(
        TableName=table,
        Key={"pk": {"S": "ORG#demo-school"}, "sk": {"S": "ORG"}},
        UpdateExpression="ADD c_PUB_published :p, c_PUB_unpublished :u",
        ExpressionAttributeValues={
            ":p": {"N": str(published)},
            ":u": {"N": str(count - published)},
        },
    )


def _cost_table(
    gateway: Any, token: str, authorize_url: str
) -> list[tuple[str, int, str, str, str]]:
    headers = {"Authorization": token}
    rows = []

    def measure(label: str, method: str, path: str, body: Any = None) -> Any:
        if method == "POST" and path == "/v1/oauth/access_token":
            code = _signed_in_code(authorize_url)
            form = {"grant_type": "authorization_code", "code": code, "client_id": "demo-client"}
            form |= {"client_secret": "demo-secret", "redirect_uri": _REDIRECT_URI}
            start = time.perf_counter()
            response = gateway.request(method, path, headers=headers, body=urlencode(form))
            elapsed = (time.perf_counter() - start) * 1000
            rows.append(
                (
                    label,
                    response.status,
                    response.header("x-db-round-trips") or "-",
                    response.header("x-db-items-read") or "-",
                    f"{elapsed:.1f}",
                )
            )
            return response
        start = time.perf_counter()
        response = gateway.request(method, path, headers=headers, json=body)
        elapsed = (time.perf_counter() - start) * 1000
        rows.append(
            (
                label,
                response.status,
                response.header("x-db-round-trips") or "-",
                response.header("x-db-items-read") or "-",
                f"{elapsed:.1f}",
            )
        )
        return response

    measure("GET styles", "GET", f"{ORG}/styles")
    first = measure("GET list limit=20", "GET", f"{ORG}/publications?limit=20")
    link = first.header("link")
    next_path = link[1 : link.index(">")].split("127.0.0.1:0", 1)[-1] if link else None
    if next_path:
        next_path = next_path[next_path.index("/v1/") :]
        measure("GET list page 2 (cursor)", "GET", next_path)
    measure("GET list limit=200", "GET", f"{ORG}/publications?limit=200")
    measure("GET list status=published", "GET", f"{ORG}/publications?limit=20&status=published")
    measure("GET list order=title", "GET", f"{ORG}/publications?limit=20&order=title")
    measure(
        "GET list order=due_date|desc", "GET", f"{ORG}/publications?limit=20&order=due_date|desc"
    )
    measure("GET list offset=100 (skip)", "GET", f"{ORG}/publications?limit=20&offset=100")
    measure("GET list search=award", "GET", f"{ORG}/publications?limit=20&search=award")
    measure("GET list search=no-match", "GET", f"{ORG}/publications?limit=20&search=zzzz")
    measure("GET list, no limit (too long)", "GET", f"{ORG}/publications")
    measure("GET count", "GET", f"{ORG}/publications/count")
    measure("GET count status=published", "GET", f"{ORG}/publications/count?status=published")
    measure("GET count search=award", "GET", f"{ORG}/publications/count?search=award")
    created = measure(
        "POST create",
        "POST",
        f"{ORG}/publications",
        {"title": "Bench", "status": "unpublished", "style_id": "magazine"},
    ).json()
    measure("GET publication", "GET", f"/v1/publications/{created['id']}")
    measure("PUT publication (title)", "PUT", f"/v1/publications/{created['id']}", {"title": "B2"})
    measure(
        "PUT publication (publish)",
        "PUT",
        f"/v1/publications/{created['id']}",
        {"status": "published"},
    )
    measure("POST watch", "POST", f"/v1/publications/{created['id']}/watch")
    measure("DELETE watch", "DELETE", f"/v1/publications/{created['id']}/watch")
    measure("GET connections", "GET", "/v1/publications/welcome1/connections")
    measure(
        "POST push (queued)",
        "POST",
        "/v1/publications/welcome1/connections",
        {"connection_id": "webhook-demo"},
    )
    measure("GET preview URL", "GET", "/v1/publications/camp2026/preview")
    measure("GET /p/{id} (published page)", "GET", "/p/welcome1")
    measure("GET me", "GET", "/v1/me")
    measure("GET users/{id} (a colleague)", "GET", "/v1/users/vera")
    measure("GET users/{id}/organisations (own)", "GET", "/v1/users/paula/organisations")
    measure("GET organisations/{id}", "GET", "/v1/organisations/demo-school")
    measure("GET /oauth/authorise (redirect)", "GET", f"/oauth/authorise?{_AUTHORISE}")
    headers.clear()
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    measure("POST access_token (code; local issuer)", "POST", "/v1/oauth/access_token", None)
    return rows


_REDIRECT_URI = "http://127.0.0.1:8080/callback"
_AUTHORISE = urlencode(
    {"client_id": "demo-client", "redirect_uri": _REDIRECT_URI, "response_type": "code"}
)


def _signed_in_code(authorize_url: str) -> str:
    """A code from the local issuer: its sign-in button pressed for paula."""

    class NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    form = urlencode({**parse_qs_single(_AUTHORISE), "user": "paula", "action": "sign-in"})
    request = urllib.request.Request(authorize_url, data=form.encode(), method="POST")
    try:
        urllib.request.build_opener(NoRedirects).open(request, timeout=10)
    except urllib.error.HTTPError as redirect:
        location = redirect.headers["Location"]
        return parse_qs_single(location.split("?", 1)[1])["code"]
    raise RuntimeError("the local issuer did not redirect")


def parse_qs_single(query: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(query).items()}


def _empty_handler() -> Any:
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    from hail.api import create_app, lambda_handler

    app: FastAPI = create_app()

    @app.get("/v1/publications/{id}")
    async def empty(id: str) -> JSONResponse:
        return JSONResponse({"id": id})

    return lambda_handler(app)


def _latency(gateway: Any, token: str, publication_id: str, rounds: int = 400) -> list[tuple]:
    """GET publication through the real handler, and the same request to an empty app,
    alternated so both see the same machine state."""
    from hail_tools import template as tpl
    from hail_tools.gateway import LambdaContext

    function = tpl.functions(gateway.template)["PublicationsFunction"]
    real = gateway.handler("PublicationsFunction")
    empty = _empty_handler()
    sample = (REPO / "events" / "publications_get.json").read_text()
    event = json.loads(sample.replace("Bearer REPLACE_WITH_ACCESS_TOKEN", token))
    event["path"] = f"/v1/publications/{publication_id}"
    event["pathParameters"] = {"id": publication_id}
    context = LambdaContext(function, gateway.context, "bench")
    timings: dict[str, list[float]] = {
        "GET publication (real handler)": [],
        "empty FastAPI+Mangum route": [],
    }
    for handler in (real, empty):  # warm both
        assert handler(event, context)["statusCode"] == 200
    for _ in range(rounds):
        for label, handler in (
            ("GET publication (real handler)", real),
            ("empty FastAPI+Mangum route", empty),
        ):
            start = time.perf_counter()
            handler(event, context)
            timings[label].append((time.perf_counter() - start) * 1000)
    rows = []
    for label, values in timings.items():
        values.sort()
        rows.append(
            (
                label,
                f"{statistics.median(values):.2f}",
                f"{values[int(len(values) * 0.95)]:.2f}",
                f"{statistics.mean(values):.2f}",
            )
        )
    return rows


def _import_times() -> list[tuple[str, str]]:
    """Cold start is import time: each function's module imported in a fresh interpreter."""
    env = {
        **os.environ,
        "TABLE_NAME": "t",
        "TOKEN_ISSUER": "i",
        "TOKEN_AUDIENCE": "a",
        "JWKS_URL": "https://x/jwks.json",
    }
    probes = {
        "empty FastAPI+Mangum app": "import fastapi, mangum; fastapi.FastAPI()",
    }
    for function in sorted((REPO / "functions").iterdir()):
        app = function / "app.py"
        if app.exists():
            probes[f"functions/{function.name}"] = (
                "import importlib.util as u; "
                f"s = u.spec_from_file_location('app', {str(app)!r}); "
                "m = u.module_from_spec(s); s.loader.exec_module(m)"
            )
    rows = []
    for label, code in probes.items():
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            runs.append((time.perf_counter() - start) * 1000)
        rows.append((label, f"{min(runs):.0f}"))
    return rows


def _print(title: str, header: tuple[str, ...], rows: list[tuple]) -> None:
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


def main() -> None:
    # The empty app publishes no metrics; Powertools warns about that on every call.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with tempfile.TemporaryDirectory() as tmp:
        local_environment(Path(tmp))
        from hail_tools import demo, keys, signin
        from hail_tools import template as tpl
        from hail_tools.gateway import LocalGateway
        from moto import mock_aws

        local = keys.ensure_keys(Path(tmp))
        issuer = signin.start(keys_dir=local.directory, clients_path=Path(tmp) / "clients.json")
        with mock_aws():
            import boto3

            template = tpl.load_template()
            context = tpl.make_context(
                template,
                {
                    "TokenIssuer": keys.ISSUER,
                    "TokenAudience": keys.AUDIENCE,
                    "JwksUrl": local.jwks_url,
                    "PublicBaseUrl": "http://127.0.0.1:0",
                    "OAuthAuthorizeUrl": issuer.authorize_url,
                    "OAuthTokenUrl": issuer.token_url,
                },
                "eu-west-1",
            )
            tpl.create_resources(template, context, boto3.client("dynamodb"), boto3.client("sqs"))
            os.environ["EXPOSE_DB_STATS"] = "true"
            # moto is much slower than DynamoDB: do not emulate the functions' timeouts here.
            gateway = LocalGateway(template, context, enforce_timeout=False)
            os.environ["EXPOSE_DB_STATS"] = "true"
            demo.seed()
            start = time.perf_counter()
            _load_publications(N_PUBLICATIONS)
            loaded = time.perf_counter() - start
            token = "Bearer " + keys.mint_token("paula")
            print(
                f"# Benchmark: {N_PUBLICATIONS:,} publications in demo-school "
                f"(loaded in {loaded:.0f} s; moto stands in for DynamoDB, so times are "
                "for the code path, not for AWS)"
            )
            _print(
                "DynamoDB cost per request (from the responses' own counts)",
                ("endpoint", "status", "round trips", "items read", "ms (moto)"),
                _cost_table(gateway, token, issuer.authorize_url),
            )
            _print(
                "GET /v1/publications/{id}: real handler vs empty route (400 alternating calls)",
                ("handler", "median ms", "p95 ms", "mean ms"),
                _latency(gateway, token, "welcome1"),
            )
        issuer.stop()
    _print(
        "Cold start: import time in a fresh interpreter (best of 3)",
        ("module", "ms"),
        _import_times(),
    )
    worker = REPO / "bench" / "worker.py"
    if worker.exists():
        subprocess.run([sys.executable, "-m", "bench.worker"], check=True, cwd=REPO)


if __name__ == "__main__":
    main()
