"""The GitLab write path: notes carrying syncd's hidden marker, finding them, labels.

- ``posted_reminders`` lists the issue's notes oldest first and reads the tag
  (``connectors.markers``) of the bot's own non-system notes only: anyone can type or quote
  ``<!-- syncd:… -->`` (NOTES: it marks, it does not authenticate). ``find_marker`` is one
  exact marker among them.
- ``post_reminder`` never looks for the marker itself — the caller already did (the
  contract: claim → find → post → confirm) — and never retries; the note budget is checked
  before any request goes out, so a spent budget costs no traffic.
- A body made only of quick actions answers 202 with no note: a clear error, not a crash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.gitlab.reads import until_after
from connectors.gitlab.render import render_markdown
from connectors.markers import PostedReminder, comment_carrying, parse_tags
from syncd.core.errors import FatalError
from syncd.core.models import Reminder

if TYPE_CHECKING:
    from connectors.gitlab.connector import GitLabConnector

__all__ = ["find_marker", "post_reminder", "posted_reminders", "set_labels"]


def posted_reminders(conn: GitLabConnector, task_key: str) -> list[PostedReminder]:
    path, iid = conn._issue_ref(task_key)
    bot_id = conn.bot().id
    found: list[PostedReminder] = []
    for note in conn._notes(path, iid, task_key):
        author = str((note.get("author") or {}).get("id"))
        if not note.get("system") and author == bot_id:
            found.extend(parse_tags(str(note.get("body")), str(note["id"])))
    return found


def find_marker(conn: GitLabConnector, task_key: str, marker: str) -> str | None:
    return comment_carrying(posted_reminders(conn, task_key), marker)


def post_reminder(conn: GitLabConnector, task_key: str, reminder: Reminder) -> str:
    """Post one note. The caller has looked for the marker (the contract); this never
    retries. The note budget is checked before any request goes out."""
    try:
        body = render_markdown(reminder)
    except ValueError as exc:
        raise FatalError(
            f"cannot render reminder for {task_key}: {exc}", source=conn.source
        ) from None
    path, iid = conn._issue_ref(task_key)
    conn.budget.spend()
    with conn.errors(f"create note on {task_key}"):
        created = conn._lazy_issue(path, iid).notes.create({"body": body})
    note_id = created.attributes.get("id")
    if note_id is None:  # 202: GitLab ran quick actions and created no note
        raise FatalError(
            f"GitLab created no note on {task_key}: the body was taken as quick actions "
            f"({created.attributes.get('summary')})",
            source=conn.source,
            status=202,
        )
    # The next sync sees the issue bumped by this note: known, so not read back.
    until = until_after(created.attributes, conn.tracker_clock.after_latest())
    if until is not None:
        conn.own.noted(task_key, dict(created.attributes), until)
    return str(note_id)


def set_labels(
    conn: GitLabConnector, task_key: str, add: tuple[str, ...], remove: tuple[str, ...]
) -> None:
    if not add and not remove:
        return
    path, iid = conn._issue_ref(task_key)
    data = {"add_labels": ",".join(add), "remove_labels": ",".join(remove)}
    with conn.errors(f"set labels on {task_key}"):
        answer = conn.gl.projects.get(path, lazy=True).issues.update(iid, data)
    conn.own.labelled(task_key, answer)  # the issue as changed: not read back next sync
