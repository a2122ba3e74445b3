"""The engine over a policy: defaults, scopes, exemptions, calendars per source, purity;
the registry; and every rule's docstring example loaded as a real policy."""

from __future__ import annotations

import random
from datetime import date

import pytest

from rules.base import Context, Rule
from rules.engine import Engine, ScopedRule
from rules.registry import default_rule_names, get_rule, rule_example, rule_names, validate_params
from syncd.core.errors import ConfigError, RuleError
from syncd.core.models import Finding, Section, StatusCategory, Task
from syncd.policy_file import read_policy_text
from tests.rules.factory import ANNA, BORIS, BOT, at, comment, described, make_task

SOURCES = """\
sources:
  - name: jira
    type: jira
    url: https://jira.example
    auth: {kind: bearer, secret: JIRA_TOKEN}
    scope: {jql: "project = SHOP"}
    calendar: {country: RU, timezone: Europe/Moscow}
  - name: gitlab
    type: gitlab
    url: https://gitlab.example
    auth: {kind: private_token, secret: GL_TOKEN}
    scope: {group: agency}
    calendar: {timezone: America/New_York}
"""
NOW = at("2026-11-25 09:00")


def engine(rules_yaml: str = "", **kwargs: object) -> Engine:
    return Engine.from_policy(read_policy_text(SOURCES + rules_yaml), **kwargs)  # type: ignore[arg-type]


def broken(**fields: object) -> Task:
    base: dict[str, object] = {
        "sections": (),
        "assignees": (),
        "priority": None,
        "due": None,
        "created": at("2026-11-02 09:00"),
    }
    base.update(fields)
    return make_task(**base)


def rules_of(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


def test_default_rule_set_when_policy_lists_none() -> None:
    e = engine()
    assert tuple(r.rule.name for r in e.rules) == (
        "required-sections",
        "due-date",
        "single-owner",
        "checkpoint",
        "overdue",
        "due-soon",
        "stale",
        "priority-set",
    )
    assert default_rule_names() == tuple(r.rule.name for r in e.rules)
    found = rules_of(e.evaluate([broken()], NOW))
    assert found == ["required-sections", "due-date", "single-owner", "stale", "priority-set"]
    overdue = rules_of(e.evaluate([make_task(due=date(2026, 11, 20))], NOW))
    assert overdue == ["checkpoint", "overdue", "stale"]


def test_configured_rules_only_enabled_with_severity_override() -> None:
    e = engine(
        "rules:\n"
        "  - {rule: due-date, severity: info}\n"
        "  - {rule: single-owner, enabled: false}\n"
        "  - {rule: measurable-goal}\n"
    )
    assert [r.rule.name for r in e.rules] == ["due-date", "measurable-goal"]
    vague = Section(name="goal", title="Цель", text="Сделать красиво и хорошо")
    found = e.evaluate([broken(sections=(vague,))], NOW)
    assert [(f.rule, f.severity.value) for f in found] == [
        ("due-date", "info"),
        ("measurable-goal", "warning"),
    ]


def test_scopes_by_source_project_type_label_component_and_status() -> None:
    e = engine(
        "rules:\n"
        "  - rule: due-date\n"
        "    scope: {sources: [jira], projects: [shop], issue_types: [task], labels: [Client-A],"
        " components: [Email]}\n"
        "  - rule: single-owner\n"
        "    scope: {status_categories: [done]}\n"
    )
    hit = broken(labels=("client-a", "x"), components=("email",))
    assert rules_of(e.evaluate([hit], NOW)) == ["due-date"]
    for miss in (
        broken(labels=("client-a",), components=("email",), source="gitlab"),
        broken(labels=("client-a",), components=("email",), project="BLOG"),
        broken(labels=("client-a",), components=("email",), issue_type="Bug"),
        broken(labels=("client-b",), components=("email",)),
        broken(labels=("client-a",), components=("web",)),
    ):
        assert e.evaluate([miss], NOW) == [], miss
    done = broken(status_category=StatusCategory.DONE)
    assert rules_of(e.evaluate([done], NOW)) == ["single-owner"]


def test_exempt_labels_and_done_tasks_by_default() -> None:
    e = engine()
    assert e.evaluate([broken(labels=("No-Syncd",))], NOW) == []
    assert e.evaluate([broken(status_category=StatusCategory.DONE)], NOW) == []
    custom = engine("exempt_labels: [internal]\n")
    assert custom.evaluate([broken(labels=("internal",))], NOW) == []
    assert custom.evaluate([broken(labels=("no-syncd",))], NOW) != []


def test_calendar_per_source() -> None:
    e = engine("rules: [{rule: overdue}]\n")
    moscow = make_task(due=date(2026, 11, 25))
    new_york = make_task(due=date(2026, 11, 25), source="gitlab")
    # 22:00Z: past midnight in Moscow, 17:00 in New York.
    late = at("2026-11-25 22:00")
    assert [f.source for f in e.evaluate([moscow, new_york], late)] == ["jira"]
    assert len(e.evaluate([moscow, new_york], at("2026-11-26 05:00"))) == 2


def test_bot_ids_per_source() -> None:
    reminder = comment(BOT, "2026-11-10 10:00", "Checkpoint: please write a status")
    t = make_task(created=at("2026-11-02 09:00"), comments=(reminder,))
    rules = "rules: [{rule: checkpoint}]\n"
    assert engine(rules).evaluate([t], NOW) == []
    assert rules_of(engine(rules, bot_ids={"jira": {BOT.id}}).evaluate([t], NOW)) == ["checkpoint"]


def test_bot_accounts_declared_in_the_policy_are_bots() -> None:
    automation = comment(BORIS, "2026-11-10 10:00", "Status: auto-transitioned by a rule")
    t = make_task(created=at("2026-11-02 09:00"), comments=(automation,))
    rules = "rules: [{rule: checkpoint}]\n"
    assert engine(rules).evaluate([t], NOW) == []  # Boris is a person: his status counts
    declared = SOURCES.replace(
        "    calendar: {country: RU, timezone: Europe/Moscow}\n",
        f"    calendar: {{country: RU, timezone: Europe/Moscow}}\n    bot_accounts: [{BORIS.id}]\n",
    )
    policy = read_policy_text(declared + rules)
    assert rules_of(Engine.from_policy(policy).evaluate([t], NOW)) == ["checkpoint"]


def test_evaluate_is_pure_and_ordered() -> None:
    e = engine()
    tasks = [broken(key=f"SHOP-{i}", assignees=(ANNA, BORIS)[: i % 3]) for i in range(30)]
    first = e.evaluate(tasks, NOW)
    assert first == e.evaluate(list(tasks), NOW)
    assert first == engine().evaluate(iter(tasks), NOW)
    assert list(e.iter_findings(iter(tasks), NOW)) == first
    shuffled = tasks[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(e.evaluate(shuffled, NOW), key=lambda f: (f.task_key, f.rule)) == sorted(
        first, key=lambda f: (f.task_key, f.rule)
    )
    with pytest.raises(ValueError, match="aware"):
        e.evaluate(tasks, NOW.replace(tzinfo=None))


class _Explodes(Rule):
    name = "explodes"

    def check(self, task: Task, ctx: Context) -> Finding | None:
        if task.key == "SHOP-1":
            raise KeyError("boom")
        return self.finding(task, ctx, "ok", ("x",))


def test_a_failing_rule_skips_only_that_task() -> None:
    from config.policy import RuleScope

    e = Engine([ScopedRule.build(_Explodes(), RuleScope())])
    found = e.evaluate([make_task(key="SHOP-1"), make_task(key="SHOP-2")], NOW)
    assert [f.task_key for f in found] == ["SHOP-2"]


def test_one_result_per_task_names_the_rules_that_crashed_on_it() -> None:
    from config.policy import RuleScope

    e = Engine(
        [
            ScopedRule.build(_Explodes(), RuleScope()),
            ScopedRule.build(get_rule("stale")(), RuleScope()),
        ],
        exempt_labels=("no-syncd",),
    )
    old = at("2026-10-01 09:00")
    tasks = [
        make_task(key="SHOP-1", updated=old),
        make_task(key="SHOP-2", updated=old),
        make_task(key="SHOP-3", labels=("no-syncd",)),
    ]
    results = list(e.iter_results(iter(tasks), NOW))
    assert [r.task.key for r in results] == ["SHOP-1", "SHOP-2", "SHOP-3"]  # exempt included
    one, two, exempt = results
    assert one.failed == ("explodes",)
    assert [f.rule for f in one.findings] == ["stale"]  # the other rule still ran
    assert two.failed == ()
    assert [f.rule for f in two.findings] == ["explodes", "stale"]
    assert exempt.findings == ()
    assert exempt.failed == ()


def test_unknown_rule_lists_the_valid_ones() -> None:
    with pytest.raises(RuleError, match="checkpoint") as info:
        get_rule("checkpiont")
    assert "'checkpiont'" in str(info.value)
    with pytest.raises(ConfigError) as config:
        read_policy_text(SOURCES + "rules:\n  - rule: checkpiont\n", "policy.yaml")
    (issue,) = config.value.issues
    assert issue.path == "rules[0].rule"
    assert issue.line == SOURCES.count("\n") + 2
    assert "required-sections" in issue.message


def test_bad_params_name_the_path() -> None:
    with pytest.raises(ConfigError) as info:
        read_policy_text(
            SOURCES + "rules:\n  - rule: checkpoint\n    params: {fraction: 1.5, colour: red}\n"
        )
    paths = {i.path for i in info.value.issues}
    assert paths == {"rules[0].params.fraction", "rules[0].params.colour"}
    validate_params("stale", {"days": 3})


@pytest.mark.parametrize("name", rule_names())
def test_docstring_example_loads_as_a_policy(name: str) -> None:
    cls = get_rule(name)
    policy = read_policy_text(SOURCES + rule_example(cls), f"{name} example")
    e = Engine.from_policy(policy)
    assert [r.rule.name for r in e.rules] == [name]


def test_checkpoint_moment_follows_the_policy() -> None:
    t = make_task(created=at("2026-11-15 21:00"), due=date(2026, 11, 27))
    default = engine().checkpoint_moment(t)
    assert default is not None
    assert default.isoformat() == "2026-11-19T12:00:00+03:00"  # 35 % of 10 business days
    half = engine("rules: [{rule: checkpoint, params: {fraction: 0.5}}]\n").checkpoint_moment(t)
    assert half is not None
    assert half.isoformat() == "2026-11-23T00:00:00+03:00"
    assert engine().checkpoint_moment(make_task(due=None)) is None


def test_rule_aliases_keep_the_source_section_aliases() -> None:
    description = (
        "## Бизнес-цель\nУвеличить выручку от рассылки на 15 % к декабрю.\n\n"
        "## Чек-лист приёмки\n- макет согласован с клиентом\n"
    )
    t = described(description, "markdown")
    source_aliases = SOURCES.replace(
        "    calendar: {country: RU, timezone: Europe/Moscow}\n",
        "    calendar: {country: RU, timezone: Europe/Moscow}\n"
        "    section_aliases: {goal: [Бизнес-цель]}\n",
    )
    rules = (
        "rules:\n  - rule: required-sections\n"
        "    params: {aliases: {acceptance: [Чек-лист приёмки]}}\n"
    )
    found = Engine.from_policy(read_policy_text(source_aliases + rules)).evaluate([t], NOW)
    assert found == []  # the goal by the source's alias, the criteria by the rule's
    without = Engine.from_policy(read_policy_text(SOURCES + rules)).evaluate([t], NOW)
    assert [f.data["missing"] for f in without] == ["goal"]


def test_fingerprint_names_everything_but_the_task_and_the_time() -> None:
    """Kept findings are reused only under the same fingerprint: equal policies agree,
    and a changed parameter, severity, scope, calendar or exempt label each changes it."""
    base = engine().fingerprint()
    assert engine().fingerprint() == base
    changed = [
        engine("rules:\n  - rule: checkpoint\n    params: {fraction: 0.4}\n"),
        engine("rules:\n  - rule: checkpoint\n    severity: error\n"),
        engine("rules:\n  - rule: checkpoint\n    scope: {projects: [SHOP]}\n"),
        engine(bot_ids={"jira": {"u-other-bot"}}),
    ]
    prints = {e.fingerprint() for e in changed}
    assert base not in prints
    assert len(prints) == len(changed)
    policy = read_policy_text(SOURCES.replace("Europe/Moscow", "Asia/Yekaterinburg"))
    assert Engine.from_policy(policy).fingerprint() != base
    exempt = read_policy_text("exempt_labels: [hold]\n" + SOURCES)
    assert Engine.from_policy(exempt).fingerprint() != base
