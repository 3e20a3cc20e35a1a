"""`hail`: every command says what it is, and every error says what was tried and what to do."""

from __future__ import annotations

import argparse
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hail_tools import cli


def _commands(
    parser: argparse.ArgumentParser, path: str = "hail"
) -> Iterator[tuple[str, str | None, argparse.ArgumentParser]]:
    """(command path, its help line, its parser) for every command and group, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, command in action.choices.items():
                yield f"{path} {name}", helps.get(name), command
                yield from _commands(command, f"{path} {name}")


def test_every_command_and_group_has_a_help_line_and_a_description() -> None:
    # Given the whole command tree
    commands = list(_commands(cli._parser()))

    # Then each is listed with a help line under its group, and its own --help says it
    assert len(commands) > 15
    assert [path for path, line, _ in commands if not line] == []
    assert [path for path, _, parser in commands if not parser.description] == []


@pytest.fixture
def hail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str]]:
    """hail(*argv) -> (exit code, stderr), with no local server and no AWS settings."""
    monkeypatch.setattr(cli, "LOCAL_DIR", tmp_path)
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "TABLE_NAME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))

    def run(*argv: str) -> tuple[int, str]:
        code = cli.main(list(argv))
        return code, capsys.readouterr().err.strip()

    return run


ADD = ("admin", "member", "add", "demo-school", "newbie", "--role", "viewer")


def test_without_a_local_server_or_aws_settings_it_says_how_to_get_one(hail: Any) -> None:
    # Given no `make run` and no AWS configuration
    # When an administration command runs
    code, err = hail(*ADD)

    # Then it says what it looked for and both ways out (not "You must specify a region.")
    assert code == 1
    assert err == (
        f"error: no local server found ({cli.LOCAL_DIR / 'endpoint'} missing): start "
        "`make run`, or point at AWS with AWS_PROFILE/AWS_REGION and --table"
    )


def test_a_stale_endpoint_file_is_named(hail: Any) -> None:
    # Given the endpoint file of a `make run` that is gone (nothing listens there)
    with socket.create_server(("127.0.0.1", 0)) as probe:
        endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}"
    (cli.LOCAL_DIR / "endpoint").write_text(endpoint + "\n")

    # When an administration command runs
    code, err = hail(*ADD)

    # Then it names the address it tried, and the file it came from
    assert code == 1
    assert err == (
        f"error: no local server answers at {endpoint} ({cli.LOCAL_DIR / 'endpoint'} is left "
        "from a `make run` that did not stop cleanly): start `make run`, or point at AWS with "
        "AWS_PROFILE/AWS_REGION and --table"
    )


def test_a_table_without_a_region_asks_for_one(hail: Any) -> None:
    code, err = hail("--table", "hail-DataTable-1A2B", *ADD)
    assert code == 1
    assert err == (
        "error: no AWS region for table hail-DataTable-1A2B: set AWS_REGION, or AWS_PROFILE "
        "with a region (or start `make run` and leave out --table)"
    )


def test_a_table_that_does_not_exist_is_named_with_its_region(
    hail: Any, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given AWS (moto) in a region, and a table name that is not there
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    # When an administration command runs against it
    code, err = hail("--table", "hail-DataTable-1A2B", *ADD)

    # Then the error names the table and region, and where to find the right name
    assert code == 1
    assert err.startswith("error: ")
    assert "(tried table hail-DataTable-1A2B in AWS region eu-west-1)" in err
    assert err.endswith(
        "give the stack's table with --table (the DataTableName output of `aws "
        "cloudformation describe-stacks`), or start `make run`"
    )
