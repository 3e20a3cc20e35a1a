"""Every sample event in events/ (the ones `sam local invoke -e` takes) through `hail invoke`:
each in a fresh process, against a running local server, giving what its name promises.

A name is `<function>_<action>[_<status>].json`. It promises that status when it ends
with one (publications_get_404.json), else a 2xx for an API Gateway event, for an SQS
batch a partial batch response with no failures, and for the schedule nothing left to do.
The function is the one template.yaml sends the event to
(hail_tools.events.function_for_event, which `hail invoke` checks events with).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hail_tools import events, keys, project
from hail_tools import template as tpl

REPO = Path(__file__).resolve().parents[2]
EVENTS = sorted((REPO / "events").glob("*.json"))
PROJECT = project.load_project()
HAIL = [str(Path(sys.executable).parent / "hail")]


def promised(path: Path) -> int | None:
    """The status a sample event's name promises; None: any 2xx (API), no failures (SQS)."""
    found = re.search(r"_(\d{3})$", path.stem)
    return int(found.group(1)) if found else None


def test_there_is_an_event_for_every_route():
    covered = set()
    for path in EVENTS:
        event = json.loads(path.read_text())
        if "httpMethod" in event:
            covered.add((event["httpMethod"], event["resource"]))
    declared = {(r.method, r.path) for r in tpl.routes(PROJECT.template) if r.method != "ANY"}
    assert declared - covered == set()


def test_every_event_goes_to_a_function_of_the_template():
    for path in EVENTS:
        assert events.function_for_event(PROJECT, json.loads(path.read_text())), path.name


# ------------------------------------------------------------------ a running server ---


@dataclass
class Server:
    url: str
    local_dir: Path
    output: list[str]

    @property
    def endpoint(self) -> str:
        """Its embedded AWS."""
        return (self.local_dir / "endpoint").read_text().strip()

    @property
    def env(self) -> dict[str, str]:
        """The environment of `hail` commands that find this server (as they find `make run`)."""
        return {**os.environ, "HAIL_LOCAL_DIR": str(self.local_dir)}

    def hail(self, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*HAIL, *argv],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            cwd=REPO,
            timeout=120,
            check=False,
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`make run`'s server (python -m hail_tools.serve) on a free port, with a LOCAL_DIR of
    its own, as the developer's `hail invoke` finds it."""
    local_dir = tmp_path_factory.mktemp("local")
    process = subprocess.Popen(
        [sys.executable, "-m", "hail_tools.serve"],
        cwd=REPO,
        env={
            **os.environ,
            **{port: "0" for port in ("PORT", "AWS_PORT", "SINK_PORT", "SIGNIN_PORT")},
            "HAIL_LOCAL_DIR": str(local_dir),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def drain() -> None:  # keep reading, so the server never blocks on a full pipe
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "curl " in line:
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    ready.wait(timeout=120)
    url = next((line.split()[4] for line in output if "Hail API ready on" in line), None)
    assert url, "".join(output)
    yield Server(url, local_dir, output)
    os.killpg(process.pid, signal.SIGKILL)  # nothing of it outlives its temporary LOCAL_DIR
    process.wait(timeout=20)


def _signed_in_code(server: Server, user: str = "alice") -> str:
    """A fresh code from the server's sign-in, got as a browser would (for the token
    exchange's sample event)."""
    from fakes.signin import REDIRECT_URI, http, query_of

    params = {"client_id": "demo-client", "redirect_uri": REDIRECT_URI, "response_type": "code"}
    sent = http("GET", f"{server.url}/oauth/authorise?{urlencode(params)}")
    assert sent.status == 302, sent.text
    location = sent.header("location") or ""
    chosen = http(
        "POST", location.split("?")[0], {**query_of(location), "action": "sign-in", "user": user}
    )
    assert chosen.status == 302, chosen.text
    return query_of(chosen.header("location") or "")["code"]


@pytest.mark.parametrize("path", EVENTS, ids=[p.stem for p in EVENTS])
def test_the_sample_event_gives_what_its_name_promises(server, path, tmp_path):
    # Given a sample event (with a fresh sign-in code where it exchanges one) and the
    # function template.yaml sends it to
    raw = path.read_text()
    if "REPLACE_WITH_AUTHORIZATION_CODE" in raw:
        path = tmp_path / path.name
        path.write_text(raw.replace("REPLACE_WITH_AUTHORIZATION_CODE", _signed_in_code(server)))
    function = events.function_for_event(PROJECT, json.loads(path.read_text()))
    assert function is not None
    # When `hail invoke` runs that function with it, by its short name, in a fresh process
    done = server.hail("invoke", project.short_name(function.logical_id), str(path))
    # Then the response is the only thing on stdout, and it keeps the name's promise
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert f"against the embedded AWS of `make run` ({server.endpoint})" in done.stderr
    assert "Init Duration:" in done.stderr  # the function's import happened in this process
    sent = json.loads(path.read_text())
    if "Records" in sent:
        assert result == {"batchItemFailures": []}
    elif sent.get("detail-type") == "Scheduled Event":  # housekeeping: what it finished
        assert result == {"jobs": 0, "changed": 0}
    elif promised(path) is not None:
        assert result["statusCode"] == promised(path), result["body"]
    else:
        assert 200 <= result["statusCode"] < 300, result["body"]


def test_a_fresh_event_piped_into_hail_invoke_changes_the_running_server(server):
    # Given a fresh event for a request creating a publication, with a token for paula
    body = json.dumps({"title": "Invoked", "status": "unpublished", "style_id": "magazine"})
    made = server.hail(
        "event", "api", "POST", "/v1/organisations/demo-school/publications",
        "--user", "paula", "--body", body,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "OrganisationsFunction serves this: hail invoke organisations -" in made.stderr
    # When it is piped into `hail invoke ... -`
    done = server.hail("invoke", "OrganisationsFunction", "-", stdin=made.stdout)
    # Then the function answers as the server would, with links to the server
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["statusCode"] == 201, result["body"]
    created = json.loads(result["body"])
    assert result["headers"]["location"] == f"{server.url}/v1/publications/{created['id']}"
    # And the server serves what the invocation wrote: it used the server's embedded AWS
    token = keys.mint_token("paula", directory=server.local_dir / "keys")
    request = urllib.request.Request(
        result["headers"]["location"], headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read())["title"] == "Invoked"


# A SAM container, without Docker: only the variables env.json gives the function and those
# SAM sets itself (samcli/local/lambdafn/env_vars.py), the function's code on sys.path.
SAM_LIKE_RUNTIME = """
import json, sys, types
sys.path.insert(0, sys.argv[1])
import app
context = types.SimpleNamespace(
    function_name=sys.argv[2], memory_limit_in_mb=512, aws_request_id="sam-like",
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:" + sys.argv[2],
    get_remaining_time_in_millis=lambda: 10000,
)
print(json.dumps(app.handler(json.load(sys.stdin), context)))
"""


def test_sam_env_gives_each_function_what_the_template_declares(server, tmp_path):
    # Given env.json for containers that reach this machine as 127.0.0.1 (host networking)
    output = tmp_path / "env.json"
    done = server.hail("sam-env", "--output", str(output), "--host", "127.0.0.1")
    assert done.returncode == 0, done.stderr
    assert "| sam local invoke PublicationsFunction -e - --env-vars env.json" in done.stdout
    found = json.loads(output.read_text())
    # Then each function gets values for the variables the template declares, and only those
    # (SAM ignores the others), the embedded AWS among them
    declared = {
        name: set(function.environment) | {"AWS_ENDPOINT_URL"}
        for name, function in PROJECT.functions().items()
    }
    assert set(found) == set(declared)
    for name, variables in found.items():
        assert set(variables) <= declared[name], name
        assert variables["AWS_ENDPOINT_URL"] == server.endpoint
        assert variables["TABLE_NAME"] == "DataTable"
        assert variables["PUBLIC_BASE_URL"] == server.url
    assert found["PushWorkerFunction"]["PUSH_QUEUE_URL"].startswith(server.endpoint + "/")
    # And a process with only those variables (what SAM's container gets) answers an event,
    # verifying its token against the JWKS the embedded AWS serves over HTTP
    assert found["PublicationsFunction"]["JWKS_URL"].startswith(server.endpoint + "/")
    event = server.hail("event", "api", "GET", "/v1/publications/welcome1").stdout
    sam_sets = {
        "AWS_SAM_LOCAL": "true",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "defaultkey",
        "AWS_SECRET_ACCESS_KEY": "defaultsecret",
        "LAMBDA_TASK_ROOT": str(REPO / "functions/publications"),
        "PATH": os.environ["PATH"],
    }
    answered = subprocess.run(
        [sys.executable, "-c", SAM_LIKE_RUNTIME, "functions/publications", "PublicationsFunction"],
        input=event,
        capture_output=True,
        text=True,
        env={**found["PublicationsFunction"], **sam_sets},
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert answered.returncode == 0, answered.stderr
    result = json.loads(answered.stdout.strip().splitlines()[-1])
    assert result["statusCode"] == 200, result["body"]
    assert json.loads(result["body"])["title"] == "Welcome back!"
