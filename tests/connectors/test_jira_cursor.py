"""The Jira watermark cursor with plain data: minute literals in the profile zone, de-dup on
(id, updated), no stall on equal timestamps, results that move while we page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.jira.cursor import Cursor, Poll, floor_minute, jql_literal
from connectors.jira.search import incremental_jql
from syncd.core.errors import FatalError

MSK = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 11, 23, 10, 15, 30, 123000, tzinfo=MSK)
OVERLAP = timedelta(minutes=2)


def run_poll(poll: Poll, pages: list[list[tuple[str, datetime]]]) -> tuple[list[str], list[Cursor]]:
    """Feed pages of (id, updated) to ``poll``; return the new ids and each page's cursor."""
    new: list[str] = []
    cursors: list[Cursor] = []
    for page in pages:
        new += [i for i, u in page if poll.is_new(i, u)]
        cursors.append(poll.end_page())
    return new, cursors


def test_literal_is_floored_and_written_in_the_profile_zone() -> None:
    utc_moment = datetime(2026, 11, 23, 7, 15, 59, 999000, tzinfo=ZoneInfo("UTC"))
    assert jql_literal(utc_moment, MSK) == "2026/11/23 10:15"
    assert jql_literal(utc_moment, ZoneInfo("Asia/Kolkata")) == "2026/11/23 12:45"
    assert floor_minute(T0) == datetime(2026, 11, 23, 10, 15, tzinfo=MSK)


def test_literal_in_a_repeated_dst_hour_is_never_later_than_the_moment() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 2026-10-25 02:30 happens twice in Berlin; take the second one (fold=1, 00:30 UTC).
    second = datetime(2026, 10, 25, 0, 30, tzinfo=ZoneInfo("UTC"))
    literal = jql_literal(second, berlin)
    wall = datetime.strptime(literal, "%Y/%m/%d %H:%M")
    for fold in (0, 1):
        assert wall.replace(tzinfo=berlin, fold=fold) <= second


def test_incremental_jql_wraps_scope_and_orders_stably() -> None:
    jql = incremental_jql("project = SHOP ORDER BY created DESC", T0 - OVERLAP, MSK)
    assert jql == (
        '(project = SHOP) AND updated >= "2026/11/23 10:13" ORDER BY updated ASC, key ASC'
    )
    assert incremental_jql("project in (A, B)", None, MSK) == (
        "(project in (A, B)) ORDER BY updated ASC, key ASC"
    )


def test_150_issues_in_one_minute_neither_stall_nor_repeat() -> None:
    same = [(str(n), T0 + timedelta(milliseconds=n)) for n in range(150)]
    poll = Poll(Cursor(), started=T0 + timedelta(minutes=5), overlap=OVERLAP)
    new, cursors = run_poll(poll, [same[0:50], same[50:100], same[100:150]])
    assert new == [i for i, _ in same]
    assert cursors[-1].watermark == same[-1][1]
    assert len(cursors[-1].seen) == 150
    # The next poll asks from the same minute again: everything comes back, nothing is new.
    again = Poll(Cursor.from_dict(cursors[-1].to_dict()), T0 + timedelta(minutes=10), OVERLAP)
    assert again.lower == floor_minute(T0) - OVERLAP
    new2, _ = run_poll(again, [same[0:50], same[50:100], same[100:150]])
    assert new2 == []


def test_changed_issue_is_new_again_and_stale_versions_are_ignored() -> None:
    poll = Poll(Cursor(), started=T0 + timedelta(hours=1), overlap=OVERLAP)
    run_poll(poll, [[("1", T0), ("2", T0 + timedelta(seconds=1))]])
    cursor = poll.cursor()
    nxt = Poll(cursor, T0 + timedelta(hours=2), OVERLAP)
    new, _ = run_poll(
        nxt, [[("1", T0), ("2", T0 + timedelta(minutes=3)), ("1", T0 - timedelta(1))]]
    )
    assert new == ["2"]


def test_watermark_never_passes_the_poll_start() -> None:
    started = T0 + timedelta(seconds=10)
    poll = Poll(Cursor(), started=started, overlap=OVERLAP)
    _, cursors = run_poll(poll, [[("1", T0), ("2", T0 + timedelta(minutes=1))]])
    assert cursors[-1].watermark == started
    assert "2" in cursors[-1].seen  # read, so not processed twice next time


def test_issue_moving_to_the_end_while_paging_pulls_the_watermark_back() -> None:
    items = [(str(n), T0 + timedelta(minutes=n)) for n in range(10)]
    poll = Poll(Cursor(), started=T0 + timedelta(hours=1), overlap=OVERLAP)
    # Page 1 read items 0-3; then item 1 was edited: it moves to the end, everything after
    # it slides up one place and item 4 lands on the boundary we already passed.
    moved = ("1", T0 + timedelta(minutes=30))
    page2 = items[5:8]
    page3 = [*items[8:], moved]
    new, cursors = run_poll(poll, [items[0:4], page2, page3])
    assert "4" not in new  # skipped by the offset paging...
    assert poll.shift_suspected
    final = cursors[-1]
    assert final.watermark == items[3][1]  # ...so the next poll reads again from page 1's end
    nxt = Poll(final, T0 + timedelta(hours=2), OVERLAP)
    assert nxt.lower is not None
    assert nxt.lower <= items[4][1]
    rest = [it for it in items if it[0] not in ("1",)] + [moved]
    rest = [it for it in rest if it[1] >= nxt.lower]
    new2, _ = run_poll(nxt, [rest])
    assert new2 == ["4"]  # found, and nothing else reprocessed


def test_data_center_total_change_pulls_the_watermark_back() -> None:
    poll = Poll(Cursor(), started=T0 + timedelta(hours=1), overlap=OVERLAP)
    poll.note_total(6)
    poll.is_new("a", T0)
    poll.is_new("b", T0 + timedelta(minutes=1))
    first = poll.end_page()
    poll.note_total(5)  # one issue left the scope while we paged
    poll.is_new("d", T0 + timedelta(minutes=5))
    second = poll.end_page()
    assert first.watermark == T0 + timedelta(minutes=1)
    assert second.watermark == first.watermark


def test_cursor_round_trip_and_damaged_cursor_names_the_problem() -> None:
    cursor = Cursor(watermark=T0, seen={"10001": T0})
    assert Cursor.from_dict(cursor.to_dict()) == cursor
    assert Cursor.from_dict(None) == Cursor()
    with pytest.raises(FatalError, match="watermark"):
        Cursor.from_dict({"v": 1, "watermark": "2026-11-23T10:15:00", "seen": []}, source="acme")
    with pytest.raises(FatalError, match="version"):
        Cursor.from_dict({"v": 99})


def test_a_complete_poll_moves_the_watermark_to_its_start() -> None:
    started = T0 + timedelta(minutes=30)
    poll = Poll(Cursor(watermark=T0, seen={"1": T0}), started=started, overlap=OVERLAP)
    assert poll.end_page().watermark == T0  # more pages may follow: nothing proven yet
    assert poll.end_page(last=True).watermark == started
    # The next poll reads from the start minute minus the overlap; old entries are dropped.
    assert Poll(poll.cursor(), started + timedelta(minutes=5), OVERLAP).lower == (
        floor_minute(started) - OVERLAP
    )
    assert poll.cursor().seen == {}
    # After a suspected shift the watermark stays pulled back, even on the last page.
    moved = Poll(Cursor(), started=started, overlap=OVERLAP)
    moved.is_new("1", T0)
    moved.end_page()
    moved.is_new("1", T0 + timedelta(minutes=20))
    assert moved.end_page(last=True).watermark == T0
