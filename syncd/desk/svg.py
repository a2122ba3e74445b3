"""The desk's pictures as inline SVG drawn on the server: no script, no CDN, no build chain.

Every number placed in the markup is computed here (and tested): a timeline bar runs from
the start of the task's spell of work to the end of its due date, its checkpoint mark sits
at the moment the checkpoint rule computes, and ``x_of`` is the one scale all of them use.
User text inside the SVG is escaped and isolated like the rest of the page (``<title>``
elements carry it, since SVG ``<text>`` has no ``<bdi>``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from markupsafe import Markup, escape

from syncd.core.usertext import isolate
from syncd.digest.render.common import clip

__all__ = ["Bar", "TimelineGroup", "Workload", "bars_svg", "timeline_svg", "x_of"]

WIDTH = 1000.0
LABEL = 220.0
"""Left column of the timeline holding the task keys."""
ROW = 22.0
HEAD = 26.0

STATE_CLASS = {
    "on_track": "s-ok",
    "checkpoint_due": "s-cp",
    "at_risk": "s-risk",
    "overdue": "s-late",
}


@dataclass(frozen=True)
class Bar:
    key: str
    title: str
    start: datetime
    end: datetime
    checkpoint: datetime | None
    state: str
    """``on_track``, ``checkpoint_due``, ``at_risk`` or ``overdue``."""
    href: str


@dataclass(frozen=True)
class TimelineGroup:
    client: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Workload:
    assignee: str
    open: int
    due_this_week: int
    overdue: int


def _f(x: float) -> str:
    return f"{x:.2f}"


def x_of(moment: datetime, first: datetime, last: datetime) -> float:
    """The x coordinate of ``moment`` on a timeline spanning ``first`` … ``last``,
    clamped to the drawing area."""
    span = (last - first).total_seconds() or 1.0
    share = (moment - first).total_seconds() / span
    return LABEL + max(0.0, min(1.0, share)) * (WIDTH - LABEL)


def timeline_svg(  # noqa: PLR0917 - all of them are the picture
    groups: Sequence[TimelineGroup],
    first: datetime,
    last: datetime,
    now: datetime,
    is_business_day: Callable[[date], bool],
    labels: dict[str, str],
) -> Markup:
    """Bars grouped by client; non-business days shaded; a line at ``now``. ``labels``:
    the localized words for the legend (``today``)."""
    rows = sum(len(g.bars) + 1 for g in groups)
    height = HEAD + rows * ROW + 4
    parts: list[str] = [
        f'<svg class="timeline" viewBox="0 0 {_f(WIDTH)} {_f(height)}" '
        f'role="img" aria-label="{escape(labels["title"])}" data-first="{first.isoformat()}" '
        f'data-last="{last.isoformat()}">'
    ]
    zone = first.tzinfo
    day = first.date()
    while datetime.combine(day, datetime.min.time(), zone) < last:
        d0 = datetime.combine(day, datetime.min.time(), zone)
        d1 = d0 + timedelta(days=1)
        x0, x1 = x_of(d0, first, last), x_of(d1, first, last)
        if not is_business_day(day):
            parts.append(
                f'<rect class="off" x="{_f(x0)}" y="{_f(HEAD - 4)}" width="{_f(x1 - x0)}" '
                f'height="{_f(height - HEAD + 4)}"/>'
            )
        if day.weekday() == 0:  # a tick every Monday
            parts.append(f'<text class="tick" x="{_f(x0 + 2)}" y="14">{day:%d.%m}</text>')
        day += timedelta(days=1)
    y = HEAD
    for group in groups:
        parts.append(
            f'<text class="client" x="4" y="{_f(y + 15)}">'
            f"{escape(isolate(clip(group.client, 40)))}</text>"
        )
        y += ROW
        for bar in group.bars:
            parts.append(_bar(bar, y, first, last))
            y += ROW
    xn = x_of(now, first, last)
    parts.append(
        f'<line class="now" x1="{_f(xn)}" y1="{_f(HEAD - 8)}" x2="{_f(xn)}" y2="{_f(height)}"/>'
        f'<text class="tick now-label" x="{_f(xn + 3)}" y="{_f(HEAD - 2)}">'
        f"{escape(labels['today'])}</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - user text above is escaped piece by piece


@lru_cache(maxsize=16384)
def _bar_text(key: str, title: str, href: str) -> tuple[str, str, str, str]:
    """A bar's escaped link, key, tooltip and label: pure functions of its strings, kept
    (the next view draws the same tasks again)."""
    tip = escape(f"{isolate(key)} {isolate(clip(title, 120))}")
    return str(escape(href)), str(escape(key)), str(tip), str(escape(isolate(clip(key, 28))))


def _bar(bar: Bar, y: float, first: datetime, last: datetime) -> str:
    x0, x1 = x_of(bar.start, first, last), x_of(bar.end, first, last)
    href, key, tip, label = _bar_text(bar.key, bar.title, bar.href)
    out = [
        f'<a href="{href}"><g class="task {STATE_CLASS[bar.state]}" '
        f'data-key="{key}"><title>{tip}</title>'
        f'<text class="key" x="12" y="{_f(y + 15)}">{label}</text>'
        f'<rect class="bar" x="{_f(x0)}" y="{_f(y + 5)}" width="{_f(max(x1 - x0, 1.0))}" '
        f'height="12" rx="3"/>'
    ]
    if bar.checkpoint is not None and first <= bar.checkpoint <= last:
        xc = x_of(bar.checkpoint, first, last)
        out.append(
            f'<line class="cp" data-x="{_f(xc)}" x1="{_f(xc)}" y1="{_f(y + 2)}" '
            f'x2="{_f(xc)}" y2="{_f(y + 20)}"/>'
        )
    out.append("</g></a>")
    return "".join(out)


def bars_svg(rows: Sequence[Workload], labels: dict[str, str]) -> Markup:
    """Workload: per assignee a bar of open tasks, the part due this week and the part
    overdue drawn over it, the longest bar the full width."""
    top = max((r.open for r in rows), default=0) or 1
    scale = 200 / top
    height = len(rows) * 24 + 8
    parts = [
        f'<svg class="workload" viewBox="0 0 400 {height}" role="img" '
        f'aria-label="{escape(labels["title"])}">'
    ]
    for i, row in enumerate(rows):
        y = 4 + i * 24
        name = row.assignee or labels["unassigned"]
        parts.append(
            f'<text class="who" x="0" y="{y + 14}">{escape(isolate(clip(name, 20)))}</text>'
            f'<rect class="w-open" x="150" y="{y + 3}" width="{_f(row.open * scale)}" height="15"/>'
            f'<rect class="w-week" x="150" y="{y + 3}" width="{_f(row.due_this_week * scale)}" '
            f'height="15"/>'
            f'<rect class="w-late" x="{_f(150 + row.due_this_week * scale)}" y="{y + 3}" '
            f'width="{_f(row.overdue * scale)}" height="15"/>'
            f'<text class="n" x="{_f(155 + row.open * scale)}" y="{y + 14}">{row.open}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - user text above is escaped piece by piece


def sparkline(values: Sequence[int | None]) -> Markup:
    """A trend line over ``values`` (one per day, oldest first; None: no snapshot that day),
    scaled to its own maximum; empty when fewer than two days are known."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return Markup("")
    top = max(v for _, v in known) or 1
    last = max(len(values) - 1, 1)
    points = " ".join(f"{_f(i / last * 56)},{_f(15 - v / top * 14)}" for i, v in known)
    return Markup(  # noqa: S704 - numbers only
        f'<svg class="spark" viewBox="0 0 56 16" preserveAspectRatio="none" aria-hidden="true">'
        f'<polyline points="{points}"/></svg>'
    )
