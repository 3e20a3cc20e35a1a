"""`make deploy` checks what it needs before building, the layer build refuses to compile
for another Python than the runtime's, and `sam build` (when installed) makes the layer
for python3.13 on arm64."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hail_tools import template as tpl

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PATH = "/usr/bin:/bin"  # make, sh, mkdir; never a developer's sam or python3.13


def _fake(bin_dir: Path, name: str, exit_code: int) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\nexit {exit_code}\n")
    path.chmod(0o755)


def _make(target: str, bin_dir: Path, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {
        "PATH": f"{bin_dir}:{SYSTEM_PATH}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        ["make", "--no-print-directory", target, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A PATH directory where python3.13 and python3 exist but are not Python 3.13."""
    path = tmp_path / "bin"
    path.mkdir()
    _fake(path, "python3.13", 127)  # e.g. a pyenv shim for a version that is not selected
    _fake(path, "python3", 1)
    return path


def test_the_layer_build_stops_without_python_3_13(bin_dir: Path, tmp_path: Path) -> None:
    # Given no Python 3.13 on PATH
    artifacts = tmp_path / "artifacts"

    # When sam build runs the layer's makefile
    run = _make("build-SharedLayer", bin_dir, f"ARTIFACTS_DIR={artifacts}", cwd=REPO / "shared")

    # Then it stops at once, saying why and what to do, and builds nothing
    assert run.returncode != 0
    assert run.stderr.splitlines()[0] == (
        "error: building the layer needs Python 3.13 (the functions' runtime), and neither "
        "python3.13 nor python3 on PATH is 3.13: install python3.13, or build in Docker with "
        "`sam build --use-container`"
    )
    assert not artifacts.exists()


def test_deploy_without_sam_says_how_to_get_it(bin_dir: Path) -> None:
    run = _make("deploy", bin_dir)
    assert run.returncode != 0
    assert run.stdout == ""
    assert run.stderr.splitlines()[0].startswith(
        "error: the AWS SAM CLI (sam) is not on PATH: install it"
    )


def test_deploy_without_python_3_13_offers_the_container_build(bin_dir: Path) -> None:
    # Given sam, but no Python 3.13
    _fake(bin_dir, "sam", 0)

    # When make deploy runs
    run = _make("deploy", bin_dir)

    # Then it stops before sam build, naming both ways out
    assert run.returncode != 0
    assert "sam build" not in run.stdout
    assert run.stderr.splitlines()[0] == (
        "error: sam build needs Python 3.13 (the functions' runtime) as python3.13 on PATH to "
        "build the layer: install it, or build in Docker with `make deploy CONTAINER=1`"
    )


def test_a_container_build_needs_a_running_docker(bin_dir: Path) -> None:
    _fake(bin_dir, "sam", 0)
    _fake(bin_dir, "docker", 1)
    run = _make("deploy", bin_dir, "CONTAINER=1")
    assert run.returncode != 0
    assert run.stderr.splitlines()[0] == (
        "error: CONTAINER=1 builds in Docker, and Docker is not running: start it, or "
        "install python3.13 and leave out CONTAINER"
    )


def test_with_its_prerequisites_deploy_builds_then_deploys_guided(bin_dir: Path) -> None:
    # Given sam and Python 3.13 (stand-ins that succeed)
    _fake(bin_dir, "sam", 0)
    _fake(bin_dir, "python3.13", 0)

    # When make deploy runs (dry run: the commands it would run)
    run = _make("deploy", bin_dir, "--dry-run")

    # Then it builds, then deploys (--guided while there is no samconfig.toml)
    guided = "" if (REPO / "samconfig.toml").exists() else " --guided"
    assert run.returncode == 0, run.stderr
    commands = [line.strip() for line in run.stdout.splitlines() if line.startswith("sam ")]
    assert commands == ["sam build", f"sam deploy{guided}"]


def _no_python_313() -> str | None:
    """Why `sam build` cannot run here, or None."""
    for python in ("python3.13", "python3"):
        if shutil.which(python):
            check = subprocess.run(
                [python, "-c", "import sys; sys.exit(sys.version_info[:2] != (3, 13))"],
                capture_output=True,
                check=False,
            )
            if check.returncode == 0:
                return None
    return "neither python3.13 nor python3 is Python 3.13 (sam build needs it for the layer)"


@pytest.mark.skipif(shutil.which("sam") is None, reason="the AWS SAM CLI (sam) is not installed")
def test_sam_build_makes_the_layer_for_python_3_13_on_arm64(tmp_path: Path) -> None:
    missing = _no_python_313()
    if missing:
        pytest.skip(missing)
    build = tmp_path / "build"

    # When sam build runs on the template
    run = subprocess.run(
        ["sam", "build", "--build-dir", str(build), "--cache-dir", str(tmp_path / "cache")],
        cwd=REPO,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    # Then the layer holds the hail package and its dependencies, built for CPython 3.13 on
    # aarch64, with 3.13 bytecode only
    layer = build / "SharedLayer" / "python"
    assert (layer / "hail" / "__init__.py").is_file()
    assert (layer / "pydantic_core" / "_pydantic_core.cpython-313-aarch64-linux-gnu.so").is_file()
    native = [p.name for p in layer.rglob("*.so") if "cpython-" in p.name]
    assert native and all("cpython-313-aarch64-linux-gnu" in name for name in native), native
    assert {p.name.split(".")[-2] for p in layer.rglob("*.pyc")} == {"cpython-313"}
    # And every function runs python3.13 on arm64 with that layer
    built = tpl.load_template(build / "template.yaml")
    function = built["Globals"]["Function"]
    assert (function["Runtime"], function["Architectures"]) == ("python3.13", ["arm64"])
    assert built["Resources"]["SharedLayer"]["Properties"]["CompatibleRuntimes"] == ["python3.13"]
