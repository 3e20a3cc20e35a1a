"""`sam local invoke` (the SAM CLI, the function in Lambda's Docker image) against the
embedded AWS of `make run`, with the env.json of `hail sam-env`: the same answer as
`hail invoke`. Skipped, saying why, without the SAM CLI, a Docker engine, or (on an x86_64
Linux host) QEMU for the arm64 functions.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HAIL = str(Path(sys.executable).parent / "hail")
LINUX = sys.platform.startswith("linux")


def _why_not() -> str | None:
    if shutil.which("sam") is None:
        return "the SAM CLI (sam) is not installed"
    if shutil.which("docker") is None:
        return "Docker is not installed"
    try:
        info = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "no Docker engine answers (docker info timed out)"
    if info.returncode != 0:
        last = (info.stderr.strip().splitlines() or ["?"])[-1]
        return f"no Docker engine answers (docker info: {last})"
    arm = platform.machine().lower() in ("arm64", "aarch64")
    if LINUX and not arm and not Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists():
        return "the functions are arm64 and this x86_64 host has no QEMU for them (binfmt)"
    return None


WHY_NOT = _why_not()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(WHY_NOT is not None, reason=str(WHY_NOT))]


@pytest.fixture(scope="module", autouse=True)
def _aws_reachable_from_containers() -> Iterator[None]:
    """On Linux, containers reach the host through docker0 only: `make run` listens there."""
    saved = os.environ.get("HAIL_AWS_HOST")
    if LINUX:
        os.environ["HAIL_AWS_HOST"] = "0.0.0.0"  # this test's server only
    yield
    if saved is None:
        os.environ.pop("HAIL_AWS_HOST", None)
    else:
        os.environ["HAIL_AWS_HOST"] = saved


def _run(*argv: str, stdin: str | None = None, timeout: int = 600) -> str:
    done = subprocess.run(
        argv, input=stdin, capture_output=True, text=True, cwd=REPO, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(argv)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_sam_local_invoke_answers_as_hail_invoke(server, tmp_path):
    # Given env.json for the running server, a built stack and a fresh event
    env_json = tmp_path / "env.json"
    _run(HAIL, "sam-env", "--output", str(env_json))
    _run("sam", "build", timeout=1200)
    event = _run(HAIL, "event", "api", "GET", "/v1/publications/camp2026")
    # When SAM invokes the function in Docker with it
    extra = ["--add-host", "host.docker.internal:host-gateway"] if LINUX else []
    out = _run(
        "sam", "local", "invoke", "PublicationsFunction", "-e", "-",
        "--env-vars", str(env_json), "--region", "eu-west-1", *extra,
        stdin=event,
    )  # fmt: skip
    # Then it answers as `hail invoke` does, from the same data
    answered = json.loads(out.strip().splitlines()[-1])
    assert answered["statusCode"] == 200, answered
    invoked = json.loads(_run(HAIL, "invoke", "publications", "-", stdin=event))
    assert json.loads(answered["body"]) == json.loads(invoked["body"])
