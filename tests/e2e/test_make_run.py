"""The API as a newcomer sees it: `make run`, then HTTP."""

import json
import os
import re
import signal
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def test_ready_line_names_the_port_and_shows_a_curl(server):
    ready = next(line for line in server.output if "Hail API ready on" in line)
    assert ready.strip() == f"Hail API ready on {server.url} (demo data loaded)"
    assert any(line.strip().startswith("curl ") for line in server.output)


def test_startup_lists_every_local_endpoint_with_its_variable(server):
    # Given `make run` started on free ports (the e2e fixture sets every port variable)
    listed = {}
    for line in server.output:
        found = re.match(r"  (API|embedded AWS|webhook sink) +(http://\S+) +(\w+)", line)
        if found:
            listed[found[1]] = (found[2], found[3])

    # Then each endpoint is printed with its URL and the variable that moves it
    assert set(listed) == {"API", "embedded AWS", "webhook sink"}
    assert listed["API"] == (server.url, "PORT")
    assert listed["embedded AWS"][1] == "AWS_PORT"
    assert listed["webhook sink"][1] == "SINK_PORT"
    # And they answer: the AWS endpoint is the one `hail admin` will use; the sink lists posts
    local_dir = Path(os.environ["HAIL_LOCAL_DIR"])
    assert (local_dir / "endpoint").read_text().strip() == listed["embedded AWS"][0]
    with urllib.request.urlopen(listed["webhook sink"][0], timeout=10) as response:
        assert "received" in json.loads(response.read())


def test_a_port_in_use_stops_make_run_with_one_line_naming_its_variable():
    # Given a port something else listens on, given as the embedded AWS's
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {**os.environ, "PORT": "0", "AWS_PORT": str(port), "SINK_PORT": "0"}

        # When `make run` starts
        run = subprocess.run(
            ["make", "--no-print-directory", "run"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    # Then it stops at once, saying which variable to change
    assert run.returncode != 0
    assert run.stdout == ""
    assert run.stderr.splitlines()[0] == (
        f"error: port {port} on 127.0.0.1 (embedded AWS) is already in use: set AWS_PORT to "
        f"a free port (`make run AWS_PORT={port + 100}`), or AWS_PORT=0 for any free port"
    )


def test_the_demo_over_http(server):
    # Styles
    status, _, body = server.call("GET", "/v1/organisations/demo-school/styles")
    assert status == 200
    assert [s["id"] for s in json.loads(body)] == ["magazine", "newsletter", "yearbook"]
    # Create, and its url points at this server
    status, headers, body = server.call(
        "POST",
        "/v1/organisations/demo-school/publications",
        user="paula",
        body={"title": "E2E", "status": "unpublished", "style_id": "magazine"},
    )
    assert status == 201
    created = json.loads(body)
    assert created["url"] == f"{server.url}/p/{created['id']}"
    assert headers["Location"] == f"{server.url}/v1/publications/{created['id']}"
    # Paging through the list with the Link header
    status, headers, body = server.call(
        "GET", "/v1/organisations/demo-school/publications?limit=2&order=title"
    )
    assert status == 200 and len(json.loads(body)) == 2
    next_url = headers["link"][1 : headers["link"].index(">")]
    assert next_url.startswith(f"{server.url}/v1/organisations/demo-school/publications?")
    # Edit and watch
    status, _, body = server.call(
        "PUT", f"/v1/publications/{created['id']}", user="paula", body={"status": "published"}
    )
    assert status == 200 and json.loads(body)["status"] == "published"
    status, _, body = server.call("DELETE", f"/v1/publications/{created['id']}/watch", user="paula")
    assert (status, body) == (204, b"")


def test_errors_over_http(server):
    status, headers, body = server.call("GET", "/v1/publications/camp2026", user=None)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(body)["error"]["error_code"] == "UNAUTHORIZED"
    expired = server.token("alice", "--ttl", "-60")
    status, _, _ = server.call(
        "GET",
        "/v1/publications/camp2026",
        user=None,
        headers={"Authorization": f"Bearer {expired}"},
    )
    assert status == 401
    status, _, body = server.call("GET", "/nowhere")
    assert status == 404 and json.loads(body)["error"]["error_code"] == "NOT_FOUND"
    status, headers, _ = server.call("PATCH", "/v1/publications/camp2026", body={})
    assert status == 405 and headers["Allow"] == "GET, PUT"


def test_hail_admin_changes_the_running_server(server):
    run = [
        str(REPO / ".venv/bin/hail"),
        "admin",
        "member",
        "add",
        "demo-school",
        "newbie",
        "--role",
        "viewer",
    ]
    out = subprocess.run(run, capture_output=True, text=True, cwd=REPO, check=False)
    assert out.returncode == 0, out.stderr
    assert server.call("GET", "/v1/organisations/demo-school/styles", user="newbie")[0] == 200
    bad = subprocess.run(
        [*run[:4], "no-such-org", "x", "--role", "viewer"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert bad.returncode != 0
    assert bad.stderr.strip() == "error: no organisation 'no-such-org'"


def test_make_smoke_passes_against_make_run(server):
    # Given the running server, and no token (a local one is made)
    # When `make smoke` checks it
    run = subprocess.run(
        ["make", "--no-print-directory", "smoke", f"API={server.url}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # Then every check passed, and each says what it saw
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "PASS  GET /v1/organisations/demo-school/styles",
        "PASS  GET /v1/organisations/demo-school/publications",
        "PASS  GET /v1/publications/{id}",
        "PASS  GET the publication's page",
        "PASS  no token",
        "PASS  unknown path",
    ]
    assert lines[-1] == f"6 of 6 checks passed against {server.url}"


def test_make_smoke_fails_with_a_token_the_stack_refuses(server):
    run = subprocess.run(
        ["make", "--no-print-directory", "smoke", f"API={server.url}", "TOKEN=not-a-token"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode != 0
    assert run.stdout.splitlines()[0].startswith(
        "FAIL  GET /v1/organisations/demo-school/styles: expected 200, got 401"
    )
    assert run.stdout.splitlines()[-1] == (f"2 of 6 checks passed against {server.url}; 4 failed")


def test_ctrl_c_stops_everything(server):
    os.killpg(server.process.pid, signal.SIGINT)
    assert server.process.wait(timeout=30) in (0, 2, -signal.SIGINT, 130)
