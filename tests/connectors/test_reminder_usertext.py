"""Reminder comments show people's text as written: a section named in the policy, or a
person's display name, that carries a bidi override cannot reorder syncd's words around
it, in any of the three comment forms (ADF, Jira wiki, GitLab Markdown). Layout is checked
with the Unicode Bidirectional Algorithm (see ``tests.digest.hostile``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.gitlab.render import render_markdown
from connectors.jira.render import render_adf, render_wiki
from rules.texts import reminder_intro, reminder_item, reminder_outro
from syncd.core.models import Finding, Person, Reminder, Severity, fingerprint
from tests.digest import fixtures
from tests.digest.hostile import laid_out_in_order, visible

SECTION = "\u202eБриф *дизайнера*"
"""A section the policy names itself (an alias), with an override left open."""
PERSON = Person(id="u-1", name="\u202eМария \u2069Dev", username=None)


def _reminder(lang: Any) -> Reminder:
    finding = Finding(
        rule="required-sections",
        source="agency-jira",
        task_key="SHOP-1",
        severity=Severity.ERROR,
        message="description lacks filled sections: brief, goal",
        fingerprint=fingerprint("SHOP-1", "required-sections"),
        detected_at=datetime(2026, 11, 23, 6, 0, tzinfo=UTC),
        data={"missing": "brief,goal", "empty": "", "title.brief": SECTION},
    )
    item = reminder_item(finding, fixtures.task("SHOP-1", "t"), lang)
    return Reminder(
        marker="m-1",
        intro=reminder_intro(lang),
        items=(item,),
        mention=PERSON,
        outro=reminder_outro(lang),
    )


def _adf_lines(node: Any) -> list[str]:
    """One line per ADF paragraph: its text nodes and mentions as Jira shows them."""
    if isinstance(node, list):
        return [line for child in node for line in _adf_lines(child)]
    if node.get("type") == "paragraph":
        parts = [c.get("text") or c.get("attrs", {}).get("text", "") for c in node["content"]]
        return ["".join(parts)]
    return _adf_lines(node.get("content", []))


def _bodies(lang: Any) -> dict[str, list[str]]:
    reminder = _reminder(lang)
    return {
        "adf": _adf_lines(render_adf(reminder)),
        "wiki-cloud": render_wiki(reminder, cloud=True).splitlines(),
        "wiki-dc": render_wiki(reminder, cloud=False).splitlines(),
        "gitlab": render_markdown(reminder).splitlines(),
    }


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("form", ["adf", "wiki-cloud", "wiki-dc", "gitlab"])
def test_people_text_never_reorders_the_reminder(lang: str, form: str) -> None:
    lines = _bodies(lang)[form]
    assert any("Бриф" in line for line in lines)
    broken = [line for line in lines if not laid_out_in_order(line)]
    assert not broken, f"{form}: {broken[:3]}"


@pytest.mark.parametrize("form", ["adf", "gitlab"])
def test_the_person_and_the_section_are_still_named(form: str) -> None:
    shown = visible("\n".join(_bodies("en")[form]))
    assert "Мария Dev" in shown
    assert "Бриф" in shown
