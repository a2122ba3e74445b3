"""What every rule is: a parameter model, a default severity, and a pure check.

A rule sees one normalized :class:`~syncd.core.models.Task` and a :class:`Context` (now, the
team's calendar, who is a bot) and returns at most one :class:`~syncd.core.models.Finding`.
Rules never read the clock, the store or a tracker, so evaluation is a pure function and
the same tasks at the same ``now`` always give the same findings.

Each rule also says how long its verdict holds (:meth:`Rule.valid_until`): the earliest
instant after ``now`` at which the same task could get a different result from it, so a
caller may keep findings instead of evaluating an unchanged task every cycle.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from rules.briefs import Lang
from rules.calendar import BusinessCalendar
from syncd.core.models import (
    Activity,
    Comment,
    Finding,
    Person,
    ReminderItem,
    Severity,
    Task,
    fingerprint,
)

__all__ = ["FOREVER", "Context", "Rule", "RuleParams", "TimeDrivenRule", "TimelessRule", "Wording"]

FOREVER = datetime(9999, 12, 31, tzinfo=UTC)
"""A verdict no passage of time changes: only a change of the task (or of the engine's
configuration, code or holiday data) can. Far but not ``datetime.max``, so adding to it
or storing it as text stays safe."""

Wording = tuple[str, str, str]
"""A reminder item's three lines: the problem, what to do, why it matters."""


class RuleParams(BaseModel):
    """Base of every rule's parameters: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a rule may know besides the task, fixed for one evaluation."""

    now: datetime
    """Aware UTC instant."""
    today: date
    """``now`` as a date in the team's time zone."""
    calendar: BusinessCalendar
    bot_ids: frozenset[str] = frozenset()
    section_aliases: Mapping[str, tuple[str, ...]] | None = None
    """The source's own extra section headings (``section_aliases``), which connectors
    already parsed with; a rule that knows more names must keep these too."""

    def is_bot(self, item: Comment | Activity) -> bool:
        """Written or changed by syncd (flag set by the connector) or by a configured bot."""
        if item.is_bot:
            return True
        author: Person | None = item.author
        return author is not None and author.id in self.bot_ids


class Rule(ABC):
    """A named check, and everything said about it: one module holds a rule whole.

    Subclasses set ``name`` (through ``@register``), ``Params``, ``default_severity``,
    ``label`` (the digest's words for it), ``summary`` (the README's rule table) and a
    docstring with an ``example:`` block of policy YAML (tested by loading it), and
    implement ``check`` and ``wording`` (the reminder's three lines, in Russian and English).
    """

    name: ClassVar[str] = ""
    Params: ClassVar[type[RuleParams]] = RuleParams
    default_severity: ClassVar[Severity] = Severity.WARNING
    default_enabled: ClassVar[bool] = True
    """Part of the set used when a policy has no ``rules:`` list."""
    order: ClassVar[int] = 100
    """Place in the default set and among a combined reminder's items (lower first)."""
    label: ClassVar[Mapping[str, str]] = {}
    """The digest's few words for a violation, per language (``ru``, ``en``)."""
    summary: ClassVar[str] = ""
    """"Flags a task when …", for the README's rule table (Markdown)."""

    def __init__(self, params: RuleParams | None = None, severity: Severity | None = None) -> None:
        self.params = params if params is not None else self.Params()
        self.severity = severity or self.default_severity

    @classmethod
    def from_config(cls, params: Mapping[str, object], severity: str | None = None) -> Rule:
        return cls(
            cls.Params.model_validate(dict(params)), Severity(severity) if severity else None
        )

    @abstractmethod
    def check(self, task: Task, ctx: Context) -> Finding | None:
        """The finding for ``task`` at ``ctx.now``, or None when the task is fine."""

    def valid_until(self, task: Task, ctx: Context, finding: Finding | None) -> datetime | None:
        """Until when (exclusive) ``check`` gives the same result for this same ``task``:
        the earliest instant after ``ctx.now`` at which the finding could appear, vanish
        or change its fingerprint, severity, message or data (``detected_at`` aside).
        ``finding`` is what ``check(task, ctx)`` returned.

        Returns an aware UTC instant > ``ctx.now``; :data:`FOREVER` when only a change of
        the task can change the verdict; None when unknown: the result holds only at
        ``ctx.now`` and the task is evaluated again next time. An earlier bound is always
        correct (it costs one more evaluation); a later one than the truth is a missed
        reminder. This default is the safe one, for a rule that does not say."""
        del task, ctx, finding
        return None

    def check_until(self, task: Task, ctx: Context) -> tuple[Finding | None, datetime | None]:
        """``check`` and ``valid_until`` at once: what the engine calls. A rule whose check
        and bound need the same facts (a checkpoint moment, the last activity) derives
        from :class:`TimeDrivenRule` and computes them once, here."""
        finding = self.check(task, ctx)
        return finding, self.valid_until(task, ctx, finding)

    @classmethod
    def wording(cls, data: Mapping[str, str], lang: Lang) -> Wording | None:
        """The reminder's lines for a finding with ``data``; None: the finding's own
        (English) message is the whole item, as for a rule that says nothing more."""
        del data, lang
        return None

    @classmethod
    def reminder_item(cls, finding: Finding, lang: Lang) -> ReminderItem:
        """One item of a reminder comment about ``finding``."""
        wording = cls.wording(finding.data, lang)
        if wording is None:
            return ReminderItem(finding.message)
        title, todo, why = wording
        return ReminderItem(title, (todo, why))

    def finding(  # noqa: PLR0917 - every built-in rule calls it positionally
        self,
        task: Task,
        ctx: Context,
        message: str,
        key: tuple[object, ...],
        data: dict[str, str] | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding whose fingerprint is ``key``: the facts that make it "the same problem"
        from one cycle to the next (e.g. the due date for overdue), never ``now``."""
        return Finding(
            rule=self.name,
            source=task.source,
            task_key=task.key,
            severity=severity or self.severity,
            message=message,
            fingerprint=fingerprint(self.name, *key),
            detected_at=ctx.now,
            data=data or {},
        )


class TimeDrivenRule(Rule):
    """A rule whose verdict depends on ``now``: it implements :meth:`check_until` (the
    finding and its bound from the same facts), and ``check`` and ``valid_until`` follow."""

    @abstractmethod
    def check_until(self, task: Task, ctx: Context) -> tuple[Finding | None, datetime | None]:
        """The finding at ``ctx.now`` and until when it holds (see :meth:`valid_until`)."""

    def check(self, task: Task, ctx: Context) -> Finding | None:
        return self.check_until(task, ctx)[0]

    def valid_until(self, task: Task, ctx: Context, finding: Finding | None) -> datetime | None:
        del finding  # recomputed with the facts it follows from
        return self.check_until(task, ctx)[1]


class TimelessRule(Rule):
    """A rule that reads only the task (and the engine's configuration), never ``now``:
    its verdict holds until the task changes."""

    def valid_until(self, task: Task, ctx: Context, finding: Finding | None) -> datetime | None:
        del task, ctx, finding
        return FOREVER

    def check_until(self, task: Task, ctx: Context) -> tuple[Finding | None, datetime | None]:
        return self.check(task, ctx), FOREVER
