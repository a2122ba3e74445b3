"""``syncd check``: what syncd would flag at a given moment, as a table or JSON Lines.

JSON shape (``schema: "syncd.check/1"``, one object per line, documented in the README):
``source, key, rule, severity, message, fingerprint, detected_at, data`` and, when the
reminder would be held back outside working hours, ``queued_until``. ``data`` carries the
rule's facts, e.g. ``checkpoint_at`` for the checkpoint rule.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from syncd.check_lines import AT, CHECK_SCHEMA, fill, line_template, queued_field
from syncd.core.models import Finding, Severity
from syncd.evaluation import iter_verdicts
from syncd.store.kept_results import KeptLine

if TYPE_CHECKING:
    from rich.console import Console

    from config.policy import Policy
    from rules.engine import Engine
    from syncd.store import Store
    from syncd.wiring import App

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

CheckRow = tuple[Finding, datetime | None]
"""A finding and, when a reminder would wait for working hours, until when."""

_CHUNK = 2000
"""Lines joined and filled in per write."""


@dataclass
class _SourceRows:
    """One source's rows in print order: the findings of the tasks evaluated by this run
    (held, sorted) merged with the kept lines of the others (streamed from the store,
    already in order, each time the rows are read)."""

    source: str
    queued: datetime | None
    at: str
    """The detection moment of kept findings (what evaluating them now would stamp)."""
    evaluated: list[KeptLine] = field(default_factory=list)
    """Their templates have ``AT`` filled with each finding's own moment already."""
    evaluated_keys: set[str] = field(default_factory=set)
    kept: Callable[[], Iterator[KeptLine]] | None = None

    def rows(self) -> Iterator[KeptLine]:
        if self.kept is None:
            return iter(self.evaluated)
        stream = self.kept()  # without the tasks evaluated: their lines are `evaluated`
        return heapq.merge(stream, self.evaluated) if self.evaluated else stream


def _template(f: Finding) -> str:
    return line_template(
        f.source,
        f.task_key,
        rule=f.rule,
        severity=f.severity.value,
        message=f.message,
        fingerprint=f.fingerprint,
        data=f.data,
    )


def _evaluated_line(f: Finding, seq: int) -> KeptLine:
    line = _template(f).replace(AT, f.detected_at.isoformat())
    return (f.rule, f.task_key, seq, f.severity.value, f.message, line)


class CheckRows:
    """``check``'s rows, sorted by source, rule and task; iterating yields ``CheckRow``.

    Held as ``check`` prints them, not as findings: the lines of tasks whose kept result
    holds are streamed from the store in print order (``kept_findings``), and only the
    findings of tasks evaluated by this run are held. Printing JSON is then joining
    stored lines and filling in two moments (``syncd.check_lines``)."""

    def __init__(self, sources: Iterable[_SourceRows] = ()) -> None:
        # Print order is by source first (each source's rows are in order already).
        self._sources = sorted(sources, key=lambda p: p.source)
        self._counts: tuple[int, int] | None = None if self._sources else (0, 0)

    def _rows(self) -> Iterator[tuple[_SourceRows, KeptLine]]:
        findings = errors = 0
        for part in self._sources:
            for row in part.rows():
                findings += 1
                errors += row[3] == "error"
                yield part, row
        self._counts = (findings, errors)

    def _count(self) -> tuple[int, int]:
        if self._counts is None:
            for _ in self._rows():
                pass
        assert self._counts is not None
        return self._counts

    @property
    def errors(self) -> int:
        """How many findings have error severity (the exit code's business)."""
        return self._count()[1]

    def json_chunks(self) -> Iterator[str]:
        """``iter_json``'s lines, each followed by a newline, many lines per string."""
        findings = errors = 0
        for part in self._sources:
            queued = queued_field(part.queued)
            rows = part.rows()
            while batch := list(itertools.islice(rows, _CHUNK)):
                findings += len(batch)
                errors += sum(1 for r in batch if r[3] == "error")
                yield fill("\n".join([r[5] for r in batch]) + "\n", part.at, queued)
        self._counts = (findings, errors)

    def json_lines(self) -> Iterator[str]:
        """:func:`iter_json` of these rows, with no ``Finding`` built for each."""
        for chunk in self.json_chunks():
            # Not splitlines(): a message may hold U+2028 or U+0085, which JSON leaves as is.
            yield from chunk[:-1].split("\n")

    def table_rows(self) -> Iterator[tuple[str, str, str, str, str, datetime | None]]:
        """(source, rule, task key, severity, message, queued until) of each row."""
        for part, (rule, key, _seq, severity, message, _line) in self._rows():
            yield part.source, rule, key, severity, message, part.queued

    def __len__(self) -> int:
        return self._count()[0]

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[CheckRow]:
        for part, row in self._rows():
            obj = json.loads(fill(row[5], part.at, ""))
            finding = Finding.model_construct(
                rule=obj["rule"],
                source=obj["source"],
                task_key=obj["key"],
                severity=Severity(obj["severity"]),
                message=obj["message"],
                fingerprint=obj["fingerprint"],
                detected_at=datetime.fromisoformat(obj["detected_at"]),
                data=obj["data"],
            )
            yield finding, part.queued


def sync_for_check(app: App, selected: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Read the ``selected`` sources into the store, never writing to a tracker. Returns
    the sources that could not be read and those that could not even be set up (a secret
    not set...), each with its reason; one source's failure never stops the others."""
    from syncd.core.clock import process_clock
    from syncd.source_cycle import SourceUnavailable, build_runners, failure_text

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
    from rules.engine import Engine

    if sync:
        failed, broken = sync_for_check(app, sources)
    rows = collect(app.policy, app.store, Engine.from_policy(app.policy), at, sources)
    if as_json:
        # Many lines per write: echo flushes every line, 200,000 flushes at scale.
        for chunk in rows.json_chunks():
            sys.stdout.write(chunk)
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
    Only the tasks whose kept result does not hold at ``at`` are evaluated (and their
    result kept, ``syncd.evaluation``); their findings are held, the others' lines are
    read from the store when the rows are printed (``CheckRows``). ``keep=False``
    evaluates every task."""
    by_name = {s.name: s for s in policy.sources}
    parts: list[_SourceRows] = []
    for name in sources:
        calendar = engine.calendar(name)
        queued = None if calendar.is_working_time(at) else calendar.next_working_time(at)
        if by_name[name].enforce is False:
            queued = None  # report-only: nothing will be posted, now or later
        # Kept findings are detected at `at`, as the engine stamps the ones it finds.
        part = _SourceRows(name, queued, at.astimezone(UTC).isoformat())
        for verdict in iter_verdicts(store, engine, name, at, keep=keep, stale_only=keep):
            part.evaluated_keys.add(verdict.key)
            part.evaluated.extend(_evaluated_line(f, seq) for seq, f in enumerate(verdict.findings))
        part.evaluated.sort()  # (rule, task key, order within the task): unique
        if keep and len(part.evaluated_keys) < store.count_open_tasks(name):
            part.kept = functools.partial(store.iter_kept_lines, name, part.evaluated_keys)
        parts.append(part)
    return CheckRows(parts)


def _json_line(finding: Finding, queued: datetime | None) -> str:
    return fill(_template(finding), finding.detected_at.isoformat(), queued_field(queued))


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
    from rich.console import Console
    from rich.table import Table

    # A pipe or CI log has no width; 160 columns keep messages on one line there.
    console = console or Console(file=sys.stdout, width=None if sys.stdout.isatty() else 160)
    table = Table(show_lines=False)
    for column in ("source", "rule", "task", "severity", "message", "reminder"):
        table.add_column(column)
    printed = (
        rows.table_rows()
        if isinstance(rows, CheckRows)
        else (
            (f.source, f.rule, f.task_key, f.severity.value, f.message, queued)
            for f, queued in rows
        )
    )
    count = 0
    for source, rule, key, severity, message, queued in printed:
        count += 1
        style = {"error": "red", "warning": "yellow"}.get(severity, "")
        if source in report_only:
            when = "report-only"
        else:
            when = f"queued until {queued:%a %H:%M}" if queued else "now"
        table.add_row(
            source, rule, key, f"[{style}]{severity}[/]" if style else severity, message, when
        )
    if not count and not_read:
        console.print(
            f"Not read: {', '.join(sorted(not_read))}. No findings in what is stored, "
            "which may be out of date (the reason is below)."
        )
        return
    if not count:
        console.print("No findings: every task in scope is in order.")
        return
    table.title = f"{count} finding(s)"
    console.print(table)


def has_errors(rows: Iterable[CheckRow] | CheckRows) -> bool:
    if isinstance(rows, CheckRows):
        return rows.errors > 0
    return any(f.severity is Severity.ERROR for f, _ in rows)
