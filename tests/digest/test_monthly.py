from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from syncd.core.models import StatusCategory, Task
from syncd.digest.monthly import (
    build_monthly_report,
    missed_checkpoints,
    monthly_reports,
    parse_month,
)
from syncd.digest.render.monthly import render_monthly
from syncd.digest.scope import Clients
from syncd.store.ledger import FindingRow
from tests.digest import fixtures

CLIENT = "Shop & Co <b>"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def done(key: str, due: date, resolved: datetime, **extra: object) -> Task:
    return fixtures.task(
        key,
        f"Task {key}",
        due=due,
        resolved=resolved,
        status="Done",
        status_category=StatusCategory.DONE,
        created=extra.pop("created", utc(2026, 10, 1, 7)),
        **extra,
    )


def history_tasks() -> list[Task]:
    return [
        done("SHOP-11", date(2026, 10, 20), utc(2026, 10, 19, 9), start=utc(2026, 10, 5, 9)),
        done("SHOP-12", date(2026, 10, 10), utc(2026, 10, 12, 7)),  # late, 11 days
        done("SHOP-13", date(2026, 10, 25), utc(2026, 10, 24, 7)),  # checkpoint missed
        fixtures.task(
            "SHOP-14",
            "Open, overdue at month end",
            due=date(2026, 10, 28),
            created=utc(2026, 10, 1, 7),
        ),
        fixtures.task(
            "SHOP-15", "Open, due later", due=date(2026, 11, 30), created=utc(2026, 10, 1, 7)
        ),
        done("SHOP-16", date(2026, 9, 25), utc(2026, 9, 20, 7), created=utc(2026, 9, 1, 7)),
        # 01:00 on 1 November in Moscow: November's, not October's.
        done("SHOP-17", date(2026, 11, 2), utc(2026, 10, 31, 22)),
        done("BLOG-9", date(2026, 10, 20), utc(2026, 10, 19, 9)),  # another client
    ]


def ledger() -> list[FindingRow]:
    seen = utc(2026, 10, 12, 9)
    return [
        FindingRow(
            source="agency-jira",
            task_key="SHOP-13",
            rule="checkpoint",
            fingerprint="x",
            state="resolved",
            severity="error",
            message="",
            first_seen=seen,
            last_seen=seen,
            resolved_at=seen,
            notified_marker=None,
            notified_at=None,
            times_notified=1,
        ),
    ]


def report(language: str = "ru"):  # type: ignore[no-untyped-def]
    return build_monthly_report(
        history_tasks(),
        ledger(),
        "2026-10",
        CLIENT,
        policy=fixtures.policy(),
        language=language,
        timezone="Europe/Moscow",  # type: ignore[arg-type]
    )


def test_figures_of_the_month_and_the_one_before() -> None:
    r = report()
    c = r.current
    assert c.completed == 3
    assert c.on_time_rate == pytest.approx(2 / 3)
    assert c.checkpoint_compliance == pytest.approx(2 / 3)
    assert c.median_cycle_days == 14.0
    assert c.overdue_at_end == 1
    assert [t.key for t in r.overdue_tasks] == ["SHOP-14"]
    assert [t.key for t in r.completed_tasks] == ["SHOP-12", "SHOP-11", "SHOP-13"]
    p = r.previous
    assert (p.month, p.completed, p.on_time_rate, p.overdue_at_end) == ("2026-09", 1, 1.0, 0)


def test_reports_for_every_client_read_the_tasks_and_ledger_once() -> None:
    # What DigestService does for a monthly slot: group once, read the ledger once.
    policy = fixtures.policy()
    tasks = history_tasks() + fixtures.tasks()
    by_client = Clients(policy).group(tasks)
    assert len(by_client) >= 3
    reports = monthly_reports(
        by_client, missed_checkpoints(ledger()), "2026-10", language="ru", timezone="Europe/Moscow"
    )
    assert [r.client for r in reports] == sorted(by_client)
    one_by_one = tuple(
        build_monthly_report(
            tasks, ledger(), "2026-10", client, policy=policy, language="ru",
            timezone="Europe/Moscow",
        )
        for client in sorted(by_client)
    )  # fmt: skip
    assert reports == one_by_one
    shop = next(r for r in reports if r.client == CLIENT)
    assert {"SHOP-11", "SHOP-12", "SHOP-13"} <= {t.key for t in shop.completed_tasks}


def test_empty_month_has_no_rates() -> None:
    r = build_monthly_report([], [], "2026-10", CLIENT)
    assert r.current.completed == 0
    assert r.current.on_time_rate is None
    assert r.current.median_cycle_days is None


def test_rendered_report_in_both_languages() -> None:
    ru = str(render_monthly(report("ru"), "md"))
    assert "отчёт за октябрь 2026" in ru
    assert "| Выполнено задач | 3 | 1 | ▲2 |" in ru
    assert "| Сделано в срок | 67% | 100% | ▼33% |" in ru
    assert "14 дней" in ru
    en = str(render_monthly(report("en"), "html"))
    assert "report for October 2026" in en
    assert "Shop &amp; Co &lt;b&gt;" in en
    assert "14 days" in en


def test_bad_month() -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month("October")
