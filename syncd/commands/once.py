"""``syncd once``: every source once, then the digests that are due. A failing source is
reported and the others still run — the same isolation the daemon gives."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from rules.engine import Engine
from syncd.core.clock import Clock
from syncd.core.logs import get_logger
from syncd.source_cycle import CycleReport, build_runners, failure_text
from syncd.wiring import App

__all__ = ["run_once"]

log = get_logger("syncd.once")


def run_once(
    app: App,
    clock: Clock,
    *,
    echo: Callable[[str], None] | None = None,
    broken: dict[str, str] | None = None,
) -> tuple[list[CycleReport], int]:
    """Every source once, then the digests due; returns the reports and how many digest
    deliveries failed (they are retried by the next run). ``broken`` is filled with the
    sources that could not even be set up (a secret not set...), for the exit code."""
    broken = {} if broken is None else broken
    engine = Engine.from_policy(app.policy)  # one for the cycles and the digests
    runners = build_runners(
        app.policy, app.settings, app.store, clock, echo=echo, errors=broken, engine=engine
    )
    reports: list[CycleReport] = []
    for name, error in broken.items():  # cannot even be set up: reported, the rest runs
        app.store.record_poll(name, clock.now(), error=error)
        reports.append(CycleReport(source=name, failed=1))
        if echo is not None:
            echo(f"{name}: not run: {error}")
    try:
        for runner in runners:
            now = clock.now()
            try:
                report = runner.run_cycle(now)
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
                echo(_summary(report))
    finally:
        for runner in runners:
            runner.close()
    failed_digests = _send_digests(app, clock, echo, engine)
    return reports, failed_digests


def _summary(report: CycleReport) -> str:
    text = (
        f"{report.source}: {report.synced} task(s) synced, {report.findings} finding(s), "
        f"{report.posted} reminder(s) posted, {report.queued} queued for working hours, "
        f"{report.deferred} deferred by the action budget, {report.requests} API request(s)"
    )
    if report.skipped:
        text += f"; {report.skipped} task(s) skipped, retried next run (see syncd status)"
    return text


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
