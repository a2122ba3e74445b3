"""The description templates (``syncd templates``): filled with their own examples they pass
``required-sections`` and ``measurable-goal``; left as written they are flagged. Every
brief, both languages, each format mapped by its tracker's connector: Markdown (a GitLab
issue created from the template, its ``/label`` quick action applied), wiki markup (Jira
Data Center), ADF (Jira Cloud, converted from the Markdown as the sandbox converts seed
documents, or pasted as plain text)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from connectors.gitlab.mapping import GitLabContext
from connectors.gitlab.mapping import map_issue as gitlab_issue
from connectors.jira.mapping import map_issue as jira_issue
from connectors.sandbox.common.docconv import markdown_to_adf
from rules.briefs import Lang
from rules.builtin.measurable_goal import MeasurableGoal
from rules.builtin.required_sections import RequiredSections, RequiredSectionsParams
from rules.documents.sections import parse_description
from rules.task_templates import Brief, briefs_of, render_template
from rules.texts import reminder_item
from syncd.core.models import Task
from tests.connectors.test_jira_mapping import ctx as jira_ctx
from tests.connectors.test_jira_mapping import issue as jira_fields
from tests.rules.factory import at, context, described

NOW = at("2026-11-25 09:00")

# The example policy's briefs (config/examples/jira.yaml), a component variant named in
# Russian and one that replaces the base sections.
PARAMS = RequiredSectionsParams.model_validate(
    {
        "variants": [
            {"labels": ["design"], "sections": ["formats", "sizes"]},
            {"labels": ["copy"], "sections": ["audience", "tone", "length"]},
            {"labels": ["markup"], "sections": ["mockup", "clients"]},
            {"components": ["Вёрстка"], "sections": ["mockup", "clients"]},
            {"issue_types": ["Bug"], "sections": ["acceptance"], "replace": True},
        ]
    }
)
BRIEFS = briefs_of(PARAMS)
FORMATS = ("gitlab", "jira-dc", "jira-cloud", "jira-cloud-pasted")


def _pasted(md: str) -> dict[str, Any]:
    """The Markdown snippet pasted into an editor that keeps it as plain text: one ADF
    paragraph per line, "## Цель (…)" as written."""
    lines = [line for line in md.splitlines() if line.strip()]
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": line}]} for line in lines
        ],
    }


def _gitlab(md: str) -> Task:
    """A GitLab issue created from the template: GitLab runs the ``/label`` quick action
    (the issue gets its labels, the line leaves the description); the connector maps it."""
    first, _, rest = md.partition("\n")
    labels = re.findall(r'~"([^"]+)"', first) if first.startswith("/label") else []
    issue = {
        "id": 1,
        "iid": 1,
        "title": "Письмо «Чёрная пятница»",
        "state": "opened",
        "description": rest.lstrip("\n") if labels else md,
        "references": {"full": "agency/shop#1"},
        "created_at": "2026-11-23T10:00:00+03:00",
        "updated_at": "2026-11-23T10:00:00+03:00",
        "due_date": "2026-11-27",
        "labels": labels,
        "assignees": [{"id": 7, "name": "Анна", "username": "anna"}],
    }
    ctx = GitLabContext(source="gitlab", bot_id="99", doing_labels=("Doing",))
    return gitlab_issue(issue, [], [], [], ctx)


def _jira(description: str | dict[str, Any], brief: Brief, *, cloud: bool) -> Task:
    """A Jira issue (REST v3 ADF on Cloud, v2 wiki on Data Center) of the brief's variant,
    mapped by the connector."""
    fields = {
        "labels": list(brief.labels[:1]),
        "components": [{"name": c} for c in brief.components[:1]],
        "issuetype": {"name": brief.issue_types[0] if brief.issue_types else "Task"},
        "description": description,
    }
    return jira_issue(jira_fields(cloud, **fields), jira_ctx(cloud), [], [])


def _task(brief: Brief, fmt: str, lang: Lang, *, filled: bool) -> Task:
    """The template as the tracker's connector reads it back."""
    if fmt == "gitlab":
        return _gitlab(
            render_template(brief, PARAMS, "markdown", lang, filled=filled, quick_actions=True)
        )
    if fmt == "jira-dc":
        wiki = render_template(brief, PARAMS, "wiki", lang, filled=filled)
        return _jira(wiki, brief, cloud=False)
    md = render_template(brief, PARAMS, "markdown", lang, filled=filled)
    adf = _pasted(md) if fmt == "jira-cloud-pasted" else markdown_to_adf(md)
    return _jira(adf, brief, cloud=True)


def test_the_briefs_are_the_default_and_one_per_variant() -> None:
    assert [b.name for b in BRIEFS] == ["default", "design", "copy", "markup", "вёрстка", "bug"]
    assert BRIEFS[1].sections == ("goal", "acceptance", "formats", "sizes")
    assert BRIEFS[5].sections == ("acceptance",)  # replace: only the variant's own


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("brief", BRIEFS, ids=lambda b: b.name)
def test_a_filled_template_passes_and_an_unfilled_one_is_flagged(
    brief: Brief, lang: Lang, fmt: str
) -> None:
    rule, measurable = RequiredSections(PARAMS), MeasurableGoal()
    ctx = context(NOW)

    filled = _task(brief, fmt, lang, filled=True)
    assert {s.name for s in filled.sections} >= set(brief.sections)
    assert rule.check(filled, ctx) is None
    assert measurable.check(filled, ctx) is None

    empty = _task(brief, fmt, lang, filled=False)
    # Every heading is recognised (the prompt in brackets does not hide it)...
    assert {s.name for s in empty.sections} >= set(brief.sections)
    finding = rule.check(empty, ctx)
    assert finding is not None
    # ...and every section is read as empty: the prompts and examples are placeholders.
    assert finding.data["missing"].split(",") == list(brief.sections)


def test_the_gitlab_template_labels_the_issue_before_any_section() -> None:
    md = render_template(BRIEFS[1], PARAMS, "markdown", "ru", quick_actions=True)
    first, rest = md.split("\n", 1)
    assert first == '/label ~"design"'
    assert rest.lstrip().startswith("## Цель (чего хочет клиент, измеримо, с числом и сроком)")
    assert "… (например: увеличить открываемость рассылки до 25 % к 1 марта)" in md
    # GitLab has no components or issue types: the connector reads them from scoped labels.
    markup = render_template(BRIEFS[4], PARAMS, "markdown", "ru", quick_actions=True)
    assert markup.startswith('/label ~"component::Вёрстка"\n')
    bug = render_template(BRIEFS[5], PARAMS, "markdown", "ru", quick_actions=True)
    assert bug.startswith('/label ~"type::Bug"\n')
    # The snippets for pasting carry no quick action; the default brief has no labels.
    assert "/label" not in render_template(BRIEFS[1], PARAMS, "markdown", "ru")
    assert "/label" not in render_template(BRIEFS[0], PARAMS, "markdown", "ru", quick_actions=True)


def test_the_policy_s_own_headings_hints_and_sections_are_used() -> None:
    params = RequiredSectionsParams.model_validate(
        {
            "sections": ["goal", "acceptance", "brand"],
            "aliases": {"goal": ["Бизнес-цель"], "brand": ["Брендбук"]},
            "replace_aliases": True,
            "templates": {"acceptance": {"ru": "клиент подписал акт, баннер в эфире"}},
        }
    )
    (brief,) = briefs_of(params)
    wiki = render_template(brief, params, "wiki", "ru")
    # "Цель" is no longer a heading this rule knows: the policy's own is written instead.
    assert "h2. Бизнес-цель (чего хочет клиент, измеримо, с числом и сроком)" in wiki
    assert "h2. Критерии приёмки" in wiki  # not replaced: syncd's own heading stays
    assert "… (например: клиент подписал акт, баннер в эфире)" in wiki
    assert "h2. Брендбук\n…" in wiki

    rule, ctx = RequiredSections(params), context(NOW)
    unfilled = rule.check(described(wiki, "wiki"), ctx)
    assert unfilled is not None
    assert unfilled.data["missing"] == "goal,acceptance,brand"
    filled = render_template(brief, params, "wiki", "ru", filled=True)
    assert rule.check(described(filled, "wiki"), ctx) is None


def test_variant_names_are_unique_and_file_name_safe() -> None:
    params = RequiredSectionsParams.model_validate(
        {
            "variants": [
                {"labels": ["../Design team"], "sections": ["formats"]},
                {"labels": ["design-team"], "sections": ["sizes"]},
                {"labels": ["x"], "sections": ["tone"], "name": "copy"},
            ]
        }
    )
    assert [b.name for b in briefs_of(params)] == [
        "default",
        "design-team",
        "design-team-2",
        "copy",
    ]
    with pytest.raises(ValueError, match="name"):
        RequiredSectionsParams.model_validate(
            {"variants": [{"labels": ["x"], "sections": ["tone"], "name": "../x"}]}
        )


def test_the_unfilled_template_keeps_its_headings_when_parsed() -> None:
    md = render_template(BRIEFS[2], PARAMS, "markdown", "en")
    titles = [s.title for s in parse_description(md, "markdown")]
    assert titles[0] == "Goal (what the client wants, with a number and a date)"
    assert len(titles) == len(BRIEFS[2].sections)


# -- the reminder links the task's template ----------------------------------------------
URL = "https://gitlab.example/agency/x/-/blob/main/.gitlab/issue_templates/{variant}.md"
LINKED = PARAMS.model_copy(update={"templates_url": URL})


def _reminder(task: Task, lang: Lang = "ru") -> tuple[str, ...]:
    finding = RequiredSections(LINKED).check(task, context(NOW))
    assert finding is not None
    item = reminder_item(finding, task, lang, "https://wiki.agency.example/syncd#{rule}")
    return item.details


def test_the_missing_sections_reminder_links_the_task_s_template() -> None:
    base = "https://gitlab.example/agency/x/-/blob/main/.gitlab/issue_templates/"
    design = _reminder(described("Цель: поднять CTR баннера до 2 %", "text", labels=("Design",)))
    assert f"Готовый шаблон описания: {base}design.md" in design
    # The link follows the template lines and the rule's own page still closes the item.
    assert design.index(f"Готовый шаблон описания: {base}design.md") == len(design) - 3
    assert design[-1] == "Подробнее о правиле: https://wiki.agency.example/syncd#required-sections"

    plain = _reminder(described("", "text"), "en")
    assert f"The description template: {base}default.md" in plain

    markup = _reminder(described("", "text", components=("Вёрстка",), labels=("copy",)))
    assert (
        f"Готовый шаблон описания: {base}copy.md, "
        f"{base}%D0%B2%D1%91%D1%80%D1%81%D1%82%D0%BA%D0%B0.md"
    ) in markup


def test_without_a_templates_url_the_reminder_has_no_template_link() -> None:
    task = described("", "text", labels=("design",))
    finding = RequiredSections(PARAMS).check(task, context(NOW))
    assert finding is not None
    assert "template_urls" not in finding.data
    details = reminder_item(finding, task, "ru").details
    assert not any("шаблон описания" in line for line in details)


@pytest.mark.parametrize(
    ("url", "problem"),
    [("ftp://x.example/{variant}", "pattern"), ("https://u:t@x.example/{variant}", "password")],
)
def test_a_templates_url_must_be_a_plain_web_link(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        RequiredSectionsParams.model_validate({"templates_url": url})
