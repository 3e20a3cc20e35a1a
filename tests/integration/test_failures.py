"""Failures half-way: nothing half-written, nothing internal leaked, clear answers."""

import pytest
from botocore.exceptions import ClientError
from hail import publications
from hail.storage import accounts as accounts_db
from hail.storage import base as db
from hail.storage import publications as publications_db

NEW = {"title": "x", "status": "unpublished", "style_id": "magazine"}


def test_an_unexpected_error_is_a_500_that_reveals_nothing(api, monkeypatch):
    # Given a bug deep in the data access
    def broken(**_):
        raise RuntimeError("secret table name DataTable and a stack frame")

    monkeypatch.setattr(publications_db, "fetch", broken)
    # When a client asks
    response = api("GET", "/v1/publications/camp2026")
    # Then it gets a 500 in the envelope with only a request id
    assert response.status == 500
    error = response.json()["error"]
    assert error["error_code"] == "INTERNAL"
    assert error["message"].startswith("Internal error; it has been logged (request id ")
    assert "secret" not in response.text and "DataTable" not in response.text
    assert "Traceback" not in response.text


def test_database_throttling_is_503_with_retry_after(api, monkeypatch):
    client = db.client()

    def throttled(**_):
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
            "BatchGetItem",
        )

    monkeypatch.setattr(client, "batch_get_item", throttled)
    response = api("GET", "/v1/publications/camp2026")
    assert response.status == 503
    assert response.header("retry-after") == "1"
    assert response.json()["error"]["error_code"] == "UNAVAILABLE"


def test_a_taken_id_is_never_overwritten(api, monkeypatch, stored, org_counts):
    # Given the id generator first proposes an id that is taken
    proposals = iter(["camp2026", "fresh001"])
    monkeypatch.setattr(publications, "new_id", lambda: next(proposals))
    before = stored("camp2026")
    # When a publication is created
    response = api("POST", "/v1/organisations/demo-school/publications", json=NEW)
    # Then it gets another id, and the existing one is untouched
    assert response.status == 201
    assert response.json()["id"] == "fresh001"
    assert stored("camp2026") == before
    assert org_counts("demo-school") == (2, 3)


def test_a_lost_race_changes_nothing_and_keeps_counters_exact(api, monkeypatch, stored, org_counts):
    # Given another request publishes camp2026 between our read and our write
    real_fetch = publications_db.fetch

    def racing_fetch(**kwargs):
        found = real_fetch(**kwargs)
        if found.publication and not racing_fetch.done:
            racing_fetch.done = True
            stale = found.publication
            publications_db.save(
                stale, {**stale, "status": "published", "version": stale["version"] + 1}
            )
        return found

    racing_fetch.done = False
    before = stored("camp2026")
    monkeypatch.setattr(publications_db, "fetch", racing_fetch)
    # When we publish it too, from the stale read
    response = api("PUT", "/v1/publications/camp2026", user="paula", json={"status": "published"})
    # Then we are told to retry, and the counters moved once, not twice
    assert response.status == 409
    assert response.json()["error"]["error_code"] == "CONFLICT"
    assert stored("camp2026")["version"] == before["version"] + 1
    assert org_counts("demo-school") == (3, 1)


def test_a_style_withdrawn_between_read_and_write_is_422_and_writes_nothing(
    api, monkeypatch, stored, org_counts
):
    # Given the organisation loses "newsletter" after the request has read it
    real_fetch = publications_db.fetch

    def withdrawing_fetch(**kwargs):
        found = real_fetch(**kwargs)
        accounts_db.set_org_style("demo-school", "newsletter", False)
        return found

    monkeypatch.setattr(publications_db, "fetch", withdrawing_fetch)
    response = api(
        "POST", "/v1/organisations/demo-school/publications", json={**NEW, "style_id": "newsletter"}
    )
    assert response.status == 422
    assert org_counts("demo-school") == (2, 2)
    listed = api("GET", "/v1/organisations/demo-school/publications").json()
    assert len(listed) == 4


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_non_json_body_is_400(api, content_type, org_counts):
    response = api(
        "POST",
        "/v1/organisations/demo-school/publications",
        body="title=x",
        headers={"Content-Type": content_type},
    )
    assert response.status == 400
    assert org_counts("demo-school") == (2, 2)
