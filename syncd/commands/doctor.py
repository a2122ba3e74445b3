"""``syncd doctor``: each source's connector checks itself (reachable, authenticated, scope
readable, can comment). One source that cannot be set up or reached never hides the
others' lines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from syncd.core.clock import process_clock
from syncd.core.errors import SyncdError
from syncd.source_cycle import SourceUnavailable, build_runners
from syncd.wiring import App

__all__ = ["DoctorOutcome", "run_doctor"]


@dataclass(frozen=True)
class DoctorOutcome:
    ok: bool
    """Every check of every source passed."""
    misconfigured: bool
    """Some source could not be set up for a configuration mistake (a secret not set...)."""


def run_doctor(app: App, echo: Callable[[str], None]) -> DoctorOutcome:
    ok = True
    misconfigured = False
    clock = process_clock(app.settings.clock_start)
    by_name = {s.name: s for s in app.policy.sources}
    for runner in build_runners(app.policy, app.settings, app.store, clock, interactive=True):
        source = by_name[runner.source]
        echo(f"{source.name} ({source.type}, {source.url})")
        try:
            for item in runner.doctor():
                ok = ok and item.ok
                echo(f"  {'ok  ' if item.ok else 'FAIL'}  {item.name}: {item.detail}")
        except SourceUnavailable as exc:
            ok = False
            misconfigured = misconfigured or exc.misconfigured
            echo(f"  FAIL  setup: {exc.reason}")
        except SyncdError as exc:  # one unreachable source must not hide the others
            ok = False
            echo(f"  FAIL  {source.name}: {exc}")
        finally:
            runner.close()
    return DoctorOutcome(ok=ok, misconfigured=misconfigured)
