"""`hail token` and `hail admin org|member|style|publication` against moto."""

from pathlib import Path
from typing import Any

import jwt
import pytest
from hail_tools import cli


@pytest.fixture
def hail(seeded: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    """hail(*argv) -> (exit code, stdout, stderr); never the developer's running server."""
    monkeypatch.setattr(cli, "LOCAL_DIR", tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = cli.main(list(argv))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
            if isinstance(exit_.code, str):
                print(exit_.code, file=__import__("sys").stderr)
        out, err = capsys.readouterr()
        return code, out.strip(), err.strip()

    return run


def test_token_prints_a_token_the_server_accepts_as_its_last_line(
    local_keys, monkeypatch, capsys, seeded
):
    monkeypatch.setenv("HAIL_KEYS_DIR", str(local_keys.directory))
    assert cli.main(["token", "vera", "--scope", "content.read", "--ttl", "120"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["scope"], claims["exp"] - claims["iat"]) == (
        "vera",
        "content.read",
        120,
    )
    response = seeded.request(
        "GET", "/v1/publications/camp2026", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200


def test_organisation_member_and_style_lifecycle(hail, seeded, token):
    # Given a new organisation with a style and an owner
    assert hail("admin", "org", "create", "new-school", "--name", "New School")[0] == 0
    assert (
        hail(
            "admin", "style", "add", "poster", "--name", "Poster", "--description", "One big page"
        )[0]
        == 0
    )
    assert hail("admin", "style", "offer", "new-school", "poster")[0] == 0
    assert hail("admin", "style", "offer", "new-school", "magazine", "--unavailable")[0] == 0
    code, out, _ = hail("admin", "member", "add", "new-school", "nina", "--role", "owner")
    assert (code, out) == (0, "nina is now owner of new-school")
    # Then the API shows them to nina
    styles = seeded.request(
        "GET", "/v1/organisations/new-school/styles", headers={"Authorization": token("nina")}
    ).json()
    assert [(s["id"], s["available"]) for s in styles] == [("magazine", False), ("poster", True)]
    created = seeded.request(
        "POST",
        "/v1/organisations/new-school/publications",
        headers={"Authorization": token("nina")},
        json={"title": "First", "status": "published", "style_id": "poster"},
    )
    assert created.status == 201
    # When nina is removed, she is an outsider
    assert hail("admin", "member", "remove", "new-school", "nina")[0] == 0
    assert (
        seeded.request(
            "GET", "/v1/organisations/new-school/styles", headers={"Authorization": token("nina")}
        ).status
        == 403
    )


def test_a_role_can_be_changed(hail, seeded, token):
    assert hail("admin", "member", "add", "demo-school", "vera", "--role", "editor")[0] == 0
    response = seeded.request(
        "PUT",
        "/v1/publications/camp2026",
        headers={"Authorization": token("vera")},
        json={"title": "By vera"},
    )
    assert response.status == 200


def test_custom_css_is_set_and_cleared(hail, seeded, token):
    code, out, _ = hail("admin", "publication", "css", "welcome1", "https://cdn.example/x.css")
    assert (code, out) == (0, "welcome1: custom CSS https://cdn.example/x.css")
    pub = seeded.request(
        "GET", "/v1/publications/welcome1", headers={"Authorization": token()}
    ).json()
    assert pub["custom_css_url"] == "https://cdn.example/x.css"
    page = seeded.request("GET", "/p/welcome1")
    assert '<link rel="stylesheet" href="https://cdn.example/x.css"' in page.text
    assert hail("admin", "publication", "css", "welcome1", "--clear")[0] == 0
    assert (
        seeded.request(
            "GET", "/v1/publications/welcome1", headers={"Authorization": token()}
        ).json()["custom_css_url"]
        is None
    )


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (
            ["admin", "member", "add", "nowhere", "x", "--role", "viewer"],
            "error: no organisation 'nowhere'",
        ),
        (
            ["admin", "member", "remove", "demo-school", "nobody"],
            "error: 'nobody' is not a member of 'demo-school'.",
        ),
        (
            ["admin", "style", "offer", "nowhere", "magazine"],
            "error: No organisation with id 'nowhere'.",
        ),
        (
            ["admin", "publication", "css", "nope0000", "https://x.example/a.css"],
            "error: No publication with id 'nope0000'.",
        ),
        (
            ["admin", "publication", "css", "welcome1", "http://x.example/a.css"],
            "error: the stylesheet must be an https:// URL",
        ),
    ],
)
def test_errors_are_one_clear_line(hail, argv, error):
    code, _, err = hail(*argv)
    assert code != 0
    assert err == error
