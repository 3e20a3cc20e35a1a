"""ETags and If-Match, the same for every resource: the ETag is the stored version, which a
write bumps only when it changes something."""

from typing import Any

from hail.errors import PreconditionFailed


def etag(record: Any) -> str:
    return f'"v{record["version"]}"'


def check_if_match(if_match: str | None, current: str, what: str) -> None:
    """412 if the client's If-Match names another version than the current one."""
    if if_match is None:
        return
    given = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if "*" not in given and current not in given:
        raise precondition_failed(what)


def precondition_failed(what: str) -> PreconditionFailed:
    return PreconditionFailed(f"The {what} has changed since it was read (If-Match).")
