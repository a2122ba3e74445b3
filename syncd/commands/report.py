"""``syncd report`` and ``syncd digest preview``: a document rendered from the state store
without sending anything, to stdout or a file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Literal

from syncd.digest.dispatch import DigestService
from syncd.digest.report import render_report_file
from syncd.wiring import App

__all__ = ["emit", "monthly_report", "preview_digest", "report_format"]


def preview_digest(
    app: App, manager: str, fmt: str, at: datetime, kind: Literal["daily", "weekly", "monthly"]
) -> str:
    """The digest ``manager`` would get at ``at``; nothing is sent or recorded."""
    return DigestService(app.policy, app.store, dry_run=True).preview(manager, fmt, at, kind)


def report_format(fmt: str | None, out: Path | None) -> Literal["html", "md"]:
    """``--format``, else from the ``--out`` file's extension (.html/.htm), else Markdown."""
    if fmt is None:
        return "html" if out is not None and out.suffix.lower() in {".html", ".htm"} else "md"
    return "html" if fmt == "html" else "md"


def monthly_report(app: App, month: str, client: str, fmt: Literal["html", "md"]) -> str:
    """The monthly report on ``client`` (``syncd.digest.report.render_report_file``)."""
    return render_report_file(app.policy, app.store, month, client, fmt)


def emit(text: str, out: Path | None, echo: Callable[[str], None]) -> None:
    """``text`` to ``out`` (then say where), or to ``echo`` without one."""
    if out is None:
        echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        echo(f"written to {out}")
