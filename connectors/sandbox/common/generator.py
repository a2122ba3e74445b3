"""Seeds of any size for benchmarks, in the same ``syncd-seed/1`` format as hand-written ones.

Deterministic for a given ``seed`` (random generator seed), so benchmark runs compare.
The mix resembles agency work: most tasks open, some overdue, some with goal and acceptance
criteria and some without, a few comments each, one assignee (valid for every flavour).
With ``documents="adf"`` every description and comment is given as an ADF document (the form
Jira Cloud stores), as a seed exported from a Cloud site would be; the default is Markdown.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from connectors.sandbox.common.seed import gc_paused

__all__ = ["generate_seed"]

_TYPES = ("Task", "Task", "Task", "Design", "Story", "Bug", "Copy")
_PRIORITIES = (None, "Low", "Medium", "Medium", "High")
_LABELS = ("email", "web", "ads", "report", "content", "audit")
_TITLES = ("Landing page", "Рассылка", "Баннеры", "Отчёт", "Audit", "Copy for", "Вёрстка")
_GOOD = (
    "## Goal\nRaise sign-ups by {n} %.\n\n"
    "## Acceptance criteria\n- metric tracked\n- client approved\n"
)
_GOOD_RU = (
    "## Цель\nПолучить {n} заявок.\n\n## Критерии приёмки\n- метрика настроена\n- согласовано\n"
)


_COMMENTS = (
    "Checkpoint: on track.",
    "Checkpoint: **blocked** on the client's assets.\n\n- logo\n- copy",
    "Asked the client about the deadline.",
)


def _comment_text(task: int, index: int, documents: Literal["markdown", "adf"]) -> str:
    # Not drawn from the generator's random stream: both forms describe the same tasks.
    if documents == "markdown":
        return _COMMENTS[0]
    return _COMMENTS[(task + index) % len(_COMMENTS)]


@lru_cache(maxsize=4096)
def _adf_json(md: str) -> str:
    from connectors.sandbox.common.docconv import markdown_to_adf

    return json.dumps(markdown_to_adf(md), ensure_ascii=False)


def _document(md: str, documents: Literal["markdown", "adf"]) -> Any:
    if documents == "markdown":
        return md
    # A fresh object per task (the sandbox edits documents in place of whole fields only,
    # but shared objects would make that an easy mistake to miss).
    return {"adf": json.loads(_adf_json(md))}


def generate_seed(
    n_tasks: int,
    n_projects: int = 10,
    n_users: int = 20,
    seed: int = 0,
    now: datetime | None = None,
    *,
    documents: Literal["markdown", "adf"] = "markdown",
) -> dict[str, Any]:
    """A seed with ``n_tasks`` tasks spread over ``n_projects`` projects; descriptions and
    comments in ``documents`` form."""
    with gc_paused():  # millions of acyclic objects: collections would only walk them
        return _generate(n_tasks, n_projects, n_users, seed=seed, now=now, documents=documents)


def _generate(
    n_tasks: int,
    n_projects: int,
    n_users: int,
    *,
    seed: int,
    now: datetime | None,
    documents: Literal["markdown", "adf"],
) -> dict[str, Any]:
    rng = random.Random(seed)
    anchor = now or datetime.fromisoformat("2026-11-23T09:00:00+03:00")
    users: list[dict[str, Any]] = [
        {
            "id": "bot",
            "name": "syncd",
            "username": "syncd-bot",
            "email": "syncd@agency.example",
            "time_zone": "Europe/Moscow",
            "bot": True,
            "token": "bot-token",
        }
    ]
    for i in range(1, n_users):
        users.append(
            {
                "id": f"u{i}",
                "name": f"User {i}",
                "username": f"user{i}",
                "email": f"user{i}@agency.example",
                "time_zone": rng.choice(("Europe/Moscow", "Europe/London", "Asia/Kolkata")),
                "token": f"user{i}-token",
            }
        )
    people = [u["id"] for u in users[1:]] or ["bot"]
    projects = [
        {"key": f"P{i}", "name": f"Project {i}", "client": f"Client {i % max(1, n_projects // 2)}"}
        for i in range(n_projects)
    ]
    tasks: list[dict[str, Any]] = []
    for n in range(n_tasks):
        project = projects[n % n_projects]["key"]
        created = anchor - timedelta(days=rng.randint(1, 90), minutes=rng.randint(0, 600))
        status = rng.choice(("new", "in_progress", "in_progress", "done"))
        started = created + timedelta(hours=rng.randint(1, 72)) if status != "new" else None
        resolved = (
            started + timedelta(days=rng.randint(1, 10)) if status == "done" and started else None
        )
        due = (created + timedelta(days=rng.randint(3, 40))).date()
        comments: list[dict[str, Any]] = []
        moment = started or created
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            moment += timedelta(hours=rng.randint(1, 48))
            comments.append(
                {
                    "author": rng.choice(people),
                    "created": moment.isoformat(),
                    "body": _document(_comment_text(n, len(comments), documents), documents),
                }
            )
        roll = rng.random()
        if roll < 0.5:
            description: str | None = (_GOOD if roll < 0.3 else _GOOD_RU).format(
                n=rng.randint(5, 500)
            )
        elif roll < 0.9:
            description = "Do it like last time."
        else:
            description = None
        task: dict[str, Any] = {
            "project": project,
            "number": n // n_projects + 1,
            "title": f"{rng.choice(_TITLES)} #{n}",
            "type": rng.choice(_TYPES),
            "status": status,
            "assignees": [rng.choice(people)] if rng.random() < 0.9 else [],
            "reporter": rng.choice(people),
            "priority": rng.choice(_PRIORITIES),
            "labels": rng.sample(_LABELS, rng.randint(0, 2)),
            "created": created.isoformat(),
            "started": started.isoformat() if started else None,
            "due": due.isoformat() if rng.random() < 0.85 else None,
            "resolved": resolved.isoformat() if resolved else None,
            "description": None if description is None else _document(description, documents),
            "comments": comments,
        }
        tasks.append(task)
    return {
        "format": "syncd-seed/1",
        "now": anchor.isoformat(),
        "users": users,
        "projects": projects,
        "tasks": tasks,
    }
