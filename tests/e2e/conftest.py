"""`make run` started as a newcomer would, on a free port, for tests that talk HTTP to it."""

import json
import os
import signal
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def _own_local_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Servers started here keep their keys and endpoint apart from a developer's `make run`
    (and from those of other test workers): `hail` commands run by the tests follow."""
    saved = os.environ.get("HAIL_LOCAL_DIR")
    os.environ["HAIL_LOCAL_DIR"] = str(tmp_path_factory.mktemp("local"))
    yield
    if saved is None:
        os.environ.pop("HAIL_LOCAL_DIR", None)
    else:
        os.environ["HAIL_LOCAL_DIR"] = saved


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    output: list[str]

    def token(self, user: str, *extra: str) -> str:
        out = subprocess.run(
            [str(REPO / ".venv/bin/hail"), "token", user, *extra],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        return out.stdout.strip().splitlines()[-1]

    def call(
        self,
        method: str,
        path: str,
        user: str | None = "alice",
        body: dict | None = None,
        headers: dict | None = None,
    ) -> tuple[int, Message, bytes]:
        request = urllib.request.Request(self.url + path, method=method, headers=headers or {})
        if user:
            request.add_header("Authorization", f"Bearer {self.token(user)}")
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    port = _free_port()
    process = subprocess.Popen(
        ["make", "run"],
        cwd=REPO,
        # Free ports only: never those of a developer's own `make run` (3000-3003).
        env={
            **os.environ,
            "PORT": str(port),
            "AWS_PORT": "0",
            "SINK_PORT": "0",
            "SIGNIN_PORT": "0",
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
    ready.wait(timeout=240)
    assert any("Hail API ready on" in line for line in output), "".join(output)
    running = Server(f"http://127.0.0.1:{port}", process, output)
    yield running
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
