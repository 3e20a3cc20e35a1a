"""Request bodies. Unknown and read-only fields are ignored, so a client may PUT back a GET."""

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from hail.editorial import sanitise

Status = Literal["published", "unpublished"]
MAX_TITLE = 255
MAX_EDITORIAL = 100_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


StyleId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def parse_due_date(value: str | None) -> str | None:
    """`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS` (UTC), returned in the full form."""
    if value is None or value == "":
        return None
    if not _DATE.match(value):
        raise ValueError("must be a date as YYYY-MM-DD (or YYYY-MM-DD HH:MM:SS)")
    fmt = "%Y-%m-%d %H:%M:%S" if " " in value else "%Y-%m-%d"
    try:
        return datetime.strptime(value, fmt).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise ValueError("is not a real calendar date") from None


def utc_now() -> datetime:
    return datetime.now(UTC)


class PublicationFields(BaseModel):
    """The writable fields; every one optional (PUT takes any subset)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    title: str | None = None
    editorial: str | None = None
    due_date: str | None = None
    status: Status | None = None
    style_id: StyleId | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = _CONTROL.sub(" ", value).strip()
        if len(value) > MAX_TITLE:
            raise ValueError(f"must be at most {MAX_TITLE} characters")
        return value

    @field_validator("editorial")
    @classmethod
    def _editorial(cls, value: str | None) -> str | None:
        if value is None:
            return None
        clean = sanitise(value)
        if len(clean) > MAX_EDITORIAL:
            raise ValueError(f"must be at most {MAX_EDITORIAL} characters after sanitising")
        return clean

    @field_validator("due_date")
    @classmethod
    def _due(cls, value: str | None) -> str | None:
        return parse_due_date(value)


class PublicationCreate(PublicationFields):
    status: Status = Field()
    style_id: StyleId = Field()


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    connection_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    comment: Annotated[str, StringConstraints(max_length=5000)] | None = None
