"""Get, edit, watch and unwatch a publication, through the real handlers."""

import pytest

NEW = {"title": "Term 4 news", "status": "unpublished", "style_id": "magazine"}


def create(api, user="alice", **fields):
    response = api(
        "POST", "/v1/organisations/demo-school/publications", user=user, json={**NEW, **fields}
    )
    assert response.status == 201, response.text
    return response.json()


class TestGet:
    def test_a_member_gets_the_publication_as_hail_documents_it(self, api):
        # When alice gets a demo publication
        response = api("GET", "/v1/publications/camp2026")
        # Then every field is there, in Hail's shapes
        assert response.status == 200
        assert response.header("content-type") == "application/json"
        body = response.json()
        created = body.pop("created_date")
        assert len(created) == 19 and created[10] == " "
        assert body.pop("updated_date") == created  # never edited
        featured = body.pop("featured_article")
        assert featured["id"] == "campkit1" and featured["status"] == "ready"
        assert featured["hail_url"] == "https://hail.test/a/campkit1"
        assert body == {
            "id": "camp2026",
            "title": "Year 9 Camp",
            "editorial": "<p>We had the best time!</p>",
            "due_date": "2026-12-05 00:00:00",
            "custom_css_url": None,
            "status": "unpublished",
            "number_of_articles": 3,
            "style": {
                "id": "newsletter",
                "name": "Newsletter",
                "description": "Clean and simple, for regular news",
                "preview_url": "https://hail.to/styles/newsletter",
                "available": True,
            },
            "url": "https://hail.test/p/camp2026",
            "watch_status": "not_watching",
            "private_tags": [],
        }
        assert response.header("etag") == '"v1"'

    def test_hal_adds_links(self, api):
        response = api(
            "GET", "/v1/publications/camp2026", headers={"Accept": "application/hal+json"}
        )
        assert response.status == 200
        assert response.header("content-type") == "application/hal+json"
        links = response.json()["_links"]
        assert links["self"] == {"href": "https://hail.test/v1/publications/camp2026"}
        assert links["watch"] == {"href": "https://hail.test/v1/publications/camp2026/watch"}
        assert links["html"]["href"] == "https://hail.test/p/camp2026"
        assert response.json()["title"] == "Year 9 Camp"

    def test_unknown_is_404_in_the_envelope(self, api):
        response = api("GET", "/v1/publications/nope0000")
        assert response.status == 404
        assert response.json() == {
            "error": {"message": "No publication with id 'nope0000'.", "error_code": "NOT_FOUND"}
        }

    def test_unknown_as_problem_details(self, api):
        response = api(
            "GET", "/v1/publications/nope0000", headers={"Accept": "application/problem+json"}
        )
        assert response.status == 404
        assert response.header("content-type") == "application/problem+json"
        assert response.json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "No publication with id 'nope0000'.",
            "error_code": "NOT_FOUND",
        }

    def test_another_organisations_publication_is_403(self, api):
        response = api("GET", "/v1/publications/othnews1")
        assert response.status == 403
        assert response.json()["error"]["error_code"] == "FORBIDDEN"


class TestEdit:
    def test_any_subset_of_fields_changes_only_those(self, api, stored):
        # Given eddie's unpublished draft
        before = api("GET", "/v1/publications/camp2026").json()
        # When eddie changes only the title
        response = api("PUT", "/v1/publications/camp2026", user="eddie", json={"title": "Camp!"})
        # Then only the title changed, and it is stored
        assert response.status == 200
        after = response.json()
        assert after["title"] == "Camp!"
        changed = ("title", "watch_status", "updated_date")
        assert {k: v for k, v in after.items() if k not in changed} == {
            k: v for k, v in before.items() if k not in changed
        }
        assert after["updated_date"] >= before["updated_date"]
        item = stored("camp2026")
        assert item["title"] == "Camp!"
        assert item["version"] == 2
        assert "search_text" not in item  # searched from the title and editorial themselves
        assert response.header("etag") == '"v2"'

    def test_a_get_body_can_be_put_back_unchanged(self, api, stored):
        got = api("GET", "/v1/publications/camp2026")
        before = stored("camp2026")
        response = api("PUT", "/v1/publications/camp2026", json=got.json())
        assert response.status == 200
        assert response.json() == got.json()
        # a PUT that changes nothing is no edit: same version, ETag and updated_date
        assert response.header("etag") == got.header("etag") == '"v1"'
        assert stored("camp2026") == before

    def test_editorial_is_sanitised_and_due_date_cleared(self, api, stored):
        response = api(
            "PUT",
            "/v1/publications/camp2026",
            json={"editorial": '<p onclick="x()">Hi<script>evil()</script></p>', "due_date": None},
        )
        assert response.status == 200
        assert response.json()["editorial"] == "<p>Hi</p>"
        assert response.json()["due_date"] is None
        assert stored("camp2026")["editorial"] == "<p>Hi</p>"

    def test_publishing_moves_the_counters(self, api, org_counts):
        assert org_counts("demo-school") == (2, 2)
        response = api(
            "PUT", "/v1/publications/camp2026", user="paula", json={"status": "published"}
        )
        assert response.status == 200
        assert response.json()["status"] == "published"
        assert org_counts("demo-school") == (3, 1)
        count = api("GET", "/v1/organisations/demo-school/publications/count?status=published")
        assert count.json() == {"count": 3}

    def test_publishing_without_a_title_is_422_and_changes_nothing(self, api, stored, org_counts):
        before = stored("draft001")
        response = api("PUT", "/v1/publications/draft001", json={"status": "published"})
        assert response.status == 422
        assert response.json()["error"]["error_code"] == "UNPROCESSABLE"
        assert response.json()["error"]["errors"] == [
            {"field": "title", "message": "required to publish"}
        ]
        assert stored("draft001") == before
        assert org_counts("demo-school") == (2, 2)

    def test_blanking_the_title_of_a_published_publication_is_422(self, api):
        response = api("PUT", "/v1/publications/welcome1", json={"title": ""})
        assert response.status == 422

    def test_changing_to_an_unavailable_style_is_422_and_changes_nothing(self, api, stored):
        before = stored("camp2026")
        response = api("PUT", "/v1/publications/camp2026", json={"style_id": "yearbook"})
        assert response.status == 422
        assert response.json()["error"]["message"] == "The style 'yearbook' is not available."
        assert stored("camp2026") == before

    def test_changing_to_an_unknown_style_is_422(self, api):
        response = api("PUT", "/v1/publications/camp2026", json={"style_id": "brochure"})
        assert response.status == 422
        assert response.json()["error"]["errors"] == [
            {"field": "style_id", "message": "unknown style"}
        ]

    def test_changing_style_snapshots_the_new_one(self, api, stored):
        response = api("PUT", "/v1/publications/camp2026", json={"style_id": "magazine"})
        assert response.status == 200
        assert response.json()["style"]["name"] == "Magazine"
        assert stored("camp2026")["style"]["id"] == "magazine"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"title": 7}, "title"),
            ({"status": "draft"}, "status"),
            ({"due_date": "tomorrow"}, "due_date"),
            ({"title": "x" * 256}, "title"),
            ({"style_id": ""}, "style_id"),
        ],
    )
    def test_schema_invalid_is_400_naming_the_field(self, api, stored, body, field):
        before = stored("camp2026")
        response = api("PUT", "/v1/publications/camp2026", json=body)
        assert response.status == 400
        error = response.json()["error"]
        assert error["error_code"] == "INVALID"
        assert [e["field"] for e in error["errors"]] == [field]
        assert stored("camp2026") == before

    @pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', ""])
    def test_malformed_body_is_400(self, api, raw):
        response = api(
            "PUT",
            "/v1/publications/camp2026",
            body=raw,
            headers={"Content-Type": "application/json"},
        )
        assert response.status == 400
        assert response.json()["error"]["error_code"] in ("BAD_REQUEST", "INVALID")

    def test_if_match_guards_against_lost_updates(self, api):
        stale = api("GET", "/v1/publications/camp2026").header("etag")
        assert (
            api(
                "PUT", "/v1/publications/camp2026", json={"title": "A"}, headers={"If-Match": stale}
            ).status
            == 200
        )
        response = api(
            "PUT", "/v1/publications/camp2026", json={"title": "B"}, headers={"If-Match": stale}
        )
        assert response.status == 412
        assert response.json()["error"]["error_code"] == "PRECONDITION_FAILED"
        assert api("GET", "/v1/publications/camp2026").json()["title"] == "A"

    def test_a_body_over_one_megabyte_is_413(self, api, stored):
        before = stored("camp2026")
        response = api(
            "PUT", "/v1/publications/camp2026", json={"editorial": "x" * (1024 * 1024 + 1)}
        )
        assert response.status == 413
        assert response.json()["error"]["error_code"] == "PAYLOAD_TOO_LARGE"
        assert stored("camp2026") == before


class TestRoles:
    def test_an_editor_may_edit_an_unpublished_publication(self, api):
        assert (
            api("PUT", "/v1/publications/camp2026", user="eddie", json={"title": "x"}).status == 200
        )

    def test_an_editor_may_not_publish(self, api, stored):
        response = api(
            "PUT", "/v1/publications/camp2026", user="eddie", json={"status": "published"}
        )
        assert response.status == 403
        assert stored("camp2026")["status"] == "unpublished"

    def test_an_editor_may_not_edit_a_published_publication(self, api):
        response = api("PUT", "/v1/publications/welcome1", user="eddie", json={"title": "x"})
        assert response.status == 403

    def test_a_publisher_may_unpublish(self, api, org_counts):
        response = api(
            "PUT", "/v1/publications/welcome1", user="paula", json={"status": "unpublished"}
        )
        assert response.status == 200
        assert org_counts("demo-school") == (1, 3)

    def test_a_viewer_may_not_edit(self, api):
        assert (
            api("PUT", "/v1/publications/camp2026", user="vera", json={"title": "x"}).status == 403
        )

    def test_an_outsider_may_not_edit(self, api):
        assert (
            api("PUT", "/v1/publications/camp2026", user="oscar", json={"title": "x"}).status == 403
        )


class TestWatch:
    def test_watch_status_is_per_caller(self, api, watch_of):
        # Given vera has never watched, and alice watches then unwatches
        assert api("POST", "/v1/publications/camp2026/watch", user="alice").status == 204
        assert api("GET", "/v1/publications/camp2026", user="alice").json()["watch_status"] == (
            "watching"
        )
        assert api("DELETE", "/v1/publications/camp2026/watch", user="alice").status == 204
        # Then each sees their own state
        assert api("GET", "/v1/publications/camp2026", user="alice").json()["watch_status"] == (
            "unwatched"
        )
        assert api("GET", "/v1/publications/camp2026", user="vera").json()["watch_status"] == (
            "not_watching"
        )
        assert watch_of("camp2026", "alice") == "unwatched"
        assert watch_of("camp2026", "vera") is None

    def test_watch_body_is_empty_and_repeatable(self, api):
        first = api("POST", "/v1/publications/camp2026/watch", user="vera")
        second = api("POST", "/v1/publications/camp2026/watch", user="vera")
        assert (first.status, first.body, second.status) == (204, b"", 204)
        assert api("GET", "/v1/publications/camp2026", user="vera").json()["watch_status"] == (
            "watching"
        )

    def test_the_creator_watches(self, api):
        pub = create(api, user="eddie")
        assert pub["watch_status"] == "watching"
        assert api("GET", f"/v1/publications/{pub['id']}", user="alice").json()["watch_status"] == (
            "not_watching"
        )

    def test_watching_does_not_change_the_version(self, api, stored):
        api("POST", "/v1/publications/camp2026/watch", user="vera")
        assert stored("camp2026")["version"] == 1

    def test_unknown_is_404_and_other_org_403(self, api):
        assert api("POST", "/v1/publications/nope0000/watch").status == 404
        assert api("DELETE", "/v1/publications/othnews1/watch").status == 403
