"""The error envelope and Problem Details, chosen by Accept."""

import json

import pytest
from hail.errors import accepts, error_body


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/problem+json", True),
        ("application/json, application/problem+json;q=0.9", True),
        ("APPLICATION/PROBLEM+JSON", True),
        ("application/problem+json;q=0", False),
        ("application/json", False),
        (None, False),
        ("*/*", False),
    ],
)
def test_accepts(accept, expected):
    assert accepts(accept, "application/problem+json") is expected


def test_the_hail_envelope_is_the_default():
    body, media_type = error_body(404, "NOT_FOUND", "No publication with id 'x'.", None, None)
    assert media_type == "application/json"
    assert json.loads(body) == {
        "error": {"message": "No publication with id 'x'.", "error_code": "NOT_FOUND"}
    }


def test_validation_errors_are_listed_in_both_forms():
    errors = [{"field": "title", "message": "too long"}]
    body, _ = error_body(400, "INVALID", "The request failed validation.", errors, "*/*")
    assert json.loads(body)["error"]["errors"] == errors
    body, media_type = error_body(
        400, "INVALID", "The request failed validation.", errors, "application/problem+json"
    )
    assert media_type == "application/problem+json"
    assert json.loads(body) == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "The request failed validation.",
        "error_code": "INVALID",
        "errors": errors,
    }
