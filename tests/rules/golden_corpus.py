"""The golden corpus (``tests/rules/golden``) read through the real connectors' mapping and
the real rules: what ``test_golden`` asserts and ``golden_report`` counts.

Each file is a description or a comment as a tracker returns it — Markdown from GitLab,
wiki markup from Jira Data Center, ADF from Jira Cloud — and the manifest says what a
careful account manager reads in it. A case is mapped into a ``Task`` exactly as a sync
would (``connectors.gitlab.mapping`` / ``connectors.jira.mapping``), then judged by
``required-sections`` or ``checkpoint``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from config.policy import CalendarConfig
from connectors.gitlab.mapping import GitLabContext
from connectors.gitlab.mapping import map_issue as gitlab_issue
from connectors.jira.mapping import map_issue as jira_issue
from connectors.jira.values import JiraContext
from rules.base import Context
from rules.builtin.checkpoint import Checkpoint
from rules.builtin.required_sections import RequiredSections, RequiredSectionsParams
from rules.calendar import BusinessCalendar
from syncd.core.models import Person, Task

__all__ = [
    "GOLDEN",
    "UNRELATED_ALIASES",
    "Case",
    "actual_verdict",
    "load_cases",
    "task_of",
]

GOLDEN = Path(__file__).parent / "golden"
FORMATS = {".md": "markdown", ".wiki": "wiki", ".adf.json": "adf"}
SECTIONS = ("goal", "acceptance")
UNRELATED_ALIASES: dict[str, tuple[str, ...]] = {"formats": ("Форматы баннеров",)}
"""An alias no corpus file uses: configuring it must change no verdict."""

# The task was opened on 2 November, due 27 November; "now" is past its checkpoint, and
# each corpus comment was written after the start.
CREATED = "2026-11-02T09:00:00.000+0300"
COMMENTED = "2026-11-05T12:00:00.000+0300"
DUE = "2026-11-27"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ANNA = {"accountId": "u-anna", "name": "anna", "displayName": "Анна"}


@dataclass(frozen=True, slots=True)
class Case:
    kind: str
    """``descriptions`` or ``comments``."""
    file: str
    fmt: str
    raw: str | dict[str, Any]
    expect: dict[str, bool]
    reason: str

    @property
    def rule(self) -> str:
        return "required-sections" if self.kind == "descriptions" else "checkpoint"


def _format(name: str) -> str:
    for ext, fmt in FORMATS.items():
        if name.endswith(ext):
            return fmt
    raise ValueError(f"{name}: unknown extension (one of {', '.join(FORMATS)})")


def load_cases() -> list[Case]:
    manifest = yaml.safe_load((GOLDEN / "manifest.yaml").read_text(encoding="utf-8"))
    cases = []
    for kind in ("descriptions", "comments"):
        for entry in manifest[kind]:
            name = entry["file"]
            text = (GOLDEN / kind / name).read_text(encoding="utf-8")
            fmt = _format(name)
            raw: str | dict[str, Any] = json.loads(text) if fmt == "adf" else text
            expect = {str(k): bool(v) for k, v in entry["expect"].items()}
            cases.append(Case(kind, name, fmt, raw, expect, str(entry["reason"])))
    return cases


def task_of(case: Case) -> Task:
    """The case as a sync maps it: Markdown through GitLab, wiki through Jira Data Center,
    ADF through Jira Cloud."""
    description = case.raw if case.kind == "descriptions" else ""
    comment = case.raw if case.kind == "comments" else None
    if case.fmt == "markdown":
        issue = {
            "id": 1,
            "iid": 1,
            "title": case.file,
            "state": "opened",
            "description": description,
            "references": {"full": "agency/golden#1"},
            "web_url": "https://gitlab.example/agency/golden/-/issues/1",
            "created_at": CREATED,
            "updated_at": CREATED,
            "due_date": DUE,
            "labels": [],
            "assignees": [{"id": 7, "name": "Анна", "username": "anna"}],
        }
        notes = []
        if comment is not None:
            author = {"id": 7, "name": "Анна", "username": "anna"}
            notes.append({"id": 1, "body": comment, "author": author, "created_at": COMMENTED})
        ctx = GitLabContext(source="gitlab", bot_id="99", doing_labels=("doing",))
        return gitlab_issue(issue, notes, [], [], ctx)
    cloud = case.fmt == "adf"
    fields = {
        "summary": case.file,
        "description": description,
        "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
        "created": CREATED,
        "updated": CREATED,
        "duedate": DUE,
        "assignee": ANNA,
    }
    comments = []
    if comment is not None:
        comments.append({"id": "1", "author": ANNA, "created": COMMENTED, "body": comment})
    ctx = JiraContext(
        source="jira",
        server="https://jira.example",
        cloud=cloud,
        body_format=case.fmt,
        bot=Person(id="syncd", name="syncd"),
    )
    return jira_issue({"id": "1", "key": "GOLD-1", "fields": fields}, ctx, comments, [])


def _context() -> Context:
    calendar = BusinessCalendar(CalendarConfig(timezone="Europe/Moscow"))
    return Context(NOW, calendar.local_date(NOW), calendar, frozenset())


def actual_verdict(case: Case, *, aliases: bool = False) -> dict[str, bool]:
    """What syncd reads in the case, in the manifest's terms. ``aliases`` configures an
    unrelated section alias on ``required-sections`` (it makes the rule re-parse)."""
    task = task_of(case)
    if case.kind == "comments":
        return {"checkpoint": Checkpoint().check(task, _context()) is None}
    params = RequiredSectionsParams(aliases=UNRELATED_ALIASES if aliases else {})
    finding = RequiredSections(params).check(task, _context())
    missing = set(finding.data["missing"].split(",")) if finding is not None else set()
    return {name: name not in missing for name in SECTIONS}
