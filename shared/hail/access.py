"""Who may do what in an organisation (roles), and new ids. Knows rules only."""

import secrets
import string

from hail.errors import Forbidden

ROLES = ("viewer", "editor", "publisher", "admin", "owner")
RANK = {role: rank for rank, role in enumerate(ROLES)}
ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 8


def new_id() -> str:
    """Short, random, URL-safe (36**8 ≈ 2.8e12 ids; writes check that an id is free)."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def member_role(roles: dict[str, str], org_id: str) -> str:
    """The caller's role in the organisation; 403 if they are not a member."""
    role = roles.get(org_id)
    if role not in RANK:
        raise Forbidden("You are not a member of this organisation.")
    return role


def require_role(role: str, minimum: str, action: str) -> None:
    if RANK[role] < RANK[minimum]:
        raise Forbidden(f"Your role ({role}) may not {action}.")


def at_least(role: str, minimum: str) -> bool:
    return RANK[role] >= RANK[minimum]
