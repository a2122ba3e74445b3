"""``syncd once``: every source once, then the digests that are due. A failing source is
reported and the others still run — the same isolation the daemon gives."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from rules.engine import Engine
from syncd.core.clock import Clock
from syncd.core.logs import get_logger
from syncd.cycle_summary import cycle_line, rule_summary
from syncd.progress import CycleProgress
from syncd.source_cycle import (
    CycleReport,
    SourceRunner,
    SourceUnavailable,
    build_runners,
    failure_text,
)
from syncd.wiring import App

__all__ = ["OnceOutcome", "run_once"]

log = get_logger("syncd.once")


@dataclass(frozen=True)
class OnceOutcome:
    reports: list[CycleReport]
    """One per source, in policy order; a source that failed has ``failed=1``."""
    failed_digests: int
    """Digest deliveries that failed (retried by the next run)."""
    not_set_up: dict[str, str]
    """Sources that could not even be set up (a secret not set...), with the reason."""


def run_once(
    app: App,
    clock: Clock,
    *,
    echo: Callable[[str], None] | None = None,
    comments: Callable[[str], None] | None = None,
    progress: CycleProgress | None = None,
) -> OnceOutcome:
    """Every source once, then the digests due.

    ``echo`` gets a summary: a line per source and, where nothing is written (report-only,
    dry-run), the findings per rule with a few examples. ``comments`` gets every would-be
    comment and label change in full (``--verbose``, ``--output``). ``progress`` is told
    how each cycle advances."""
    engine = Engine.from_policy(app.policy)  # one for the cycles and the digests
    runners = build_runners(
        app.policy,
        app.settings,
        app.store,
        clock,
        echo=comments,
        engine=engine,
        print_dry_run=False,
    )
    budgets = {s.name: s.max_actions_per_cycle for s in app.policy.sources}
    quiet = {s.name for s in app.policy.sources if not s.enforce}
    reports: list[CycleReport] = []
    not_set_up: dict[str, str] = {}
    try:
        for runner in runners:
            if isinstance(runner, SourceRunner):  # one that cannot be set up has no cycle
                runner.progress = progress
            now = clock.now()
            try:
                report = runner.run_cycle(now)
            except SourceUnavailable as exc:  # cannot even be set up: reported, the rest runs
                not_set_up[runner.source] = exc.reason
                app.store.record_poll(runner.source, now, error=exc.reason)
                reports.append(CycleReport(source=runner.source, failed=1))
                if echo is not None:
                    echo(f"{runner.source}: not run: {exc.reason}")
                continue
            except Exception as exc:  # one source's failure, whatever it is, never the others'
                error = failure_text(exc)
                app.store.record_poll(runner.source, now, error=error)
                log.error("source failed", source=runner.source, error=error)
                reports.append(CycleReport(source=runner.source, failed=1))
                if echo is not None:
                    echo(f"{runner.source}: failed: {error}")
                continue
            app.store.record_poll(runner.source, now)
            reports.append(report)
            if echo is not None:
                echo(cycle_line(report, action_budget=budgets[report.source]))
                mode = "report-only" if report.source in quiet else None
                if app.settings.dry_run:
                    mode = "dry-run"
                if mode is not None:
                    for line in rule_summary(report, mode, hint=comments is None):
                        echo(line)
    finally:
        for runner in runners:
            runner.close()
    failed_digests = _send_digests(app, clock, echo, engine)
    return OnceOutcome(reports, failed_digests, not_set_up)


def _send_digests(
    app: App, clock: Clock, echo: Callable[[str], None] | None, engine: Engine
) -> int:
    if not app.policy.managers:
        return 0
    from syncd.digest.dispatch import DigestService

    service = DigestService(app.policy, app.store, dry_run=app.settings.dry_run, engine=engine)
    results = service.run_due(clock.now())
    by_status = Counter(r.status for r in results)
    if echo is not None and results:
        echo("digests: " + ", ".join(f"{n} {status}" for status, n in sorted(by_status.items())))
        for r in results:
            if r.status == "failed":
                echo(f"  {r.manager} {r.kind} {r.period}: not sent ({r.error}); retried next run")
    return by_status.get("failed", 0)
