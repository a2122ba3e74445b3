"""Why syncd says what it says about one task: ``syncd explain`` and the desk's "why" page.

A developer disputes a reminder; the team lead needs syncd's reading of the task, not a
guess: the description's sections as the parser found them, the checkpoint computation
step by step with every comment it looked at, the activity ``stale`` measures, and every
finding with its fingerprint and what became of its reminder. Everything here is computed
by the same functions the rules use (nothing re-implemented), from the stored snapshot and
the policy: it reads the store and never a tracker, and writes nothing.

The reasons are worded in English (the CLI's) or Russian (``language``: a Russian manager's
desk); the names, codes and times they quote are the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel import Locale

from config.policy import Policy
from rules.base import Context
from rules.briefs import Lang
from rules.builtin.checkpoint import Checkpoint
from rules.builtin.required_sections import RequiredSections
from rules.builtin.stale import Stale, last_human_activity
from rules.checkpoints import checkpoint_moment
from rules.documents.sections import section_filled, strip_placeholders
from rules.engine import Engine
from rules.texts import say
from syncd.core.models import Finding, Section, Task
from syncd.store import Store
from syncd.store.ledger import ActionRow, FindingRow

__all__ = [
    "ActivityLine",
    "CheckpointExplained",
    "CommentVerdict",
    "Explanation",
    "FindingExplained",
    "SectionExplained",
    "StaleExplained",
    "explain_task",
    "render_text",
]


@dataclass(frozen=True)
class SectionExplained:
    name: str
    title: str | None
    """The heading or label as written; None when the description has no such section."""
    required: bool
    filled: bool
    why: str


@dataclass(frozen=True)
class CommentVerdict:
    author: str
    created: datetime
    excerpt: str
    counted: bool
    why: str


@dataclass(frozen=True)
class CheckpointExplained:
    start: datetime
    start_from: str
    """Where ``start`` came from: the start of work, the creation, or the due date being set."""
    due_end: datetime | None
    fraction: float
    business_time: bool
    moment: datetime | None
    check_at: datetime | None
    """The moment moved into working hours: when a person is asked to act."""
    reason: str
    """Why there is no moment, or what the moment means now."""
    comments: tuple[CommentVerdict, ...]


@dataclass(frozen=True)
class ActivityLine:
    at: datetime
    what: str
    who: str
    counted: bool


@dataclass(frozen=True)
class StaleExplained:
    applies: bool
    """Whether the ``stale`` rule looks at this task at all (in progress, in its scope)."""
    days: int
    last_activity: datetime
    idle_business_days: int
    timeline: tuple[ActivityLine, ...]


@dataclass(frozen=True)
class FindingExplained:
    rule: str
    fingerprint: str
    severity: str
    message: str
    current: bool
    """Found by an evaluation at the explanation's moment."""
    state: str
    """``open``/``resolved`` from the ledger, ``not recorded`` when no cycle saw it yet."""
    first_seen: datetime | None
    resolved_at: datetime | None
    reminder: str
    """What became of its reminder: posted at…, claimed…, queued until…, report-only."""


@dataclass(frozen=True)
class Explanation:
    source: str
    key: str
    title: str
    url: str
    status: str
    at: datetime
    timezone: str
    sections: tuple[SectionExplained, ...]
    checkpoint: CheckpointExplained
    stale: StaleExplained
    findings: tuple[FindingExplained, ...]


def explain_task(
    policy: Policy, store: Store, source: str, key: str, at: datetime, *, language: Lang = "en"
) -> Explanation:
    """The explanation of ``key`` in ``source`` at ``at``, its reasons in ``language``;
    LookupError when the store has no such task (it was never read, or left the source's
    scope)."""
    task = store.get_task(source, key)
    if task is None:
        raise LookupError(f"{source}:{key}: no such task in the state store")
    engine = Engine.from_policy(policy)
    ctx = engine.context(source, at)
    found = engine.evaluate([task], at)
    enforce = next((s.enforce for s in policy.sources if s.name == source), True)
    ledger = store.findings(source, state=None, task_keys=[key])
    actions = [a for a in store.actions(source) if a.task_key == key]
    return Explanation(
        source=source,
        key=key,
        title=task.title,
        url=task.url,
        status=task.status,
        at=ctx.now.astimezone(ctx.calendar.tz),
        timezone=str(ctx.calendar.tz),
        sections=_sections(task, ctx, engine, language),
        checkpoint=_checkpoint(task, ctx, engine, language),
        stale=_stale(task, ctx, engine, language),
        findings=_findings(found, ledger, actions, ctx, language, enforce=enforce),
    )


# -- sections -----------------------------------------------------------------------------


def _section_rule(task: Task, engine: Engine) -> RequiredSections:
    for scoped in engine.rules_for(task.source):
        if isinstance(scoped.rule, RequiredSections) and scoped.applies(task):
            return scoped.rule
    return RequiredSections()


_RU_CHARACTERS = {"one": "символ", "few": "символа", "many": "символов", "other": "символа"}


def _characters(count: int, lang: Lang) -> str:
    if lang == "ru":
        return f"{count} {_RU_CHARACTERS[Locale('ru').plural_form(count)]}"
    return f"{count} characters"


def _section_why(section: Section | None, min_chars: int, lang: Lang) -> str:
    if section is None:
        return say(lang, "в описании не найден", "not found in the description")
    if section.checklist_items:
        n = section.checklist_items
        return say(lang, f"заполнен: пунктов чек-листа — {n}", f"filled: {n} checklist item(s)")
    lines = [ln.strip() for ln in section.text.splitlines() if ln.strip()]
    if not lines:
        return say(
            lang,
            "пуст: заголовок, под которым ничего нет",
            "empty: a heading with nothing under it",
        )
    kept = [strip_placeholders(ln) for ln in lines]
    if not any(kept):
        return say(lang, "только заготовки для заполнения", "only placeholders")
    longest = _characters(max(len(k) for k in kept), lang)
    if section_filled(section, min_chars):
        return say(
            lang,
            f"заполнен: в самой длинной строке {longest}",
            f"filled: the longest line has {longest}",
        )
    return say(
        lang,
        f"{longest} (нужно хотя бы {_characters(min_chars, lang)} в одной строке)",
        f"{longest} (at least {min_chars} needed on one line)",
    )


def _sections(task: Task, ctx: Context, engine: Engine, lang: Lang) -> tuple[SectionExplained, ...]:
    rule = _section_rule(task, engine)
    required = rule.required_for(task)
    by_name = {s.name: s for s in rule.sections_of(task, ctx)}
    min_chars = rule.params.min_chars
    names = [*required, *(n for n in by_name if n not in required)]
    return tuple(
        SectionExplained(
            name=name,
            title=by_name[name].title if name in by_name else None,
            required=name in required,
            filled=section_filled(by_name.get(name), min_chars),
            why=_section_why(by_name.get(name), min_chars, lang),
        )
        for name in names
    )


# -- checkpoint ---------------------------------------------------------------------------


def _start_from(task: Task, lang: Lang) -> tuple[datetime, str]:
    start = task.work_start
    if task.start:
        origin = say(
            lang,
            "начало работы (первый перевод в работу)",
            "start of work (first move to in progress)",
        )
    else:
        origin = say(lang, "создание задачи", "task created")
    due_set = max((a.at for a in task.activity if a.field == "due"), default=None)
    if due_set is not None and due_set > start:
        return due_set, say(
            lang,
            "срок поставлен или перенесён (позже начала работы)",
            "the due date was set or moved (later than the start of work)",
        )
    return start, origin


def _comment_verdict(
    rule: Checkpoint, task: Task, ctx: Context, comment_index: int, lang: Lang
) -> CommentVerdict:
    comment = task.comments[comment_index]
    assignees = {p.id for p in task.assignees}
    if ctx.is_bot(comment):
        counted, why = (
            False,
            say(lang, "написан syncd или ботом", "written by syncd or a bot account"),
        )
    elif comment.created < task.work_start:
        counted, why = (
            False,
            say(
                lang,
                "написан до начала текущего периода работы",
                "written before the current spell of work began",
            ),
        )
    elif comment.created > ctx.now:
        counted, why = (
            False,
            say(lang, "написан позже объясняемого момента", "written after the moment explained"),
        )
    elif rule.params.assignee_comments_count and comment.author.id in assignees:
        counted, why = (
            True,
            say(
                lang,
                "от исполнителя (assignee_comments_count включён)",
                "by an assignee (assignee_comments_count is on)",
            ),
        )
    elif rule.matcher.matches(comment.body):
        counted, why = (
            True,
            say(
                lang,
                "начинается с ключевого слова чекпоинта или содержит его хештег",
                "begins with a checkpoint keyword or carries a checkpoint hashtag",
            ),
        )
    else:
        counted, why = (
            False,
            say(
                lang,
                "не начинается с ключевого слова чекпоинта, хештега чекпоинта нет",
                "does not begin with a checkpoint keyword, no checkpoint hashtag",
            ),
        )
    first = comment.body.strip().splitlines()[0] if comment.body.strip() else ""
    return CommentVerdict(
        author=comment.author.name or comment.author.id,
        created=comment.created.astimezone(ctx.calendar.tz),
        excerpt=first[:80] + ("…" if len(first) > 80 else ""),
        counted=counted,
        why=why,
    )


def _checkpoint(task: Task, ctx: Context, engine: Engine, lang: Lang) -> CheckpointExplained:
    rule = engine.checkpoint_rule(task)
    p = rule.params
    calendar = ctx.calendar
    business = (
        p.business_time if p.business_time is not None else calendar.config.country is not None
    )
    start, start_from = _start_from(task, lang)
    moment = checkpoint_moment(task, calendar, p.fraction, business_time=p.business_time)
    due_end = calendar.due_end(task.due) if task.due is not None else None
    comments = tuple(_comment_verdict(rule, task, ctx, i, lang) for i in range(len(task.comments)))
    if task.due is None:
        reason = say(lang, "срока нет: чекпоинта нет", "no due date: no checkpoint")
    elif moment is None:
        reason = say(
            lang,
            "период работы начинается после конца срока: чекпоинта нет",
            "the spell of work starts after the due date ends: no checkpoint",
        )
    elif ctx.now < moment:
        reason = say(lang, "момент чекпоинта ещё впереди", "the checkpoint moment is still ahead")
    elif any(c.counted for c in comments):
        reason = say(
            lang,
            "комментарий-чекпоинт засчитан: выполнено",
            "a checkpoint comment counts: satisfied",
        )
    else:
        reason = say(
            lang,
            "момент прошёл, и ни один комментарий не засчитан",
            "the moment has passed and no comment counts",
        )
    tz = calendar.tz
    return CheckpointExplained(
        start=start.astimezone(tz),
        start_from=start_from,
        due_end=due_end.astimezone(tz) if due_end else None,
        fraction=p.fraction,
        business_time=business,
        moment=moment.astimezone(tz) if moment else None,
        check_at=calendar.next_working_time(moment) if moment else None,
        reason=reason,
        comments=comments,
    )


# -- stale --------------------------------------------------------------------------------


def _stale(task: Task, ctx: Context, engine: Engine, lang: Lang) -> StaleExplained:
    scoped = next((s for s in engine.rules_for(task.source) if isinstance(s.rule, Stale)), None)
    rule = scoped.rule if scoped is not None else Stale()
    assert isinstance(rule, Stale)
    applies = (
        scoped is not None and scoped.applies(task) and task.status_category.value == "in_progress"
    )
    tz = ctx.calendar.tz
    began = say(lang, "начало периода работы", "start of the spell of work")
    lines = [ActivityLine(task.work_start.astimezone(tz), began, "", True)]
    for c in task.comments:
        lines.append(
            ActivityLine(
                c.created.astimezone(tz),
                say(lang, "комментарий", "comment"),
                c.author.name or c.author.id,
                c.created <= ctx.now and not ctx.is_bot(c) and c.created > task.work_start,
            )
        )
    for a in task.activity:
        who = (a.author.name or a.author.id) if a.author else ""
        lines.append(
            ActivityLine(
                a.at.astimezone(tz),
                say(lang, f"изменено поле {a.field}", f"changed {a.field}"),
                who,
                a.at <= ctx.now and not ctx.is_bot(a) and a.at > task.work_start,
            )
        )
    last = last_human_activity(task, ctx)
    idle = ctx.calendar.business_days_between(ctx.calendar.local_date(last), ctx.today)
    return StaleExplained(
        applies=applies,
        days=rule.params.days,
        last_activity=last.astimezone(tz),
        idle_business_days=idle,
        timeline=tuple(sorted(lines, key=lambda line: line.at)),
    )


# -- findings and reminders ---------------------------------------------------------------


def _reminder(
    row: FindingRow | None,
    rule: str,
    fp: str,
    actions: list[ActionRow],
    ctx: Context,
    *,
    lang: Lang,
    enforce: bool,
) -> str:
    for action in reversed(actions):
        covers = {tuple(c) for c in action.payload.get("covers", ())}
        if (rule, fp) not in covers:
            continue
        marker = action.marker
        if action.state == "done" and action.done_at is not None:
            when = f"{action.done_at.astimezone(ctx.calendar.tz):%Y-%m-%d %H:%M}"
            return say(
                lang,
                f"опубликовано {when} (маркер {marker})",
                f"posted at {when} (marker {marker})",
            )
        claimed = f"{action.claimed_at.astimezone(ctx.calendar.tz):%Y-%m-%d %H:%M}"
        state = _ACTION_STATES_RU.get(action.state, action.state)
        return say(
            lang,
            f"{state} {claimed}, не подтверждено (маркер {marker})",
            f"{action.state} at {claimed}, not confirmed (marker {marker})",
        )
    if row is not None and row.state == "resolved":
        return say(
            lang,
            "исправлено раньше, чем опубликовано напоминание",
            "resolved before a reminder was posted",
        )
    if not enforce:
        return say(
            lang,
            "источник только для отчётов: напоминаний не публикуется",
            "report-only source: no reminder is posted",
        )
    if not ctx.calendar.is_working_time(ctx.now):
        until = f"{ctx.calendar.next_working_time(ctx.now):%Y-%m-%d %H:%M}"
        return say(lang, f"ждёт рабочего времени до {until}", f"queued until {until}")
    return say(
        lang,
        "ещё не опубликовано: опубликует следующий цикл",
        "not posted yet: the next cycle posts it",
    )


_ACTION_STATES_RU = {"claimed": "публикация начата", "failed": "публикация не удалась"}


def _findings(
    found: list[Finding],
    ledger: list[FindingRow],
    actions: list[ActionRow],
    ctx: Context,
    lang: Lang,
    *,
    enforce: bool,
) -> tuple[FindingExplained, ...]:
    current = {(f.rule, f.fingerprint): f for f in found}
    rows = {(r.rule, r.fingerprint): r for r in ledger}
    out: list[FindingExplained] = []
    for rule, fp in sorted({*current, *rows}, key=lambda k: (k not in current, k)):
        finding, row = current.get((rule, fp)), rows.get((rule, fp))
        out.append(
            FindingExplained(
                rule=rule,
                fingerprint=fp,
                severity=finding.severity.value if finding else (row.severity if row else ""),
                message=finding.message if finding else (row.message if row else ""),
                current=finding is not None,
                state=row.state if row else "not recorded",
                first_seen=_local(row.first_seen if row else None, ctx),
                resolved_at=_local(row.resolved_at if row else None, ctx),
                reminder=_reminder(row, rule, fp, actions, ctx, lang=lang, enforce=enforce),
            )
        )
    return tuple(out)


def _local(moment: datetime | None, ctx: Context) -> datetime | None:
    return moment.astimezone(ctx.calendar.tz) if moment is not None else None


# -- text ---------------------------------------------------------------------------------


def _t(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "—"


def render_text(ex: Explanation) -> str:
    """The explanation for a terminal: plain lines, times in the team's zone."""
    out = [
        f"{ex.source}:{ex.key}  {ex.title}",
        f"{ex.url}",
        f"status {ex.status or '—'}; explained at {_t(ex.at)} ({ex.timezone})",
        "",
        "Sections (as read from the description)",
    ]
    if not ex.sections:
        out.append("  none found")
    for s in ex.sections:
        mark = "ok " if s.filled else "-- "
        need = "required" if s.required else "not required"
        where = f"found as “{s.title}”; " if s.title is not None else ""
        out.append(f"  {mark}{s.name} ({need}): {where}{s.why}")
    cp = ex.checkpoint
    kind = "business time" if cp.business_time else "wall time"
    out += [
        "",
        "Checkpoint",
        f"  start     {_t(cp.start)}  ({cp.start_from})",
        f"  due end   {_t(cp.due_end)}",
        f"  fraction  {cp.fraction:.0%} of the time, in {kind}",
        f"  moment    {_t(cp.moment)}; in working hours {_t(cp.check_at)}",
        f"  verdict   {cp.reason}",
    ]
    for c in cp.comments:
        out.append(
            f"    {'counts ' if c.counted else 'ignored'} {_t(c.created)} {c.author}: "
            f"“{c.excerpt}” — {c.why}"
        )
    st = ex.stale
    out += [
        "",
        f"Activity (stale: {st.days} business days; "
        f"{'applies' if st.applies else 'does not apply: not in progress or out of scope'})",
    ]
    for line in st.timeline:
        who = f" by {line.who}" if line.who else ""
        out.append(f"  {'*' if line.counted else ' '} {_t(line.at)} {line.what}{who}")
    out.append(
        f"  last human activity {_t(st.last_activity)}; "
        f"idle {st.idle_business_days} business day(s)"
    )
    out += ["", "Findings"]
    if not ex.findings:
        out.append("  none, now or in the ledger")
    for f in ex.findings:
        now = "now" if f.current else "not now"
        out.append(f"  {f.rule} [{f.severity}] {f.fingerprint} — {f.message}")
        out.append(
            f"    {now}; ledger: {f.state}, first seen {_t(f.first_seen)}"
            + (f", resolved {_t(f.resolved_at)}" if f.resolved_at else "")
        )
        out.append(f"    reminder: {f.reminder}")
    return "\n".join(out)
