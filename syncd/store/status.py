"""``syncd status``: which replica serves each source, how fresh it is, what is pending.

Read-only and cheap (a handful of queries), so an operator can run it against the live
database of a running deployment. Rendered with rich into plain text (no colour codes), so
the output is the same on a terminal, in ``kubectl exec`` and in a CI log.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.table import Table

from syncd.store.ledger import SkippedRow, SourceRow
from syncd.store.store import Store

__all__ = ["ago", "render_status", "skipped_table", "status_table"]

_CURSOR_WIDTH = 60


def ago(moment: datetime | None, now: datetime) -> str:
    """``"3m ago"`` / ``"in 40s"``: coarse on purpose, status is read at a glance."""
    if moment is None:
        return "never"
    delta = now - moment
    seconds = abs(delta.total_seconds())
    if seconds < 90:
        text = f"{seconds:.0f}s"
    elif seconds < 90 * 60:
        text = f"{seconds / 60:.0f}m"
    elif seconds < 36 * 3600:
        text = f"{seconds / 3600:.0f}h"
    else:
        text = f"{seconds / 86400:.0f}d"
    return f"{text} ago" if delta >= timedelta(0) else f"in {text}"


def _lease(row: SourceRow, now: datetime) -> str:
    if row.owner is None or row.lease_expires is None:
        return "-"
    if row.lease_expires <= now:
        return f"EXPIRED {ago(row.lease_expires, now)}"
    return f"expires {ago(row.lease_expires, now)}"


def _cursor(value: dict[str, object] | None) -> str:
    if value is None:
        return "-"
    inner = value.get("connector")
    if isinstance(inner, dict):  # the cycle wraps the connector's cursor with its scope
        value = inner
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= _CURSOR_WIDTH else text[: _CURSOR_WIDTH - 1] + "…"


def _success(row: SourceRow, now: datetime) -> str:
    text = ago(row.last_success, now)
    if row.last_error and (row.last_success is None or row.last_attempt != row.last_success):
        text += f" (failing: {row.last_error[:60]})"
    return text


def status_table(rows: Iterable[SourceRow], now: datetime) -> Table:
    table = Table(title="sources", title_justify="left")
    for header in ("source", "owner", "lease", "last success", "cycles", "cursor", "pending"):
        table.add_column(header, justify="right" if header in ("cycles", "pending") else "left")
    for row in rows:
        table.add_row(
            row.source,
            row.owner or "-",
            _lease(row, now),
            _success(row, now),
            str(row.cycles),
            _cursor(row.cursor),
            str(row.pending),
        )
    return table


def skipped_table(rows: Iterable[SkippedRow], now: datetime) -> Table:
    """Tasks set aside by the cycles (``syncd.task_skips``): each is retried, the rest of
    its source is served."""
    table = Table(title="skipped tasks (retried by later cycles)", title_justify="left")
    for header in ("source", "task", "reason", "tries", "since", "last", "error"):
        table.add_column(header, justify="right" if header == "tries" else "left")
    for row in rows:
        table.add_row(
            row.source,
            row.key,
            row.reason,
            str(row.attempts),
            ago(row.first_skipped, now),
            ago(row.last_skipped, now),
            row.error[:80],
        )
    return table


def render_status(
    store: Store,
    sources: Iterable[str] | None = None,
    now: datetime | None = None,
    *,
    width: int = 140,
) -> str:
    """The status report as text: live replicas, then one line per source. ``sources``
    (the configured ones) are listed even if never polled; default: all the store knows."""
    now = now or datetime.now(UTC)
    sources = None if sources is None else list(sources)  # read twice below
    replicas = store.live_replicas(now)
    rows = store.status_rows(sources)
    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, highlight=False, emoji=False)
    console.print(
        f"backend: {store.backend}; live replicas ({len(replicas)}): "
        + (", ".join(replicas) if replicas else "none")
    )
    console.print(status_table(rows, now))
    skipped = store.skipped_tasks(sources)
    if skipped:
        console.print(skipped_table(skipped, now))
    pending = sum(r.pending for r in rows)
    console.print(
        f"{len(rows)} source(s), {pending} pending ledger entr{'y' if pending == 1 else 'ies'}, "
        f"{len(skipped)} skipped task(s)"
    )
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines())
