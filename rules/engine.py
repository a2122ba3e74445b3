"""The rule engine: a policy's rules, scoped, over many tasks, as one pure function.

``Engine.from_policy(policy)`` builds the rules once (parameters validated, regexes
compiled, one business calendar per source); ``evaluate(tasks, now)`` then returns the
findings. Same tasks, same ``now`` → same findings, in the same order: the daemon can
evaluate every open task every cycle, so time-driven findings (a checkpoint moment
reached, a due date passed) appear without any change in the tracker.

A rule that fails on one task is logged and skipped for that task only: one odd task must
not stop the others from being checked.

Each result also says until when it holds (``TaskResult.valid_until``, the earliest of the
applying rules' :meth:`~rules.base.Rule.valid_until`), so a caller may keep an unchanged
task's findings instead of evaluating it every cycle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import holidays

import syncd.core.models as core_models
from config.policy import CalendarConfig, Policy, RuleScope
from rules.base import FOREVER, Context, Rule, TimelessRule
from rules.builtin._util import casefolded
from rules.builtin.checkpoint import Checkpoint
from rules.builtin.due_soon import DueSoon
from rules.calendar import BusinessCalendar
from rules.checkpoints import checkpoint_moment
from rules.registry import default_rule_names, get_rule
from syncd.core.logs import get_logger
from syncd.core.models import Finding, Task

__all__ = ["FOREVER", "Engine", "ScopedRule", "TaskResult"]


_log = get_logger("syncd.rules")


@cache
def _code_revision() -> str:
    """A digest of the rule code and the task model: an upgrade that changes how a rule
    decides must not reuse findings computed by the old code."""
    digest = hashlib.sha256()
    roots = (Path(__file__).parent, Path(core_models.__file__).parent)
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class TaskResult:
    """What the engine made of one task: its findings in rule order, and the rules that
    crashed on it (their findings are unknown this time, not absent)."""

    task: Task
    findings: tuple[Finding, ...] = ()
    failed: tuple[str, ...] = ()
    valid_until: datetime | None = None
    """Until when (exclusive) the same task under the same engine gives these same findings
    (rule, fingerprint, severity, message, data; ``detected_at`` aside): a caller may keep
    them instead of evaluating again before then. An aware UTC instant after ``now``;
    :data:`~rules.base.FOREVER` when only a change of the task (or of the engine) can
    change them. None: nothing is known, they hold only for the ``now`` they were computed
    at (a rule crashed on the task, or a rule does not say)."""


def _optional(values: Sequence[str]) -> frozenset[str] | None:
    return casefolded(values) if values else None


@dataclass(frozen=True, slots=True)
class ScopedRule:
    """A rule with its scope pre-computed as case-insensitive sets (None = anything)."""

    rule: Rule
    sources: frozenset[str] | None
    projects: frozenset[str] | None
    issue_types: frozenset[str] | None
    labels: frozenset[str] | None
    components: frozenset[str] | None
    statuses: frozenset[str]
    timeless: bool = False
    """The rule's verdict holds until the task changes (its ``check_until`` is
    :class:`~rules.base.TimelessRule`'s): the engine calls ``check`` alone."""

    @classmethod
    def build(cls, rule: Rule, scope: RuleScope) -> ScopedRule:
        return cls(
            rule,
            frozenset(scope.sources) if scope.sources else None,
            _optional(scope.projects),
            _optional(scope.issue_types),
            _optional(scope.labels),
            _optional(scope.components),
            frozenset(scope.status_categories),
            type(rule).check_until is TimelessRule.check_until,
        )

    def applies(self, task: Task) -> bool:
        # A StrEnum member is its value (same hash, equal): no ``.value`` lookup per task.
        if task.status_category not in self.statuses:
            return False
        if self.projects is not None and task.project.casefold() not in self.projects:
            return False
        if self.issue_types is not None and task.issue_type.casefold() not in self.issue_types:
            return False
        if self.labels is not None and not any(x.casefold() in self.labels for x in task.labels):
            return False
        return self.components is None or any(
            x.casefold() in self.components for x in task.components
        )


class Engine:
    def __init__(
        self,
        rules: Sequence[ScopedRule],
        *,
        calendars: Mapping[str, BusinessCalendar] | None = None,
        exempt_labels: Iterable[str] = ("no-syncd",),
        bot_ids: Mapping[str, set[str]] | None = None,
        section_aliases: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self.section_aliases = {
            source: {name: tuple(values) for name, values in aliases.items()}
            for source, aliases in (section_aliases or {}).items()
        }
        self.calendars = dict(calendars or {})
        self.default_calendar = BusinessCalendar()
        self.exempt = casefolded(exempt_labels)
        self.bot_ids = {k: frozenset(v) for k, v in (bot_ids or {}).items()}
        self._by_source: dict[str, tuple[ScopedRule, ...]] = {}
        self._fingerprint: str | None = None

    @classmethod
    def from_policy(cls, policy: Policy, bot_ids: Mapping[str, set[str]] | None = None) -> Engine:
        """Rules as configured (disabled ones dropped), or the default set with their
        default parameters when the policy lists none. Raises ``RuleError`` for an unknown
        rule and pydantic's ``ValidationError`` for bad parameters."""
        if policy.rules:
            scoped = [
                ScopedRule.build(get_rule(c.rule).from_config(c.params, c.severity), c.scope)
                for c in policy.rules
                if c.enabled
            ]
        else:
            scoped = [
                ScopedRule.build(get_rule(name)(), RuleScope()) for name in default_rule_names()
            ]
        shared: dict[CalendarConfig, BusinessCalendar] = {}
        calendars = {
            s.name: shared.setdefault(s.calendar, BusinessCalendar(s.calendar))
            for s in policy.sources
        }
        # Automation accounts declared per source are bots too, beside syncd's own account
        # (which connectors already flag on each comment and change).
        bots: dict[str, set[str]] = {s.name: set(s.bot_accounts) for s in policy.sources}
        for source, ids in (bot_ids or {}).items():
            bots.setdefault(source, set()).update(ids)
        aliases = {s.name: s.section_aliases for s in policy.sources if s.section_aliases}
        return cls(
            scoped,
            calendars=calendars,
            exempt_labels=policy.exempt_labels,
            bot_ids=bots,
            section_aliases=aliases,
        )

    def fingerprint(self) -> str:
        """A digest of everything besides the task and the time that the findings depend
        on: the rules as configured, calendars, exempt labels, bot accounts, section
        aliases, the rule code itself and the holiday data. Results kept under another
        fingerprint must not be reused."""
        if self._fingerprint is None:
            parts: list[object] = [_code_revision(), getattr(holidays, "__version__", "")]
            for scoped in self.rules:
                rule = scoped.rule
                parts.append(
                    (
                        rule.name,
                        type(rule).__qualname__,
                        rule.severity,
                        rule.params.model_dump_json(),
                        *(
                            sorted(x) if x is not None else None
                            for x in (
                                scoped.sources,
                                scoped.projects,
                                scoped.issue_types,
                                scoped.labels,
                                scoped.components,
                            )
                        ),
                        sorted(scoped.statuses),
                    )
                )
            parts.append(sorted((k, c.config.model_dump_json()) for k, c in self.calendars.items()))
            parts.append(sorted(self.exempt))
            parts.append(sorted((k, sorted(v)) for k, v in self.bot_ids.items()))
            parts.append(sorted((k, sorted(v.items())) for k, v in self.section_aliases.items()))
            self._fingerprint = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
        return self._fingerprint

    def calendar(self, source: str) -> BusinessCalendar:
        return self.calendars.get(source, self.default_calendar)

    def rules_for(self, source: str) -> tuple[ScopedRule, ...]:
        found = self._by_source.get(source)
        if found is None:
            found = tuple(r for r in self.rules if r.sources is None or source in r.sources)
            self._by_source[source] = found
        return found

    def checkpoint_rule(self, task: Task) -> Checkpoint:
        """The ``checkpoint`` rule that applies to the task as configured (its scope, its
        fraction and keywords), or one with the default parameters when none does."""
        for scoped in self.rules_for(task.source):
            if isinstance(scoped.rule, Checkpoint) and scoped.applies(task):
                return scoped.rule
        return Checkpoint()

    def due_soon_days(self, task: Task) -> int:
        """The ``due-soon`` horizon that applies to the task as configured, or the rule's
        default: digests list as "due soon" exactly what the rule flags."""
        for scoped in self.rules_for(task.source):
            if isinstance(scoped.rule, DueSoon) and scoped.applies(task):
                return scoped.rule.params.days
        return DueSoon().params.days

    def checkpoint_moment(self, task: Task) -> datetime | None:
        """The task's checkpoint as this policy computes it, in the source's calendar.
        Digests use it for "check today"."""
        params = self.checkpoint_rule(task).params
        return checkpoint_moment(
            task, self.calendar(task.source), params.fraction, business_time=params.business_time
        )

    def context(self, source: str, now: datetime) -> Context:
        if now.tzinfo is None:
            raise ValueError("Engine.evaluate needs an aware 'now'")
        calendar = self.calendar(source)
        now = now.astimezone(UTC)
        return Context(
            now,
            calendar.local_date(now),
            calendar,
            self.bot_ids.get(source, frozenset()),
            self.section_aliases.get(source),
        )

    def evaluate(self, tasks: Iterable[Task], now: datetime) -> list[Finding]:
        """Findings for ``tasks`` at ``now``: task order, then rule order. Pure."""
        return list(self.iter_findings(tasks, now))

    def iter_findings(self, tasks: Iterable[Task], now: datetime) -> Iterator[Finding]:
        """:meth:`evaluate` as a stream (the findings of :meth:`iter_results`)."""
        for result in self.iter_results(tasks, now):
            yield from result.findings

    def iter_results(self, tasks: Iterable[Task], now: datetime) -> Iterator[TaskResult]:
        """One result per task, in task order, as a stream: a caller reading tasks from the
        store need not hold every task or finding of a 100,000-task backlog at once.

        A rule that crashes on a task (finding or bound) is logged and skipped for that
        task, and named in the result's ``failed`` so the caller does not take a missing
        finding for a fixed one; the result's ``valid_until`` is then None: evaluate it
        again next time. An exempt task gets a result with no findings, valid for ever."""
        contexts: dict[str, Context] = {}
        for task in tasks:
            ctx = contexts.get(task.source)
            if ctx is None:
                ctx = contexts[task.source] = self.context(task.source, now)
            yield self.result(task, ctx)

    def result(self, task: Task, ctx: Context) -> TaskResult:
        """One task's result in ``ctx`` (``context(task.source, now)``): what
        :meth:`iter_results` gives for it, for a caller that is handed tasks one by one."""
        if self.exempt and any(x.casefold() in self.exempt for x in task.labels):
            return TaskResult(task, valid_until=FOREVER)
        findings: list[Finding] = []
        failed: list[str] = []
        until, unknown = FOREVER, False
        for scoped in self.rules_for(task.source):
            if not scoped.applies(task):
                continue
            rule = scoped.rule
            holds: datetime | None
            try:
                if scoped.timeless:
                    finding, holds = rule.check(task, ctx), FOREVER
                else:
                    finding, holds = rule.check_until(task, ctx)
            except Exception:
                _log.exception(
                    "rule failed on task", rule=rule.name, source=task.source, task=task.key
                )
                failed.append(rule.name)
                unknown = True
                continue
            if finding is not None:
                findings.append(finding)
            # Unknown, or (a rule's bug) not after now: evaluate again next time.
            if holds is None or holds <= ctx.now:
                unknown = True
            elif holds < until:
                until = holds
        return TaskResult(task, tuple(findings), tuple(failed), None if unknown else until)
