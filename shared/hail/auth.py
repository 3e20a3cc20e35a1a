"""Bearer tokens: JWTs verified against the issuer's JWKS, and Hail's scopes.

Only asymmetric algorithms are accepted (RS256, ES256): `none` and HMAC are refused
before any key is looked up. Cognito access tokens carry the audience in `client_id`
and resource-server-prefixed scopes; both are settings. The audience setting may list
several values (comma-separated): one per OAuth client of the issuer allowed to call.
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
USER_BASIC, ORG_BASIC, USER_MANAGE = "user.basic", "org.basic", "user.manage"
# Hail's scopes, in the order its documentation lists them (user.manage grants nothing yet).
SCOPES = (USER_BASIC, USER_MANAGE, ORG_BASIC, READ, WRITE, CONNECTIONS)
_NUMERIC_CLAIMS = ("exp", "nbf", "iat")


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    scopes: frozenset[str]

    def require(self, scope: str, *alternatives: str) -> None:
        """Refuse (403) unless the token holds `scope` or one of the alternatives."""
        if self.scopes.isdisjoint((scope, *alternatives)):
            wanted = " or ".join(f"'{s}'" for s in (scope, *alternatives))
            raise Forbidden(f"The access token lacks the {wanted} scope.")


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._keys = _key_source(settings.jwks_url)
        self._audiences = audiences(settings)

    def verify(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthorized("An access token is required.", token_given=False)
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
        return self.verify_token(token)

    def verify_token(self, token: str) -> Principal:
        """An access token given without its scheme (e.g. RFC 6750's `access_token` query
        parameter)."""
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
                audience=list(self._audiences) if s.audience_claim == "aud" else None,
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
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise Unauthorized("The access token is not valid.") from exc
        if not _numeric_dates(claims):
            raise Unauthorized("The access token is not valid.")
        if s.audience_claim == "client_id":
            if claims.get("client_id") not in self._audiences:
                raise Unauthorized("The access token is not valid.")
            if claims.get("token_use", "access") != "access":
                raise Unauthorized("An access token is required, not an ID token.")
        return claims

    def id_token_claims(self, token: str, client_id: str) -> dict:
        """The claims of an OpenID Connect ID token issued to `client_id` by the issuer
        (signature, issuer, audience and expiry checked); ValueError if it is not one."""
        s = self._settings
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALGORITHMS:
                raise ValueError("signing algorithm not accepted")
            claims: dict = jwt.decode(
                token,
                key=self._keys(header.get("kid") or ""),
                algorithms=ALGORITHMS,
                issuer=s.token_issuer,
                audience=client_id,
                leeway=s.clock_skew_seconds,
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except (jwt.PyJWTError, TypeError) as exc:
            raise ValueError(f"not a valid ID token ({type(exc).__name__})") from exc
        if not _numeric_dates(claims):
            raise ValueError("not a valid ID token (dates are not numbers)")
        if claims.get("token_use", "id") != "id":
            raise ValueError("not an ID token")
        return claims

    def _scopes(self, claims: dict) -> frozenset[str]:
        raw = claims.get("scope", claims.get("scp", ""))
        names = raw.split() if isinstance(raw, str) else [str(x) for x in raw or []]
        prefix = self._settings.scope_prefix
        if prefix:
            names = [n.removeprefix(prefix) for n in names if n.startswith(prefix)]
        return frozenset(names)


def audiences(settings: Settings) -> frozenset[str]:
    return frozenset(a.strip() for a in settings.token_audience.split(",") if a.strip())


def _numeric_dates(claims: dict) -> bool:
    """RFC 7519 NumericDate is a JSON number; PyJWT also takes numeric strings, we do not."""
    return all(
        isinstance(claims[name], int | float) and not isinstance(claims[name], bool)
        for name in _NUMERIC_CLAIMS
        if name in claims
    )


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
