"""Sign-in as under `make run`: GET /oauth/authorise and POST /v1/oauth/access_token through
the real handlers, in front of the local issuer (its pages over real HTTP)."""

import base64
import json
import time

import jwt
import pytest
from fakes.signin import DEMO_CLIENT, REDIRECT_URI, http, pkce, query_of
from hail_tools import keys
from hail_tools import signin as signin_module


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _error(response) -> tuple[int, str]:
    assert response.header("cache-control") == "no-store", response.headers
    return response.status, response.json()["error"]


class TestAuthorise:
    def test_redirects_to_the_issuer_with_the_same_parameters(self, local_signin):
        _, challenge = pkce()
        # When a client sends the user to /oauth/authorise
        response = local_signin.authorise(
            client_id="demo-client",
            redirect_uri=REDIRECT_URI,
            response_type="code",
            scope="user.basic content.read",
            state="a b&c=d",
            code_challenge=challenge,
            code_challenge_method="S256",
        )
        # Then it is sent on to the issuer's authorize endpoint, parameters kept
        assert response.status == 302
        location = response.header("location")
        assert location.startswith(f"{local_signin.issuer.authorize_url}?")
        assert query_of(location) == {
            "client_id": "demo-client",
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "user.basic content.read openid email profile",
            "state": "a b&c=d",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        assert response.header("cache-control") == "no-store"

    @pytest.mark.parametrize(
        "params",
        [
            {"redirect_uri": REDIRECT_URI, "response_type": "code"},
            {"client_id": "demo-client", "response_type": "code"},
        ],
        ids=["no client_id", "no redirect_uri"],
    )
    def test_without_client_or_redirect_uri_an_error_page_and_no_redirect(
        self, local_signin, params
    ):
        response = local_signin.authorise(**params)
        assert response.status == 400
        assert response.header("location") is None
        assert response.header("content-type").startswith("text/html")
        assert "cannot be completed" in response.text

    def test_a_repeated_parameter_is_an_error_page(self, local_signin):
        response = local_signin.gateway.request(
            "GET",
            f"/oauth/authorise?client_id=demo-client&redirect_uri={REDIRECT_URI}&state=1&state=2",
        )
        assert (response.status, response.header("location")) == (400, None)

    def test_without_a_configured_provider_503(self, seeded):
        response = seeded.request("GET", "/oauth/authorise?client_id=a&redirect_uri=b")
        assert response.status == 503
        assert response.header("location") is None

    def test_no_bearer_token_is_needed_and_other_methods_are_405(self, local_signin):
        response = local_signin.gateway.request("POST", "/oauth/authorise")
        assert (response.status, response.header("allow")) == (405, "GET")


class TestTheSignInPage:
    def test_lists_the_demo_users_with_names_and_roles(self, local_signin):
        page = local_signin.sign_in_page(
            client_id="demo-client", redirect_uri=REDIRECT_URI, response_type="code", state="s"
        )
        assert page.status == 200
        assert page.header("content-type").startswith("text/html")
        for user, name, role in [
            ("alice", "Alice Fairbairn", "owner of Demo School"),
            ("paula", "Paula Ngata", "publisher of Demo School"),
            ("eddie", "Eddie Tanaka", "editor of Demo School"),
            ("vera", "Vera Lindqvist", "viewer of Demo School"),
            ("oscar", "Oscar Mbeki", "owner of Other School"),
        ]:
            assert f'name="user" value="{user}"' in page.text
            assert name in page.text and role in page.text
        assert "default-src 'none'" in page.header("content-security-policy")

    def test_an_unknown_client_gets_an_error_page_never_a_redirect(self, local_signin):
        response = http(
            "GET",
            f"{local_signin.issuer.authorize_url}?client_id=stranger&response_type=code"
            f"&redirect_uri={REDIRECT_URI}&state=s",
        )
        assert (response.status, response.header("location")) == (400, None)
        assert "client does not exist" in response.text

    @pytest.mark.parametrize(
        "redirect_uri",
        [
            "https://evil.example/callback",
            "http://127.0.0.2/callback",
            "http://localhost.evil.example/cb",
            "http://127.0.0.1:8080/cb#fragment",
            "https://localhost/cb",
        ],
    )
    def test_an_unregistered_redirect_uri_gets_an_error_page(self, local_signin, redirect_uri):
        response = local_signin.sign_in_page(
            client_id="demo-client", redirect_uri=redirect_uri, response_type="code", state="s"
        )
        assert (response.status, response.header("location")) == (400, None)

    @pytest.mark.parametrize(
        "redirect_uri",
        ["http://localhost/cb", "http://127.0.0.1:1/a/b?x=1", "http://[::1]:65535/"],
    )
    def test_the_demo_client_takes_any_loopback_redirect_uri(self, local_signin, redirect_uri):
        code = local_signin.code("vera", redirect_uri=redirect_uri)
        assert local_signin.exchange(code, redirect_uri=redirect_uri).status == 200

    @pytest.mark.parametrize(
        ("params", "error"),
        [
            ({"response_type": "token"}, "unsupported_response_type"),
            ({"scope": "user.basic studio"}, "invalid_scope"),
            ({"code_challenge": "x" * 43, "code_challenge_method": "plain"}, "invalid_request"),
            ({"code_challenge": "x" * 43}, "invalid_request"),
        ],
        ids=["response type", "scope", "pkce plain", "pkce without method"],
    )
    def test_other_errors_redirect_with_error_and_state(self, local_signin, params, error):
        query = {
            "client_id": "demo-client",
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "state": "keep-me",
            **params,
        }
        location = local_signin.authorise(**query).header("location")
        response = http("GET", location)
        assert response.status == 302
        back = response.header("location")
        assert back.startswith(REDIRECT_URI)
        assert query_of(back)["error"] == error
        assert query_of(back)["state"] == "keep-me"
        assert "code" not in query_of(back)

    def test_cancel_redirects_with_access_denied(self, local_signin):
        query = {"client_id": "demo-client", "redirect_uri": REDIRECT_URI, "state": "st"}
        location = local_signin.authorise(response_type="code", **query).header("location")
        response = local_signin.choose(None, **query_of(location))
        assert response.status == 302
        back = query_of(response.header("location"))
        assert (back["error"], back["state"], "code" in back) == ("access_denied", "st", False)

    def test_the_demo_avatars_are_served_as_svg(self, local_signin):
        response = http("GET", f"{local_signin.issuer.avatar_base}/users/alice.svg?size=64")
        assert response.status == 200
        assert response.header("content-type") == "image/svg+xml"
        assert '<svg xmlns="http://www.w3.org/2000/svg" width="64"' in response.text
        assert ">AF</text>" in response.text and "Alice Fairbairn" in response.text
        org = http("GET", f"{local_signin.issuer.avatar_base}/organisations/demo-school.svg")
        assert ">DS</text>" in org.text
        assert http("GET", f"{local_signin.issuer.avatar_base}/other/x.svg").status == 404


class TestAuthorisationCodeGrant:
    def test_a_code_is_exchanged_once_for_hail_tokens(self, local_signin):
        # Given paula signed in through the sign-in page
        code = local_signin.code("paula", scope="user.basic content.read")
        # When the client exchanges the code (form-encoded, secret in the body)
        response = local_signin.exchange(code)
        # Then it gets Hail's token answer, not to be cached
        assert response.status == 200, response.text
        token = response.json()
        assert set(token) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
        assert (token["token_type"], token["expires_in"], token["scope"]) == (
            "Bearer",
            3600,
            "user.basic content.read",
        )
        assert response.header("cache-control") == "no-store"
        # And the access token is the local issuer's, for paula, good for an hour
        claims = _claims(token["access_token"])
        expected = (keys.ISSUER, keys.AUDIENCE, "paula")
        assert (claims["iss"], claims["aud"], claims["sub"]) == expected
        assert claims["exp"] - claims["iat"] == 3600
        # And it works on the API
        me = local_signin.gateway.request(
            "GET", "/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
        assert (me.status, me.json()["id"], me.json()["first_name"]) == (200, "paula", "Paula")

    def test_the_exchange_records_the_sign_in_on_the_profile(self, local_signin):
        before = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() - 1))
        token = local_signin.exchange(local_signin.code("eddie")).json()["access_token"]
        me = local_signin.gateway.request(
            "GET", "/v1/me", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert me["last_active_date"] >= before
        assert me["sign_up_date"] == "2025-02-03 08:30:00"  # kept
        assert me["email"] == "eddie.tanaka@demo-school.example"

    def test_a_first_sign_in_creates_the_profile(self, local_signin):
        token = local_signin.exchange(local_signin.code("newcomer")).json()["access_token"]
        me = local_signin.gateway.request(
            "GET", "/v1/me", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert me["id"] == "newcomer" and me["sign_up_date"] == me["last_active_date"]
        assert me["email"] is None

    def test_json_bodies_are_accepted(self, local_signin):
        code = local_signin.code("vera")
        response = local_signin.token(
            json={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": "demo-client",
                "client_secret": "demo-secret",
            }
        )
        assert response.status == 200, response.text

    def test_http_basic_client_credentials_are_accepted(self, local_signin):
        code = local_signin.code("vera")
        basic = base64.b64encode(b"demo-client:demo-secret").decode()
        response = local_signin.token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status == 200, response.text

    def test_a_code_used_twice_is_refused_and_revokes_what_it_gave(self, local_signin):
        code = local_signin.code("alice")
        first = local_signin.exchange(code).json()
        assert _error(local_signin.exchange(code)) == (400, "invalid_grant")
        refreshed = local_signin.token(
            {
                "grant_type": "refresh_token",
                "refresh_token": first["refresh_token"],
                "client_id": "demo-client",
                "client_secret": "demo-secret",
            }
        )
        assert _error(refreshed) == (400, "invalid_grant")

    def test_an_unknown_code_is_invalid_grant(self, local_signin):
        response = local_signin.exchange("not-a-code")
        assert _error(response) == (400, "invalid_grant")
        assert response.json()["error_description"]

    def test_an_expired_code_is_invalid_grant(self, local_signin):
        code = local_signin.code("alice")
        local_signin.issuer.oauth.state.codes[code].expires_at = time.time() - 1
        assert _error(local_signin.exchange(code)) == (400, "invalid_grant")

    def test_the_redirect_uri_must_match_the_authorisation_request(self, local_signin):
        code = local_signin.code("alice")
        response = local_signin.exchange(code, redirect_uri="http://127.0.0.1:8080/other")
        assert _error(response) == (400, "invalid_grant")

    def test_pkce_the_right_verifier_is_needed(self, local_signin):
        verifier, challenge = pkce()
        extra = {"code_challenge": challenge, "code_challenge_method": "S256"}
        wrong = local_signin.code("alice", **extra)
        assert _error(local_signin.exchange(wrong, code_verifier=pkce()[0])) == (
            400,
            "invalid_grant",
        )
        missing = local_signin.code("alice", **extra)
        assert _error(local_signin.exchange(missing)) == (400, "invalid_request")
        right = local_signin.code("alice", **extra)
        assert local_signin.exchange(right, code_verifier=verifier).status == 200

    def test_a_verifier_without_a_challenge_is_refused(self, local_signin):
        code = local_signin.code("alice")
        response = local_signin.exchange(code, code_verifier=pkce()[0])
        assert _error(response) == (400, "invalid_request")

    @pytest.mark.parametrize(
        ("credentials", "status"),
        [
            ({"client_id": "demo-client", "client_secret": "wrong"}, 401),
            ({"client_id": "stranger", "client_secret": "demo-secret"}, 401),
            ({"client_id": "demo-client"}, 401),
            ({}, 401),
        ],
        ids=["wrong secret", "unknown client", "no secret", "no client"],
    )
    def test_a_bad_client_is_401_invalid_client(self, local_signin, credentials, status):
        code = local_signin.code("alice")
        response = local_signin.token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                **credentials,
            }
        )
        assert _error(response) == (status, "invalid_client")

    def test_a_wrong_basic_secret_is_401_with_a_basic_challenge(self, local_signin):
        basic = base64.b64encode(b"demo-client:wrong").decode()
        response = local_signin.token(
            {"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT_URI},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert _error(response) == (401, "invalid_client")
        assert response.header("www-authenticate").startswith("Basic")

    def test_another_clients_code_is_refused(self, local_signin):
        secret = signin_module.add_client(
            "cms", [REDIRECT_URI], path=local_signin.issuer.clients_path
        )
        code = local_signin.code("alice")  # issued to demo-client
        response = local_signin.token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": "cms",
                "client_secret": secret,
            }
        )
        assert _error(response) == (400, "invalid_grant")


class TestRequestsTheProxyRefusesItself:
    @pytest.mark.parametrize(
        ("form", "error"),
        [
            ({"code": "x"}, "invalid_request"),
            ({"grant_type": "password", "username": "a"}, "unsupported_grant_type"),
            ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
            ({"grant_type": "authorization_code"}, "invalid_request"),
            ({"grant_type": "refresh_token"}, "invalid_request"),
        ],
        ids=["no grant", "password grant", "client credentials", "no code", "no refresh token"],
    )
    def test_malformed_requests(self, local_signin, form, error):
        response = local_signin.token({**form, "client_id": "demo-client", "client_secret": "s"})
        assert _error(response) == (400, error)
        assert response.json()["error_description"]

    def test_a_repeated_parameter_is_invalid_request(self, local_signin):
        response = local_signin.gateway.request(
            "POST",
            "/v1/oauth/access_token",
            {"Content-Type": "application/x-www-form-urlencoded"},
            body="grant_type=authorization_code&code=a&code=b&client_id=demo-client",
        )
        assert _error(response) == (400, "invalid_request")

    @pytest.mark.parametrize(
        ("content_type", "body"),
        [
            ("application/json", "{not json"),
            ("application/json", '["a"]'),
            ("application/json", '{"grant_type": 1}'),
            ("text/plain", "grant_type=authorization_code"),
        ],
    )
    def test_unreadable_bodies_are_invalid_request(self, local_signin, content_type, body):
        response = local_signin.gateway.request(
            "POST", "/v1/oauth/access_token", {"Content-Type": content_type}, body=body
        )
        assert _error(response) == (400, "invalid_request")

    def test_two_ways_of_client_authentication_are_refused(self, local_signin):
        basic = base64.b64encode(b"demo-client:demo-secret").decode()
        response = local_signin.token(
            {"grant_type": "refresh_token", "refresh_token": "r", "client_secret": "demo-secret"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert _error(response) == (400, "invalid_request")

    def test_only_post_is_allowed(self, local_signin):
        response = local_signin.gateway.request("GET", "/v1/oauth/access_token")
        assert (response.status, response.header("allow")) == (405, "POST")


class TestRefreshTokenGrant:
    def _refresh(self, local_signin, refresh_token: str, **extra: str):
        return local_signin.token(
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": DEMO_CLIENT[0],
                "client_secret": DEMO_CLIENT[1],
                **extra,
            }
        )

    def test_a_refresh_gives_new_tokens_and_a_new_refresh_token(self, local_signin):
        first = local_signin.exchange(local_signin.code("paula")).json()
        response = self._refresh(local_signin, first["refresh_token"])
        assert response.status == 200, response.text
        second = response.json()
        assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
        assert second["refresh_token"] != first["refresh_token"]
        assert second["scope"] == first["scope"]
        assert _claims(second["access_token"])["sub"] == "paula"
        # The old refresh token is spent (rotated); the new one works
        assert _error(self._refresh(local_signin, first["refresh_token"])) == (400, "invalid_grant")
        assert self._refresh(local_signin, second["refresh_token"]).status == 200

    def test_a_narrower_scope_may_be_asked_for_a_wider_one_not(self, local_signin):
        first = local_signin.exchange(local_signin.code("paula", scope="user.basic content.read"))
        refresh_token = first.json()["refresh_token"]
        wider = self._refresh(local_signin, refresh_token, scope="content.write")
        assert _error(wider) == (400, "invalid_scope")
        narrower = self._refresh(local_signin, refresh_token, scope="user.basic")
        assert (narrower.status, narrower.json()["scope"]) == (200, "user.basic")

    def test_a_refresh_token_of_another_client_or_unknown_is_invalid_grant(self, local_signin):
        assert _error(self._refresh(local_signin, "made-up")) == (400, "invalid_grant")
        first = local_signin.exchange(local_signin.code("paula")).json()
        clients = local_signin.issuer.clients_path
        secret = signin_module.add_client("cms", [REDIRECT_URI], path=clients)
        response = local_signin.token(
            {
                "grant_type": "refresh_token",
                "refresh_token": first["refresh_token"],
                "client_id": "cms",
                "client_secret": secret,
            }
        )
        assert _error(response) == (400, "invalid_grant")


class TestRegisteredClients:
    def test_a_client_added_with_hail_admin_signs_in_on_its_redirect_uri_only(
        self, local_signin, monkeypatch, capsys
    ):
        from hail_tools import cli

        # Given a client registered with `hail admin client add`
        monkeypatch.setenv("HAIL_LOCAL_DIR", str(local_signin.issuer.clients_path.parent))
        registered = "https://cms.example/HailCallbackController"
        assert cli.main(["admin", "client", "add", "cms", "--redirect-uri", registered]) == 0
        out = capsys.readouterr().out
        secret = out.split("client secret: ")[1].strip()
        # When it signs a user in on that redirect URI, then it gets tokens
        code = local_signin.code("alice", client_id="cms", redirect_uri=registered)
        response = local_signin.token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": registered,
                "client_id": "cms",
                "client_secret": secret,
            }
        )
        assert response.status == 200, response.text
        # And a loopback redirect URI is not registered for it
        page = local_signin.sign_in_page(
            client_id="cms", redirect_uri=REDIRECT_URI, response_type="code"
        )
        assert (page.status, page.header("location")) == (400, None)
        # And the secret is stored only as a hash
        stored = json.loads(local_signin.issuer.clients_path.read_text())
        assert secret not in json.dumps(stored)
        assert cli.main(["admin", "client", "list"]) == 0
        assert "cms  https://cms.example/HailCallbackController" in capsys.readouterr().out


class TestARealHailClientsFirstCalls:
    """firebrandhq/silverstripe-hail (src/Api/Client.php), unchanged: a form POST to
    oauth/access_token, then GET me (reads id), then GET users/{id}/organisations (reads id
    and name); it refreshes with a form POST too."""

    def test_token_me_organisations_refresh(self, local_signin):
        code = local_signin.code("paula", scope="user.basic content.read")
        tokens = local_signin.token(
            {
                "client_id": "demo-client",
                "client_secret": "demo-secret",
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
            }
        ).json()
        assert {"access_token", "expires_in", "refresh_token"} <= set(tokens)
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        user_id = local_signin.gateway.request("GET", "/v1/me", headers=auth).json()["id"]
        organisations = local_signin.gateway.request(
            "GET", f"/v1/users/{user_id}/organisations", headers=auth
        ).json()
        assert [(o["id"], o["name"]) for o in organisations] == [("demo-school", "Demo School")]
        refreshed = local_signin.token(
            {
                "client_id": "demo-client",
                "client_secret": "demo-secret",
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
            }
        ).json()
        assert {"access_token", "expires_in", "refresh_token"} <= set(refreshed)
        articles = local_signin.gateway.request(
            "GET",
            "/v1/organisations/demo-school/publications?status=published",
            headers={"Authorization": f"Bearer {refreshed['access_token']}"},
        )
        assert articles.status == 200
