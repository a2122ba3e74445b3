"""The desk's pages as HTML: what one manager owns, drawn from the store and the policy.

The facts come from the digest's own builders (``build_digest`` for headlines, "check
today", "at risk" and workload; ``monthly_reports`` for the client report; ``explain_task``
for "why"), so the desk, the digests and the reminders never disagree. Every string from a
tracker or the policy goes through ``html_user`` (escaped, bidi-balanced, in ``<bdi>``) or
``escape``; links to trackers through ``safe_url``. No inline script, style or event
handler: the page keeps to its Content-Security-Policy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache, cached_property, lru_cache
from urllib.parse import quote_plus, urlencode

from markupsafe import Markup, escape

from config.policy import ManagerConfig, Policy
from rules.base import Context, Rule
from rules.calendar import BusinessCalendar
from rules.engine import Engine
from rules.registry import get_rule
from syncd.core.errors import RuleError
from syncd.core.models import Finding, Task
from syncd.desk.shelf import TaskShelf
from syncd.desk.svg import Bar, TimelineGroup, Workload, bars_svg, sparkline, timeline_svg
from syncd.digest.content import SECTION_RULES, checkpoint_today
from syncd.digest.i18n import Translator, translator
from syncd.digest.model import METRICS, Digest, DigestItem, SectionKind
from syncd.digest.monthly import missed_checkpoints, monthly_reports, parse_month
from syncd.digest.render.common import clip, html_t, html_user, why
from syncd.digest.render.links import safe_url
from syncd.digest.render.monthly import monthly_rows, report_title
from syncd.digest.scope import Clients, manager_calendar, manager_tasks, manager_zone
from syncd.digest.snapshots import week_digest
from syncd.explain import Explanation
from syncd.store import Store

__all__ = [
    "DeskView",
    "build_view",
    "overview_page",
    "report_page",
    "timeline_bars",
    "timeline_page",
    "why_href",
    "why_page",
]

CSS_PATH = "/desk/static/desk.css"
LISTED: tuple[SectionKind, ...] = ("check_today", "at_risk", "overdue", "due_soon")
"""The digest's sections the overview lists (violations are listed by rule, from the
findings; "done" is a headline number)."""
TREND_DAYS = 56
"""The trend lines cover 8 weeks."""


@dataclass(frozen=True)
class DeskView:
    """Everything one manager's pages are drawn from, computed once per request."""

    policy: Policy
    manager: ManagerConfig
    now: datetime
    """In the manager's time zone."""
    engine: Engine
    calendar: BusinessCalendar
    tasks: tuple[Task, ...]
    findings: tuple[Finding, ...]
    clients: Clients
    history: dict[str, dict[date, dict[str, int]]]
    """client → day → headline numbers, from the daily snapshots (the trend lines)."""

    @property
    def t(self) -> Translator:
        return translator(self.manager.language)

    @cached_property
    def digest(self) -> Digest:
        """The week's digest facts (the overview's; the timeline needs none of them)."""
        return week_digest(
            self.policy,
            self.manager,
            self.tasks,
            list(self.findings),
            self.now,
            engine=self.engine,
            listed=LISTED,
        )

    @cached_property
    def _contexts(self) -> dict[str, Context]:
        """The rules' view of ``now`` per source (``checks_today`` fills it)."""
        return {}

    def checks_today(self, task: Task) -> bool:
        """Whether the open ``task``'s checkpoint is to be checked today: the digest's
        "check today", without the rest of the digest."""
        zone = manager_zone(self.manager)
        return checkpoint_today(self.engine, task, self.now, zone, self._contexts) is not None

    @cached_property
    def source_of(self) -> dict[tuple[str, str], str]:
        """(key, url) → source: digest items name a task by key and URL only."""
        return {(task.key, task.url): task.source for task in self.tasks}

    @cached_property
    def checkpoint_state(self) -> dict[tuple[str, str], str]:
        """(source, key) → the checkpoint finding's state (``at_risk``/``missed``)."""
        return {
            (f.source, f.task_key): f.data.get("state", "missed")
            for f in self.findings
            if f.rule == "checkpoint"
        }

    def owns_client(self, client: str) -> bool:
        return any(self.clients.of(task) == client for task in self.tasks)


def read_tasks(store: Store, manager: ManagerConfig) -> tuple[Task, ...]:
    """The stored tasks ``manager`` owns, parsed (most of a cold view's cost)."""
    return tuple(manager_tasks(manager, store.iter_tasks()))


def build_view(
    policy: Policy,
    store: Store,
    engine: Engine,
    manager: ManagerConfig,
    now: datetime,
    *,
    shelf: TaskShelf | None = None,
    marker: Hashable = None,
) -> DeskView:
    """From scratch, or over ``shelf`` (the tasks parsed and the rule results computed
    for earlier views, reused where they still hold; ``marker``: the store's change
    marker of the manager's tasks, ``ViewKey.tasks``)."""
    zone = manager_zone(manager)
    local = now.astimezone(zone)
    if shelf is None:
        tasks = read_tasks(store, manager)
        findings = tuple(engine.evaluate([t for t in tasks if t.is_open], now))
    else:
        tasks = shelf.tasks(store, manager, marker)
        findings = tuple(shelf.findings(engine, [t for t in tasks if t.is_open], now))
    history = store.client_snapshots(manager.name, local.date() - timedelta(days=TREND_DAYS))
    return DeskView(
        policy=policy,
        manager=manager,
        now=local,
        engine=engine,
        calendar=manager_calendar(policy, manager, engine),
        tasks=tasks,
        findings=findings,
        clients=Clients(policy),
        history=history,
    )


# -- the frame ----------------------------------------------------------------------------


@lru_cache(maxsize=16384)
def why_href(source: str, key: str) -> str:
    # What ``urlencode`` gives, without its per-call generality (called for every bar;
    # ``quote_plus`` is pure Python and slow: the next view asks for the same again).
    return f"/desk/why?source={quote_plus(source)}&key={quote_plus(key)}"


def _page(view: DeskView, heading: str, body: Markup, current: str) -> str:
    t = view.t
    nav = [
        ("/desk/", t("desk.overview"), "overview"),
        ("/desk/timeline", t("desk.timeline"), "timeline"),
        ("/desk/reports", t("desk.reports"), "reports"),
    ]
    links = Markup("").join(
        Markup('<a href="{}"{}>{}</a>').format(
            href, Markup(' aria-current="page"') if name == current else "", label
        )
        for href, label, name in nav
    )
    return str(
        Markup(
            '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="referrer" content="no-referrer">'
            '<title>{title}</title><link rel="stylesheet" href="{css}"></head>'
            '<body><header><div class="brand">{brand}</div><nav>{links}</nav></header>'
            "<main><h1>{heading}</h1>{body}</main><footer>{footer}</footer></body></html>\n"
        ).format(
            lang=view.manager.language,
            title=heading,
            css=CSS_PATH,
            brand=html_t(t, "desk.title", manager=html_user(view.manager.name)),
            links=links,
            heading=heading,
            body=body,
            footer=t("desk.footer", manager=view.manager.name, tz=view.manager.timezone),
        )
    )


@lru_cache(maxsize=16384)
def _task_link(item_key: str, title: str, url: str, source: str) -> Markup:
    """The key linked to the tracker, the title, and the "why" link. Built with plain
    f-strings over escaped parts: a page lists thousands of these, and ``Markup.format``
    is several times slower. Kept (a pure function of its strings): a task appears in
    several sections, and the next view of the same tasks draws the same links."""
    href = safe_url(url)
    key = escape(clip(item_key, 60))
    if href:
        text = f'<a class="key" href="{escape(href)}" rel="noreferrer noopener">{key}</a>'
    else:
        text = f'<b class="key">{key}</b>'
    text += f" {html_user(clip(title))}"
    if source:
        text += f' <a class="why" href="{escape(why_href(source, item_key))}">?</a>'
    return Markup(text)  # noqa: S704 - every part above is escaped


# -- overview -----------------------------------------------------------------------------


_HOT = frozenset({"overdue", "at_risk"})


def trend(view: DeskView, client: str, metric: str, today: int) -> list[int | None]:
    """One value per day of the last ``TREND_DAYS`` from the daily snapshots, today's
    from the live numbers (a snapshot taken earlier today is older than they are)."""
    history = view.history.get(client, {})
    first = view.now.date() - timedelta(days=TREND_DAYS)
    days = [first + timedelta(days=i) for i in range(TREND_DAYS)]
    return [history.get(d, {}).get(metric) for d in days] + [today]


def _metric(t: Translator, metric: str) -> str:
    return t("desk.done_week") if metric == "done" else t(f"metrics.{metric}")


def _headlines(view: DeskView) -> Markup:
    t = view.t
    head = Markup("").join(Markup("<th>{}</th>").format(_metric(t, m)) for m in METRICS)
    rows = []
    for h in view.digest.headlines:
        cells = Markup("").join(
            Markup('<td class="n m-{}{}" data-label="{}">{}{}</td>').format(
                m,
                " hot" if h.counts[m] and m in _HOT else "",
                _metric(t, m),
                t.number(h.counts[m]),
                sparkline(trend(view, h.client, m, h.counts[m])),
            )
            for m in METRICS
        )
        report = "/desk/report?" + urlencode({"client": h.client})
        rows.append(
            Markup('<tr><th scope="row"><a href="{}">{}</a></th>{}</tr>').format(
                report, html_user(clip(h.client, 80)), cells
            )
        )
    if not rows:
        return Markup('<p class="empty">{}</p>').format(t("desk.nothing"))
    return Markup(
        '<div class="scroll"><table class="clients"><thead><tr><th>{}</th>{}</tr></thead>'
        "<tbody>{}</tbody></table></div>"
    ).format(t("desk.client"), head, Markup("").join(rows))


def _source_of(view: DeskView, item: DigestItem) -> str:
    return view.source_of.get((item.key, item.url), "")


def _items(view: DeskView, kind: SectionKind) -> Markup:
    t = view.t
    section = view.digest.section(kind)
    if section is None:
        return Markup('<p class="empty">{}</p>').format(t("desk.nothing"))
    # f-strings over escaped parts: ``Markup.format`` per line costs more than the rest.
    lines = "".join(
        f'<li class="q{item.quadrant}">'
        f"{_task_link(item.key, item.title, item.url, _source_of(view, item))}"
        f'<div class="meta">{_why(view.manager.language, item)}</div></li>'
        for item in section.items
    )
    return Markup(f'<ul class="items">{lines}</ul>')  # noqa: S704 - parts escaped above


def _why(language: str, item: DigestItem) -> Markup:
    """The item's "why" line, escaped; kept across views (``_why_line``)."""
    zones = (item.at.tzinfo if item.at else None, item.since.tzinfo if item.since else None)
    return _why_line(language, item, zones)


@lru_cache(maxsize=16384)
def _why_line(
    language: str, item: DigestItem, zones: tuple[tzinfo | None, tzinfo | None]
) -> Markup:
    """``why`` of ``item``, kept: the next minute's view lists mostly the same items, and
    the line formats dates and plurals. ``zones`` is part of the key only: the line shows
    wall-clock times, and equal moments in two zones are equal items."""
    del zones
    return escape(why(item, translator(language)))


def _workload(view: DeskView) -> Markup:
    t = view.t
    rows = [Workload(r.assignee, r.open, r.due_this_week, r.overdue) for r in view.digest.workload]
    if not rows:
        return Markup('<p class="empty">{}</p>').format(t("desk.nothing"))
    legend = Markup(
        '<p class="legend"><span class="k w-open"></span>{} <span class="k w-week"></span>{} '
        '<span class="k w-late"></span>{}</p>'
    ).format(t("workload.open"), t("workload.due_this_week"), t("workload.overdue"))
    return legend + bars_svg(
        rows, {"title": t("workload.title"), "unassigned": t("fields.unassigned")}
    )


def _rule_label(view: DeskView, rule: str) -> str:
    return view.t.rule(rule)


@cache
def _rule_class(name: str) -> type[Rule] | None:
    """The registry looks its modules up on every call; the desk asks for every finding."""
    try:
        return get_rule(name)
    except RuleError:
        return None


def _violation_text(finding: Finding, language: str) -> Markup:
    """The finding's reminder title in ``language``, for HTML; kept across views by what
    it is made of (the rule, the message, the data): the wording formats dates and plurals
    for every finding, and the next minute's view has mostly the same ones."""
    return _violation_line(
        finding.rule, finding.message, tuple(sorted(finding.data.items())), language
    )


@lru_cache(maxsize=16384)
def _violation_line(
    rule_name: str, message: str, data: tuple[tuple[str, str], ...], language: str
) -> Markup:
    rule = _rule_class(rule_name)
    text = message
    if rule is not None:
        finding = Finding(
            rule=rule_name,
            source="",
            task_key="",
            severity=rule.default_severity,
            message=message,
            fingerprint="",
            detected_at=datetime.min.replace(tzinfo=UTC),
            data=dict(data),
        )
        try:
            text = rule.reminder_item(finding, language).title  # type: ignore[arg-type]
        except (KeyError, ValueError):
            text = message
    return html_user(text)


def _violations(view: DeskView) -> Markup:
    t = view.t
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in view.findings:
        if f.rule not in SECTION_RULES:
            by_rule[f.rule].append(f)
    if not by_rule:
        return Markup('<p class="empty">{}</p>').format(t("desk.nothing"))
    tasks = {(task.source, task.key): task for task in view.tasks}
    blocks = []
    for rule in sorted(by_rule):
        lines = []
        for f in sorted(by_rule[rule], key=lambda f: f.task_key):
            task = tasks.get((f.source, f.task_key))
            if task is None:
                continue
            lines.append(
                f"<li>{_task_link(task.key, task.title, task.url, task.source)}"
                f'<div class="meta">{_violation_text(f, view.manager.language)}</div></li>'
            )
        blocks.append(
            Markup(
                '<section class="rule"><h3>{} <span class="count">{}</span></h3>'
                '<ul class="items">{}</ul></section>'
            ).format(_rule_label(view, rule), len(lines), Markup("".join(lines)))  # noqa: S704
        )
    return Markup("").join(blocks)


def overview_page(view: DeskView) -> str:
    t = view.t
    body = Markup(
        "<section><h2>{clients}</h2>{headlines}</section>"
        '<div class="cols"><section><h2>{today}</h2>{check}</section>'
        "<section><h2>{risk}</h2>{risk_items}</section></div>"
        '<div class="cols"><section><h2>{overdue}</h2>{overdue_items}</section>'
        "<section><h2>{soon}</h2>{soon_items}</section></div>"
        "<section><h2>{workload}</h2>{workload_chart}</section>"
        "<section><h2>{violations}</h2>{violation_items}</section>"
    ).format(
        clients=t("desk.clients"),
        headlines=_headlines(view),
        today=t("sections.check_today"),
        check=_items(view, "check_today"),
        risk=t("sections.at_risk"),
        risk_items=_items(view, "at_risk"),
        overdue=t("sections.overdue"),
        overdue_items=_items(view, "overdue"),
        soon=t("sections.due_soon"),
        soon_items=_items(view, "due_soon"),
        workload=t("desk.workload"),
        workload_chart=_workload(view),
        violations=t("desk.violations"),
        violation_items=_violations(view),
    )
    return _page(view, t("desk.overview"), body, "overview")


# -- timeline -----------------------------------------------------------------------------


def _state(view: DeskView, task: Task) -> str:
    assert task.due is not None
    if view.now > view.engine.calendar(task.source).due_end(task.due):
        return "overdue"
    state = view.checkpoint_state.get((task.source, task.key))
    if state is not None:
        return "checkpoint_due" if state == "at_risk" else "at_risk"
    if view.checks_today(task):
        return "checkpoint_due"
    return "on_track"


def timeline_bars(view: DeskView) -> list[TimelineGroup]:
    """Open tasks with a due date, by client: start of the spell of work → end of the due
    date, the checkpoint where the checkpoint rule puts it."""
    by_client: dict[str, list[Bar]] = defaultdict(list)
    for task in view.tasks:
        if not task.is_open or task.due is None:
            continue
        calendar = view.engine.calendar(task.source)
        by_client[view.clients.of(task)].append(
            Bar(
                key=task.key,
                title=task.title,
                start=task.work_start.astimezone(view.now.tzinfo),
                end=calendar.due_end(task.due).astimezone(view.now.tzinfo),
                checkpoint=view.engine.checkpoint_moment(task),
                state=_state(view, task),
                href=why_href(task.source, task.key),
            )
        )
    return [
        TimelineGroup(client, tuple(sorted(bars, key=lambda b: (b.end, b.key))))
        for client, bars in sorted(by_client.items())
    ]


def timeline_window(view: DeskView, groups: Iterable[TimelineGroup]) -> tuple[datetime, datetime]:
    """From the earliest start (at most three weeks back) to the latest due end (at most
    nine weeks ahead), whole days in the manager's zone."""
    bars = [b for g in groups for b in g.bars]
    now = view.now
    first = max(min((b.start for b in bars), default=now), now - timedelta(days=21))
    last = min(max((b.end for b in bars), default=now), now + timedelta(days=63))
    first = datetime.combine(min(first, now).date(), datetime.min.time(), now.tzinfo)
    last = datetime.combine(
        max(last, now).date() + timedelta(days=1), datetime.min.time(), now.tzinfo
    )
    return first, last


def timeline_page(view: DeskView) -> str:
    t = view.t
    groups = timeline_bars(view)
    first, last = timeline_window(view, groups)
    legend = Markup(
        '<p class="legend"><span class="k s-ok"></span>{} <span class="k s-cp"></span>{} '
        '<span class="k s-risk"></span>{} <span class="k s-late"></span>{} {}</p>'
    ).format(
        t("desk.legend_ok"),
        t("desk.legend_cp"),
        t("desk.legend_risk"),
        t("desk.legend_late"),
        t("desk.legend_mark"),
    )
    chart = timeline_svg(
        groups,
        first,
        last,
        view.now,
        view.calendar.is_business_day,
        {"title": t("desk.timeline"), "today": t("desk.today")},
    )
    # On a phone the chart keeps a readable width and scrolls inside its box; the page
    # itself never scrolls sideways.
    drawn = Markup('<div class="scroll chart">{}</div>').format(chart)
    body = legend + (
        drawn if groups else Markup('<p class="empty">{}</p>').format(t("desk.nothing"))
    )
    return _page(view, t("desk.timeline"), body, "timeline")


# -- why ----------------------------------------------------------------------------------


def _when(t: Translator, moment: datetime | None) -> str:
    return t.datetime(moment) if moment else "—"


def _finding_state(t: Translator, state: str) -> str:
    """The ledger's state of a finding (``open``/``resolved``/``not recorded``) in words."""
    try:
        return t("desk.state_" + state.replace(" ", "_"))
    except KeyError:
        return state


def why_page(view: DeskView, ex: Explanation) -> str:
    """``ex`` as a page; ``ex`` explained in the manager's language (``explain_task``)."""
    t = view.t
    zone = view.now.tzinfo
    sections = Markup("").join(
        Markup('<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>').format(
            "ok" if s.filled else "bad",
            s.name,
            html_user(s.title) if s.title is not None else "—",
            "✓" if s.filled else "✗",
            s.why,
        )
        for s in ex.sections
    )
    cp = ex.checkpoint
    comments = Markup("").join(
        Markup('<li class="{}">{} · {}: {} — {}</li>').format(
            "ok" if c.counted else "bad",
            _when(t, c.created.astimezone(zone)),
            html_user(c.author),
            html_user(c.excerpt),
            c.why,
        )
        for c in cp.comments
    )
    kind = t("desk.business_time") if cp.business_time else t("desk.wall_time")
    checkpoint = Markup(
        "<dl><dt>{}</dt><dd>{} ({})</dd><dt>{}</dt><dd>{}</dd>"
        "<dt>{}</dt><dd>{} · {}</dd><dt>{}</dt><dd>{} → {}</dd>"
        '<dt>{}</dt><dd>{}</dd></dl><ul class="items">{}</ul>'
    ).format(
        t("desk.cp_start"),
        _when(t, cp.start.astimezone(zone)),
        cp.start_from,
        t("desk.cp_due_end"),
        _when(t, cp.due_end.astimezone(zone) if cp.due_end else None),
        t("desk.cp_fraction"),
        t.percent(cp.fraction),
        kind,
        t("desk.cp_moment"),
        _when(t, cp.moment.astimezone(zone) if cp.moment else None),
        _when(t, cp.check_at.astimezone(zone) if cp.check_at else None),
        t("desk.cp_verdict"),
        cp.reason,
        comments,
    )
    activity = Markup("").join(
        Markup('<li class="{}">{} · {}{}</li>').format(
            "ok" if a.counted else "",
            _when(t, a.at.astimezone(zone)),
            a.what,
            Markup(" · {}").format(html_user(a.who)) if a.who else "",
        )
        for a in ex.stale.timeline
    )
    findings = Markup("").join(
        Markup(
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>"
        ).format(
            _rule_label(view, f.rule),
            f.fingerprint,
            _finding_state(t, f.state) + ("" if f.current else t("desk.not_now")),
            html_user(f.message),
            f.reminder,
        )
        for f in ex.findings
    )
    href = safe_url(ex.url)
    head = (
        Markup('<p><a href="{}" rel="noreferrer noopener">{}</a> {}</p>').format(
            href, ex.key, html_user(ex.title)
        )
        if href
        else Markup("<p><b>{}</b> {}</p>").format(ex.key, html_user(ex.title))
    )
    body = Markup(
        '{head}<section><h2>{s_title}</h2><div class="scroll"><table>{sections}</table></div>'
        "</section><section><h2>{c_title}</h2>{checkpoint}</section>"
        '<section><h2>{a_title}</h2><ul class="items">{activity}</ul><p>{idle}</p></section>'
        '<section><h2>{f_title}</h2><div class="scroll"><table>{findings}</table></div></section>'
    ).format(
        head=head,
        s_title=t("desk.sections"),
        sections=sections,
        c_title=t("desk.checkpoint"),
        checkpoint=checkpoint,
        a_title=t("desk.activity"),
        activity=activity,
        idle=t(
            "desk.idle",
            idle=t.plural("business_day", ex.stale.idle_business_days),
            days=t.plural("business_day", ex.stale.days),
        ),
        f_title=t("desk.findings"),
        findings=findings,
    )
    return _page(view, t("desk.why_title", task=ex.key), body, "why")


# -- monthly report -----------------------------------------------------------------------


def previous_month(view: DeskView) -> str:
    first = view.now.date().replace(day=1) - timedelta(days=1)
    return f"{first.year}-{first.month:02d}"


def reports_page(view: DeskView) -> str:
    t = view.t
    month = previous_month(view)
    clients = sorted({view.clients.of(task) for task in view.tasks})
    items = Markup("").join(
        Markup('<li><a href="{}">{}</a></li>').format(
            "/desk/report?" + urlencode({"client": c, "month": month}), html_user(c)
        )
        for c in clients
    )
    body = Markup('<ul class="items">{}</ul>').format(items)
    return _page(view, t("desk.reports"), body, "reports")


def _rate_chart(
    label_now: str, label_before: str, rows: list[tuple[str, float | None, float | None]]
) -> Markup:
    """Two bars per rate (this month, the one before), 0–100 %."""
    parts = [
        Markup('<svg class="rates" viewBox="0 0 600 {}" role="img">').format(len(rows) * 44 + 24)
    ]
    parts.append(
        Markup(
            '<rect class="r-now" x="200" y="2" width="10" height="10"/>'
            '<text x="214" y="11">{}</text><rect class="r-before" x="330" y="2" width="10" '
            'height="10"/><text x="344" y="11">{}</text>'
        ).format(label_now, label_before)
    )
    for i, (label, now, before) in enumerate(rows):
        y = 24 + i * 44
        parts.append(
            Markup(
                '<text x="0" y="{}">{}</text>'
                '<rect class="r-now" x="200" y="{}" width="{:.1f}" height="14"/>'
                '<rect class="r-before" x="200" y="{}" width="{:.1f}" height="14"/>'
            ).format(y + 18, label, y + 4, 380 * (now or 0.0), y + 20, 380 * (before or 0.0))
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def report_page(view: DeskView, store: Store, client: str, month: str) -> str:
    """The monthly client report (``syncd.digest.monthly``) as a printable page."""
    t = view.t
    parse_month(month)
    tasks = [task for task in view.tasks if view.clients.of(task) == client]
    (report,) = monthly_reports(
        {client: tasks},
        missed_checkpoints(store.findings(state=None)),
        month,
        language=view.manager.language,
        timezone=view.manager.timezone,
    )
    rows = Markup("").join(
        Markup(
            '<tr><th scope="row">{}</th><td class="n">{}</td><td class="n">{}</td>'
            '<td class="n">{}</td></tr>'
        ).format(r.label, r.current, r.previous, r.change)
        for r in monthly_rows(report, t)
    )
    table = Markup(
        '<div class="scroll"><table class="report"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
        "<th>{}</th></tr></thead><tbody>{}</tbody></table></div>"
    ).format(
        t("monthly.metric"),
        t("monthly.this_month"),
        t("monthly.previous"),
        t("monthly.change"),
        rows,
    )
    chart = _rate_chart(
        t("monthly.this_month"),
        t("monthly.previous"),
        [
            (t("monthly.on_time_rate"), report.current.on_time_rate, report.previous.on_time_rate),
            (
                t("monthly.checkpoint_compliance"),
                report.current.checkpoint_compliance,
                report.previous.checkpoint_compliance,
            ),
        ],
    )

    def listing(title: str, items: Iterable[object]) -> Markup:
        lines = Markup("").join(
            Markup("<li>{}</li>").format(_task_link(i.key, i.title, i.url, ""))  # type: ignore[attr-defined]
            for i in items
        )
        return (
            Markup('<section><h2>{}</h2><ul class="items">{}</ul></section>').format(title, lines)
            if lines
            else Markup("")
        )

    body = Markup('<p class="noprint">{}</p><section>{}{}</section>{}{}').format(
        t("desk.print"),
        table,
        chart,
        listing(t("monthly.completed_list"), report.completed_tasks),
        listing(t("monthly.overdue_list"), report.overdue_tasks),
    )
    heading = report_title(report, t)  # the client isolated for direction
    return _page(view, heading, body, "reports")
