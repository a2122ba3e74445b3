# ruff: noqa: E501, S105  -- seed data reads best one record a line; the tokens are sandbox-only.
"""Ready-made pieces for driving the sandbox GitLab from tests and benchmarks.

- ``scenario_seed()``: a small agency seed exercising what the GitLab connector must get
  right (several assignees, scoped labels, a reopened task, internal notes, a bot note with
  its marker, Cyrillic text, checklists);
- ``generated_seed(n)``: ``n`` plain tasks for request-count benchmarks;
- ``serve_gitlab(seed)``: the sandbox on a random local port (a ``SandboxServer``);
- ``gitlab_source(url, …)``: a ``SourceConfig`` for it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from config.policy import SourceConfig
from connectors.sandbox.common.faults import LoggedRequest
from connectors.sandbox.common.seed import Seed, load_seed
from connectors.sandbox.server import SandboxServer

__all__ = [
    "BOT_TOKEN",
    "HUMAN_TOKEN",
    "generated_seed",
    "gitlab_source",
    "scenario_seed",
    "serve_gitlab",
]

BOT_TOKEN = "glpat-bot-0001"
HUMAN_TOKEN = "glpat-am-0001"

_USERS: list[dict[str, Any]] = [
    {"id": "bot", "name": "syncd", "username": "syncd-bot", "email": "bot@agency.example", "time_zone": "Europe/Moscow", "bot": True, "token": BOT_TOKEN},
    {"id": "am", "name": "Ольга Смирнова", "username": "o.smirnova", "email": "am@agency.example", "time_zone": "Europe/Moscow", "token": HUMAN_TOKEN},
    {"id": "des", "name": "Дмитрий Ковалёв", "username": "d.kovalev", "email": "des@agency.example", "time_zone": "Europe/Moscow"},
    {"id": "dev", "name": "Priya Nair", "username": "p.nair", "email": "dev@agency.example", "time_zone": "Asia/Kolkata"},
]  # fmt: skip


def scenario_seed() -> Seed:
    data: dict[str, Any] = {
        "format": "syncd-seed/1",
        "now": "2026-11-23T09:00:00+03:00",
        "users": _USERS,
        "projects": [
            {"key": "SHOP", "name": "Смартфон-маркет: рассылки", "client": "Смартфон-маркет"},
            {"key": "NOVA", "name": "Nova Bank website", "client": "Nova Bank"},
        ],
        "tasks": [
            {
                "project": "SHOP", "number": 1, "title": "Дизайн письма «Чёрная пятница»", "type": "Design",
                "status": "in_progress", "assignees": ["des", "dev"], "reporter": "am", "priority": "High",
                "labels": ["email"], "components": ["Рассылки"],
                "created": "2026-11-16T10:00:00+03:00", "started": "2026-11-17T11:00:00+03:00",
                "due": "2026-11-27",
                "description": "## Цель\nУвеличить выручку от рассылки на 15 %.\n\n## Критерии приёмки\n- [x] макет 600 px\n- [ ] согласован с клиентом\n",
                "comments": [
                    {"author": "des", "created": "2026-11-19T16:20:00+03:00", "body": "Чекпоинт: первая версия макета готова."},
                    {"author": "am", "created": "2026-11-19T17:00:00+03:00", "body": "Внутреннее: клиент торопит.", "internal": True},
                    {"author": "bot", "created": "2026-11-20T09:00:00+03:00", "body": "Reminder\n\n<!-- syncd:SHOP-1:checkpoint -->"},
                ],
            },
            {
                "project": "SHOP", "number": 2, "title": "Аудит сайта", "status": "new",
                "assignees": ["dev"], "reporter": "am", "priority": None,
                "created": "2026-11-09T12:00:00+03:00", "due": "2026-11-20",
                "description": "Нужно сделать аудит сайта.",
            },
            {
                "project": "SHOP", "number": 3, "title": "Fix footer links", "status": "done",
                "assignees": ["dev"], "reporter": "am", "priority": "Low",
                "created": "2026-11-10T10:00:00+03:00", "started": "2026-11-11T10:00:00+03:00",
                "due": "2026-11-13", "resolved": "2026-11-12T18:00:00+03:00",
                "description": "## Goal\nNo broken links.\n\n## Acceptance criteria\n- all links answer 200\n",
            },
            {
                "project": "NOVA", "number": 7, "title": "Landing page for the savings campaign", "type": "Story",
                "status": "in_progress", "assignees": ["dev"], "reporter": "am", "priority": "High",
                "labels": ["web"], "components": ["Frontend"],
                "created": "2026-11-02T10:00:00+03:00", "started": "2026-11-03T10:00:00+03:00",
                "due": "2026-12-04",
                "description": "## Goal\nCollect 500 applications in December.\n\n## Acceptance criteria\n- [ ] Lighthouse ≥ 90\n",
                "comments": [{"author": "am", "created": "2026-11-05T12:00:00+03:00", "body": "Client sent the brand book."}],
            },
        ],
    }  # fmt: skip
    return load_seed(data, flavour="gitlab")


def generated_seed(n: int, *, project: str = "BULK", start: datetime | None = None) -> Seed:
    """``n`` tasks in one project, each with one comment; ``updated`` one minute apart."""
    origin = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    tasks = []
    for i in range(1, n + 1):
        created = origin + timedelta(minutes=i)
        tasks.append(
            {
                "project": project,
                "number": i,
                "title": f"Task {i}",
                "status": "new",
                "assignees": ["dev"],
                "reporter": "am",
                "priority": "Medium",
                "created": created.isoformat(),
                "due": (origin + timedelta(days=20)).date().isoformat(),
                "description": "## Goal\nGrow sign-ups by 10 %.\n",
                "comments": [{"author": "am", "created": created.isoformat(), "body": "Started."}],
            }
        )
    data = {
        "format": "syncd-seed/1",
        "users": _USERS,
        "projects": [{"key": project, "name": "Bulk client", "client": "Bulk"}],
        "tasks": tasks,
    }
    return load_seed(data, flavour="gitlab")


def settled_log(
    server: SandboxServer, *, quiet: float = 0.05, timeout: float = 2.0
) -> list[LoggedRequest]:
    """The request log once it has stopped growing: the server records a request just after
    answering it, so a client can be a moment ahead of the log."""
    deadline = time.monotonic() + timeout
    entries = server.log.entries()
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = server.log.entries()
        if len(now) == len(entries) and all(e.status is not None or e.fault for e in now):
            return now
        entries = now
    return entries


def count_requests(
    server: SandboxServer, method: str | None = None, path_regex: str | None = None
) -> int:
    regex = re.compile(path_regex) if path_regex else None
    return sum(
        1
        for e in settled_log(server)
        if (method is None or e.method == method.upper())
        and (regex is None or regex.search(e.path))
    )


@contextmanager
def serve_gitlab(seed: Seed, **options: Any) -> Iterator[SandboxServer]:
    """``options`` go to ``create_gitlab_app`` (``notes_per_minute``, ``keyset_issues``…)."""
    from connectors.sandbox.gitlab.app import create_gitlab_app

    with SandboxServer(create_gitlab_app(seed, **options)) as server:
        yield server


def gitlab_source(
    url: str,
    *,
    project: str | None = "agency/shop",
    group: str | None = None,
    name: str = "gitlab-test",
    **overrides: Any,
) -> SourceConfig:
    scope = {"group": group} if group else {"project": project}
    data: dict[str, Any] = {
        "name": name,
        "type": "gitlab",
        "url": url,
        "auth": {"kind": "private_token", "secret": "SYNCD_GITLAB_TOKEN"},
        "scope": scope,
        **overrides,
    }
    return SourceConfig.model_validate(data)
