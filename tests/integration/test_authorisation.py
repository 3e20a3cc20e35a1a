"""Every route x every kind of caller: no token, bad tokens, wrong scope, outsider, each role."""

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hail_tools import keys

NEW = {"title": "Matrix", "status": "unpublished", "style_id": "magazine"}
ROLES = {"alice": "owner", "paula": "publisher", "eddie": "editor", "vera": "viewer"}
RANK = ["viewer", "editor", "publisher", "admin", "owner"]

# (method, path, scope needed, body, least role allowed, success status)
ROUTES = [
    ("GET", "/v1/organisations/demo-school/styles", "content.read", None, "viewer", 200),
    ("GET", "/v1/organisations/demo-school/publications", "content.read", None, "viewer", 200),
    (
        "GET",
        "/v1/organisations/demo-school/publications/count",
        "content.read",
        None,
        "viewer",
        200,
    ),
    ("POST", "/v1/organisations/demo-school/publications", "content.write", NEW, "editor", 201),
    ("GET", "/v1/publications/camp2026", "content.read", None, "viewer", 200),
    ("PUT", "/v1/publications/camp2026", "content.write", {"title": "Edited"}, "editor", 200),
    ("PUT", "/v1/publications/welcome1", "content.write", {"title": "Edited"}, "publisher", 200),
    ("POST", "/v1/publications/camp2026/watch", "content.write", None, "viewer", 204),
    ("DELETE", "/v1/publications/camp2026/watch", "content.write", None, "viewer", 204),
]
IDS = [f"{m} {p.split('/v1/')[1]}" for m, p, *_ in ROUTES]


def _b64(doc: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


def bad_tokens(local_keys) -> dict[str, str | None]:
    now = int(time.time())
    claims = {
        "iss": keys.ISSUER,
        "aud": keys.AUDIENCE,
        "sub": "alice",
        "exp": now + 600,
        "scope": keys.DEFAULT_SCOPE,
    }
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "no token": None,
        "malformed": "Bearer not.a.token",
        "not bearer": "Basic YWxpY2U6cGFzcw==",
        "expired": "Bearer " + keys.mint_token("alice", ttl=-60, directory=local_keys.directory),
        "bad signature": "Bearer "
        + jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": keys.KID}),
        "alg none": f"Bearer {_b64({'alg': 'none', 'kid': keys.KID})}.{_b64(claims)}.",
        "wrong issuer": "Bearer "
        + keys.mint_token(
            "alice", directory=local_keys.directory, claims={"iss": "https://evil.example"}
        ),
        "wrong audience": "Bearer "
        + keys.mint_token("alice", directory=local_keys.directory, claims={"aud": "other-api"}),
    }


@pytest.mark.parametrize(("method", "path", "scope", "body", "least", "success"), ROUTES, ids=IDS)
def test_matrix(seeded, token, local_keys, method, path, scope, body, least, success):
    def call(authorization: str | None):
        headers = {"Authorization": authorization} if authorization else {}
        return seeded.request(method, path, headers=headers, json=body)

    # Invalid credentials: 401 with a Bearer challenge, in the envelope.
    for case, authorization in bad_tokens(local_keys).items():
        response = call(authorization)
        assert response.status == 401, case
        assert response.header(
            "www-authenticate",
        ).startswith("Bearer"), case
        assert response.json()["error"]["error_code"] == "UNAUTHORIZED", case

    # A valid token without the scope: 403.
    others = " ".join(s for s in keys.DEFAULT_SCOPE.split() if s != scope)
    response = call(token("alice", scope=others))
    assert response.status == 403, "missing scope"
    assert scope in response.json()["error"]["message"]

    # Not a member: 403.
    assert call(token("oscar")).status == 403, "outsider"
    assert call(token("nobody")).status == 403, "unknown user"

    # Each role: allowed from `least` up.
    for user, role in ROLES.items():
        expected = success if RANK.index(role) >= RANK.index(least) else 403
        assert call(token(user)).status == expected, role
