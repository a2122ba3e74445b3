"""``syncd doctor``: each source's connector checks itself (reachable, authenticated, scope
readable, can comment). One source that cannot be set up or reached never hides the
others' lines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from connectors.factory import create_connector
from syncd.core.errors import ConfigError, SyncdError
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
    for source in app.policy.sources:
        echo(f"{source.name} ({source.type}, {source.url})")
        try:
            connector = create_connector(source, interactive=True)
        except SyncdError as exc:
            echo(f"  FAIL  setup: {exc}")
            ok = False
            misconfigured = misconfigured or isinstance(exc, ConfigError)
            continue
        try:
            for item in connector.doctor():
                ok = ok and item.ok
                echo(f"  {'ok  ' if item.ok else 'FAIL'}  {item.name}: {item.detail}")
        except SyncdError as exc:  # one unreachable source must not hide the others
            ok = False
            echo(f"  FAIL  {source.name}: {exc}")
        finally:
            connector.close()
    return DoctorOutcome(ok=ok, misconfigured=misconfigured)
