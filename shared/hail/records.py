"""What is stored, as typed records: the storage package reads and writes these, the domain
modules reason about them, the routes never see them (they get views).

Dates are UTC text: `created_at`/`updated_at` with microseconds ("YYYY-MM-DD HH:MM:SS.ffffff",
so they sort and never tie), the Hail fields to the second ("YYYY-MM-DD HH:MM:SS").
"""

from typing import NotRequired, TypedDict


class StyleSnapshot(TypedDict):
    id: str
    name: str
    description: str
    preview_url: str
    available: bool


class Publication(TypedDict):
    id: str
    org_id: str
    title: str
    editorial: str
    due_date: str | None
    custom_css_url: str | None
    status: str  # published | unpublished
    style: StyleSnapshot
    articles: list[str]  # ids, in order
    featured_article_id: str | None
    private_tags: list[str]  # ids
    created_at: str
    created_by: str
    updated_at: str
    updated_by: NotRequired[str]
    version: int


class Article(TypedDict):
    id: str
    org_id: str
    title: str
    author: str
    lead: str
    body: str
    date: str
    location: str
    status: str  # draft | ready | published
    flagged: bool
    tags: list[str]  # ids (public tags)
    private_tags: list[str]  # ids
    hero_image_id: str | None
    hero_video_id: str | None
    images: list[str]  # the gallery, in order
    videos: list[str]
    created_at: str
    created_by: str
    updated_at: str
    updated_by: NotRequired[str]
    version: int


class Tag(TypedDict):
    id: str
    org_id: str
    private: bool
    name: str
    description: str
    created_at: str
    version: int
