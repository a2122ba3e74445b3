from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from syncd.core.models import Comment, Task
from syncd.digest.i18n import translator
from syncd.digest.model import Digest
from syncd.digest.priority import is_important, quadrant
from syncd.digest.scope import manager_tasks
from tests.digest import fixtures


def keys(d: Digest, kind: str) -> list[str]:
    section = d.section(kind)  # type: ignore[arg-type]
    return [i.key for i in section.items] if section else []


def test_clients_come_from_policy_then_source_then_project(
    make_digest: Callable[..., Digest],
) -> None:
    d = make_digest(0)
    assert [h.client for h in d.headlines] == ["BLOG", "Shop & Co <b>", "Пекарня «Хлеб»"]


def test_manager_sees_only_owned_projects(make_digest: Callable[..., Digest]) -> None:
    d = make_digest(1)
    assert [h.client for h in d.headlines] == ["Shop & Co <b>"]
    assert all(i.key.startswith("SHOP-") for s in d.sections for i in s.items)


def test_sections_and_reasons(make_digest: Callable[..., Digest]) -> None:
    d = make_digest(0)
    assert [s.kind for s in d.sections] == [
        "check_today",
        "overdue",
        "at_risk",
        "due_soon",
        "violations",
        "done",
    ]
    assert keys(d, "check_today") == ["SHOP-3"]
    checkpoint = d.section("check_today").items[0]  # type: ignore[union-attr]
    assert checkpoint.at is not None
    assert checkpoint.at.date() == d.local_date
    overdue = {i.key: i.days for i in d.section("overdue").items}  # type: ignore[union-attr]
    assert overdue == {"SHOP-1": 2, "agency/bakery#3": 1}  # Thu→Mon = 2 business days
    assert keys(d, "at_risk") == ["SHOP-4"]
    assert keys(d, "done") == ["SHOP-6"]  # SHOP-8 was done long before the last digest
    violation = d.section("violations").items[-1]  # type: ignore[union-attr]
    assert violation.key == "SHOP-5"
    assert violation.rules == ("due-date", "required-sections", "single-owner")
    assert violation.since == datetime(2026, 11, 18, 8, 0, tzinfo=UTC)


def test_only_the_listed_sections_are_built_and_every_headline_counts_all(
    make_digest: Callable[..., Digest],
) -> None:
    full = make_digest(0)
    few = make_digest(0, listed=("overdue", "at_risk"))
    assert [s.kind for s in few.sections] == ["overdue", "at_risk"]
    assert few.sections == tuple(s for s in full.sections if s.kind in {"overdue", "at_risk"})
    assert few.headlines == full.headlines
    assert few.workload == full.workload
    assert any(h.counts["violations"] and h.counts["done"] for h in few.headlines)


def test_items_follow_eisenhower_order(make_digest: Callable[..., Digest]) -> None:
    d = make_digest(0)
    # BLOG-1 is Critical and due soon (quadrant 1); SHOP-2/3 are Medium (quadrant 3).
    assert keys(d, "due_soon") == ["BLOG-1", "SHOP-2", "SHOP-3"]
    quadrants = [i.quadrant for i in d.section("due_soon").items]  # type: ignore[union-attr]
    assert quadrants == sorted(quadrants) == [1, 3, 3]
    assert keys(d, "violations") == ["BLOG-1", "SHOP-5"]


def test_headline_changes_against_previous_stats(make_digest: Callable[..., Digest]) -> None:
    d = make_digest(0)
    shop = next(h for h in d.headlines if h.client == "Shop & Co <b>")
    assert shop.counts["open"] == 6
    assert shop.deltas["open"] == 3
    assert shop.counts["overdue"] == 1
    assert shop.deltas["overdue"] == -1
    blog = next(h for h in d.headlines if h.client == "BLOG")
    assert blog.deltas["open"] is None  # nothing to compare with
    again = make_digest(0, previous_stats=d.stats())
    assert all(v == 0 for h in again.headlines for v in h.deltas.values())


def test_done_window_starts_at_the_last_digest(make_digest: Callable[..., Digest]) -> None:
    assert keys(make_digest(0, since=datetime(2026, 11, 22, 16, 0, tzinfo=UTC)), "done") == []
    assert keys(make_digest(0, since=datetime(2026, 9, 1, tzinfo=UTC)), "done") == [
        "SHOP-6",
        "SHOP-8",
    ]


def test_workload_per_assignee(make_digest: Callable[..., Digest]) -> None:
    rows = {w.assignee: (w.open, w.due_this_week, w.overdue) for w in make_digest(0).workload}
    # Ivan: SHOP-1 (overdue), SHOP-3 (due Thu), SHOP-5 (no due), bakery#3 (overdue).
    assert rows["Иван Петров"] == (4, 1, 2)
    assert rows["Лена"] == (3, 1, 0)
    assert rows[""] == (1, 0, 0)  # unassigned SHOP-7


def test_nothing_to_report() -> None:
    policy = fixtures.policy()
    from syncd.digest.content import build_digest

    d = build_digest(policy, policy.managers[0], [], [], fixtures.NOW, "daily", None, None)
    assert d.nothing_to_report
    assert d.sections == ()
    assert d.headlines == ()


def test_naive_now_is_refused() -> None:
    from syncd.digest.content import build_digest

    policy = fixtures.policy()
    with pytest.raises(ValueError, match="aware"):
        build_digest(policy, policy.managers[0], [], [], datetime(2026, 1, 1), "daily", None, None)


@pytest.mark.parametrize(
    ("priority", "important"),
    [
        ("High", True),
        ("Highest", True),
        ("Blocker", True),
        ("priority::high", True),
        ("P1", True),
        ("Высокий", True),
        ("Medium", False),
        ("Major", False),
        (None, False),
    ],
)
def test_importance(priority: str | None, important: bool) -> None:
    assert is_important(priority) is important
    assert quadrant(priority, urgent=True) == (1 if important else 3)
    assert quadrant(priority, urgent=False) == (2 if important else 4)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1 задача"),
        (2, "2 задачи"),
        (5, "5 задач"),
        (11, "11 задач"),
        (21, "21 задача"),
        (22, "22 задачи"),
        (0, "0 задач"),
    ],
)
def test_russian_plurals(n: int, text: str) -> None:
    assert translator("ru").plural("task", n) == text


def test_english_plurals_and_dates() -> None:
    t = translator("en")
    assert [t.plural("task", n) for n in (1, 2, 0)] == ["1 task", "2 tasks", "0 tasks"]
    assert t.date(fixtures.NOW) == "23 Nov"
    assert translator("ru").date(fixtures.NOW) == "23 нояб."


def test_check_today_follows_the_configured_checkpoint_fraction() -> None:
    from syncd.digest.content import build_digest
    from syncd.policy_file import read_policy_text

    late = read_policy_text(
        fixtures.POLICY_YAML.replace("params: {fraction: 0.35}", "params: {fraction: 0.9}")
    )
    olga = late.managers[0]
    d = build_digest(
        late,
        olga,
        list(manager_tasks(olga, fixtures.tasks())),
        [],
        fixtures.NOW,
        "daily",
        None,
        None,
    )
    assert "SHOP-3" not in keys(d, "check_today")


@pytest.mark.parametrize(("state", "at_risk"), [("at_risk", False), ("missed", True)])
def test_checkpoint_in_grace_today_is_not_yet_at_risk(
    make_digest: Callable[..., Digest], state: str, at_risk: bool
) -> None:
    grace = fixtures.finding("SHOP-3", "checkpoint", fixtures.NOW, state=state)
    d = make_digest(0, findings=[grace])
    assert ("SHOP-3" in keys(d, "at_risk")) is at_risk
    assert "SHOP-3" in keys(d, "check_today")


def _with_comment(key: str, body: str, at: datetime) -> list[Task]:
    comment = Comment(id="c1", author=fixtures.IVAN, created=at, body=body)
    return [
        t.model_copy(update={"comments": (comment,)}) if t.key == key else t
        for t in fixtures.tasks()
    ]


def test_check_today_skips_a_task_whose_checkpoint_comment_exists(
    make_digest: Callable[..., Digest],
) -> None:
    # SHOP-3's checkpoint falls today; Иван already wrote where it stands this morning.
    early = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert "SHOP-3" not in keys(
        make_digest(0, tasks=_with_comment("SHOP-3", "Чекпоинт: макет готов", early)),
        "check_today",
    )
    # A comment that is not a checkpoint (or one written after 'now') still leaves it listed.
    chat = make_digest(0, tasks=_with_comment("SHOP-3", "Посмотрю завтра", early))
    assert "SHOP-3" in keys(chat, "check_today")
    later = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    future = make_digest(0, tasks=_with_comment("SHOP-3", "Чекпоинт: готово", later))
    assert "SHOP-3" in keys(future, "check_today")


def test_check_today_honours_the_checkpoint_rule_scope() -> None:
    from syncd.digest.content import build_digest
    from syncd.policy_file import read_policy_text

    # The first checkpoint rule (late, 90 %) is scoped to BLOG; SHOP follows the second
    # (35 %, its own keyword). SHOP-3's moment is today under the rule that applies to it.
    scoped = read_policy_text(
        fixtures.POLICY_YAML.replace(
            "  - rule: checkpoint\n    params: {fraction: 0.35}\n",
            "  - rule: checkpoint\n    params: {fraction: 0.9}\n"
            "    scope: {projects: [BLOG]}\n"
            "  - rule: checkpoint\n    params: {fraction: 0.35, keywords: [Статус]}\n"
            "    scope: {projects: [SHOP]}\n",
        )
    )

    def check_today(tasks: list[Task]) -> list[str]:
        olga = scoped.managers[0]
        mine = list(manager_tasks(olga, tasks))
        d = build_digest(scoped, olga, mine, [], fixtures.NOW, "daily", None, None)
        return keys(d, "check_today")

    assert check_today(fixtures.tasks()) == ["SHOP-3"]
    early = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    # "Чекпоинт" is not a keyword of SHOP's rule; "Статус" is.
    assert check_today(_with_comment("SHOP-3", "Чекпоинт: макет готов", early)) == ["SHOP-3"]
    assert check_today(_with_comment("SHOP-3", "Статус: макет готов", early)) == []


@pytest.mark.parametrize("params", ["", "\n    params: {days: 1}", "\n    params: {days: 5}"])
def test_due_soon_lists_exactly_what_the_due_soon_rule_flags(params: str) -> None:
    """One horizon: the digest's "due soon" is the rule's ``days`` (default or configured),
    so the digest never lists a task the rule does not flag, nor misses one it does."""
    from rules.engine import Engine
    from syncd.digest.content import build_digest
    from syncd.policy_file import read_policy_text

    policy = read_policy_text(
        fixtures.POLICY_YAML.replace(
            "  - rule: due-soon\n    params: {days: 3}\n", f"  - rule: due-soon{params}\n"
        )
    )
    olga = policy.managers[0]
    mine = list(manager_tasks(olga, fixtures.tasks()))
    findings = Engine.from_policy(policy).evaluate(mine, fixtures.NOW)
    flagged = {f.task_key for f in findings if f.rule == "due-soon"}
    d = build_digest(policy, olga, mine, [], fixtures.NOW, "daily", None, None)
    assert set(keys(d, "due_soon")) == flagged
    assert flagged  # the fixture has tasks due within a few business days


def test_the_digest_has_no_horizon_of_its_own() -> None:
    from syncd.core.errors import ConfigError
    from syncd.policy_file import read_policy_text

    with pytest.raises(ConfigError, match="due_soon_days was removed"):
        read_policy_text(
            fixtures.POLICY_YAML.replace(
                "    language: en\n", "    language: en\n    schedules: {due_soon_days: 3}\n"
            )
        )


def test_a_checkpoint_falling_at_night_is_checked_from_the_next_working_hour() -> None:
    """Start Mon 01:00, due Tue: half-way is Tue 00:30 Moscow. Tuesday's digest lists it
    to check at 09:00, when a manager can act; the rule's own moment stays 00:30."""
    from rules.engine import Engine
    from syncd.digest.content import build_digest
    from syncd.policy_file import read_policy_text

    half = read_policy_text(
        fixtures.POLICY_YAML.replace(
            "params: {fraction: 0.35}", "params: {fraction: 0.5, business_time: false}"
        )
    )
    msk = ZoneInfo("Europe/Moscow")
    night = fixtures.task(
        "SHOP-9",
        "Ночной чекпоинт",
        assignees=(fixtures.IVAN,),
        start=datetime(2026, 11, 16, 1, 0, tzinfo=msk),
        due=date(2026, 11, 17),
    )
    moment = Engine.from_policy(half).checkpoint_moment(night)
    assert moment == datetime(2026, 11, 17, 0, 30, tzinfo=msk)
    olga = half.managers[0]
    tuesday = datetime(2026, 11, 17, 5, 0, tzinfo=UTC)  # 08:00 Moscow
    d = build_digest(half, olga, [night], [], tuesday, "daily", None, None)
    (item,) = d.section("check_today").items  # type: ignore[union-attr]
    assert item.at == datetime(2026, 11, 17, 9, 0, tzinfo=msk)
