"""The checkpoint rule: the moment, what counts as a checkpoint comment, spells of work."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from config.policy import CalendarConfig
from rules.builtin.checkpoint import Checkpoint, CheckpointParams
from rules.calendar import BusinessCalendar
from rules.checkpoints import DEFAULT_KEYWORDS, CheckpointMatcher, checkpoint_moment
from syncd.core.models import Finding, Severity, Task
from tests.rules.factory import ANNA, BORIS, BOT, at, change, comment, context, make_task

MSK = ZoneInfo("Europe/Moscow")
RU = BusinessCalendar(CalendarConfig(country="RU", timezone="Europe/Moscow"))
# Created Monday 16 Nov 00:00 Moscow, due Friday 27 Nov: 10 business days, 35 % = 3.5 days
# → the checkpoint is Thursday 19 Nov 12:00 Moscow (09:00Z).
CREATED = "2026-11-15 21:00"
MOMENT = datetime(2026, 11, 19, 12, 0, tzinfo=MSK)


def task(*comments: object, **fields: object) -> Task:
    base: dict[str, object] = {
        "created": at(CREATED),
        "due": date(2026, 11, 27),
        "comments": comments,
    }
    base.update(fields)
    return make_task(**base)


def check(
    t: Task, now: str, params: CheckpointParams | None = None, bots: frozenset[str] = frozenset()
) -> Finding | None:
    return Checkpoint(params).check(t, context(at(now), RU, bots))


def test_moment_in_business_time_and_wall_time() -> None:
    assert checkpoint_moment(task(), RU) == MOMENT
    assert checkpoint_moment(task(), RU, 0.5) == datetime(2026, 11, 23, 0, 0, tzinfo=MSK)
    # Without a holiday country: wall time, weekends included (12 days × 0.35 = 4.2 days).
    plain = BusinessCalendar(CalendarConfig(timezone="Europe/Moscow"))
    assert checkpoint_moment(task(), plain) == datetime(2026, 11, 20, 4, 48, tzinfo=MSK)
    assert checkpoint_moment(task(due=None), RU) is None
    assert checkpoint_moment(task(start=at("2026-11-28 10:00")), RU) is None


def test_missed_at_risk_and_not_yet() -> None:
    assert check(task(), "2026-11-19 08:59") is None  # 11:59 Moscow: not yet
    at_risk = check(task(), "2026-11-19 09:00")
    assert at_risk is not None
    assert at_risk.severity is Severity.WARNING
    assert at_risk.data["state"] == "at_risk"
    missed = check(task(), "2026-11-19 13:00")  # 16:00 Moscow: grace of 4 h over
    assert missed is not None
    assert missed.severity is Severity.ERROR
    assert missed.data == {
        "checkpoint_at": "2026-11-19T12:00:00+03:00",
        "check_at": "2026-11-19T12:00:00+03:00",  # within working hours: unchanged
        "start": "2026-11-16T00:00:00+03:00",
        "due": "2026-11-27",
        "state": "missed",
    }
    # The same problem across cycles and states: one fingerprint, one reminder.
    assert missed.fingerprint == at_risk.fingerprint
    later = check(task(), "2026-11-24 10:00")
    assert later is not None
    assert later.fingerprint == missed.fingerprint


def test_grace_counts_from_the_working_hour_shown_not_the_night_moment() -> None:
    """Half-way is Monday 23 Nov 00:00 Moscow, shown as 09:00: at 09:00 the checkpoint is
    due (at risk), not already "missed" after a night nobody worked; missed at 13:00."""
    half = CheckpointParams(fraction=0.5)
    morning = check(task(), "2026-11-23 06:00", half)  # 09:00 Moscow
    assert morning is not None
    assert morning.data["checkpoint_at"] == "2026-11-23T00:00:00+03:00"
    assert morning.data["check_at"] == "2026-11-23T09:00:00+03:00"
    assert morning.data["state"] == "at_risk"
    assert morning.severity is Severity.WARNING
    before_one = check(task(), "2026-11-23 09:59", half)
    assert before_one is not None
    assert before_one.data["state"] == "at_risk"
    after_one = check(task(), "2026-11-23 10:00", half)  # 13:00 Moscow
    assert after_one is not None
    assert after_one.data["state"] == "missed"


@pytest.mark.parametrize("keyword", DEFAULT_KEYWORDS)
def test_each_default_keyword_counts(keyword: str) -> None:
    body = f"{keyword}: макет готов на 60 %, тексты ждём от клиента"
    assert check(task(comment(ANNA, "2026-11-18 10:00", body)), "2026-11-20 10:00") is None
    assert check(task(comment(ANNA, "2026-11-18 10:00", body.upper())), "2026-11-20 10:00") is None


@pytest.mark.parametrize(
    "body",
    [
        "  **Статус:** всё по плану",
        "🟢 Checkpoint — on track",
        "> Чекпоинт: ждём правки",
        "@olga Status: ready for review",
        "[~accountid:5b10a2] статус: сверстано",
        "h3. Контрольная точка\nготово 40 %",
        "Check-in: banners done",
        "Чекпойнт. Успеваем.",
        "чек-поинт пройден",
        "Сделали половину, ждём фото. #checkpoint",
        "#Чекпоинт всё ок",
        ":white_check_mark: Статус: сверстано",
        "(y) Checkpoint: approved by the client",
        "(/) Статус — готово",
        # Wiki quotes and wrappers, as stored by older versions (raw markup in the body).
        "bq. Чекпоинт: макет готов на 40 %",
        "{quote}Checkpoint: on track{quote}",
        "{color:#00875A}*Статус:* всё по плану{color}",
        "{quote}{color:red}Status: blocked{color}{quote}",
        "[x] Статус: готово",  # a ticked "✅ Статус: готово" line as plain text
    ],
)
def test_markup_emoji_mentions_and_hashtags(body: str) -> None:
    assert CheckpointMatcher().matches(body)


@pytest.mark.parametrize(
    "body",
    [
        "Статусная встреча перенесена на пятницу",
        "Statuses in Jira were renamed",
        "Checkpointing the database tonight",
        "Мой статус: в отпуске",  # does not *begin* with the keyword
        "Check in with the client tomorrow",
        "Status-meeting moved",
        "Обсудили в чате #checkpoints",
        "См. issue#checkpoint",
        "bq. Статусная встреча в пятницу",
        "{quote}Клиент спросил про статус{quote}",
        "bqStatus: fine",
        "[xx] Status: fine",
        "",
    ],
)
def test_whole_word_at_the_start_only(body: str) -> None:
    assert not CheckpointMatcher().matches(body)


def test_checkpoint_before_the_start_does_not_count() -> None:
    early = comment(ANNA, "2026-11-15 20:00", "Статус: взяла в работу")  # before created
    assert check(task(early), "2026-11-20 10:00") is not None


def test_bot_comment_never_counts() -> None:
    flagged = comment(BOT, "2026-11-18 10:00", "Checkpoint reminder: please update", is_bot=True)
    assert check(task(flagged), "2026-11-20 10:00") is not None
    by_id = comment(BOT, "2026-11-18 10:00", "Checkpoint reminder: please update")
    assert check(task(by_id), "2026-11-20 10:00", bots=frozenset({BOT.id})) is not None
    assert check(task(by_id), "2026-11-20 10:00") is None  # not known as a bot: counts


def test_comment_after_now_is_ignored() -> None:
    future = comment(ANNA, "2026-11-21 10:00", "Статус: готово")
    assert check(task(future), "2026-11-20 10:00") is not None


def test_reopened_task_gets_a_new_checkpoint() -> None:
    old = comment(ANNA, "2026-11-18 10:00", "Статус: всё по плану")
    done_spell = task(old)
    assert check(done_spell, "2026-11-20 10:00") is None
    # Reopened on Monday 23 Nov 10:00 Moscow with a new due date of 4 Dec: the old
    # checkpoint belongs to the previous spell. 9 7/12 business days × 0.35 from the
    # reopen → Thursday 26 Nov 18:30 Moscow.
    reopened = task(old, start=at("2026-11-23 07:00"), due=date(2026, 12, 4))
    assert checkpoint_moment(reopened, RU) == datetime(2026, 11, 26, 18, 30, tzinfo=MSK)
    assert check(reopened, "2026-11-26 15:29") is None
    finding = check(reopened, "2026-11-27 10:00")
    assert finding is not None
    assert finding.data["start"] == "2026-11-23T10:00:00+03:00"
    assert finding.fingerprint != check(task(), "2026-11-27 10:00").fingerprint  # type: ignore[union-attr]
    new = comment(BORIS, "2026-11-24 08:00", "Чекпоинт: делаем")
    fresh = task(old, new, start=at("2026-11-23 07:00"), due=date(2026, 12, 4))
    assert check(fresh, "2026-11-27 10:00") is None


def test_assignee_comment_counts_only_when_configured() -> None:
    plain = task(comment(ANNA, "2026-11-18 10:00", "Сделала первые два баннера"))
    assert check(plain, "2026-11-20 10:00") is not None
    lenient = CheckpointParams(assignee_comments_count=True)
    assert check(plain, "2026-11-20 10:00", lenient) is None
    by_other = task(comment(BORIS, "2026-11-18 10:00", "Как дела?"))
    assert check(by_other, "2026-11-20 10:00", lenient) is not None


def test_configured_keywords_and_fraction() -> None:
    params = CheckpointParams(keywords=("Отчёт",), hashtags=(), fraction=0.5)
    t = task(comment(ANNA, "2026-11-18 10:00", "Статус: ок"))
    assert check(t, "2026-11-20 10:00", params) is None  # the moment is 23 Nov now
    assert check(t, "2026-11-23 06:00", params) is not None
    ok = task(comment(ANNA, "2026-11-18 10:00", "Отчёт: готово 50 %"))
    assert check(ok, "2026-11-23 06:00", params) is None


def test_checkpoint_counts_from_when_the_due_date_was_set() -> None:
    cal = BusinessCalendar(CalendarConfig(timezone="Europe/Moscow"))
    started = make_task(created=at("2026-11-02 09:00"), due=date(2026, 11, 27))
    set_late = started.model_copy(update={"activity": (change(BORIS, "2026-11-20 09:00", "due"),)})
    early = checkpoint_moment(started, cal)
    late = checkpoint_moment(set_late, cal)
    assert early is not None
    assert late is not None
    assert late > at("2026-11-20 09:00")  # a share of the time given from the deadline on
    assert late > early
    other_field = started.model_copy(
        update={"activity": (change(BORIS, "2026-11-20 09:00", "status"),)}
    )
    assert checkpoint_moment(other_field, cal) == early
