"""docs/reliability.md names the test behind each guarantee and fault: every test it names
exists (in the file it names, when it names one)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"


def _tests() -> dict[str, set[str]]:
    """Test function names per test file name."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text())
        names = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")
        }
        found.setdefault(path.name, set()).update(names)
    return found


def test_every_test_the_reliability_doc_names_exists() -> None:
    tests = _tests()
    every = set().union(*tests.values())
    text = re.sub(r"\s+", "", DOC.read_text())  # names may be wrapped across lines
    named = re.findall(r"`(?:[\w/]*?(test_\w+\.py)::)?(test_\w+)(?:\[[^\]]*\])?`", text)
    assert len(named) > 20
    missing = [
        f"{file}::{name}" if file else name
        for file, name in named
        if name not in (tests.get(file, set()) if file else every)
    ]
    assert missing == []
