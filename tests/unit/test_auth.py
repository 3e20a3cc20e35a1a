"""Token verification: what is accepted, and every way a token is refused."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hail.auth import TokenVerifier
from hail.errors import Forbidden, Unauthorized
from hail.settings import Settings
from hail_tools import keys

ISS, AUD = keys.ISSUER, keys.AUDIENCE


@pytest.fixture
def verifier(local_keys) -> TokenVerifier:
    return TokenVerifier(_settings(local_keys))


def _settings(local_keys, **overrides) -> Settings:
    values = {
        "table_name": "t",
        "token_issuer": ISS,
        "token_audience": AUD,
        "jwks_url": local_keys.jwks_url,
    }
    return Settings(**{**values, **overrides})


def _sign(local_keys, claims: dict, **header) -> str:
    private = local_keys.private_key_path.read_bytes()
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": keys.KID, **header})


def _claims(**overrides) -> dict:
    now = int(time.time())
    return {
        "iss": ISS,
        "aud": AUD,
        "sub": "alice",
        "scope": "content.read",
        "exp": now + 60,
        "iat": now,
        **overrides,
    }


def test_a_valid_token_gives_the_subject_and_scopes(verifier, local_keys):
    # Given a token from the local issuer
    token = keys.mint_token(
        "alice", scope="content.read content.write", directory=local_keys.directory
    )
    # When it is verified
    principal = verifier.verify(f"Bearer {token}")
    # Then the user and scopes are those of the token
    assert principal.user_id == "alice"
    assert principal.scopes == {"content.read", "content.write"}


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "Token x.y.z"])
def test_a_missing_or_non_bearer_header_is_refused(verifier, header):
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(header)
    assert caught.value.headers["WWW-Authenticate"].startswith("Bearer")


def test_no_token_gets_a_plain_bearer_challenge(verifier):
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(None)
    assert caught.value.headers == {"WWW-Authenticate": "Bearer"}


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.", "x" * 50])
def test_a_malformed_token_is_refused(verifier, token):
    with pytest.raises(Unauthorized, match="not valid"):
        verifier.verify(f"Bearer {token}")


def test_an_expired_token_is_refused(verifier, local_keys):
    token = keys.mint_token("alice", ttl=-60, directory=local_keys.directory)
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(f"Bearer {token}")


def test_clock_skew_of_up_to_five_seconds_is_allowed(verifier, local_keys):
    now = int(time.time())
    just_expired = _sign(local_keys, _claims(exp=now - 2))
    assert verifier.verify(f"Bearer {just_expired}").user_id == "alice"
    long_expired = _sign(local_keys, _claims(exp=now - 30))
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {long_expired}")


def test_a_token_not_yet_valid_is_refused(verifier, local_keys):
    token = _sign(local_keys, _claims(nbf=int(time.time()) + 120))
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {token}")


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://evil.example/issuer"},
        {"aud": "another-api"},
        {"sub": ""},
    ],
)
def test_wrong_issuer_audience_or_subject_is_refused(verifier, local_keys, claims):
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {_sign(local_keys, _claims(**claims))}")


@pytest.mark.parametrize("missing", ["exp", "iss", "sub"])
def test_required_claims_must_be_present(verifier, local_keys, missing):
    claims = _claims()
    del claims[missing]
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {_sign(local_keys, claims)}")


def _part(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _forge(secret: bytes, header: dict, claims: dict) -> str:
    signing_input = f"{_part(json.dumps(header).encode())}.{_part(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_part(mac)}"


def test_alg_none_is_refused(verifier):
    header = _part(json.dumps({"alg": "none", "typ": "JWT", "kid": keys.KID}).encode())
    token = f"{header}.{_part(json.dumps(_claims()).encode())}."
    with pytest.raises(Unauthorized, match="algorithm"):
        verifier.verify(f"Bearer {token}")


def test_hmac_signed_with_the_public_key_is_refused(verifier, local_keys):
    # The classic algorithm-confusion attack: HS256 keyed with the issuer's public key.
    public_pem = (
        jwt.PyJWKSet.from_json(local_keys.jwks_path.read_text())
        .keys[0]
        .key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    token = _forge(public_pem, {"alg": "HS256", "typ": "JWT", "kid": keys.KID}, _claims())
    with pytest.raises(Unauthorized, match="algorithm"):
        verifier.verify(f"Bearer {token}")


def test_a_token_signed_by_another_key_is_refused(verifier):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(_claims(), other, algorithm="RS256", headers={"kid": keys.KID})
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {token}")


def test_an_unknown_key_id_is_refused(verifier, local_keys):
    token = _sign(local_keys, _claims(), kid="someone-else")
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {token}")


def test_es256_with_an_rsa_key_id_is_refused(verifier):
    other = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(_claims(), other, algorithm="ES256", headers={"kid": keys.KID})
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {token}")


def test_a_tampered_payload_is_refused(verifier, local_keys):
    token = _sign(local_keys, _claims())
    header, _payload, signature = token.split(".")
    forged = base64.urlsafe_b64encode(json.dumps(_claims(sub="mallory")).encode()).decode()
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {header}.{forged.rstrip('=')}.{signature}")


class TestCognito:
    """Cognito access tokens: audience in client_id, scopes prefixed by the resource server."""

    @pytest.fixture
    def cognito(self, local_keys) -> TokenVerifier:
        return TokenVerifier(
            _settings(
                local_keys,
                audience_claim="client_id",
                token_audience="app-client-1",
                scope_prefix="https://api.hail.test/",
            )
        )

    def _token(self, local_keys, **overrides) -> str:
        claims = _claims(
            **{
                "client_id": "app-client-1",
                "token_use": "access",
                "scope": "https://api.hail.test/content.read openid other/content.write",
                **overrides,
            }
        )
        del claims["aud"]
        return _sign(local_keys, claims)

    def test_accepted_with_prefixed_scopes_only(self, cognito, local_keys):
        principal = cognito.verify(f"Bearer {self._token(local_keys)}")
        assert principal.scopes == {"content.read"}

    def test_another_client_is_refused(self, cognito, local_keys):
        with pytest.raises(Unauthorized):
            cognito.verify(f"Bearer {self._token(local_keys, client_id='app-client-2')}")

    def test_an_id_token_is_refused(self, cognito, local_keys):
        with pytest.raises(Unauthorized, match="ID token"):
            cognito.verify(f"Bearer {self._token(local_keys, token_use='id')}")


def test_a_missing_scope_is_forbidden(verifier, local_keys):
    token = keys.mint_token("alice", scope="content.read", directory=local_keys.directory)
    principal = verifier.verify(f"Bearer {token}")
    with pytest.raises(Forbidden, match=r"content\.write"):
        principal.require("content.write")


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": str(int(time.time()) + 600)},
        {"nbf": str(int(time.time()) - 10)},
        {"iat": str(int(time.time()))},
        {"exp": True},
    ],
    ids=["exp string", "nbf string", "iat string", "exp boolean"],
)
def test_a_date_that_is_not_a_json_number_is_refused(verifier, local_keys, claims):
    # Given a token whose date claim is a JSON string (RFC 7519 wants a number)
    token = _sign(local_keys, _claims(**claims))
    # When it is verified, then it is refused
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {token}")


def test_a_fractional_expiry_is_a_number_and_accepted(verifier, local_keys):
    token = _sign(local_keys, _claims(exp=time.time() + 60.5))
    assert verifier.verify(f"Bearer {token}").user_id == "alice"


def test_the_audience_may_list_several_clients(local_keys):
    # Given an API accepting two audiences
    verifier = TokenVerifier(_settings(local_keys, token_audience=f"{AUD}, other-client"))
    # Then a token for either is accepted, and a third is refused
    for audience in (AUD, "other-client"):
        assert verifier.verify(f"Bearer {_sign(local_keys, _claims(aud=audience))}")
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {_sign(local_keys, _claims(aud='third'))}")


def test_a_route_may_accept_one_of_several_scopes(verifier, local_keys):
    token = keys.mint_token("alice", scope="user.basic", directory=local_keys.directory)
    principal = verifier.verify(f"Bearer {token}")
    principal.require("org.basic", "user.basic")  # either will do
    with pytest.raises(Forbidden, match=r"'org\.basic' or 'content\.read'"):
        principal.require("org.basic", "content.read")


def test_the_hail_token_command_defaults_to_the_five_working_scopes(verifier, local_keys):
    token = keys.mint_token("alice", directory=local_keys.directory)
    principal = verifier.verify(f"Bearer {token}")
    assert principal.scopes == {
        "user.basic",
        "org.basic",
        "content.read",
        "content.write",
        "content.connections",
    }


class TestIdTokens:
    def _id_token(self, local_keys, **overrides) -> str:
        defaults = {"aud": "demo-client", "token_use": "id", "email": "a@x.org"}
        claims = _claims(**{**defaults, **overrides})
        del claims["scope"]
        return _sign(local_keys, claims)

    def test_an_id_token_for_the_client_gives_its_claims(self, verifier, local_keys):
        claims = verifier.id_token_claims(self._id_token(local_keys), "demo-client")
        assert (claims["sub"], claims["email"]) == ("alice", "a@x.org")

    @pytest.mark.parametrize(
        "overrides",
        [
            {"aud": "another-client"},
            {"iss": "https://evil.example"},
            {"exp": int(time.time()) - 60},
            {"token_use": "access"},
            {"exp": str(int(time.time()) + 60)},
        ],
        ids=["other client", "other issuer", "expired", "access token", "exp string"],
    )
    def test_anything_else_is_refused(self, verifier, local_keys, overrides):
        with pytest.raises(ValueError):
            verifier.id_token_claims(self._id_token(local_keys, **overrides), "demo-client")

    def test_a_token_signed_by_another_key_is_refused(self, verifier):
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode(
            _claims(aud="demo-client"), other, algorithm="RS256", headers={"kid": keys.KID}
        )
        with pytest.raises(ValueError):
            verifier.id_token_claims(token, "demo-client")
