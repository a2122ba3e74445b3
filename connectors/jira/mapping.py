"""Raw Jira JSON (REST v2 or v3, Cloud or Data Center) → the normalized ``Task``.

Works on ``issue.raw`` dicts only: with ``rest_api_version="3"`` the library wraps ADF in
``PropertyHolder`` objects, and dicts are what the tests can build by hand. Nothing
``jira``-specific leaves this module.

Facts respected here (see the Jira NOTES): timestamps carry their own offset (``+0300``) and
are never assumed UTC; people are accountIds on Cloud and user names on Data Center, never
e-mails; ``duedate`` is a bare date; the "Start date" field id differs per site.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from connectors.jira.history import activity_of, spell_start
from connectors.jira.render import PROPERTY_KEY
from connectors.jira.values import (
    JiraContext,
    category_of,
    parse_date,
    parse_ts,
    person,
)
from connectors.text_sanitize import clean_task
from rules.documents.sections import document_source, parse_description, to_plain_text
from syncd.core.models import Comment, Person, Task

__all__ = ["BASE_FIELDS", "body_text", "map_comment", "map_issue"]

BASE_FIELDS = (
    "summary",
    "status",
    "assignee",
    "reporter",
    "priority",
    "labels",
    "components",
    "issuetype",
    "project",
    "created",
    "updated",
    "duedate",
    "resolutiondate",
    "description",
    "comment",
)
"""What a sync asks for. Cloud's search returns only ``id`` unless told otherwise."""


def body_text(body: Any, fmt: str) -> str:
    """Plain text of a description or comment body; a plain string on v3 is read as text."""
    if body is None:
        return ""
    if fmt == "adf" and isinstance(body, str):
        return to_plain_text(body, "text")
    return to_plain_text(body, fmt)


def map_comment(raw: dict[str, Any], ctx: JiraContext, where: str) -> Comment:
    author = person(raw.get("author"), ctx.cloud) or Person(id="unknown", name="")
    text = body_text(raw.get("body"), ctx.body_format)
    props = {
        p.get("key"): p.get("value") for p in raw.get("properties") or [] if isinstance(p, dict)
    }
    # The bot's by author, or by syncd's comment property (only the API sets it). Never by
    # the marker text alone: a person quoting a reminder writes a human checkpoint comment.
    is_bot = author.id == ctx.bot.id or PROPERTY_KEY in props
    return Comment(
        id=str(raw.get("id")),
        author=author,
        created=parse_ts(raw.get("created"), f"{where}.created"),
        body=text,
        is_bot=is_bot,
    )


def map_issue(
    raw: dict[str, Any],
    ctx: JiraContext,
    comments: Sequence[dict[str, Any]],
    histories: Sequence[dict[str, Any]],
) -> Task:
    """One issue. ``comments`` and ``histories`` must be complete (the caller pages them)."""
    key = str(raw.get("key"))
    fields = raw.get("fields") or {}
    where = f"issue {key}"
    fmt = ctx.body_format
    description = fields.get("description")
    if fmt == "adf" and isinstance(description, str):
        desc_fmt = "text"
    else:
        desc_fmt = fmt if description is not None else "text"
    assignee = person(fields.get("assignee"), ctx.cloud)
    planned = None
    if ctx.start_field:
        start_day = parse_date(fields.get(ctx.start_field), f"{where}.fields.{ctx.start_field}")
        if start_day is not None:
            planned = datetime.combine(start_day, time(0, 0), tzinfo=ctx.zone)
    mapped_comments = tuple(
        map_comment(c, ctx, f"{where}.comment[{n}]") for n, c in enumerate(comments)
    )
    task = Task(
        source=ctx.source,
        key=key,
        id=str(raw.get("id")),
        url=f"{ctx.server.rstrip('/')}/browse/{key}",
        project=str((fields.get("project") or {}).get("key") or key.rsplit("-", 1)[0]),
        title=str(fields.get("summary") or ""),
        description_text=body_text(description, desc_fmt),
        description_format=desc_fmt,
        description_source=document_source(description),
        sections=parse_description(description, desc_fmt, ctx.aliases),
        status=str((fields.get("status") or {}).get("name") or ""),
        status_category=category_of(fields.get("status")),
        assignees=(assignee,) if assignee else (),
        reporter=person(fields.get("reporter"), ctx.cloud),
        priority=(fields.get("priority") or {}).get("name"),
        labels=tuple(str(label) for label in fields.get("labels") or ()),
        components=tuple(str(c.get("name")) for c in fields.get("components") or ()),
        issue_type=str((fields.get("issuetype") or {}).get("name") or "Task"),
        created=parse_ts(fields.get("created"), f"{where}.fields.created"),
        updated=parse_ts(fields.get("updated"), f"{where}.fields.updated"),
        start=spell_start(histories, ctx, planned),
        due=parse_date(fields.get("duedate"), f"{where}.fields.duedate"),
        resolved=(
            parse_ts(fields["resolutiondate"], f"{where}.fields.resolutiondate")
            if fields.get("resolutiondate")
            else None
        ),
        comments=mapped_comments,
        activity=activity_of(histories, ctx, where),
    )
    return clean_task(task)  # the one place tracker text is made safe (lone surrogates, NUL)
