"""``syncd report --month 2026-10 --client X --format html|md``: the monthly client report
as a file, from the state store, without sending anything."""

from __future__ import annotations

from typing import Literal

from config.policy import Policy
from syncd.digest.monthly import build_monthly_report, parse_month, report_setting
from syncd.digest.render.monthly import render_monthly
from syncd.digest.scope import client_of
from syncd.errors import SyncdError
from syncd.store.store import Store

__all__ = ["render_report_file"]


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
    tasks = list(store.iter_tasks())
    clients = sorted({client_of(policy, t) for t in tasks})
    if client not in clients:
        known = ", ".join(clients) or "no tasks in the store yet"
        raise SyncdError(f"--client: no tasks for client {client!r} (known: {known})")
    language, timezone = report_setting(policy, client, tasks)
    report = build_monthly_report(
        tasks,
        store.findings(state=None),
        month,
        client,
        policy=policy,
        language=language,
        timezone=timezone,
    )
    return str(render_monthly(report, fmt))
