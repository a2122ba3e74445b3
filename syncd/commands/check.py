"""``syncd check``: what syncd would flag at a given moment, as a table or JSON Lines.

JSON shape (``schema: "syncd.check/1"``, one object per line, documented in the README):
``source, key, rule, severity, message, fingerprint, detected_at, data`` and, when the
reminder would be held back outside working hours, ``queued_until``. ``data`` carries the
rule's facts, e.g. ``checkpoint_at`` for the checkpoint rule.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console
from rich.table import Table

from config.policy import Policy
from rules.engine import Engine
from syncd.core.clock import process_clock
from syncd.core.models import Finding, Severity
from syncd.source_cycle import SourceUnavailable, build_runners, evaluate_source, failure_text
from syncd.store import Store
from syncd.wiring import App

__all__ = [
    "CHECK_SCHEMA",
    "CheckOutcome",
    "CheckRow",
    "collect",
    "has_errors",
    "render_json",
    "render_table",
    "run_check",
    "sync_for_check",
]

CHECK_SCHEMA = "syncd.check/1"

CheckRow = tuple[Finding, datetime | None]
"""A finding and, when a reminder would wait for working hours, until when."""


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
    rows: list[CheckRow]
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
        text = render_json(rows)
        if text:
            echo(text)
    else:
        quiet = frozenset(s.name for s in app.policy.sources if not s.enforce)
        render_table(rows, report_only=quiet, not_read=frozenset({*broken, *failed}))
    for name, error in {**broken, **failed}.items():
        warn(f"{name}: not read, findings are from the stored state: {error}")
    return CheckOutcome(rows=rows, not_set_up=broken, not_read=failed)


def collect(
    policy: Policy, store: Store, engine: Engine, at: datetime, sources: Sequence[str]
) -> list[CheckRow]:
    """Evaluate ``sources`` at ``at`` over the stored state (pure: same state, same rows)."""
    by_name = {s.name: s for s in policy.sources}
    rows: list[CheckRow] = []
    for name in sources:
        calendar = engine.calendar(name)
        queued = None if calendar.is_working_time(at) else calendar.next_working_time(at)
        if by_name[name].enforce is False:
            queued = None  # report-only: nothing will be posted, now or later
        rows.extend((f, queued) for f in evaluate_source(store, engine, name, at).findings)
    rows.sort(key=lambda r: (r[0].source, r[0].rule, r[0].task_key))
    return rows


def render_json(rows: Sequence[CheckRow]) -> str:
    lines = []
    for finding, queued in rows:
        obj = {
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
        lines.append(json.dumps(obj, ensure_ascii=False, sort_keys=True))
    return "\n".join(lines)


def render_table(
    rows: Sequence[CheckRow],
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


def has_errors(rows: Sequence[CheckRow]) -> bool:
    return any(f.severity is Severity.ERROR for f, _ in rows)
