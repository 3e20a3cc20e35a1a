"""What API Gateway and the handlers answer outside the happy path: unknown routes,
unsupported methods, and the request/round-trip budgets of each endpoint."""

import pytest

ALLOWED = {
    "/v1/organisations/demo-school/styles": "GET",
    "/v1/organisations/demo-school/publications": "GET, POST",
    "/v1/organisations/demo-school/publications/count": "GET",
    "/v1/publications/camp2026": "GET, PUT",
    "/v1/publications/camp2026/watch": "DELETE, POST",
}


@pytest.mark.parametrize("path", sorted(ALLOWED))
def test_an_unsupported_method_is_405_with_allow(api, path):
    response = api("PATCH", path, json={})
    assert response.status == 405
    assert sorted(a.strip() for a in response.header("allow").split(",")) == sorted(
        ALLOWED[path].split(", ")
    )
    assert response.json()["error"]["error_code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    "path", ["/", "/v1", "/v2/publications/x", "/v1/publications", "/v1/publications/x/y/z"]
)
def test_an_unknown_route_is_404_in_the_envelope(api, path):
    response = api("GET", path)
    assert response.status == 404
    assert response.json() == {"error": {"message": "No such resource.", "error_code": "NOT_FOUND"}}
    problem = api("GET", path, headers={"Accept": "application/problem+json"})
    assert problem.header("content-type") == "application/problem+json"
    assert problem.json()["status"] == 404


@pytest.fixture
def counted(api, monkeypatch):
    from hail.settings import get_settings

    monkeypatch.setenv("EXPOSE_DB_STATS", "true")
    get_settings.cache_clear()
    yield api
    get_settings.cache_clear()


def stats(response) -> tuple[int, int]:
    return int(response.header("x-db-round-trips")), int(response.header("x-db-items-read"))


@pytest.mark.parametrize(
    ("method", "path", "body", "budget"),
    [
        ("GET", "/v1/organisations/demo-school/styles", None, 2),
        ("GET", "/v1/organisations/demo-school/publications?limit=2", None, 3),
        ("GET", "/v1/organisations/demo-school/publications/count", None, 1),
        ("GET", "/v1/organisations/demo-school/publications/count?status=published", None, 1),
        (
            "POST",
            "/v1/organisations/demo-school/publications",
            {"title": "x", "status": "unpublished", "style_id": "magazine"},
            2,
        ),
        ("GET", "/v1/publications/draft001", None, 1),  # no featured article
        ("GET", "/v1/publications/camp2026", None, 2),  # its featured article and tags too
        ("PUT", "/v1/publications/camp2026", {"title": "y", "style_id": "magazine"}, 3),
        ("PUT", "/v1/publications/welcome1", {"status": "unpublished"}, 3),
        ("POST", "/v1/publications/camp2026/watch", None, 2),
        ("DELETE", "/v1/publications/camp2026/watch", None, 2),
    ],
)
def test_round_trip_budget(counted, method, path, body, budget):
    response = counted(method, path, json=body)
    assert response.status < 300
    round_trips, _ = stats(response)
    assert round_trips <= budget


TAGS_OF_DEMO_SCHOOL = 11  # its tag catalogue: 6 tags and 5 private tags


@pytest.mark.parametrize(
    ("limit", "featured", "rounds"),
    [(1, 0, 2), (2, 1, 3), (3, 2, 3)],  # newest first: draft001, camp2026, sports01
)
def test_a_page_reads_at_most_limit_plus_one(counted, limit, featured, rounds):
    response = counted("GET", f"/v1/organisations/demo-school/publications?limit={limit}")
    round_trips, items = stats(response)
    # 1: the caller's user and organisation items beside at most limit + 1 entries of each
    # status's index partition (2 of the 4 demo publications are of each status);
    # 2: the `limit` publications shown (alice watches none of them: no watch items);
    # 3 (if any is featured): the featured articles beside the tag catalogue.
    catalogue = TAGS_OF_DEMO_SCHOOL if featured else 0
    expected = 2 + 2 * min(limit + 1, 2) + limit + featured + catalogue
    assert (round_trips, items) == (rounds, expected)


def test_an_offset_past_the_end_reads_no_publication(counted):
    response = counted("GET", "/v1/organisations/demo-school/publications?limit=5&offset=4")
    assert response.json() == []
    assert stats(response) == (1, 2)


def test_a_count_reads_two_items_whatever_the_size(counted):
    for _ in range(3):
        counted(
            "POST",
            "/v1/organisations/demo-school/publications",
            json={"title": "x", "status": "unpublished", "style_id": "magazine"},
        )
    assert stats(counted("GET", "/v1/organisations/demo-school/publications/count")) == (1, 2)
