"""`hail admin org|user|client` against moto, checked through the API."""

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hail_tools import cli


@pytest.fixture
def hail(seeded: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    """hail(*argv) -> (exit code, stdout, stderr); never the developer's running server."""
    monkeypatch.setattr(cli, "LOCAL_DIR", tmp_path)
    monkeypatch.setenv("HAIL_LOCAL_DIR", str(tmp_path))

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()  # what the API printed before (metrics) is not the command's
        try:
            code = cli.main(list(argv))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
            if isinstance(exit_.code, str):
                print(exit_.code, file=sys.stderr)
        out, err = capsys.readouterr()
        return code, out.strip(), err.strip()

    return run


def test_an_organisation_created_with_its_profile(hail, api):
    # When an organisation is created with profile fields and a member
    code, out, _ = hail(
        "admin", "org", "create", "harbour", "--name", "Harbour College",
        "--email", "office@harbour.example", "--website-url", "https://harbour.example",
        "--twitter-username", "@HarbourCollege", "--country", "nz",
        "--country-name", "New Zealand", "--avatar-url", "https://cdn.example/h-500.png",
        "--small-avatar-url", "https://cdn.example/h-75.png",
    )  # fmt: skip
    assert (code, out) == (0, "organisation harbour saved")
    assert hail("admin", "member", "add", "harbour", "hana", "--role", "admin")[0] == 0
    # Then the API shows them, with a slug from the name
    org = api("GET", "/v1/organisations/harbour", user="hana").json()
    assert {k: org[k] for k in ("name", "slug", "email", "twitter_username", "country")} == {
        "name": "Harbour College",
        "slug": "harbour-college",
        "email": "office@harbour.example",
        "twitter_username": "HarbourCollege",
        "country": {"code": "NZ", "name": "New Zealand"},
    }
    assert (org["role"], org["is_suspended"], org["active_subscription"]) == ("admin", False, True)
    assert org["created_date"] is not None


def test_an_organisation_updated_field_by_field_keeps_its_counters(hail, api, org_counts):
    before = org_counts("demo-school")
    code, _, _ = hail(
        "admin", "org", "update", "demo-school", "--suspended", "--website-url", "",
        "--terms-url", "https://demo-school.example/terms-2026",
    )  # fmt: skip
    assert code == 0
    org = api("GET", "/v1/organisations/demo-school").json()
    assert (org["is_suspended"], org["website_url"], org["terms_url"]) == (
        True,
        None,
        "https://demo-school.example/terms-2026",
    )
    assert org["name"] == "Demo School"
    assert org_counts("demo-school") == before
    shown = json.loads(hail("admin", "org", "show", "demo-school")[1])
    assert shown["is_suspended"] is True and "role" not in shown


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--website-url", "javascript:alert(1)"], "--website-url must be an http(s) URL"),
        (["--email", "not-an-email"], "--email must be an email address"),
        (["--country", "NZL", "--country-name", "x"], "--country takes an ISO 3166 code"),
        (["--country-name", "New Zealand"], "--country-name goes with --country"),
        (["--slug", "Bad Slug"], "--slug takes lower-case"),
        ([], "nothing to change"),
    ],
)
def test_bad_organisation_values_are_refused_and_nothing_changes(hail, api, argv, message):
    before = api("GET", "/v1/organisations/demo-school").json()
    code, _, err = hail("admin", "org", "update", "demo-school", *argv)
    assert code != 0 and message in err
    assert api("GET", "/v1/organisations/demo-school").json() == before


def test_updating_an_unknown_organisation_fails(hail):
    code, _, err = hail("admin", "org", "update", "nowhere", "--name", "X")
    assert code == 1 and "No organisation with id 'nowhere'" in err


def test_a_users_profile_set_and_changed(hail, api):
    code, out, _ = hail(
        "admin", "user", "add", "hana", "--email", "hana@harbour.example",
        "--first-name", "Hana", "--last-name", "Kereama", "--organisation-emails",
        "--no-promotion-emails",
    )  # fmt: skip
    assert (code, out) == (0, "user hana saved")
    me = api("GET", "/v1/me", user="hana").json()
    assert (me["email"], me["first_name"], me["last_name"]) == (
        "hana@harbour.example",
        "Hana",
        "Kereama",
    )
    assert (me["wants_organisation_emails"], me["wants_promotion_emails"]) == (True, False)
    assert me["sign_up_date"] is not None
    assert hail("admin", "user", "update", "hana", "--last-name", "", "--avatar-url",
                "https://cdn.example/hana.png")[0] == 0  # fmt: skip
    me = api("GET", "/v1/me", user="hana").json()
    assert (me["last_name"], me["avatar_url"]) == (None, "https://cdn.example/hana.png")
    shown = json.loads(hail("admin", "user", "show", "alice")[1])
    assert shown["roles"] == {"demo-school": "owner"} and shown["first_name"] == "Alice"


def test_a_user_update_needs_the_user_to_exist(hail):
    code, _, err = hail("admin", "user", "update", "ghost", "--first-name", "G")
    assert code == 1 and "No user with id 'ghost'" in err


def test_members_roles_survive_profile_changes(hail, api):
    assert hail("admin", "user", "update", "vera", "--first-name", "Verity")[0] == 0
    (org,) = api("GET", "/v1/users/vera/organisations", user="vera").json()
    assert org["role"] == "viewer"


def test_clients_are_registered_listed_and_removed(hail, tmp_path):
    code, out, _ = hail("admin", "client", "add", "cms", "--redirect-uri", "https://cms.example/cb")
    assert code == 0 and "client secret: " in out
    assert "cms  https://cms.example/cb" in hail("admin", "client", "list")[1]
    assert hail("admin", "client", "add", "demo-client", "--loopback")[0] == 1
    assert hail("admin", "client", "add", "bad", "--redirect-uri", "ftp://x/cb")[0] == 1
    assert hail("admin", "client", "add", "none")[0] != 0  # no redirect URI at all
    assert hail("admin", "client", "remove", "cms")[1] == "client cms removed"
    assert "cms" not in hail("admin", "client", "list")[1]
    assert (tmp_path / "clients.json").exists()
