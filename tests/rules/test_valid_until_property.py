"""Property: a verdict holds until its ``valid_until`` — over generated tasks and over
every task of the golden corpus, on four calendars, at ``now``s spread over a year.

Evaluating at ``t1`` gives each rule's bound ``V``; evaluating at ``t1``, ``V`` minus a
microsecond, around every local midnight and DST change in between and at random points
must give the same findings (all fields but ``detected_at``). A bound later than the
truth would be a reminder syncd keeps silent about.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.core.models import Activity, Comment, Person, Section, StatusCategory, Task
from tests.rules.factory import ACCEPTANCE, ANNA, BORIS, BOT, GOAL, make_task
from tests.rules.golden_corpus import NOW as GOLDEN_NOW
from tests.rules.golden_corpus import load_cases, task_of
from tests.rules.validity import CALENDARS, ENGINES, assert_holds, spread_nows

HELPER = Person(id="u-helper", name="CI")
"""A configured bot account (``bot_ids``): never counts as a person."""
PEOPLE = (ANNA, BORIS, BOT, HELPER)
BODIES = (
    "Статус: всё по плану",
    "Checkpoint: половина готова",
    "Жду правки от клиента",
    "#checkpoint",
    "ok",
)
VAGUE_GOAL = Section(name="goal", title="Цель", text="Сделать хорошо")
ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)

# Offsets in seconds, biased towards whole hours and days (where calendars turn).
_DAY = 86_400
offsets = st.one_of(
    st.integers(-10 * _DAY, 90 * _DAY),
    st.integers(-10 * 24, 90 * 24).map(lambda h: h * 3600),
    st.integers(-10, 90).map(lambda d: d * _DAY - 1),
)


@st.composite
def tasks_and_nows(draw: st.DrawFn) -> tuple[Task, datetime]:
    created = ORIGIN + timedelta(seconds=draw(st.integers(0, 380 * _DAY)))
    created += timedelta(microseconds=draw(st.sampled_from((0, 0, 1, 999_999))))

    now = created + timedelta(seconds=draw(offsets))

    def moment() -> datetime:
        # Relative to the creation, or close to ``now`` on either side (a tracker's
        # clock ahead of ours dates a comment after ``now``).
        if draw(st.booleans()):
            return created + timedelta(seconds=draw(offsets))
        return now + timedelta(seconds=draw(st.integers(-3 * _DAY, 3 * _DAY)))

    comments = tuple(
        Comment(
            id=f"c{n}",
            author=draw(st.sampled_from(PEOPLE)),
            created=moment(),
            body=draw(st.sampled_from(BODIES)),
            is_bot=draw(st.sampled_from((False, False, True))),
        )
        for n in range(draw(st.integers(0, 4)))
    )
    activity = tuple(
        Activity(
            author=draw(st.sampled_from((*PEOPLE, None))),
            at=moment(),
            field=draw(st.sampled_from(("status", "due", "assignee"))),
            is_bot=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    due = draw(st.none() | st.integers(-15, 70).map(lambda d: created.date() + timedelta(days=d)))
    task = make_task(
        source=draw(st.sampled_from(sorted(CALENDARS))),
        status_category=draw(st.sampled_from(StatusCategory)),
        created=created,
        updated=created,
        start=draw(st.none() | st.just(moment())),
        due=due,
        assignees=draw(st.sampled_from(((), (ANNA,), (ANNA, BORIS)))),
        priority=draw(st.sampled_from((None, "High", "none"))),
        sections=draw(st.sampled_from(((GOAL, ACCEPTANCE), (VAGUE_GOAL,), ()))),
        comments=comments,
        activity=activity,
    )
    return task, now


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(tasks_and_nows(), st.integers(0, 2**32))
def test_generated_verdicts_hold_until_their_bound(case: tuple[Task, datetime], seed: int) -> None:
    task, now = case
    rng = random.Random(seed)
    for engine in ENGINES:
        assert_holds(engine, task, now, rng)


GOLDEN_TASKS = [task_of(case) for case in load_cases()]


NOWS = (*spread_nows(2026), datetime(2027, 4, 4, 2, 59, 59, tzinfo=UTC))


@pytest.mark.parametrize(("n", "source"), list(enumerate(sorted(CALENDARS))))
def test_golden_corpus_verdicts_hold_until_their_bound(n: int, source: str) -> None:
    # Every task on every calendar; the ``now``s shared out among the calendars (the
    # corpus' tasks differ in text, not in dates), the corpus' own "now" on each.
    rng = random.Random(source)
    nows = {GOLDEN_NOW, *NOWS[n :: len(CALENDARS)]}
    for task in GOLDEN_TASKS:
        moved = task.model_copy(update={"source": source})
        for now in nows:
            for engine in ENGINES:
                assert_holds(engine, moved, now, rng)


def test_golden_corpus_is_all_there() -> None:
    assert len(GOLDEN_TASKS) >= 100
    assert {t.due for t in GOLDEN_TASKS} == {date(2026, 11, 27)}
