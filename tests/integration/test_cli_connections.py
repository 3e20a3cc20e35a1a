"""`hail admin connection ...` against moto (the same code a real account would get)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hail_tools import cli


@pytest.fixture
def hail(
    seeded: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Any:
    """hail(*argv) -> (exit code, stdout, stderr), never the developer's running server."""
    monkeypatch.setattr(cli, "LOCAL_DIR", tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out.strip(), err.strip()

    return run


def test_add_update_list_remove(hail: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from hail.storage import connections as connections_db

    # Given / When a Mastodon connection is added, its token read from stdin
    monkeypatch.setattr("sys.stdin", io.StringIO("tok-123\n"))
    code, out, _ = hail(
        "admin", "connection", "add", "demo-school", "--id", "masto", "--service", "mastodon",
        "--name", "@school", "--authorised-name", "School", "--setting",
        "base_url=https://mastodon.example", "--credential", "access_token=-",
    )  # fmt: skip

    # Then it is saved, with its credentials apart from it
    assert code == 0
    assert out == "saved: masto  mastodon  '@school'  authorised; configured"
    stored = connections_db.get_connection("demo-school", "masto")
    assert stored is not None
    assert stored["settings"] == {"base_url": "https://mastodon.example"}
    assert "access_token" not in str(stored)
    assert connections_db.get_credentials("demo-school", "masto") == {"access_token": "tok-123"}

    # When it is put in exception, then cleared, and a setting removed
    assert hail("admin", "connection", "update", "demo-school", "masto", "--exception")[0] == 0
    code, out, _ = hail(
        "admin", "connection", "update", "demo-school", "masto", "--no-exception",
        "--no-configured", "--setting", "base_url=",
    )  # fmt: skip

    # Then what it lacks is said
    assert code == 0
    assert out == (
        "saved: masto  mastodon  '@school'  authorised; not configured; missing setting base_url"
    )
    assert connections_db.get_connection("demo-school", "masto")["exception_reason"] is None  # type: ignore[index]

    # When the organisation's connections are listed with a publication
    connections_db.start_push(
        "welcome1", "masto", push_id="p", org_id="demo-school", now="2026-11-22 10:00:00",
        stale_before="2026-11-22 09:00:00",
    )  # fmt: skip
    code, out, _ = hail("admin", "connection", "list", "demo-school", "--publication", "welcome1")
    assert code == 0
    assert "masto  mastodon  '@school'" in out
    assert "welcome1: pending, last posted never, attempts 0, last error: -" in out
    assert "facebook-expired  facebook  'Demo School'  authorised; configured; in exception" in out

    # When it is removed
    assert hail("admin", "connection", "remove", "demo-school", "masto") == (
        0,
        "connection masto removed from demo-school",
        "",
    )

    # Then it and its credentials are gone
    assert connections_db.get_connection("demo-school", "masto") is None
    assert connections_db.get_credentials("demo-school", "masto") == {}


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (
            ["remove", "demo-school", "nope"],
            "error: No connection 'nope' in 'demo-school'.",
        ),
        (
            ["add", "no-such-org", "--service", "x", "--name", "n"],
            "error: No organisation with id 'no-such-org'.",
        ),
        (
            ["add", "demo-school", "--service", "x", "--name", "n", "--id", "Bad Id"],
            "error: A connection id is 1-64 characters: a-z, 0-9, '-' and '_'.",
        ),
        (
            ["update", "demo-school", "nope", "--name", "n"],
            "error: No connection 'nope' in 'demo-school'.",
        ),
    ],
)
def test_errors_are_one_line(hail: Any, argv: list[str], error: str) -> None:
    code, out, err = hail("admin", "connection", *argv)
    assert (code, out, err) == (1, "", error)


def test_a_pair_without_equals_is_refused(hail: Any) -> None:
    with pytest.raises(SystemExit) as exc:
        hail("admin", "connection", "update", "demo-school", "webhook-demo", "--setting", "url")
    assert str(exc.value) == "error: --setting takes KEY=VALUE, not 'url'"


def test_seed_needs_no_credentials_table_setting(
    hail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hail.settings import get_settings

    # Given a shell without CREDENTIALS_TABLE_NAME
    monkeypatch.delenv("CREDENTIALS_TABLE_NAME", raising=False)
    get_settings.cache_clear()

    # When the demo data is loaded again
    code, out, err = hail("seed")

    # Then it works (the local table name is the default) and adds nothing twice
    assert (code, err) == (0, "")
    assert "connection webhook-demo" in out


# ------------------------------------------------------------ what is stored is checked

HTTP_ONLY_LOOPBACK = (
    "only https URLs can be posted to (plain http only to loopback, in local development)"
)


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (
            ["--service", "webhook", "--setting", "url=ftp://hooks.example.org/h",
             "--credential", "secret=s"],
            f"error: The setting url ftp://hooks.example.org/h cannot be posted to: "
            f"{HTTP_ONLY_LOOPBACK}.",
        ),
        (
            ["--service", "webhook", "--setting", "url=http://hooks.example.org/h",
             "--credential", "secret=s"],
            f"error: The setting url http://hooks.example.org/h cannot be posted to: "
            f"{HTTP_ONLY_LOOPBACK}.",
        ),
        (
            ["--service", "webhook", "--setting", "url=http://127.0.0.1:9/h",
             "--credential", "secret=s"],
            f"error: The setting url http://127.0.0.1:9/h cannot be posted to: "
            f"{HTTP_ONLY_LOOPBACK}.",
        ),
        (
            ["--service", "webhook", "--setting", "url=https://169.254.169.254/latest",
             "--credential", "secret=s"],
            "error: The setting url https://169.254.169.254/latest cannot be posted to: "
            "169.254.169.254 is not a public address.",
        ),
        (
            ["--service", "slack", "--credential", "webhook_url=http://hooks.slack.com/x"],
            f"error: The credential webhook_url (secret) cannot be posted to: "
            f"{HTTP_ONLY_LOOPBACK}.",
        ),
        (
            ["--service", "mastodon", "--setting", "base_url=ftp://mastodon.example",
             "--credential", "access_token=t", "--no-configured"],
            f"error: The setting base_url ftp://mastodon.example cannot be posted to: "
            f"{HTTP_ONLY_LOOPBACK}.",
        ),
        (
            ["--service", "webhook", "--setting", "url=https://hooks.example.org/h"],
            "error: A Webhook connection cannot post without credential secret: give it, or "
            "mark the connection not configured.",
        ),
        (
            ["--service", "facebook"],
            "error: A Facebook Page connection cannot post without setting page_id and "
            "credential access_token: give them, or mark the connection not configured.",
        ),
    ],
)  # fmt: skip
def test_add_refuses_what_could_not_be_posted_with(hail: Any, argv: list[str], error: str) -> None:
    from hail.storage import connections as connections_db

    # Given / When a connection is added that the worker could not post with
    code, out, err = hail("admin", "connection", "add", "demo-school", "--id", "bad",
                          "--name", "Bad", *argv)  # fmt: skip

    # Then it is refused in one line, and nothing is stored
    assert (code, out, err) == (1, "", error)
    assert connections_db.get_connection("demo-school", "bad") is None
    assert connections_db.get_credentials("demo-school", "bad") == {}


def test_a_connection_lacking_credentials_is_stored_only_as_not_configured(hail: Any) -> None:
    from hail.storage import connections as connections_db

    # Given / When a webhook is added without its secret, marked not configured
    code, out, _ = hail(
        "admin", "connection", "add", "demo-school", "--id", "later", "--service", "webhook",
        "--name", "Later", "--setting", "url=https://hooks.example.org/h", "--no-configured",
    )  # fmt: skip

    # Then it is stored and the command says what it lacks
    assert code == 0
    assert (
        out
        == "saved: later  webhook  'Later'  authorised; not configured; missing credential secret"
    )
    # And it cannot be marked configured until the secret is given
    code, _, err = hail("admin", "connection", "update", "demo-school", "later", "--configured")
    assert (code, err) == (
        1,
        "error: A Webhook connection cannot post without credential secret: give it, or mark "
        "the connection not configured.",
    )
    assert connections_db.get_connection("demo-school", "later")["configured"] is False  # type: ignore[index]
    code, out, _ = hail(
        "admin", "connection", "update", "demo-school", "later", "--configured",
        "--credential", "secret=s3",
    )  # fmt: skip
    assert (code, out) == (0, "saved: later  webhook  'Later'  authorised; configured")


def test_update_refuses_and_changes_nothing(hail: Any) -> None:
    from hail.storage import connections as connections_db

    # Given a configured webhook
    assert hail("admin", "connection", "update", "demo-school", "webhook-demo",
                "--setting", "url=https://cms.example.org/h")[0] == 0  # fmt: skip
    before = connections_db.get_connection("demo-school", "webhook-demo")
    secrets = connections_db.get_credentials("demo-school", "webhook-demo")

    # When its secret is removed, or its URL made plain http elsewhere
    removed = hail("admin", "connection", "update", "demo-school", "webhook-demo",
                   "--credential", "secret=")  # fmt: skip
    insecure = hail("admin", "connection", "update", "demo-school", "webhook-demo", "--setting",
                    "url=http://cms.example.org/h", "--credential", "secret=new")  # fmt: skip

    # Then both are refused, and nothing changed
    assert removed[0] == insecure[0] == 1
    assert removed[2].startswith("error: A Webhook connection cannot post without credential")
    assert insecure[2].startswith("error: The setting url http://cms.example.org/h cannot")
    assert connections_db.get_connection("demo-school", "webhook-demo") == before
    assert connections_db.get_credentials("demo-school", "webhook-demo") == secrets


def test_local_development_may_post_to_loopback_over_http(
    hail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the local setting (make run's worker has it)
    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOKS", "true")

    # When the demo webhook is pointed at a local port over http
    code, out, _ = hail("admin", "connection", "update", "demo-school", "webhook-demo",
                        "--setting", "url=http://127.0.0.1:9/h")  # fmt: skip

    # Then it is saved; plain http elsewhere is still refused
    assert (code, out) == (
        0,
        "saved: webhook-demo  webhook  'Demo webhook (local sink)'  authorised; configured",
    )
    code, _, err = hail("admin", "connection", "update", "demo-school", "webhook-demo",
                        "--setting", "url=http://10.0.0.1/h")  # fmt: skip
    assert code == 1 and HTTP_ONLY_LOOPBACK in err
