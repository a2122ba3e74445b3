"""Raw Jira JSON → Task, with hand-built dicts in both REST shapes (v3 ADF on Cloud, v2 wiki
on Data Center): people, offsets, sections, start of the current spell, human activity."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.jira.history import start_of
from connectors.jira.mapping import map_issue
from connectors.jira.values import JiraContext
from syncd.core.errors import FatalError
from syncd.core.models import Person, StatusCategory

BOT_CLOUD = Person(id="acc-bot", name="syncd")
BOT_DC = Person(id="syncd-bot", name="syncd", username="syncd-bot")
MSK = ZoneInfo("Europe/Moscow")


def ctx(cloud: bool, **kw: Any) -> JiraContext:
    return JiraContext(
        source="acme",
        server="https://acme.atlassian.net",
        cloud=cloud,
        body_format="adf" if cloud else "wiki",
        bot=BOT_CLOUD if cloud else BOT_DC,
        zone=MSK,
        **kw,
    )


def user(cloud: bool, ident: str, name: str) -> dict[str, Any]:
    return (
        {"accountId": ident, "displayName": name}
        if cloud
        else {"name": ident, "key": ident, "displayName": name}
    )


def status_move(at: str, frm: str, to: str, author: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": at,
        "created": at,
        "author": author,
        "items": [{"field": "status", "fromString": frm, "toString": to}],
    }


def issue(cloud: bool, **fields: Any) -> dict[str, Any]:
    base = {
        "summary": "Дизайн письма",
        "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
        "assignee": user(cloud, "u-des", "Дмитрий"),
        "reporter": user(cloud, "u-am", "Ольга"),
        "priority": {"name": "High"},
        "labels": ["email"],
        "components": [{"name": "Рассылки"}],
        "issuetype": {"name": "Design"},
        "project": {"key": "SHOP"},
        "created": "2026-11-16T10:00:00.000+0300",
        "updated": "2026-11-19T16:20:00.456+0300",
        "duedate": "2026-11-27",
        "resolutiondate": None,
        "description": None,
    }
    base.update(fields)
    return {"id": "10001", "key": "SHOP-1", "fields": base}


ADF_DESC = {
    "type": "doc",
    "version": 1,
    "content": [
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Цель"}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "Увеличить выручку на 15 %."}]},
        {
            "type": "heading",
            "attrs": {"level": 2},
            "content": [{"type": "text", "text": "Critères"}],
        },
    ],
}


def test_cloud_v3_issue_maps_people_by_account_id_and_reads_adf() -> None:
    comment = {
        "id": "501",
        "author": user(True, "u-des", "Дмитрий"),
        "created": "2026-11-19T16:20:00.000+0300",
        "body": {
            "type": "doc",
            "version": 1,
            "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "Чекпоинт: готово"}]}
            ],
        },
    }
    bot_comment = {**comment, "id": "502", "author": user(True, "acc-bot", "syncd")}
    task = map_issue(issue(True, description=ADF_DESC), ctx(True), [comment, bot_comment], [])
    assert task.key == "SHOP-1"
    assert task.id == "10001"
    assert task.project == "SHOP"
    assert task.url == "https://acme.atlassian.net/browse/SHOP-1"
    assert task.assignees == (Person(id="u-des", name="Дмитрий"),)
    assert task.status_category is StatusCategory.IN_PROGRESS
    assert task.due == date(2026, 11, 27)
    assert task.updated == datetime(
        2026, 11, 19, 16, 20, 0, 456000, tzinfo=timezone(timedelta(hours=3))
    )
    assert task.description_format == "adf"
    goal = task.section("goal")
    assert goal is not None
    assert "15 %" in goal.text
    assert [c.body for c in task.comments] == ["Чекпоинт: готово", "Чекпоинт: готово"]
    assert [c.is_bot for c in task.comments] == [False, True]


def test_dc_v2_issue_maps_people_by_username_and_reads_wiki() -> None:
    desc = "h2. Goal\nCollect 500 applications.\n\n*Acceptance criteria:*\n* form posts to CRM"
    task = map_issue(issue(False, description=desc, assignee=None), ctx(False), [], [])
    assert task.assignees == ()
    assert task.reporter == Person(id="u-am", name="Ольга", username="u-am")
    assert task.description_format == "wiki"
    assert {s.name for s in task.sections} == {"goal", "acceptance"}


def test_comment_with_the_marker_property_is_the_bots_but_quoted_text_is_not() -> None:
    """Only the API sets syncd's property; a person quoting the marker text in a checkpoint
    comment wrote a human comment (it must count as the checkpoint)."""
    human = user(False, "p.nair", "Priya")
    with_prop = {
        "id": "1",
        "author": human,
        "created": "2026-11-19T16:20:00.000+0530",
        "body": "Reminder",
        "properties": [{"key": "syncd", "value": {"marker": "x"}}],
    }
    with_text = {
        "id": "2",
        "author": human,
        "created": "2026-11-19T16:20:00.000+0530",
        "body": "Checkpoint: done as asked in syncd:SHOP-1:checkpoint",
    }
    plain = {
        "id": "3",
        "author": human,
        "created": "2026-11-19T16:20:00.000+0530",
        "body": "Status: ok",
    }
    task = map_issue(issue(False), ctx(False), [with_prop, with_text, plain], [])
    assert [c.is_bot for c in task.comments] == [True, False, False]
    assert task.comments[0].created.utcoffset() == timedelta(hours=5, minutes=30)


def test_start_date_field_wins_and_starts_at_midnight_in_the_calendar_zone() -> None:
    task = map_issue(
        issue(True, customfield_10015="2026-11-17"),
        ctx(True, start_field="customfield_10015"),
        [],
        [status_move("2026-11-18T09:00:00.000+0300", "To Do", "In Progress")],
    )
    assert task.start == datetime(2026, 11, 17, tzinfo=MSK)


def test_start_is_the_first_entry_into_progress_after_the_last_exit_from_done() -> None:
    histories = [
        status_move("2026-11-10T09:00:00.000+0300", "To Do", "In Progress"),
        status_move("2026-11-11T09:00:00.000+0300", "In Progress", "In Review"),
        status_move("2026-11-12T09:00:00.000+0300", "In Review", "Done"),
        status_move("2026-11-20T09:00:00.000+0300", "Done", "Reopened"),
        status_move("2026-11-21T12:00:00.000+0300", "Reopened", "In Progress"),
        status_move("2026-11-22T12:00:00.000+0300", "In Progress", "To Do"),
        status_move("2026-11-23T12:00:00.000+0300", "To Do", "In Progress"),
    ]
    # Newest first, as the embedded changelog comes: order must not matter.
    assert start_of(list(reversed(histories)), ctx(True)) == datetime(2026, 11, 21, 12, tzinfo=MSK)
    assert start_of(histories[:3], ctx(True)) == datetime(2026, 11, 10, 9, tzinfo=MSK)
    straight = [*histories[:3], status_move("2026-11-20T09:00:00.000+0300", "Done", "In Progress")]
    assert start_of(straight, ctx(True)) == datetime(2026, 11, 20, 9, tzinfo=MSK)
    assert start_of([], ctx(True)) is None
    assert start_of(histories[:4], ctx(True)) is None  # reopened, not started again yet


def test_site_status_categories_beat_default_names() -> None:
    custom = ctx(True, status_categories={"в работе": StatusCategory.IN_PROGRESS})
    moves = [status_move("2026-11-10T09:00:00.000+0300", "Бэклог", "В работе")]
    assert start_of(moves, custom) == datetime(2026, 11, 10, 9, tzinfo=MSK)
    assert start_of(moves, ctx(True)) is None


def test_activity_keeps_human_field_changes_and_marks_the_bots() -> None:
    bot = user(True, "acc-bot", "syncd")
    human = user(True, "u-am", "Ольга")
    histories = [
        {
            "created": "2026-11-20T10:00:00.000+0300",
            "author": human,
            "items": [{"field": "duedate"}, {"field": "Sprint"}],
        },
        {"created": "2026-11-20T11:00:00.000+0300", "author": bot, "items": [{"field": "labels"}]},
        {"created": "2026-11-20T12:00:00.000+0300", "author": human, "items": [{"field": "Rank"}]},
    ]
    task = map_issue(issue(True), ctx(True), [], histories)
    assert [(a.field, a.is_bot, a.author.id if a.author else None) for a in task.activity] == [
        ("due", False, "u-am"),
        ("labels", True, "acc-bot"),
    ]


def test_bad_timestamp_names_the_issue_and_field() -> None:
    with pytest.raises(FatalError, match=r"issue SHOP-1\.fields\.created"):
        map_issue(issue(True, created="yesterday"), ctx(True), [], [])
    with pytest.raises(FatalError, match="without offset"):
        map_issue(issue(True, created="2026-11-16T10:00:00"), ctx(True), [], [])
