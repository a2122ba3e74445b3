"""Documents as text, without sending anything: ``syncd report --month 2026-10 --client X
--format html|md`` (the monthly client report as a file, from the state store), and any
digest or monthly slot in a channel's format for previews and dry-run output."""

from __future__ import annotations

import json
from typing import Literal

from config.policy import Policy
from syncd.channels.payloads import Document, json_payload
from syncd.core.errors import SyncdError
from syncd.digest.model import Digest
from syncd.digest.monthly import missed_checkpoints, monthly_reports, parse_month, report_setting
from syncd.digest.render import render
from syncd.digest.render.monthly import render_monthly
from syncd.digest.scope import Clients
from syncd.store.store import Store

__all__ = ["preview_format", "render_document", "render_report_file"]


def render_report_file(
    policy: Policy, store: Store, month: str, client: str, fmt: Literal["html", "md"]
) -> str:
    """The report on ``client`` for ``month`` in ``fmt``, in the language and time zone of
    the manager who owns the client (English/UTC when nobody does)."""
    try:
        parse_month(month)
    except ValueError as exc:
        raise SyncdError(f"--month: {exc}") from None
    if fmt not in ("html", "md"):
        raise SyncdError(f"--format: expected html or md, got {fmt!r}")
    by_client = Clients(policy).group(store.iter_tasks())
    if client not in by_client:
        known = ", ".join(sorted(by_client)) or "no tasks in the store yet"
        raise SyncdError(f"--client: no tasks for client {client!r} (known: {known})")
    tasks = by_client[client]
    language, timezone = report_setting(policy, tasks)
    (report,) = monthly_reports(
        {client: tasks},
        missed_checkpoints(store.findings(state=None)),
        month,
        language=language,
        timezone=timezone,
    )
    return str(render_monthly(report, fmt))


def preview_format(channel_type: str) -> str:
    """The text format that shows what a channel of ``channel_type`` gets."""
    return {"email": "html"}.get(channel_type, channel_type)


def render_document(doc: Document, fmt: str) -> str:
    """A daily/weekly digest or a monthly slot in ``fmt``; JSON formats pretty-printed."""
    if isinstance(doc, Digest):
        return render(doc, fmt)
    if fmt in ("html", "md", "text", "mattermost"):
        return str(render_monthly(doc, fmt))
    if fmt == "telegram":
        return "\n\n".join(render_monthly(doc, "telegram"))
    return json.dumps(json_payload(doc, fmt), ensure_ascii=False, indent=2) + "\n"
