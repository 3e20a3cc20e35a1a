"""Bearer tokens: JWTs verified against the issuer's JWKS, and Hail's scopes.

Only asymmetric algorithms are accepted (RS256, ES256): `none` and HMAC are refused
before any key is looked up. Cognito access tokens carry the audience in `client_id`
and resource-server-prefixed scopes; both are settings.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import jwt

from hail.errors import Forbidden, Unauthorized, Unavailable
from hail.settings import Settings, get_settings

ALGORITHMS = ["RS256", "ES256"]
READ, WRITE, CONNECTIONS = "content.read", "content.write", "content.connections"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"The access token lacks the '{scope}' scope.")


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._keys = _key_source(settings.jwks_url)

    def verify(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthorized("An access token is required.", token_given=False)
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
        claims = self._decode(token)
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthorized("The access token has no subject.")
        return Principal(user_id=sub, scopes=self._scopes(claims))

    def _decode(self, token: str) -> dict:
        s = self._settings
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALGORITHMS:
                raise Unauthorized("The access token's signing algorithm is not accepted.")
            key = self._keys(header.get("kid") or "")
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                issuer=s.token_issuer,
                audience=s.token_audience if s.audience_claim == "aud" else None,
                leeway=s.clock_skew_seconds,
                options={
                    "require": ["exp", "iss", "sub"],
                    "verify_aud": s.audience_claim == "aud",
                },
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise Unavailable("The token issuer's keys could not be fetched.") from exc
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The access token has expired.") from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise Unauthorized("The access token is not valid.") from exc
        if s.audience_claim == "client_id":
            if claims.get("client_id") != s.token_audience:
                raise Unauthorized("The access token is not valid.")
            if claims.get("token_use", "access") != "access":
                raise Unauthorized("An access token is required, not an ID token.")
        return claims

    def _scopes(self, claims: dict) -> frozenset[str]:
        raw = claims.get("scope", claims.get("scp", ""))
        names = raw.split() if isinstance(raw, str) else [str(x) for x in raw or []]
        prefix = self._settings.scope_prefix
        if prefix:
            names = [n.removeprefix(prefix) for n in names if n.startswith(prefix)]
        return frozenset(names)


def _key_source(url: str) -> Callable[[str], jwt.PyJWK]:
    """Signing keys by `kid`. An https JWKS is cached for the container's life (an unknown
    `kid` refetches it); a file:// JWKS (local development) is read once."""
    if url.startswith("file://"):
        jwks = jwt.PyJWKSet.from_json(Path(url2pathname(urlparse(url).path)).read_text())

        def from_file(kid: str) -> jwt.PyJWK:
            for key in jwks.keys:
                if key.key_id == kid:
                    return key
            raise jwt.PyJWKClientError(f"Unknown key id {kid!r}")

        return from_file
    client = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)
    return client.get_signing_key


@lru_cache(maxsize=1)
def get_verifier() -> TokenVerifier:
    return TokenVerifier(get_settings())
