"""Settings, validated once per cold start from the environment (see template.yaml)."""

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    table_name: str = Field(min_length=1)
    token_issuer: str = Field(min_length=1)
    token_audience: str = Field(min_length=1)
    audience_claim: Literal["aud", "client_id"] = "aud"
    scope_prefix: str = ""
    jwks_url: str = Field(min_length=1)
    public_base_url: str = ""
    # Where media files (image renditions) are served from: the CloudFront distribution.
    media_base_url: str = ""
    # Origins of browser apps allowed to call the API (comma-separated; empty: no CORS).
    cors_allow_origins: str = ""
    # Adds X-Db-Round-Trips / X-Db-Items-Read to responses (local runs and the benchmark).
    expose_db_stats: bool = False
    clock_skew_seconds: int = 5
    max_body_bytes: int = 1024 * 1024
    # Signs list cursors (every container of a deployment must share it; see template.yaml).
    cursor_secret: str = ""
    # Pushes: the queue the connections function sends to, the table only the worker reads,
    # attempts (= the queue's maxReceiveCount) and the first retry delay (doubled each time).
    push_queue_url: str = ""
    credentials_table_name: str = ""
    push_max_attempts: int = Field(default=5, ge=1)
    push_retry_base_seconds: float = Field(default=30, ge=0)
    # One exchange with a remote service, all included (SPEC: 10 s; tests shorten it).
    push_deadline_seconds: float = Field(default=10, gt=0, le=10)
    # Local development only: let pushes reach loopback, private and link-local addresses.
    allow_private_webhooks: bool = False
    # Sign-in: the identity provider's OAuth 2 endpoints (Cognito's /oauth2/authorize and
    # /oauth2/token, or the local issuer), how it wants client credentials, and the OpenID
    # scopes asked for besides Hail's (so the token answer carries an ID token).
    oauth_authorize_url: str = ""
    oauth_token_url: str = ""
    oauth_client_auth: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"
    oauth_extra_scopes: str = "openid email profile"
    oauth_timeout_seconds: float = Field(default=5, gt=0)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # values come from the environment
