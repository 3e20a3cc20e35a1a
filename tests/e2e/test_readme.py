"""The README's walk-through, run as written against a fresh `make run`.

Every ```sh block from the heading "## A walk through the demo" to the next "## " heading
(its "###" sections included) runs, in order, in one bash shell (so variables set in one
block are there in the next), from a scratch directory where `.venv` is the repository's.
Blocks fenced otherwise (```text, ```json, ...) are for reading only.

The convention, for whoever writes a section (say it in the README's words, then say what
comes back):

- A command's expected output follows it as comment lines indented by three spaces,
  `#   ...`; a comment with one space, `# ...`, is prose, and ignored.
- `#   201` is the status of the last HTTP response the command got (curl runs with
  headers saved aside, whatever its flags); JSON may follow on the same line:
  `#   201 {"id": "...", "status": "unpublished", ...}`.
- `#   {...}` or `#   [...]` (alone, or after the status) is matched against the JSON the
  command printed (after the headers, with `curl -i`): an object needs the keys shown, with
  those values, and may have others; `...` where a member goes is only a reminder of that.
  A list is matched item by item, unless it holds `...`: then the items shown must appear
  in that order, among others. A string with `...` in it matches any text there
  (`"http://127.0.0.1:3000/p/...`), and `...` as a value matches any value. It may go on
  over several `#   ` lines.
- `#   name: value` is a response header of that last response (`...` matches any text).
- `#   anything else` is a line of the output (`...` matches any text).
- Every command that prints (not `NAME=...` assignments, not `sleep`) says what it prints;
  the test fails on one that does not.
- After a `sleep`, the next command is run again until its expected output comes (up to
  30 seconds), as a reader would: timings vary.

The README is written for the default ports: the test's server runs on free ones, and
the only rewriting is http://127.0.0.1:3000 (the API) and http://127.0.0.1:3002 (the
webhook sink) into the test server's addresses.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
WALK_THROUGH = "## A walk through the demo"
DEFAULT_API = "http://127.0.0.1:3000"
DEFAULT_SINK = "http://127.0.0.1:3002"
END = "__HAIL_README_END__"

pytestmark = pytest.mark.e2e


# ------------------------------------------------------------------ parsing ---


@dataclass
class Step:
    line: int  # of the README, where the command starts
    command: str
    expected: list[tuple[int, str]] = field(default_factory=list)  # (line, text after "#   ")

    @property
    def prints(self) -> bool:
        first = self.command.split()[0] if self.command.split() else ""
        return not re.fullmatch(r"[A-Za-z_]\w*=.*", first) and first != "sleep"


def sh_blocks(text: str, heading: str = WALK_THROUGH) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of each ```sh block under `heading`, up to the next
    heading of its level."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.strip() == heading)
    level = heading.split()[0] + " "
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    fence = ""
    for n in range(start + 1, len(lines)):
        line = lines[n]
        if current is None and not fence and line.startswith(level):
            break
        if current is None and line.startswith("```"):
            if line.strip() == "```sh":
                current, first = [], n + 2
            else:
                fence = "" if fence else line
            continue
        if current is not None:
            if line.startswith("```"):
                blocks.append((first, current))
                current = None
            else:
                current.append(line)
    return blocks


def _complete(command: str) -> bool:
    """Whether bash reads the lines as a whole command (not one ending in `\\` or `|`, or
    with a quote still open, as a JSON body over several lines)."""
    if command.rstrip().endswith("\\"):
        return False
    check = subprocess.run(["bash", "-n"], input=command, capture_output=True, text=True)
    return check.returncode == 0


def steps(blocks: list[tuple[int, list[str]]]) -> list[Step]:
    found: list[Step] = []
    for first, lines in blocks:
        pending: list[str] = []
        start = first
        for offset, line in enumerate(lines):
            number = first + offset
            if not pending and line.startswith("#   "):
                assert found, f"README line {number}: expected output before any command"
                found[-1].expected.append((number, line[4:].strip()))
                continue
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if not pending:
                start = number
            pending.append(line)
            command = "\n".join(pending)
            if _complete(command):
                found.append(Step(start, command))
                pending = []
        assert not pending, f"README line {start}: the command never ends"
    return found


# ------------------------------------------------------------------ matching ---

ANY = "\u0000any"  # what `...` becomes where a value goes


def _ellipses(text: str) -> str:
    """JSON with `...`: a member `...` in an object is dropped (objects are matched by the
    keys shown); elsewhere it becomes the ANY marker."""
    out: list[str] = []
    stack: list[str] = []
    in_string = escaped = False
    i = 0

    def last_significant() -> str:
        return next((c for c in reversed("".join(out)) if not c.isspace()), "")

    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            i += 1
            continue
        if text.startswith("...", i):
            before = last_significant()
            rest = text[i + 3 :].lstrip()
            after = rest[:1]
            if stack and stack[-1] == "{" and before != ":":
                if before == "," and after == "}":  # drop the comma before it
                    joined = "".join(out).rstrip()
                    out = list(joined[:-1])
                elif after == ",":  # drop the comma after it
                    i = len(text) - len(rest) + 1
                    continue
            else:
                out.append(json.dumps(ANY))
            i += 3
            continue
        if char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
        out.append(char)
        i += 1
    return "".join(out)


def pattern(text: str) -> Any:
    return json.loads(_ellipses(text))


def _text_matches(expected: str, actual: str) -> bool:
    regex = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(regex, actual, re.DOTALL) is not None


def matches(expected: Any, actual: Any) -> bool:
    if expected == ANY:
        return True
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and matches(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return False
        items = [item for item in expected if item != ANY]
        if len(items) == len(expected):
            return len(actual) == len(items) and all(map(matches, items, actual))
        remaining = iter(actual)
        return all(any(matches(item, candidate) for candidate in remaining) for item in items)
    if isinstance(expected, str):
        return isinstance(actual, str) and _text_matches(expected, actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return bool(expected == actual)


# ------------------------------------------------------------------ running ---


class Shell:
    """One bash for the whole walk-through; curl keeps each response's headers aside."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.headers = workdir / ".last-headers"
        self.body = workdir / ".last-body"
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=workdir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.run(
            f"curl() {{ command curl -D {shlex.quote(str(self.headers))} "
            f'-o {shlex.quote(str(self.body))} "$@"; local status=$?; '
            f"cat {shlex.quote(str(self.body))} 2>/dev/null; return $status; }}"
        )

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def run(self, command: str, timeout: float = 90) -> tuple[str, int]:
        """The command's output (stdout and stderr) and exit status."""
        assert self.process.stdin is not None
        self.headers.unlink(missing_ok=True)
        self.body.unlink(missing_ok=True)
        self.process.stdin.write(f"{command}\nprintf '\\n{END} %s\\n' $?\n")
        self.process.stdin.flush()
        output: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line.startswith(END):
                text = "".join(output)
                return text.removesuffix("\n"), int(line.split()[1])
            output.append(line)

    def response(self) -> tuple[int | None, list[tuple[str, str]]]:
        """The status and headers of the last response the last command got."""
        if not self.headers.exists():
            return None, []
        blocks = self.headers.read_text(errors="replace").strip().split("\r\n\r\n")
        lines = blocks[-1].splitlines()
        status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else None
        headers = [
            (name.strip().lower(), value.strip())
            for name, sep, value in (line.partition(":") for line in lines[1:])
            if sep
        ]
        return status, headers

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def _json_output(output: str) -> Any:
    if output.startswith("HTTP/"):
        output = re.split(r"\r?\n\r?\n", output, maxsplit=1)[-1]
    return json.loads(output)


def _parses(text: str) -> bool:
    try:
        pattern(text)
    except ValueError:
        return False
    return True


def expectations(step: Step) -> list[tuple[int, str, str]]:
    """(line, kind, text) of each expectation: kind "status", "json" or "line" (a header or
    a line of output); JSON that goes on over several `#   ` lines is joined."""
    found: list[tuple[int, str, str]] = []
    json_text, json_line = "", 0
    for number, text in step.expected:
        if json_text:
            json_text += " " + text
        else:
            status = re.match(r"(\d{3})(?:\s+(.*))?$", text)
            if status:
                found.append((number, "status", status[1]))
                text = status[2] or ""
            if not text:
                continue
            if text[:1] not in "{[":
                found.append((number, "line", text))
                continue
            json_text, json_line = text, number
        if _parses(json_text):
            found.append((json_line, "json", json_text))
            json_text = ""
    if json_text:
        found.append((json_line, "json", json_text))  # reported: not JSON
    return found


def check(step: Step, output: str, status: int | None, headers: list[tuple[str, str]]) -> list[str]:
    """What differs from the README's expected output, one message per difference."""
    problems: list[str] = []
    for number, kind, text in expectations(step):
        where = f"README line {number}"
        if kind == "status":
            if status != int(text):
                problems.append(f"{where}: expected status {text}, got {status}")
        elif kind == "json":
            try:
                expected = pattern(text)
            except ValueError as error:
                problems.append(f"{where}: not JSON with `...`: {error}")
                continue
            try:
                actual = _json_output(output)
            except ValueError:
                problems.append(f"{where}: expected JSON, the output is {output[:300]!r}")
                continue
            if not matches(expected, actual):
                problems.append(f"{where}: expected {text}\n  got {json.dumps(actual)[:2000]}")
        elif (header := re.fullmatch(r"([A-Za-z][\w-]*): (.*)", text)) and status is not None:
            values = [value for name, value in headers if name == header[1].lower()]
            if not any(_text_matches(header[2], value) for value in values):
                problems.append(f"{where}: expected header {text}, got {values or 'none'}")
        elif not any(_text_matches(text, line.strip()) for line in output.splitlines()):
            problems.append(f"{where}: expected a line {text!r} in the output {output[:500]!r}")
    return problems


# ------------------------------------------------------------------ tests ---


def test_the_walk_through_runs_as_the_readme_says(server: Any, tmp_path: Path) -> None:
    # Given the README's walk-through, and a fresh `make run` on free ports
    walk = steps(sh_blocks(README.read_text()))
    assert len(walk) > 20
    silent = [step.line for step in walk if step.prints and not step.expected]
    assert silent == [], f"README lines {silent}: say what these commands print (#   ...)"
    sink = next(line for line in server.output if line.strip().startswith("webhook sink "))
    sink_url = re.search(r"http://[\d.:]+", sink)[0]  # type: ignore[index]

    def local(text: str) -> str:
        return text.replace(DEFAULT_API, server.url).replace(DEFAULT_SINK, sink_url)

    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    shell = Shell(tmp_path, dict(os.environ))
    try:
        # When each command runs in order
        retry_until = 0.0
        for step in walk:
            step.command = local(step.command)
            step.expected = [(n, local(text)) for n, text in step.expected]
            while True:
                output, _ = shell.run(step.command)
                status, headers = shell.response()
                problems = check(step, output, status, headers)
                if not problems or time.monotonic() > retry_until:
                    break
                time.sleep(0.5)
            # Then it prints what the README says it prints
            assert not problems, f"README line {step.line}: {step.command}\n" + "\n".join(problems)
            retry_until = time.monotonic() + 30 if step.command.startswith("sleep") else 0.0
    finally:
        shell.close()


# The convention itself (no server needed)


def test_the_convention_reads_commands_and_their_expected_output() -> None:
    text = "\n".join(
        [
            WALK_THROUGH,
            "```sh",
            "A=1",
            "# prose",
            'curl -s -d \'{"a": 1,',
            '  "b": 2}\' \\',
            "  $API/x",
            '#   201 {"a": 1,',
            '#        "b": ...}',
            "```",
            "```text",
            "## not a heading inside a block",
            "```",
            "### A section",
            "```sh",
            "echo hi",
            "#   hi",
            "```",
            "## The next part",
            "```sh",
            "echo not run",
            "```",
        ]
    )
    walk = steps(sh_blocks(text))
    assert [(s.line, s.command) for s in walk] == [
        (3, "A=1"),
        (5, 'curl -s -d \'{"a": 1,\n  "b": 2}\' \\\n  $API/x'),
        (16, "echo hi"),
    ]
    assert walk[1].expected == [(8, '201 {"a": 1,'), (9, '"b": ...}')]
    assert check(walk[1], '{"a": 1, "b": [3], "c": 4}', 201, []) == []
    assert check(walk[1], '{"a": 2, "b": 3}', 201, []) == [
        'README line 8: expected {"a": 1, "b": ...}\n  got {"a": 2, "b": 3}'
    ]
    assert check(walk[1], '{"a": 1, "b": 3}', 200, []) == [
        "README line 8: expected status 201, got 200"
    ]


@pytest.mark.parametrize(
    ("expected", "actual", "result"),
    [
        ('{"id": "x", ...}', {"id": "x", "other": 1}, True),
        ('{..., "id": "x"}', {"id": "y"}, False),
        ("[1, 2]", [1, 2, 3], False),
        ("[1, ..., 3]", [1, 2, 3], True),
        ('[..., {"id": "b"}, ...]', [{"id": "a"}, {"id": "b"}], True),
        ('[{"id": "b"}, {"id": "a"}, ...]', [{"id": "a"}, {"id": "b"}], False),
        ('{"url": "http://h/p/...?access=..."}', {"url": "http://h/p/x?access=y"}, True),
        ('{"url": "http://h/p/..."}', {"url": "https://h/p/x"}, False),
        ('{"n": ...}', {"n": None}, True),
        ('{"n": null}', {}, False),
        ('{"ok": true}', {"ok": 1}, False),
    ],
)
def test_json_with_ellipses(expected: str, actual: Any, result: bool) -> None:
    assert matches(pattern(expected), actual) is result
