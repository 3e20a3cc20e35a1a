"""Request bodies: types, lengths, dates; unknown and read-only fields ignored."""

import pytest
from hail.models import MAX_EDITORIAL, PublicationCreate, PublicationFields, parse_due_date
from pydantic import ValidationError


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2026-12-05", "2026-12-05 00:00:00"),
        ("2026-12-05 13:45:00", "2026-12-05 13:45:00"),
        ("2024-02-29", "2024-02-29 00:00:00"),
        (None, None),
        ("", None),
    ],
)
def test_due_dates_are_stored_in_the_full_form(value, stored):
    assert parse_due_date(value) == stored


@pytest.mark.parametrize(
    "value", ["2026-13-01", "2023-02-29", "05/12/2026", "2026-12-05T10:00:00Z", "2026-1-5", "soon"]
)
def test_bad_due_dates_are_refused(value):
    with pytest.raises(ValueError):
        parse_due_date(value)


def test_create_needs_status_and_style():
    with pytest.raises(ValidationError) as caught:
        PublicationCreate.model_validate({"title": "x"})
    assert {e["loc"][0] for e in caught.value.errors()} == {"status", "style_id"}


def test_unknown_and_read_only_fields_are_ignored():
    body = PublicationCreate.model_validate(
        {"status": "unpublished", "style_id": "magazine", "id": "hack", "url": "x", "whatever": 1}
    )
    assert body.model_dump() == {
        "title": None,
        "editorial": None,
        "due_date": None,
        "status": "unpublished",
        "style_id": "magazine",
        "featured_article_id": None,
        "private_tags": None,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"title": 5},
        {"title": ["a"]},
        {"status": "draft"},
        {"status": "PUBLISHED"},
        {"style_id": 3},
        {"style_id": ""},
        {"editorial": {"html": "x"}},
        {"due_date": 20261205},
        {"title": "x" * 256},
    ],
)
def test_schema_invalid_fields_are_refused(body):
    with pytest.raises(ValidationError):
        PublicationFields.model_validate(body)


def test_a_title_of_255_characters_is_accepted_and_control_characters_are_dropped():
    assert PublicationFields.model_validate({"title": "x" * 255}).title == "x" * 255
    assert PublicationFields.model_validate({"title": " Camp\x00 news\n"}).title == "Camp  news"


def test_editorial_is_sanitised_and_limited_after_sanitising():
    assert PublicationFields.model_validate(
        {"editorial": "<p>a<script>b</script></p>"}
    ).editorial == ("<p>a</p>")
    # Markup that is stripped does not count against the limit ...
    padded = "<span>" + "x" * MAX_EDITORIAL + "</span>"
    assert (
        len(PublicationFields.model_validate({"editorial": padded}).editorial or "")
        == MAX_EDITORIAL
    )
    # ... but text beyond it does.
    with pytest.raises(ValidationError):
        PublicationFields.model_validate({"editorial": "x" * (MAX_EDITORIAL + 1)})


def test_put_knows_which_fields_were_given():
    body = PublicationFields.model_validate({"title": "New", "due_date": None})
    assert body.model_fields_set == {"title", "due_date"}
