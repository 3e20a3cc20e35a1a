"""Request bodies. Unknown and read-only fields are ignored, so a client may PUT back a GET
(references may be given as ids or as the objects GET returned)."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from hail.editorial import sanitise

MAX_TITLE = 255
MAX_LINE = 255  # author, location, tag names...
MAX_EDITORIAL = 100_000
MAX_LEAD = 10_000
MAX_BODY = 100_000
MAX_TAGS = 25  # of each kind on one article or publication
MAX_GALLERY = 50
MAX_DESCRIPTION = 1_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def utc_now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------- values ---


def _unicode(value: Any) -> Any:
    """Text must be real Unicode: a lone UTF-16 surrogate (which JSON allows) cannot be
    stored or shown, so it is refused here, with a clear message."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text (it holds a lone surrogate)") from None
    return value


def _one_line(limit: int, *, required: bool = False) -> AfterValidator:
    def clean(value: str) -> str:
        value = _CONTROL.sub(" ", value).strip()
        if required and not value:
            raise ValueError("must not be empty")
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return value

    return AfterValidator(clean)


def _html(limit: int, *, body: bool = False) -> AfterValidator:
    def clean(value: str) -> str:
        cleaned = sanitise(value, body=body)
        if len(cleaned) > limit:
            raise ValueError(f"must be at most {limit} characters after sanitising")
        return cleaned

    return AfterValidator(clean)


def parse_date(value: str | None) -> str | None:
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


parse_due_date = parse_date


def _reference(value: Any) -> Any:
    """An id, or an object with an `id` (what GET returned)."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def _valid_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError("is not an id")
    return value


Text = Annotated[str, BeforeValidator(_unicode)]
Title = Annotated[Text, _one_line(MAX_TITLE)]
Line = Annotated[Text, _one_line(MAX_LINE)]
Editorial = Annotated[Text, _html(MAX_EDITORIAL)]
Lead = Annotated[Text, _html(MAX_LEAD)]
Body = Annotated[Text, _html(MAX_BODY, body=True)]
Name = Annotated[Text, _one_line(MAX_LINE, required=True)]
Description = Annotated[Text, _one_line(MAX_DESCRIPTION)]
DateTime = Annotated[str | None, AfterValidator(parse_date)]
Id = Annotated[str, BeforeValidator(_reference), AfterValidator(_valid_id)]
Ids = Annotated[list[Id], AfterValidator(lambda ids: list(dict.fromkeys(ids)))]
StyleId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


# ------------------------------------------------------------ publications ---

PublicationStatus = Literal["published", "unpublished"]


class PublicationFields(Request):
    """The writable fields; every one optional (PUT takes any subset)."""

    title: Title | None = None
    editorial: Editorial | None = None
    due_date: DateTime = None
    status: PublicationStatus | None = None
    style_id: StyleId | None = None
    featured_article_id: Id | None = None
    private_tags: Annotated[Ids, Field(max_length=MAX_TAGS)] | None = None


class PublicationCreate(PublicationFields):
    status: PublicationStatus = Field()
    style_id: StyleId = Field()


class PublicationArticle(Request):
    article_id: Id
    position: Annotated[int, Field(ge=0)] | None = None


MAX_PUBLICATION_ARTICLES = 200
PublicationArticles = Annotated[Ids, Field(max_length=MAX_PUBLICATION_ARTICLES)]


# ---------------------------------------------------------------- articles ---

ArticleStatus = Literal["draft", "ready", "published"]


class ArticleFields(Request):
    """The writable fields of an article; every one optional (PUT takes any subset)."""

    title: Title | None = None
    author: Line | None = None
    lead: Lead | None = None
    body: Body | None = None
    date: DateTime = None
    location: Line | None = None
    status: ArticleStatus | None = None
    flagged: bool | None = None
    tags: Annotated[Ids, Field(max_length=MAX_TAGS)] | None = None
    private_tags: Annotated[Ids, Field(max_length=MAX_TAGS)] | None = None
    hero_image: Id | None = None
    hero_video: Id | None = None
    images: Annotated[Ids, Field(max_length=MAX_GALLERY)] | None = None
    videos: Annotated[Ids, Field(max_length=MAX_GALLERY)] | None = None


class ArticleCreate(ArticleFields):
    pass


# -------------------------------------------------------------------- tags ---


class TagFields(Request):
    name: Name | None = None
    description: Description | None = None


class TagCreate(TagFields):
    name: Name = Field()


# ---------------------------------------------------------------- pushes ---


class PushRequest(Request):
    connection_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    comment: Annotated[Text, StringConstraints(max_length=5000)] | None = None
