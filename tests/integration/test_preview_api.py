"""GET /v1/publications/{id}/preview through the local API Gateway, over moto."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hail import preview
from hail_tools.gateway import LocalGateway

NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
BASE = "https://hail.test"  # the gateway fixture's PublicBaseUrl


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preview, "clock", lambda: NOW)


def test_a_member_gets_a_one_time_preview_url(
    seeded: LocalGateway, token: Callable[..., str]
) -> None:
    # Given the viewer of demo-school (the lowest role) and an unpublished publication
    # When she asks for its preview
    r = seeded.request(
        "GET", "/v1/publications/camp2026/preview", headers={"Authorization": token("vera")}
    )

    # Then a 201 carries the page URL with an access token, expiring in 15 minutes
    assert r.status == 201
    body = r.json()
    assert set(body) == {"url", "expires_at"}
    assert body["url"].startswith(f"{BASE}/p/camp2026?access=")
    assert len(body["url"].rsplit("=", 1)[1]) == 43
    assert body["expires_at"] == "2027-01-15 08:15:00"
    assert r.header("Content-Type") == "application/json"
    assert r.header("Cache-Control") == "no-store"


def test_hal_clients_get_links(seeded: LocalGateway, token: Callable[..., str]) -> None:
    # Given / When a HAL client asks for a preview
    r = seeded.request(
        "GET",
        "/v1/publications/welcome1/preview",
        headers={"Authorization": token("alice"), "Accept": "application/hal+json"},
    )

    # Then the same fields come with links
    assert r.status == 201
    assert r.header("Content-Type") == "application/hal+json"
    assert r.json()["_links"] == {
        "self": {"href": f"{BASE}/v1/publications/welcome1/preview"},
        "publication": {"href": f"{BASE}/v1/publications/welcome1"},
    }


def test_another_organisations_publication_is_forbidden(
    seeded: LocalGateway, token: Callable[..., str]
) -> None:
    # Given the owner of other-school
    # When he asks for a preview of a demo-school publication
    r = seeded.request(
        "GET", "/v1/publications/camp2026/preview", headers={"Authorization": token("oscar")}
    )

    # Then 403 in the envelope
    assert r.status == 403
    assert r.json()["error"]["error_code"] == "FORBIDDEN"


def test_an_unknown_publication_is_not_found(
    seeded: LocalGateway, token: Callable[..., str]
) -> None:
    # Given / When a preview of a publication that does not exist is asked for
    r = seeded.request(
        "GET", "/v1/publications/nosuchid/preview", headers={"Authorization": token("alice")}
    )

    # Then 404
    assert r.status == 404
    assert r.json()["error"]["error_code"] == "NOT_FOUND"


def test_the_read_scope_is_needed(seeded: LocalGateway, token: Callable[..., str]) -> None:
    # Given a token without content.read
    # When it asks for a preview
    r = seeded.request(
        "GET",
        "/v1/publications/camp2026/preview",
        headers={"Authorization": token("alice", scope="content.write")},
    )

    # Then 403
    assert r.status == 403
    assert r.json()["error"]["error_code"] == "FORBIDDEN"


def test_no_token_is_401(seeded: LocalGateway) -> None:
    # Given / When no token is sent
    r = seeded.request("GET", "/v1/publications/camp2026/preview")

    # Then 401 with a Bearer challenge
    assert r.status == 401
    assert r.header("WWW-Authenticate") == "Bearer"


def test_other_methods_are_405(seeded: LocalGateway, token: Callable[..., str]) -> None:
    # Given / When the preview is POSTed
    r = seeded.request(
        "POST", "/v1/publications/camp2026/preview", headers={"Authorization": token("alice")}
    )

    # Then 405 naming GET
    assert r.status == 405
    assert r.header("Allow") == "GET"
    assert r.json()["error"]["error_code"] == "METHOD_NOT_ALLOWED"
