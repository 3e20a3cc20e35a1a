"""Clean-up jobs a deletion left unfinished are finished on the schedule, through the real
handler; a job still young (its request may be running) is left alone."""

import json
from datetime import timedelta
from pathlib import Path

from hail_tools import template as tpl
from hail_tools.gateway import LambdaContext, import_handler

EVENT = Path(__file__).resolve().parents[2] / "events" / "housekeeping_schedule.json"


def _left_behind(tag_id: str, created_at: str) -> None:
    """Delete a tag as a request that stopped before its clean-up would have."""
    from hail.storage import jobs as jobs_db
    from hail.storage import tags as tags_db

    tag = tags_db.get(tag_id)
    assert tag is not None
    tags_db.delete(tag, jobs_db.job(f"left-{tag_id}", "untag", tag_id, tag["org_id"], created_at))


def _run(aws, gateway) -> dict:
    function = tpl.functions(aws.template, gateway.context)["HousekeepingFunction"]
    event = json.loads(EVENT.read_text())
    return import_handler(function)(event, LambdaContext(function, gateway.context, "t"))


def test_an_unfinished_untag_is_finished_and_the_article_becomes_untagged(api, aws, gateway):
    # Given "outdoors" deleted by a request that stopped before its clean-up
    _left_behind("outdoors", "2026-01-01 00:00:00.000000")
    untagged = api("GET", "/v1/organisations/demo-school/articles/count?untagged=1").json()
    # When the schedule runs
    result = _run(aws, gateway)
    # Then the job is done: camplog1 (only "outdoors") is untagged, campkit1 keeps "notices"
    assert result == {"jobs": 1, "changed": 2}
    after = api("GET", "/v1/organisations/demo-school/articles/count?untagged=1").json()
    assert after["count"] == untagged["count"] + 1
    camplog = api("GET", "/v1/articles/camplog1").json()
    assert camplog["tags"] == []
    campkit = api("GET", "/v1/articles/campkit1").json()
    assert [t["id"] for t in campkit["tags"]] == ["notices"]
    stored = aws.dynamodb.get_item(
        TableName=aws.table_name, Key={"pk": {"S": "JOB#left-outdoors"}, "sk": {"S": "JOB"}}
    )
    assert "Item" not in stored
    # And running again changes nothing
    assert _run(aws, gateway) == {"jobs": 0, "changed": 0}


def test_a_young_job_is_left_to_the_request_that_made_it(api, aws, gateway):
    from hail.models import utc_now

    # Given a job made a minute ago (its request may still be cleaning up)
    young = (utc_now() - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
    _left_behind("outdoors", young)
    # When the schedule runs, Then it leaves it
    assert _run(aws, gateway) == {"jobs": 0, "changed": 0}
    stored = aws.dynamodb.get_item(
        TableName=aws.table_name, Key={"pk": {"S": "JOB#left-outdoors"}, "sk": {"S": "JOB"}}
    )
    assert "Item" in stored


def test_a_deletion_out_of_time_leaves_its_job_and_the_schedule_finishes_it(
    api, aws, gateway, monkeypatch
):
    from hail import housekeeping, tags

    # Given a deletion whose request has no time left to clean up
    monkeypatch.setattr(tags, "CLEAN_UP_SECONDS", -1.0)
    assert api("DELETE", "/v1/tags/outdoors", user="alice").status == 204
    # Then the tag is gone from every view at once, though camplog1 still holds its id
    assert api("GET", "/v1/articles/camplog1").json()["tags"] == []
    assert api("GET", "/v1/tags/outdoors").status == 404
    untagged = api("GET", "/v1/organisations/demo-school/articles/count?untagged=1").json()
    # When the schedule runs once the job is old enough
    monkeypatch.setattr(housekeeping, "LEFT_FOR", timedelta(0))
    assert _run(aws, gateway) == {"jobs": 1, "changed": 2}
    # Then the counts follow: camplog1 is untagged now
    after = api("GET", "/v1/organisations/demo-school/articles/count?untagged=1").json()
    assert after["count"] == untagged["count"] + 1
