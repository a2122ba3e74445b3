"""A store of N generated tasks, written directly through the store API (no tracker sync):
the fixture of ``bench_scale`` and of profiling ``check``/``once`` at 100,000 tasks.

The tasks come from ``generate_seed`` with ADF documents and are mapped the way the Jira
connector maps an issue: plain-text description, the document as written, sections parsed
with the default aliases, comments flattened to text, a status change when work started.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from connectors.sandbox.common.generator import generate_seed
from rules.documents.sections import document_source, parse_description, to_plain_text
from syncd.core.models import Activity, Comment, Person, Section, StatusCategory, Task
from syncd.store import open_store

__all__ = [
    "NOW",
    "POLICY",
    "SOURCE",
    "TOKEN",
    "build_store",
    "generated_tasks",
    "write_policy",
]

SOURCE = "bench-jira"
TOKEN = "bot-token"
"""The generated seed's bot token (``BENCH_JIRA_TOKEN``), for a sandbox serving it."""
NOW = datetime.fromisoformat("2026-11-23T09:00:00+03:00")
POLICY = """\
sources:
  - name: bench-jira
    type: jira
    url: {url}
    auth: {{kind: basic, user: syncd@agency.example, secret: BENCH_JIRA_TOKEN}}
    scope: {{jql: "project in (Q0, Q1, Q2, Q3)"}}
    calendar: {{country: RU, timezone: Europe/Moscow}}
    enforce: {enforce}
"""
_CATEGORY = {
    "new": StatusCategory.NEW,
    "in_progress": StatusCategory.IN_PROGRESS,
    "done": StatusCategory.DONE,
}
_STATUS = {"new": "To Do", "in_progress": "In Progress", "done": "Done"}


@lru_cache(maxsize=8192)
def _document(adf_json: str) -> tuple[str, str, tuple[Section, ...]]:
    adf = json.loads(adf_json)
    return to_plain_text(adf, "adf"), document_source(adf), parse_description(adf, "adf")


@lru_cache(maxsize=256)
def _text(adf_json: str) -> str:
    return to_plain_text(json.loads(adf_json), "adf")


def _person(uid: str) -> Person:
    return Person(id=uid, name=f"User {uid}")


def _task(raw: dict[str, Any], i: int) -> Task:
    key = f"{raw['project']}-{raw['number']}"
    created = datetime.fromisoformat(raw["created"])
    started = datetime.fromisoformat(raw["started"]) if raw["started"] else None
    comments = tuple(
        Comment(
            id=f"{i}-{n}",
            author=_person(c["author"]),
            created=datetime.fromisoformat(c["created"]),
            body=_text(json.dumps(c["body"]["adf"], sort_keys=True)),
        )
        for n, c in enumerate(raw["comments"])
    )
    text, source, sections = ("", "", ())
    if raw["description"] is not None:
        text, source, sections = _document(json.dumps(raw["description"]["adf"], sort_keys=True))
    moments = [created, *(c.created for c in comments)]
    activity = ()
    if started is not None:
        activity = (Activity(author=_person(raw["reporter"]), at=started, field="status"),)
        moments.append(started)
    return Task(
        source=SOURCE,
        key=key,
        id=str(10_000 + i),
        url=f"https://jira.example/browse/{key}",
        project=raw["project"],
        title=raw["title"],
        description_text=text,
        description_format="adf",
        description_source=source,
        sections=sections,
        status=_STATUS[raw["status"]],
        status_category=_CATEGORY[raw["status"]],
        assignees=tuple(_person(a) for a in raw["assignees"]),
        reporter=_person(raw["reporter"]),
        priority=raw["priority"],
        labels=tuple(raw["labels"]),
        issue_type=raw["type"],
        created=created,
        updated=max(moments),
        start=started,
        due=date.fromisoformat(raw["due"]) if raw["due"] else None,
        resolved=datetime.fromisoformat(raw["resolved"]) if raw["resolved"] else None,
        comments=comments,
        activity=activity,
    )


def generated_tasks(n_tasks: int) -> Iterator[Task]:
    data = generate_seed(n_tasks, n_projects=4, n_users=50, now=NOW, documents="adf")
    for i, raw in enumerate(data["tasks"]):
        yield _task(raw, i)


def build_store(state_url: str, n_tasks: int) -> int:
    """Write ``n_tasks`` generated tasks into the store at ``state_url``; returns how many
    are open."""
    store = open_store(state_url)
    try:
        tasks = generated_tasks(n_tasks)
        store.upsert_tasks(tasks)
        return len(store.open_task_keys(SOURCE))
    finally:
        store.close()


def write_policy(directory: Path, url: str = "https://jira.example", enforce: bool = True) -> Path:
    path = directory / "policy.yaml"
    path.write_text(POLICY.format(url=url, enforce=str(enforce).lower()), encoding="utf-8")
    return path
