"""Styles; list, count and create publications, through the real handlers."""

from urllib.parse import parse_qs, urlparse

import pytest

ORG = "/v1/organisations/demo-school"
NEW = {"title": "Term 4 news", "status": "unpublished", "style_id": "magazine"}


def titles(response) -> list[str]:
    assert response.status == 200, response.text
    return [p["title"] for p in response.json()]


def next_link(response) -> str | None:
    link = response.header("link")
    if link is None:
        return None
    assert link.startswith("<https://hail.test/v1/") and link.endswith('>; rel="next"')
    return link[1 : link.index(">")].removeprefix("https://hail.test")


class TestStyles:
    def test_lists_the_organisations_styles_with_availability(self, api):
        response = api("GET", f"{ORG}/styles", user="vera")
        assert response.status == 200
        assert [(s["id"], s["available"]) for s in response.json()] == [
            ("magazine", True),
            ("newsletter", True),
            ("yearbook", False),
        ]
        assert response.json()[0] == {
            "id": "magazine",
            "name": "Magazine",
            "description": "A photographic awesomeness",
            "preview_url": "https://hail.to/styles/magazine",
            "available": True,
        }

    def test_hal_embeds_styles(self, api):
        response = api("GET", f"{ORG}/styles", headers={"Accept": "application/hal+json"})
        doc = response.json()
        assert [s["id"] for s in doc["_embedded"]["styles"]] == [
            "magazine",
            "newsletter",
            "yearbook",
        ]
        assert doc["_links"]["self"] == {"href": f"https://hail.test{ORG}/styles"}

    def test_unknown_org_404_and_outsider_403(self, api):
        assert api("GET", "/v1/organisations/nowhere/styles").status == 404
        assert api("GET", f"{ORG}/styles", user="oscar").status == 403


class TestCreate:
    def test_created_publication_is_returned_stored_and_counted(
        self, api, stored, org_counts, watch_of
    ):
        # When paula creates a publication
        response = api(
            "POST",
            f"{ORG}/publications",
            user="paula",
            json={**NEW, "editorial": "<p>Hello <em>there</em></p>", "due_date": "2026-12-24"},
        )
        # Then it comes back whole, with a Location, and is stored and counted
        assert response.status == 201
        body = response.json()
        assert body["title"] == "Term 4 news"
        assert body["editorial"] == "<p>Hello there</p>"
        assert body["due_date"] == "2026-12-24 00:00:00"
        assert body["status"] == "unpublished"
        assert body["style"]["id"] == "magazine"
        assert body["watch_status"] == "watching"
        assert body["url"] == f"https://hail.test/p/{body['id']}"
        assert len(body["id"]) == 8 and body["id"].isalnum() and body["id"].islower()
        assert response.header("location") == f"https://hail.test/v1/publications/{body['id']}"
        item = stored(body["id"])
        assert item["org_id"] == "demo-school"
        assert item["created_by"] == "paula"
        assert watch_of(body["id"], "paula") == "watching"
        assert org_counts("demo-school") == (2, 3)
        assert api("GET", f"/v1/publications/{body['id']}").json()["title"] == "Term 4 news"

    def test_title_and_editorial_are_optional(self, api):
        response = api(
            "POST", f"{ORG}/publications", json={"status": "unpublished", "style_id": "newsletter"}
        )
        assert response.status == 201
        assert (response.json()["title"], response.json()["editorial"]) == ("", "")

    def test_publishing_at_create_needs_a_title(self, api, org_counts):
        response = api(
            "POST", f"{ORG}/publications", json={"status": "published", "style_id": "magazine"}
        )
        assert response.status == 422
        assert org_counts("demo-school") == (2, 2)

    def test_a_publisher_may_create_published(self, api, org_counts):
        response = api(
            "POST", f"{ORG}/publications", user="paula", json={**NEW, "status": "published"}
        )
        assert response.status == 201
        assert org_counts("demo-school") == (3, 2)

    @pytest.mark.parametrize(
        ("style", "message"),
        [
            ("yearbook", "The style 'yearbook' is not available yet."),
            ("brochure", "The style 'brochure' is not one of the organisation's styles."),
        ],
    )
    def test_an_unavailable_or_unknown_style_is_422(self, api, org_counts, style, message):
        response = api("POST", f"{ORG}/publications", json={**NEW, "style_id": style})
        assert response.status == 422
        assert response.json()["error"]["message"] == message
        assert org_counts("demo-school") == (2, 2)

    @pytest.mark.parametrize(
        ("body", "fields"),
        [
            ({}, ["status", "style_id"]),
            ({"status": "unpublished"}, ["style_id"]),
            ({**NEW, "status": "live"}, ["status"]),
            ({**NEW, "title": None, "due_date": "2026-02-30"}, ["due_date"]),
            ({**NEW, "title": ["x"]}, ["title"]),
        ],
    )
    def test_schema_invalid_is_400_with_every_field(self, api, org_counts, body, fields):
        response = api("POST", f"{ORG}/publications", json=body)
        assert response.status == 400
        error = response.json()["error"]
        assert error["error_code"] == "INVALID"
        assert [e["field"] for e in error["errors"]] == fields
        assert org_counts("demo-school") == (2, 2)

    def test_unknown_and_read_only_fields_are_ignored(self, api):
        response = api(
            "POST",
            f"{ORG}/publications",
            json={**NEW, "id": "chosen1", "url": "x", "watch_status": "y", "extra": 1},
        )
        assert response.status == 201
        assert response.json()["id"] != "chosen1"

    def test_malformed_json_is_400(self, api):
        response = api(
            "POST",
            f"{ORG}/publications",
            body='{"status": ',
            headers={"Content-Type": "application/json"},
        )
        assert response.status == 400
        assert response.json() == {
            "error": {"message": "The request body is not valid JSON.", "error_code": "BAD_REQUEST"}
        }

    def test_over_one_megabyte_is_413(self, api, org_counts):
        response = api("POST", f"{ORG}/publications", json={**NEW, "editorial": "x" * 1_100_000})
        assert response.status == 413
        assert org_counts("demo-school") == (2, 2)

    @pytest.mark.parametrize(
        ("user", "status"),
        [("eddie", "published"), ("vera", "unpublished"), ("oscar", "unpublished")],
    )
    def test_roles(self, api, org_counts, user, status):
        response = api("POST", f"{ORG}/publications", user=user, json={**NEW, "status": status})
        assert response.status == 403
        assert org_counts("demo-school") == (2, 2)

    def test_unknown_organisation_is_404(self, api):
        assert api("POST", "/v1/organisations/nowhere/publications", json=NEW).status == 404


@pytest.fixture
def many(api):
    """Twelve more publications with varied titles, dates and statuses (16 in all)."""
    specs = [
        ("apple", "2026-01-05", "published"),
        ("Banana", None, "unpublished"),
        ("cherry", "2026-03-01", "unpublished"),
        ("Date", "2025-12-31", "published"),
        ("elder", None, "published"),
        ("Fig", "2026-03-01", "unpublished"),
        ("grape", "2027-01-01", "published"),
        ("Honeydew", None, "unpublished"),
        ("iceberg", "2026-06-30", "published"),
        ("Jackfruit", "2026-02-14", "unpublished"),
        ("kiwi", None, "published"),
        ("Lime", "2026-05-05", "published"),
    ]
    for title, due, status in specs:
        response = api(
            "POST",
            f"{ORG}/publications",
            user="paula",
            json={
                "title": title,
                "due_date": due,
                "status": status,
                "style_id": "magazine",
                "editorial": f"<p>All about <b>{title.upper()}</b> fruit</p>",
            },
        )
        assert response.status == 201
    return specs


class TestList:
    def test_default_is_newest_first_and_whole(self, api, many):
        response = api("GET", f"{ORG}/publications")
        names = titles(response)
        assert len(names) == 16
        assert names[:3] == ["Lime", "kiwi", "Jackfruit"]
        assert response.header("link") is None

    def test_title_order_is_case_insensitive(self, api, many):
        names = titles(api("GET", f"{ORG}/publications?order=title"))
        assert names == sorted(names, key=str.casefold)
        names_desc = titles(api("GET", f"{ORG}/publications?order=title|desc"))
        assert names_desc == list(reversed(names))

    @pytest.mark.parametrize("direction", ["asc", "desc"])
    def test_undated_publications_sort_last_both_ways(self, api, many, direction):
        pubs = api("GET", f"{ORG}/publications?order=due_date|{direction}").json()
        dates = [p["due_date"] for p in pubs]
        dated = [d for d in dates if d]
        assert dates[: len(dated)] == sorted(dated, reverse=direction == "desc")
        assert dates[len(dated) :] == [None] * (len(dates) - len(dated))
        assert len(dated) == 11  # 3 demo + 8 of the fixture

    @pytest.mark.parametrize("direction", ["asc", "desc"])
    @pytest.mark.parametrize("order", ["title", "due_date", "created_date"])
    @pytest.mark.parametrize("status", [None, "published", "unpublished"])
    def test_cursor_pages_add_up_to_the_whole_list(self, api, many, order, direction, status):
        query = f"order={order}|{direction}" + (f"&status={status}" if status else "")
        whole = [p["id"] for p in api("GET", f"{ORG}/publications?{query}").json()]
        paged, path = [], f"{ORG}/publications?{query}&limit=5"
        while path:
            response = api("GET", path)
            assert response.status == 200
            paged += [p["id"] for p in response.json()]
            path = next_link(response)
            if path:
                kept = parse_qs(urlparse(path).query)
                assert kept["order"] == [f"{order}|{direction}"]
                assert kept["limit"] == ["5"]
        assert paged == whole
        assert len(whole) == {None: 16, "published": 9, "unpublished": 7}[status]

    def test_numeric_offset_skips(self, api, many):
        whole = titles(api("GET", f"{ORG}/publications?order=title"))
        page = titles(api("GET", f"{ORG}/publications?order=title&limit=4&offset=6"))
        assert page == whole[6:10]
        assert titles(api("GET", f"{ORG}/publications?order=title&limit=4&offset=40")) == []
        assert titles(api("GET", f"{ORG}/publications?limit=4&offset=50000")) == []
        assert titles(api("GET", f"{ORG}/publications?limit=4&offset=8&status=unpublished")) == []

    def test_status_filter(self, api, many):
        pubs = api("GET", f"{ORG}/publications?status=unpublished").json()
        assert {p["status"] for p in pubs} == {"unpublished"} and len(pubs) == 7

    @pytest.mark.parametrize(
        ("search", "expected"),
        [
            ("APPLE", ["apple"]),
            ("an", ["Banana"]),
            ("fruit", None),  # in every editorial of the fixture
            ("best time", ["Year 9 Camp"]),  # editorial text only
            ("<b>", []),  # markup is not text
            ("zzz", []),
        ],
    )
    def test_search_title_and_editorial_text(self, api, many, search, expected):
        found = titles(api("GET", f"{ORG}/publications?order=title&search={search}"))
        if expected is None:
            assert len(found) == 12
        else:
            assert found == expected
        count = api("GET", f"{ORG}/publications/count?search={search}").json()["count"]
        assert count == len(found)

    def test_search_pages_with_cursors(self, api, many):
        first = api("GET", f"{ORG}/publications?search=fruit&order=title&limit=5")
        assert titles(first) == ["apple", "Banana", "cherry", "Date", "elder"]
        second = api("GET", next_link(first))
        assert titles(second) == ["Fig", "grape", "Honeydew", "iceberg", "Jackfruit"]

    def test_hal_list_has_embedded_and_next(self, api, many):
        response = api(
            "GET",
            f"{ORG}/publications?limit=3&order=title",
            headers={"Accept": "application/hal+json"},
        )
        doc = response.json()
        assert [p["title"] for p in doc["_embedded"]["publications"]] == ["", "apple", "Banana"]
        assert doc["_embedded"]["publications"][1]["_links"]["self"]["href"].startswith(
            "https://hail.test/v1/publications/"
        )
        assert doc["_links"]["next"]["href"] == response.header("link")[1:].split(">")[0]

    def test_unknown_parameters_are_ignored(self, api):
        response = api("GET", f"{ORG}/publications?short_gallery_limit=3&foo=bar")
        assert len(titles(response)) == 4

    def test_an_updated_window_needs_both_ends(self, api):
        response = api("GET", f"{ORG}/publications?updated_start=2020-01-01%2000:00:00")
        assert response.status == 400
        assert "'updated_start' and 'updated_end'" in response.json()["error"]["message"]

    @pytest.mark.parametrize(
        ("query", "parameter"),
        [
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("limit=abc", "limit"),
            ("limit=-1", "limit"),
            ("offset=5", "offset"),
            ("limit=5&offset=-3", "offset"),
            ("limit=5&offset=bogus!", "offset"),
            ("order=name", "order"),
            ("order=title|up", "order"),
            ("status=draft", "status"),
        ],
    )
    def test_malformed_parameters_are_400_naming_them(self, api, query, parameter):
        response = api("GET", f"{ORG}/publications?{query}")
        assert response.status == 400
        assert response.json()["error"]["error_code"] == "BAD_REQUEST"
        assert f"'{parameter}'" in response.json()["error"]["message"]

    def test_a_cursor_from_another_query_is_400(self, api, many):
        first = api("GET", f"{ORG}/publications?order=title&limit=2")
        cursor = parse_qs(urlparse(next_link(first)).query)["offset"][0]
        response = api("GET", f"{ORG}/publications?order=due_date&limit=2&offset={cursor}")
        assert response.status == 400
        other = api(
            "GET",
            f"/v1/organisations/other-school/publications?order=title&limit=2&offset={cursor}",
            user="oscar",
        )
        assert other.status == 400

    def test_outsider_403_unknown_404(self, api):
        assert api("GET", f"{ORG}/publications", user="oscar").status == 403
        assert api("GET", "/v1/organisations/nowhere/publications").status == 404


class TestCount:
    def test_counts_by_status(self, api, many):
        assert api("GET", f"{ORG}/publications/count").json() == {"count": 16}
        assert api("GET", f"{ORG}/publications/count?status=published").json() == {"count": 9}
        assert api("GET", f"{ORG}/publications/count?status=unpublished").json() == {"count": 7}

    def test_limit_offset_order_are_ignored(self, api):
        response = api("GET", f"{ORG}/publications/count?limit=1&offset=2&order=title")
        assert response.json() == {"count": 4}

    def test_bad_status_is_400(self, api):
        assert api("GET", f"{ORG}/publications/count?status=x").status == 400

    def test_hal(self, api):
        doc = api(
            "GET", f"{ORG}/publications/count", headers={"Accept": "application/hal+json"}
        ).json()
        assert doc == {
            "count": 4,
            "_links": {"self": {"href": f"https://hail.test{ORG}/publications/count"}},
        }
