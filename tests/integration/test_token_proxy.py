"""The sign-in routes as deployed with Amazon Cognito: the API configured as the template
configures it for the created user pool (audience in client_id, scopes prefixed `hail/`,
client_secret_basic), in front of a fake that answers as Cognito's token endpoint does."""

import base64
from urllib.parse import urlencode

import pytest
from fakes.cognito import CLIENT_ID, CLIENT_SECRET, DOCUMENTED_ERRORS, FakeCognito, Scenario
from fakes.signin import query_of
from hail_tools import keys

SIGNED_IN = Scenario()


@pytest.fixture
def cognito(local_keys):
    with FakeCognito(local_keys.directory, slow_seconds=3) as fake:
        yield fake


@pytest.fixture
def api(gateway_with, cognito, seeded, _moto_session):
    """The API set up as for the created user pool, over the demo data, with the signed-in
    person a member of demo-school."""
    from hail.storage import accounts as accounts_db

    made = gateway_with(
        TokenAudience=CLIENT_ID,
        AudienceClaim="client_id",
        ScopePrefix="hail/",
        OAuthAuthorizeUrl=f"{cognito.url}/oauth2/authorize",
        OAuthTokenUrl=f"{cognito.url}/oauth2/token",
        OAuthClientAuth="client_secret_basic",
    )
    import os

    os.environ["OAUTH_TIMEOUT_SECONDS"] = "2"
    accounts_db.set_member("demo-school", SIGNED_IN.person.sub, "editor")
    return made


def _form(**fields: str) -> dict:
    return {
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        "body": urlencode(fields),
    }


def _exchange(api, issued_code: str, **overrides: str):
    fields = {
        "grant_type": "authorization_code",
        "code": issued_code,
        "redirect_uri": SIGNED_IN.redirect_uri,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **overrides,
    }
    return api.request("POST", "/v1/oauth/access_token", **_form(**fields))


def _code(cognito, scopes: str = "user.basic content.read") -> str:
    return cognito.issue_code(SIGNED_IN.person, SIGNED_IN.redirect_uri, scopes)


def test_authorise_sends_the_browser_to_cognito_with_prefixed_scopes(api, cognito):
    response = api.request(
        "GET",
        "/oauth/authorise?"
        + urlencode(
            {
                "client_id": CLIENT_ID,
                "redirect_uri": SIGNED_IN.redirect_uri,
                "response_type": "code",
                "scope": "user.basic content.read",
                "state": "wp-nonce-1",
            }
        ),
    )
    assert response.status == 302
    location = response.header("location")
    assert location.startswith(f"{cognito.url}/oauth2/authorize?")
    assert query_of(location) == {
        "client_id": CLIENT_ID,
        "redirect_uri": SIGNED_IN.redirect_uri,
        "response_type": "code",
        "scope": "hail/user.basic hail/content.read openid email profile",
        "state": "wp-nonce-1",
    }


def test_a_code_is_exchanged_with_client_secret_basic(api, cognito):
    # When a client exchanges a code, its credentials in the body as Hail clients send them
    response = _exchange(api, _code(cognito), code_verifier="v" * 43)
    # Then Cognito got them as HTTP Basic (form-encoded first), the rest in the form
    assert response.status == 200, response.text
    (sent,) = cognito.received
    encoded_secret = CLIENT_SECRET.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    expected = base64.b64encode(f"{CLIENT_ID}:{encoded_secret}".encode()).decode()
    assert sent.headers["authorization"] == f"Basic {expected}"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    form = sent.form()
    assert "client_secret" not in form
    assert {k: form[k] for k in ("grant_type", "client_id", "redirect_uri", "code_verifier")} == {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "redirect_uri": SIGNED_IN.redirect_uri,
        "code_verifier": "v" * 43,
    }
    # And the answer is Hail's: Hail's scope names (Cognito sends none: read from the token)
    token = response.json()
    assert set(token) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert (token["token_type"], token["expires_in"], token["scope"]) == (
        "Bearer",
        3600,
        "user.basic content.read",
    )
    assert "id_token" not in token
    assert response.header("cache-control") == "no-store"


def test_client_secret_post_when_the_provider_wants_it(gateway_with, cognito, seeded):
    api = gateway_with(
        TokenAudience=CLIENT_ID,
        AudienceClaim="client_id",
        ScopePrefix="hail/",
        OAuthTokenUrl=f"{cognito.url}/oauth2/token",
        OAuthClientAuth="client_secret_post",
    )
    assert _exchange(api, _code(cognito)).status == 200
    (sent,) = cognito.received
    assert "authorization" not in sent.headers
    assert sent.form()["client_secret"] == CLIENT_SECRET


def test_the_id_token_fills_the_profile_and_the_access_token_works(api, cognito):
    token = _exchange(api, _code(cognito)).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    me = api.request("GET", "/v1/me", headers=auth)
    assert me.status == 200, me.text
    profile = me.json()
    assert (profile["id"], profile["email"], profile["first_name"], profile["last_name"]) == (
        SIGNED_IN.person.sub,
        "mere.tane@demo-school.example",
        "Mere",
        "Tane",
    )
    assert profile["sign_up_date"] and profile["last_active_date"]
    organisations = api.request(
        "GET", f"/v1/users/{SIGNED_IN.person.sub}/organisations", headers=auth
    ).json()
    assert [(o["id"], o["role"]) for o in organisations] == [("demo-school", "editor")]


def test_an_id_token_not_from_the_issuer_changes_no_profile(api, cognito, monkeypatch):
    # Given a provider answering an ID token for another audience
    original = cognito._tokens

    def other_audience(grant, with_refresh):
        answer = original(grant, with_refresh)
        answer["id_token"] = keys.mint_token(
            grant.person.sub,
            directory=cognito.keys_dir,
            claims={"aud": "someone-else", "token_use": "id", "email": "evil@example.org"},
        )
        return answer

    monkeypatch.setattr(cognito, "_tokens", other_audience)
    # When the code is exchanged, the client still gets its tokens
    response = _exchange(api, _code(cognito))
    assert response.status == 200
    # But no profile was written from it
    from hail.storage import accounts as accounts_db

    assert (accounts_db.get_user(SIGNED_IN.person.sub) or {}).get("email") is None


def test_a_refresh_returns_the_refresh_token_sent_when_cognito_keeps_it(api, cognito):
    first = _exchange(api, _code(cognito)).json()
    response = api.request(
        "POST",
        "/v1/oauth/access_token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert response.status == 200, response.text
    refreshed = response.json()
    assert refreshed["refresh_token"] == first["refresh_token"]
    assert refreshed["access_token"] != first["access_token"]
    assert refreshed["scope"] == "user.basic content.read"


def test_refresh_scopes_are_prefixed_on_the_way_in(api, cognito):
    first = _exchange(api, _code(cognito)).json()
    api.request(
        "POST",
        "/v1/oauth/access_token",
        **_form(
            grant_type="refresh_token",
            refresh_token=first["refresh_token"],
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            scope="content.read",
        ),
    )
    assert cognito.received[-1].form()["scope"] == "hail/content.read"


@pytest.mark.parametrize(
    ("overrides", "error", "status"),
    [
        ({"client_secret": "wrong"}, "invalid_client", 401),
        ({"client_id": "other-client"}, "invalid_client", 401),
        ({"code": "spent-or-unknown"}, "invalid_grant", 400),
        ({"redirect_uri": "https://elsewhere.example/cb"}, "invalid_grant", 400),
    ],
)
def test_cognitos_errors_are_passed_on_with_a_description(api, cognito, overrides, error, status):
    response = _exchange(api, _code(cognito), **overrides)
    assert response.status == status
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]  # Cognito gives none: the documented meaning is added
    assert response.header("cache-control") == "no-store"


def test_every_documented_error_keeps_its_code(api, cognito, monkeypatch):
    for documented in DOCUMENTED_ERRORS:
        monkeypatch.setattr(cognito, "answer", lambda r, e=documented: (400, {"error": e}, {}))
        response = _exchange(api, "any")
        assert response.json()["error"] == documented
        assert response.status == (401 if documented == "invalid_client" else 400)


def test_a_code_works_once(api, cognito):
    code = _code(cognito)
    assert _exchange(api, code).status == 200
    assert _exchange(api, code).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("answer", ["server_error", "not_json", "slow"])
def test_a_broken_or_slow_provider_is_503_temporarily_unavailable(api, cognito, answer):
    cognito.then(answer)
    response = _exchange(api, _code(cognito))
    assert response.status == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.header("retry-after")
    assert response.header("cache-control") == "no-store"


def test_an_unreachable_provider_is_503(gateway_with, seeded):
    api = gateway_with(OAuthTokenUrl="http://127.0.0.1:9/oauth2/token")
    response = _exchange(api, "x")
    assert (response.status, response.json()["error"]) == (503, "temporarily_unavailable")


def test_no_code_secret_or_token_is_ever_logged(api, cognito, capfd):
    # Given a full exchange, a refresh and a refused request
    first = _exchange(api, _code(cognito)).json()
    api.request(
        "POST",
        "/v1/oauth/access_token",
        **_form(
            grant_type="refresh_token",
            refresh_token=first["refresh_token"],
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        ),
    )
    _exchange(api, "wrong-code-value-123", client_secret="wrong-secret-value-456")
    api.request("GET", f"/v1/me?access_token={first['access_token']}")
    # Then nothing secret reached the logs
    out, err = capfd.readouterr()
    logged = out + err
    refused = ["wrong-code-value-123", "wrong-secret-value-456"]
    for secret in [*cognito.issued, CLIENT_SECRET, *refused]:
        assert secret not in logged
