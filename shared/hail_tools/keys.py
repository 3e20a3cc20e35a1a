"""The local token issuer: one RSA key pair, made once under .local/ (git-ignored) and shared
by `make run` (which verifies against its JWKS) and `hail token` (which signs with it)."""

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hail_tools import LOCAL_DIR

ISSUER = "https://hail.local/issuer"
AUDIENCE = "hail-api"
DEFAULT_SCOPE = "user.basic org.basic content.read content.write content.connections"
KID = "hail-local-1"


@dataclass(frozen=True)
class LocalKeys:
    directory: Path

    @property
    def private_key_path(self) -> Path:
        return self.directory / "private.pem"

    @property
    def jwks_path(self) -> Path:
        return self.directory / "jwks.json"

    @property
    def jwks_url(self) -> str:
        return self.jwks_path.resolve().as_uri()


def _default_dir() -> Path:
    return Path(os.environ.get("HAIL_KEYS_DIR", LOCAL_DIR / "keys"))


def ensure_keys(directory: Path | None = None) -> LocalKeys:
    keys = LocalKeys(Path(directory) if directory else _default_dir())
    if keys.private_key_path.exists() and keys.jwks_path.exists():
        return keys
    keys.directory.mkdir(parents=True, exist_ok=True)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = keys.private_key_path.with_suffix(".tmp")
    tmp.write_bytes(pem)
    tmp.chmod(0o600)
    tmp.replace(keys.private_key_path)
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    public_jwk.update(kid=KID, use="sig", alg="RS256")
    keys.jwks_path.write_text(json.dumps({"keys": [public_jwk]}, indent=2))
    return keys


def mint_token(
    sub: str,
    scope: str = DEFAULT_SCOPE,
    ttl: int = 3600,
    *,
    directory: Path | None = None,
    claims: dict | None = None,
) -> str:
    """An access token the local server accepts; a negative ttl makes an expired one."""
    keys = ensure_keys(directory)
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub,
        "scope": scope,
        "iat": min(now, now + ttl),
        "nbf": min(now, now + ttl),
        "exp": now + ttl,
        **(claims or {}),
    }
    private = keys.private_key_path.read_bytes()
    return jwt.encode(payload, private, algorithm="RS256", headers={"kid": KID})
