"""``syncd check``: what syncd would flag at a given moment, as a table or JSON Lines.

JSON shape (``schema: "syncd.check/1"``, one object per line, documented in the README):
``source, key, rule, severity, message, fingerprint, detected_at, data`` and, when the
reminder would be held back outside working hours, ``queued_until``. ``data`` carries the
rule's facts, e.g. ``checkpoint_at`` for the checkpoint rule.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from config.policy import Policy
from rules.engine import Engine
from syncd.cycle import iter_source_findings
from syncd.models import Finding, Severity
from syncd.store import Store

__all__ = [
    "CHECK_SCHEMA",
    "CheckRow",
    "CheckRows",
    "collect",
    "has_errors",
    "iter_json",
    "render_json",
    "render_table",
]

CHECK_SCHEMA = "syncd.check/1"

CheckRow = tuple[Finding, datetime | None]
"""A finding and, when a reminder would wait for working hours, until when."""


_Compact = tuple[str, str, str, Severity, str, str, datetime, dict[str, str], datetime | None]
"""A finding without its pydantic object: source, rule, task key first (the sort order)."""


class CheckRows:
    """``check``'s rows, sorted by source, rule and task; iterating yields ``CheckRow``.

    A finding is held as a plain tuple (a pydantic ``Finding`` weighs about three times
    as much): a broken 100,000-task backlog has some 200,000 findings, and the sort needs
    them all at once. Findings are rebuilt one at a time, without re-validation (they
    were valid when the rule made them), as the renderers walk the rows."""

    def __init__(self, findings: Iterable[CheckRow] = ()) -> None:
        self._rows: list[_Compact] = []
        self.errors = 0
        """How many findings have error severity (the exit code's business)."""
        self.extend(findings)

    def extend(self, findings: Iterable[CheckRow]) -> None:
        for f, queued in findings:
            if f.severity is Severity.ERROR:
                self.errors += 1
            self._rows.append(
                (
                    f.source,
                    f.rule,
                    f.task_key,
                    f.severity,
                    f.message,
                    f.fingerprint,
                    f.detected_at,
                    f.data,
                    queued,
                )
            )

    def sort(self) -> None:
        self._rows.sort(key=lambda r: (r[0], r[1], r[2]))

    def __len__(self) -> int:
        return len(self._rows)

    def __bool__(self) -> bool:
        return bool(self._rows)

    def compact(self) -> Iterator[_Compact]:
        """The rows as stored: what the JSON renderer reads, with no model to build."""
        return iter(self._rows)

    def __iter__(self) -> Iterator[CheckRow]:
        for source, rule, key, severity, message, fp, detected, data, queued in self._rows:
            finding = Finding.model_construct(
                rule=rule,
                source=source,
                task_key=key,
                severity=severity,
                message=message,
                fingerprint=fp,
                detected_at=detected,
                data=data,
            )
            yield finding, queued


def collect(
    policy: Policy, store: Store, engine: Engine, at: datetime, sources: Sequence[str]
) -> CheckRows:
    """Evaluate ``sources`` at ``at`` over the stored state (pure: same state, same rows).
    Tasks stream from the store; only the findings are kept (compactly, see ``CheckRows``)."""
    by_name = {s.name: s for s in policy.sources}
    rows = CheckRows()
    for name in sources:
        calendar = engine.calendar(name)
        queued = None if calendar.is_working_time(at) else calendar.next_working_time(at)
        if by_name[name].enforce is False:
            queued = None  # report-only: nothing will be posted, now or later
        rows.extend((f, queued) for f in iter_source_findings(store, engine, name, at))
    rows.sort()
    return rows


def _json_line(  # noqa: PLR0917 - the columns of a compact row, in order
    source: str,
    rule: str,
    key: str,
    severity: Severity,
    message: str,
    fp: str,
    detected: datetime,
    data: dict[str, str],
    queued: datetime | None,
) -> str:
    obj: dict[str, Any] = {
        "schema": CHECK_SCHEMA,
        "source": source,
        "key": key,
        "rule": rule,
        "severity": severity.value,
        "message": message,
        "fingerprint": fp,
        "detected_at": detected.isoformat(),
        "data": data,
    }
    if queued is not None:
        obj["queued_until"] = queued.isoformat()
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def iter_json(rows: Iterable[CheckRow] | CheckRows) -> Iterator[str]:
    """One JSON Lines line per row, as the rows come: printing 200,000 findings need not
    build one 80 MB string first."""
    if isinstance(rows, CheckRows):
        for compact in rows.compact():
            yield _json_line(*compact)
        return
    for f, queued in rows:
        yield _json_line(
            f.source,
            f.rule,
            f.task_key,
            f.severity,
            f.message,
            f.fingerprint,
            f.detected_at,
            f.data,
            queued,
        )


def render_json(rows: Iterable[CheckRow] | CheckRows) -> str:
    return "\n".join(iter_json(rows))


def render_table(
    rows: Sequence[CheckRow] | CheckRows,
    console: Console | None = None,
    *,
    report_only: frozenset[str] = frozenset(),
    not_read: frozenset[str] = frozenset(),
) -> None:
    """``report_only``: sources whose reminders are not posted (``enforce: false``);
    ``not_read``: sources whose tracker could not be read (their rows, if any, come from
    the stored state), so "in order" cannot be claimed for them."""
    # A pipe or CI log has no width; 160 columns keep messages on one line there.
    console = console or Console(file=sys.stdout, width=None if sys.stdout.isatty() else 160)
    if not rows and not_read:
        console.print(
            f"Not read: {', '.join(sorted(not_read))}. No findings in what is stored, "
            "which may be out of date (the reason is below)."
        )
        return
    if not rows:
        console.print("No findings: every task in scope is in order.")
        return
    table = Table(title=f"{len(rows)} finding(s)", show_lines=False)
    for column in ("source", "rule", "task", "severity", "message", "reminder"):
        table.add_column(column)
    for finding, queued in rows:
        style = {"error": "red", "warning": "yellow"}.get(finding.severity.value, "")
        if finding.source in report_only:
            when = "report-only"
        else:
            when = f"queued until {queued:%a %H:%M}" if queued else "now"
        table.add_row(
            finding.source,
            finding.rule,
            finding.task_key,
            f"[{style}]{finding.severity.value}[/]" if style else finding.severity.value,
            finding.message,
            when,
        )
    console.print(table)


def has_errors(rows: Iterable[CheckRow] | CheckRows) -> bool:
    if isinstance(rows, CheckRows):
        return rows.errors > 0
    return any(f.severity is Severity.ERROR for f, _ in rows)
