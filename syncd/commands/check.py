"""``syncd check``: what syncd would flag at a given moment, as a table or JSON Lines.

JSON shape (``schema: "syncd.check/1"``, one object per line, documented in the README):
``source, key, rule, severity, message, fingerprint, detected_at, data`` and, when the
reminder would be held back outside working hours, ``queued_until``. ``data`` carries the
rule's facts, e.g. ``checkpoint_at`` for the checkpoint rule.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from config.policy import Policy
from rules.engine import Engine
from syncd.core.clock import process_clock
from syncd.core.models import Finding, Severity
from syncd.evaluation import TaskVerdict, iter_verdicts
from syncd.source_cycle import SourceUnavailable, build_runners, failure_text
from syncd.store import Store
from syncd.wiring import App
from syncd.working_set import FindingList

__all__ = [
    "CHECK_SCHEMA",
    "CheckOutcome",
    "CheckRow",
    "CheckRows",
    "collect",
    "has_errors",
    "iter_json",
    "render_json",
    "render_table",
    "run_check",
    "sync_for_check",
]

CHECK_SCHEMA = "syncd.check/1"

CheckRow = tuple[Finding, datetime | None]
"""A finding and, when a reminder would wait for working hours, until when."""


class CheckRows:
    """``check``'s rows, sorted by source, rule and task; iterating yields ``CheckRow``.

    The findings are held compactly (``syncd.working_set.FindingList``): a broken
    100,000-task backlog has some 200,000 findings, and the sort needs them all at once.
    The "queued until" moment is the source's, so it is kept once per source."""

    def __init__(self) -> None:
        self._findings = FindingList()
        self._queued: dict[str, datetime | None] = {}
        self.errors = 0
        """How many findings have error severity (the exit code's business)."""

    def add(self, source: str, findings: Iterable[Finding], queued: datetime | None) -> None:
        self._queued[source] = queued
        for f in findings:
            if f.severity is Severity.ERROR:
                self.errors += 1
            self._findings.append(f)

    def add_verdicts(
        self, source: str, verdicts: Iterable[TaskVerdict], queued: datetime | None
    ) -> None:
        """Every task's findings; kept ones as they are stored, with no model built."""
        self._queued[source] = queued
        for verdict in verdicts:
            if verdict.encoded is not None:
                self.errors += self._findings.append_encoded(
                    source, verdict.key, verdict.detected_at, verdict.encoded
                )
                continue
            for f in verdict.findings:
                if f.severity is Severity.ERROR:
                    self.errors += 1
                self._findings.append(f)

    def json_lines(self) -> Iterator[str]:
        """:func:`iter_json` of these rows, with no ``Finding`` built for each."""
        queued = self._queued
        moments: dict[datetime, str] = {}
        for rule, source, key, severity, message, fp, detected, data in self._findings.fields():
            at = moments.get(detected)
            if at is None:
                at = moments[detected] = detected.isoformat()
            obj: dict[str, Any] = {
                "schema": CHECK_SCHEMA,
                "source": source,
                "key": key,
                "rule": rule,
                "severity": severity.value,
                "message": message,
                "fingerprint": fp,
                "detected_at": at,
                "data": data,
            }
            until = queued[source]
            if until is not None:
                obj["queued_until"] = until.isoformat()
            yield json.dumps(obj, ensure_ascii=False, sort_keys=True)

    def sort(self) -> None:
        self._findings.sort_by_place()

    def __len__(self) -> int:
        return len(self._findings)

    def __bool__(self) -> bool:
        return bool(self._findings)

    def __iter__(self) -> Iterator[CheckRow]:
        queued = self._queued
        for finding in self._findings:
            yield finding, queued[finding.source]


def sync_for_check(app: App, selected: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Read the ``selected`` sources into the store, never writing to a tracker. Returns
    the sources that could not be read and those that could not even be set up (a secret
    not set...), each with its reason; one source's failure never stops the others."""
    failed: dict[str, str] = {}
    broken: dict[str, str] = {}
    settings = app.settings.model_copy(update={"dry_run": True})  # check never writes
    runners = build_runners(
        app.policy,
        settings,
        app.store,
        process_clock(app.settings.clock_start),
        only=set(selected),
        interactive=True,
    )
    for runner in runners:
        try:
            runner.sync()
        except SourceUnavailable as exc:
            broken[runner.source] = exc.reason
        except Exception as exc:  # one source's failure never hides the others' findings
            failed[runner.source] = failure_text(exc)
        finally:
            runner.close()
    return failed, broken


@dataclass(frozen=True)
class CheckOutcome:
    rows: CheckRows
    not_set_up: dict[str, str]
    """Sources that could not even be set up (a secret not set...), with the reason."""
    not_read: dict[str, str]
    """Sources whose tracker could not be read, with the reason."""


def run_check(
    app: App,
    at: datetime,
    sources: Sequence[str],
    *,
    sync: bool,
    as_json: bool,
    echo: Callable[[str], None],
    warn: Callable[[str], None],
) -> CheckOutcome:
    """Read ``sources`` (unless ``sync`` is False; never writing), then print the findings
    at ``at`` over the stored state: the rows on ``echo``, every source not read on
    ``warn``. A source that cannot be read still shows what is stored for it."""
    failed: dict[str, str] = {}  # could not be read
    broken: dict[str, str] = {}  # could not even be set up (a secret is missing...)
    if sync:
        failed, broken = sync_for_check(app, sources)
    rows = collect(app.policy, app.store, Engine.from_policy(app.policy), at, sources)
    if as_json:
        # Buffered writes: echo flushes every line, 200,000 flushes at scale.
        for line in iter_json(rows):
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    else:
        quiet = frozenset(s.name for s in app.policy.sources if not s.enforce)
        render_table(rows, report_only=quiet, not_read=frozenset({*broken, *failed}))
    for name, error in {**broken, **failed}.items():
        warn(f"{name}: not read, findings are from the stored state: {error}")
    return CheckOutcome(rows=rows, not_set_up=broken, not_read=failed)


def collect(
    policy: Policy,
    store: Store,
    engine: Engine,
    at: datetime,
    sources: Sequence[str],
    *,
    keep: bool = True,
) -> CheckRows:
    """Evaluate ``sources`` at ``at`` over the stored state (pure: same state, same rows).
    Tasks stream from the store; only the findings are kept (compactly, see ``CheckRows``).
    Tasks whose kept result holds at ``at`` are not evaluated again, and those evaluated
    are kept (``syncd.evaluation``); ``keep=False`` evaluates every task."""
    by_name = {s.name: s for s in policy.sources}
    rows = CheckRows()
    for name in sources:
        calendar = engine.calendar(name)
        queued = None if calendar.is_working_time(at) else calendar.next_working_time(at)
        if by_name[name].enforce is False:
            queued = None  # report-only: nothing will be posted, now or later
        rows.add_verdicts(name, iter_verdicts(store, engine, name, at, keep=keep), queued)
    rows.sort()
    return rows


def _json_line(finding: Finding, queued: datetime | None) -> str:
    obj: dict[str, Any] = {
        "schema": CHECK_SCHEMA,
        "source": finding.source,
        "key": finding.task_key,
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
        "fingerprint": finding.fingerprint,
        "detected_at": finding.detected_at.isoformat(),
        "data": finding.data,
    }
    if queued is not None:
        obj["queued_until"] = queued.isoformat()
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def iter_json(rows: Iterable[CheckRow]) -> Iterator[str]:
    """One JSON Lines line per row, as the rows come: printing 200,000 findings need not
    build one 80 MB string first."""
    if isinstance(rows, CheckRows):
        yield from rows.json_lines()
        return
    for finding, queued in rows:
        yield _json_line(finding, queued)


def render_json(rows: Iterable[CheckRow]) -> str:
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
