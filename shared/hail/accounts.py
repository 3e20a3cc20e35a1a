"""Users and organisations: what a caller may see of whom. Knows rules, not HTTP or DynamoDB.

- `me` (and `users/{self}`): every user field, null where unknown.
- Another user: `id, first_name, last_name, avatar_url` to a member of one of their
  organisations; to anyone else they do not exist (404).
- `users/{id}/organisations`: the caller's own; another user's is 403 if the caller may
  see that user, else 404.
- An organisation: its public fields to anyone signed in; members also see the private
  ones and their own `role`.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hail.errors import Forbidden, NotFound
from hail.storage import accounts as accounts_db

ROLES = ("viewer", "editor", "publisher", "admin", "owner")
USER_FIELDS = (
    "id",
    "email",
    "first_name",
    "last_name",
    "avatar_url",
    "sign_up_date",
    "last_active_date",
    "wants_organisation_emails",
    "wants_promotion_emails",
)
PUBLIC_USER_FIELDS = ("id", "first_name", "last_name", "avatar_url")
ORG_FIELDS = (
    "id",
    "name",
    "slug",
    "email",
    "website_url",
    "facebook_url",
    "twitter_username",
    "youtube_url",
    "google_url",
    "privacy_policy_url",
    "terms_url",
    "avatar_url",
    "small_avatar_url",
)
# Seen by members only. Defaults for a self-hosted deployment: not suspended, subscribed,
# no credit card on file (there is no billing).
MEMBER_ORG_DEFAULTS: dict[str, Any] = {
    "country": None,
    "is_suspended": False,
    "active_subscription": True,
    "active_credit_card": False,
    "created_date": None,
}


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _roles(user: Mapping[str, Any] | None) -> dict[str, str]:
    """The user's valid memberships {org: role}."""
    roles = (user or {}).get("roles") or {}
    return {org: role for org, role in roles.items() if role in ROLES}


# ------------------------------------------------------------------ representation ---


def user_view(user_id: str, user: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a user sees of themselves (a valid token without a profile still gets its id)."""
    item = user or {}
    return {field: item.get(field) for field in USER_FIELDS} | {"id": user_id}


def public_user_view(user_id: str, user: Mapping[str, Any]) -> dict[str, Any]:
    return {field: user.get(field) for field in PUBLIC_USER_FIELDS} | {"id": user_id}


def organisation_view(org: Mapping[str, Any], role: str | None) -> dict[str, Any]:
    """The organisation's public fields; with the caller's `role`, the members' ones too
    (`role` is absent, not null, for others)."""
    view = {field: org.get(field) for field in ORG_FIELDS}
    if role is not None:
        for field, default in MEMBER_ORG_DEFAULTS.items():
            value = org.get(field)
            view[field] = default if value is None else value
        view["role"] = role
    return view


# ------------------------------------------------------------------------- reading ---


def me(user_id: str) -> dict[str, Any]:
    return user_view(user_id, accounts_db.get_user(user_id))


def user(caller_id: str, user_id: str) -> dict[str, Any]:
    if user_id == caller_id:
        return me(caller_id)
    caller, other = accounts_db.get_user_with(caller_id, other_user=user_id)
    if other is None or not _shares_an_organisation(caller, other):
        raise NotFound(f"No user with id '{user_id}'.")
    return public_user_view(user_id, other)


def _shares_an_organisation(caller: Mapping[str, Any] | None, other: Mapping[str, Any]) -> bool:
    return not _roles(caller).keys().isdisjoint(_roles(other).keys())


def user_organisations(caller_id: str, user_id: str) -> list[dict[str, Any]]:
    """The caller's organisations (two round trips: the user, then their organisations)."""
    if user_id != caller_id:
        caller, other = accounts_db.get_user_with(caller_id, other_user=user_id)
        if other is not None and _shares_an_organisation(caller, other):
            raise Forbidden("You may list only your own organisations.")
        raise NotFound(f"No user with id '{user_id}'.")
    roles = _roles(accounts_db.get_user(caller_id))
    if not roles:
        return []
    found = accounts_db.get_organisations(sorted(roles))
    views = [organisation_view(org, roles[org["id"]]) for org in found if org.get("id") in roles]
    return sorted(views, key=lambda v: (str(v["name"] or "").casefold(), v["id"]))


def organisation(caller_id: str, org_id: str) -> dict[str, Any]:
    caller, org = accounts_db.get_user_with(caller_id, org_id=org_id)
    if org is None:
        raise NotFound(f"No organisation with id '{org_id}'.")
    return organisation_view(org, _roles(caller).get(org_id))


# ------------------------------------------------------------------------ sign-in ---

# OpenID Connect claims that fill a user's profile when they sign in.
PROFILE_CLAIMS = {"email": "email", "given_name": "first_name", "family_name": "last_name"}


def signed_in(user_id: str, claims: Mapping[str, Any], at: str | None = None) -> None:
    """Record a sign-in (a code exchanged or tokens refreshed): the ID token's claims that
    are present update the profile, and the user was last active now. A first sign-in
    creates the user (no organisations yet: an administrator adds them)."""
    profile: dict[str, Any] = {
        field: claims[claim].strip()
        for claim, field in PROFILE_CLAIMS.items()
        if isinstance(claims.get(claim), str) and claims[claim].strip()
    }
    if str(claims.get("email_verified", True)).lower() == "false":
        profile.pop("email", None)  # an address nobody confirmed is not the user's
    stamp = at or now()
    profile["last_active_date"] = stamp
    accounts_db.put_user(user_id, profile, now=stamp)
