"""me, users, a user's organisations and an organisation, through the real handlers:
fields, privacy, scopes, the access_token query parameter and what each costs."""

import time

import pytest
from hail.settings import get_settings
from hail_tools import keys

AVATARS = "http://127.0.0.1:3003/avatars"
ALICE = {
    "id": "alice",
    "email": "alice.fairbairn@demo-school.example",
    "first_name": "Alice",
    "last_name": "Fairbairn",
    "avatar_url": f"{AVATARS}/users/alice.svg",
    "sign_up_date": "2025-02-03 08:30:00",
    "last_active_date": None,
    "wants_organisation_emails": True,
    "wants_promotion_emails": False,
}
DEMO_SCHOOL_PUBLIC = {
    "id": "demo-school",
    "name": "Demo School",
    "slug": "demo-school",
    "email": "office@demo-school.example",
    "website_url": "https://demo-school.example",
    "facebook_url": "https://www.facebook.com/DemoSchoolExample",
    "twitter_username": "DemoSchool",
    "youtube_url": "https://www.youtube.com/@DemoSchoolExample",
    "google_url": None,
    "privacy_policy_url": "https://demo-school.example/privacy",
    "terms_url": "https://demo-school.example/terms",
    "avatar_url": f"{AVATARS}/organisations/demo-school.svg?size=500",
    "small_avatar_url": f"{AVATARS}/organisations/demo-school.svg?size=75",
}
DEMO_SCHOOL_MEMBERS = {
    "country": {"code": "NZ", "name": "New Zealand"},
    "is_suspended": False,
    "active_subscription": True,
    "active_credit_card": False,
    "created_date": "2024-11-04 21:15:00",
}


@pytest.fixture
def db_stats(monkeypatch):
    """Responses report their DynamoDB round trips (X-Db-Round-Trips), as under make run."""
    monkeypatch.setenv("EXPOSE_DB_STATS", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class TestMe:
    def test_the_caller_gets_every_field_of_their_profile(self, api):
        # When alice asks who she is
        response = api("GET", "/v1/me")
        # Then she gets her profile, with an ETag, as plain JSON
        assert response.status == 200
        assert response.json() == ALICE
        assert response.header("content-type") == "application/json"
        assert response.header("etag").startswith('"')

    def test_a_valid_token_without_a_profile_gets_its_id_and_nulls(self, api):
        response = api("GET", "/v1/me", user="nobody")
        assert response.status == 200
        assert response.json() == {field: None for field in ALICE} | {"id": "nobody"}

    def test_hal_links_to_the_user_and_their_organisations(self, api):
        response = api("GET", "/v1/me", headers={"Accept": "application/hal+json"})
        assert response.header("content-type") == "application/hal+json"
        assert response.json()["_links"] == {
            "self": {"href": "https://hail.test/v1/users/alice"},
            "organisations": {"href": "https://hail.test/v1/users/alice/organisations"},
        }

    def test_the_etag_changes_with_the_profile(self, api):
        from hail.storage import accounts as accounts_db

        before = api("GET", "/v1/me").header("etag")
        assert api("GET", "/v1/me").header("etag") == before
        accounts_db.update_user("alice", {"last_name": "Fairbairn-Ngata"})
        assert api("GET", "/v1/me").header("etag") != before

    def test_other_methods_are_405_with_allow(self, api):
        response = api("POST", "/v1/me", json={})
        assert response.status == 405
        assert response.header("allow") == "GET"
        assert response.json()["error"]["error_code"] == "METHOD_NOT_ALLOWED"


class TestAccessTokenInTheQuery:
    """RFC 6750 §2.3: a real client (league's Hail provider) calls me?access_token=..."""

    def test_a_get_may_carry_the_token_in_access_token(self, api, token):
        bearer = token("paula").removeprefix("Bearer ")
        response = api("GET", f"/v1/me?access_token={bearer}", user=None)
        assert response.status == 200
        assert response.json()["id"] == "paula"

    def test_it_works_on_any_get_and_is_checked_like_the_header(self, api, token, local_keys):
        bearer = token("vera").removeprefix("Bearer ")
        assert api("GET", f"/v1/publications/camp2026?access_token={bearer}", user=None).status == (
            200
        )
        expired = keys.mint_token("vera", ttl=-60, directory=local_keys.directory)
        response = api("GET", f"/v1/me?access_token={expired}", user=None)
        assert response.status == 401
        assert response.header("www-authenticate").startswith("Bearer")

    def test_not_on_other_methods(self, api, token):
        bearer = token("paula").removeprefix("Bearer ")
        response = api("POST", f"/v1/publications/camp2026/watch?access_token={bearer}", user=None)
        assert response.status == 401

    def test_header_and_query_together_are_refused(self, api, token):
        bearer = token("paula").removeprefix("Bearer ")
        response = api("GET", f"/v1/me?access_token={bearer}", user="paula")
        assert response.status == 400
        assert response.json()["error"]["error_code"] == "BAD_REQUEST"

    def test_an_empty_parameter_is_no_token(self, api):
        response = api("GET", "/v1/me?access_token=", user=None)
        assert response.status == 401
        assert response.header("www-authenticate") == "Bearer"


class TestUsers:
    def test_oneself_is_the_same_as_me(self, api):
        assert api("GET", "/v1/users/alice").json() == api("GET", "/v1/me").json()

    def test_a_member_of_a_shared_organisation_gets_the_public_fields(self, api):
        response = api("GET", "/v1/users/paula", user="vera")
        assert response.status == 200
        assert response.json() == {
            "id": "paula",
            "first_name": "Paula",
            "last_name": "Ngata",
            "avatar_url": f"{AVATARS}/users/paula.svg",
        }

    @pytest.mark.parametrize(
        ("caller", "target"),
        [("alice", "oscar"), ("oscar", "alice"), ("nobody", "alice"), ("alice", "ghost")],
        ids=["other organisation", "other way round", "caller in none", "unknown user"],
    )
    def test_anyone_else_does_not_exist(self, api, caller, target):
        response = api("GET", f"/v1/users/{target}", user=caller)
        assert response.status == 404
        assert response.json()["error"]["error_code"] == "NOT_FOUND"

    def test_a_user_removed_from_the_shared_organisation_disappears(self, api):
        from hail.storage import accounts as accounts_db

        assert api("GET", "/v1/users/eddie", user="vera").status == 200
        accounts_db.set_member("demo-school", "eddie", None)
        assert api("GET", "/v1/users/eddie", user="vera").status == 404


class TestUserOrganisations:
    def test_the_callers_organisations_with_their_role(self, api):
        response = api("GET", "/v1/users/alice/organisations")
        assert response.status == 200
        assert response.json() == [DEMO_SCHOOL_PUBLIC | DEMO_SCHOOL_MEMBERS | {"role": "owner"}]

    def test_each_member_sees_their_own_role(self, api):
        for user, role in [("paula", "publisher"), ("eddie", "editor"), ("vera", "viewer")]:
            (org,) = api("GET", f"/v1/users/{user}/organisations", user=user).json()
            assert (org["id"], org["role"]) == ("demo-school", role)

    def test_a_user_in_several_organisations_gets_all_sorted_by_name(self, api):
        from hail.storage import accounts as accounts_db

        accounts_db.set_member("other-school", "alice", "editor")
        accounts_db.set_member("ghost-school", "alice", "owner")  # an organisation since deleted
        listed = api("GET", "/v1/users/alice/organisations").json()
        assert [(o["id"], o["name"], o["role"]) for o in listed] == [
            ("demo-school", "Demo School", "owner"),
            ("other-school", "Other School", "editor"),
        ]

    def test_no_organisation_is_an_empty_list(self, api):
        response = api("GET", "/v1/users/nobody/organisations", user="nobody")
        assert (response.status, response.json()) == (200, [])

    def test_another_users_list_is_403_if_visible_else_404(self, api):
        assert api("GET", "/v1/users/paula/organisations", user="vera").status == 403
        assert api("GET", "/v1/users/oscar/organisations", user="vera").status == 404
        assert api("GET", "/v1/users/ghost/organisations", user="vera").status == 404

    def test_hal_embeds_organisations(self, api):
        doc = api(
            "GET", "/v1/users/alice/organisations", headers={"Accept": "application/hal+json"}
        ).json()
        (embedded,) = doc["_embedded"]["organisations"]
        assert embedded["_links"]["self"] == {
            "href": "https://hail.test/v1/organisations/demo-school"
        }
        assert doc["_links"]["self"] == {"href": "https://hail.test/v1/users/alice/organisations"}


class TestOrganisation:
    def test_a_member_sees_the_private_fields_and_their_role(self, api):
        response = api("GET", "/v1/organisations/demo-school", user="eddie")
        assert response.status == 200
        assert response.json() == DEMO_SCHOOL_PUBLIC | DEMO_SCHOOL_MEMBERS | {"role": "editor"}
        assert response.header("etag")

    @pytest.mark.parametrize("caller", ["oscar", "nobody"])
    def test_anyone_signed_in_sees_the_public_fields_without_role(self, api, caller):
        response = api("GET", "/v1/organisations/demo-school", user=caller)
        assert response.status == 200
        assert response.json() == DEMO_SCHOOL_PUBLIC
        assert "role" not in response.json()

    def test_an_unknown_organisation_is_404(self, api):
        assert api("GET", "/v1/organisations/nowhere").status == 404

    def test_fields_never_set_are_null_and_defaults_fill_the_members_ones(self, api):
        from hail.storage import accounts as accounts_db

        accounts_db.put_organisation("bare", "Bare Org")
        accounts_db.set_member("bare", "nina", "admin")
        org = api("GET", "/v1/organisations/bare", user="nina").json()
        assert org["slug"] is None and org["avatar_url"] is None and org["country"] is None
        assert (org["is_suspended"], org["active_subscription"], org["role"]) == (
            False,
            True,
            "admin",
        )
        assert time.strftime("%Y-", time.gmtime()) in org["created_date"]

    def test_the_publication_counters_are_not_shown(self, api):
        org = api("GET", "/v1/organisations/demo-school").json()
        assert not {"n_published", "n_unpublished", "styles", "pk"} & set(org)


class TestScopes:
    """user.basic: me and users; org.basic or user.basic: an organisation."""

    @pytest.mark.parametrize("path", ["/v1/me", "/v1/users/paula", "/v1/users/alice/organisations"])
    def test_user_routes_need_user_basic(self, api, path):
        assert api("GET", path, scope="user.basic").status == 200
        refused = api("GET", path, scope="org.basic content.read content.write user.manage")
        assert refused.status == 403
        assert "user.basic" in refused.json()["error"]["message"]

    def test_an_organisation_needs_org_basic_or_user_basic(self, api):
        path = "/v1/organisations/demo-school"
        assert api("GET", path, scope="org.basic").status == 200
        assert api("GET", path, scope="user.basic").status == 200
        assert api("GET", path, scope="content.read user.manage").status == 403

    def test_content_routes_are_not_opened_by_the_account_scopes(self, api):
        path = "/v1/organisations/demo-school/publications"
        assert api("GET", path, scope="user.basic org.basic user.manage").status == 403
        assert api("GET", path, scope="content.read").status == 200

    def test_no_token_is_401(self, api):
        for path in ("/v1/me", "/v1/users/alice", "/v1/organisations/demo-school"):
            response = api("GET", path, user=None)
            assert response.status == 401
            assert response.header("www-authenticate") == "Bearer"


class TestCost:
    """At most one round trip each, two for a user's organisations."""

    @pytest.mark.parametrize(
        ("path", "trips"),
        [
            ("/v1/me", 1),
            ("/v1/users/alice", 1),
            ("/v1/users/paula", 1),
            ("/v1/users/alice/organisations", 2),
            ("/v1/users/paula/organisations", 1),
            ("/v1/organisations/demo-school", 1),
        ],
    )
    def test_round_trips(self, api, db_stats, path, trips):
        response = api("GET", path)
        assert response.status in (200, 403)
        assert response.header("x-db-round-trips") == str(trips)


@pytest.mark.parametrize(
    "path", ["/v1/me", "/v1/users/paula", "/v1/users/alice/organisations", "/v1/organisations/x"]
)
def test_every_kind_of_bad_token_is_401(seeded, local_keys, path):
    from test_authorisation import bad_tokens

    for case, authorization in bad_tokens(local_keys).items():
        headers = {"Authorization": authorization} if authorization else {}
        response = seeded.request("GET", path, headers=headers)
        assert response.status == 401, case
        assert response.header("www-authenticate").startswith("Bearer"), case
        assert response.json()["error"]["error_code"] == "UNAUTHORIZED", case
