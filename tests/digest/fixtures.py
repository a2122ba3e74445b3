"""A small agency, fixed in time, for digest tests: Monday 23 Nov 2026, 09:00 in Moscow.

Two sources (Jira with a Russian holiday calendar, GitLab), two managers (Ольга, ru, owns
everything; Alice, en, London, owns the SHOP project), and tasks that land in every
section — including a hostile title that tries HTML, Markdown, Slack and mention injection.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from config.policy import Policy
from syncd.core.models import Finding, Person, Severity, StatusCategory, Task, fingerprint
from syncd.policy_file import read_policy_text

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 09:00 Moscow, 06:00 London
HOSTILE = (
    '<script>alert("x")</script> & *bold* _it_ [link](http://evil.example) '
    "<!channel> <@U123> @channel `code` | pipe # 🚀 \r\nBcc: victim@example.com"
)
LONG = "Очень длинная задача " * 25  # 525 characters

POLICY_YAML = """
sources:
  - name: agency-jira
    type: jira
    url: https://agency.atlassian.net
    auth: {kind: basic, user: bot@agency.example, secret: JIRA_TOKEN}
    scope: {jql: "project in (SHOP, BLOG)"}
    calendar: {country: RU, timezone: Europe/Moscow}
  - name: agency-gitlab
    type: gitlab
    url: https://gitlab.agency.example
    auth: {kind: private_token, secret: GL_TOKEN}
    scope: {group: agency}
    client: Пекарня «Хлеб»
    calendar: {country: RU, timezone: Europe/Moscow}
rules:
  - rule: checkpoint
    params: {fraction: 0.35}
  - rule: overdue
  - rule: due-soon
    params: {days: 3}
  - rule: required-sections
  - rule: single-owner
  - rule: due-date
clients:
  SHOP: Shop & Co <b>
managers:
  - name: Ольга
    timezone: Europe/Moscow
    language: ru
    owns: [{source: agency-jira}, {source: agency-gitlab}]
  - name: Alice
    timezone: Europe/London
    language: en
    owns: [{source: agency-jira, projects: [SHOP]}]
"""

IVAN = Person(id="u-ivan", name="Иван Петров", username="ivan")
MARIA = Person(id="u-maria", name="Maria <Dev> & Co", username="maria")
LENA = Person(id="u-lena", name="Лена", username="lena")


def policy(extra: str = "") -> Policy:
    return read_policy_text(POLICY_YAML + extra, "fixture.yaml")


def task(key: str, title: str, **fields: Any) -> Task:
    source = fields.pop("source", "agency-jira")
    project = fields.pop("project", key.split("-", maxsplit=1)[0])
    base: dict[str, Any] = {
        "source": source,
        "key": key,
        "id": key,
        "url": f"https://agency.atlassian.net/browse/{key}",
        "project": project,
        "title": title,
        "created": datetime(2026, 11, 2, 7, 0, tzinfo=UTC),
        "updated": datetime(2026, 11, 20, 7, 0, tzinfo=UTC),
        "status": "In Progress",
        "status_category": StatusCategory.IN_PROGRESS,
        "priority": "Medium",
    }
    base.update(fields)
    return Task(**base)


def tasks() -> list[Task]:
    return [
        task(
            "SHOP-1",
            "Баннер для распродажи",
            priority="High",
            assignees=(IVAN,),
            due=date(2026, 11, 19),
        ),
        task("SHOP-2", HOSTILE, assignees=(MARIA,), due=date(2026, 11, 24)),
        task(
            "SHOP-3",
            "Лендинг «Чёрная пятница»",
            assignees=(IVAN,),
            due=date(2026, 11, 26),
            start=datetime(2026, 11, 19, 21, 0, tzinfo=UTC),
        ),
        task(
            "SHOP-4",
            "E-mail рассылка",
            priority="Highest",
            assignees=(LENA,),
            due=date(2026, 12, 4),
        ),
        task("SHOP-5", LONG, assignees=(IVAN, LENA), priority=None),
        task(
            "SHOP-6",
            "Отчёт за октябрь",
            assignees=(MARIA,),
            due=date(2026, 11, 20),
            status="Done",
            status_category=StatusCategory.DONE,
            resolved=datetime(2026, 11, 22, 15, 0, tzinfo=UTC),
        ),
        task("SHOP-7", "Обновить FAQ", priority="Low", due=date(2026, 12, 21)),
        task(
            "SHOP-8",
            "Old done",
            status="Done",
            status_category=StatusCategory.DONE,
            resolved=datetime(2026, 10, 1, 9, 0, tzinfo=UTC),
            due=date(2026, 10, 2),
        ),
        task(
            "BLOG-1",
            "Статья про SEO",
            assignees=(LENA,),
            due=date(2026, 11, 25),
            priority="Critical",
        ),
        task(
            "agency/bakery#3",
            "Меню на декабрь",
            source="agency-gitlab",
            project="agency/bakery",
            url="https://gitlab.agency.example/agency/bakery/-/issues/3",
            assignees=(IVAN,),
            due=date(2026, 11, 20),
            priority="priority::high",
        ),
    ]


def finding(
    task_key: str, rule: str, detected: datetime, source: str = "agency-jira", **data: str
) -> Finding:
    return Finding(
        rule=rule,
        source=source,
        task_key=task_key,
        severity=Severity.WARNING,
        message=f"{rule} on {task_key}",
        fingerprint=fingerprint(task_key, rule),
        detected_at=detected,
        data=data,
    )


def findings() -> list[Finding]:
    return [
        finding(
            "SHOP-4",
            "checkpoint",
            NOW - timedelta(days=1),
            checkpoint_at="2026-11-20T15:00:00+03:00",
        ),
        finding("SHOP-5", "required-sections", datetime(2026, 11, 18, 8, 0, tzinfo=UTC)),
        finding("SHOP-5", "due-date", datetime(2026, 11, 18, 8, 0, tzinfo=UTC)),
        finding("SHOP-5", "single-owner", datetime(2026, 11, 19, 8, 0, tzinfo=UTC)),
        finding("SHOP-1", "overdue", NOW),
        finding("BLOG-1", "stale", NOW),
    ]
