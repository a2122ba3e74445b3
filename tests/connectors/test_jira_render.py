"""Reminder → Jira comment bodies: ADF that Atlassian's schema accepts, wiki mentions per
flavour, user text that stays text, and the text fallback for the marker."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from connectors.jira.render import escape_wiki, marker_in_body, render_adf, render_wiki
from rules.documents.sections import to_plain_text
from syncd.core.models import Person, Reminder, ReminderItem

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "connectors/sandbox/schemas/adf-schema-v1-full.json").read_text()
)
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)

REMINDER = Reminder(
    marker="a1b2c3d4e5f60718",
    intro="this task needs attention:",
    items=(
        ReminderItem(
            title="No checkpoint comment since 19 Nov",
            details=("Write a comment starting with «Checkpoint:»", "Template: *Goal:* [fill]"),
        ),
        ReminderItem(title="Due date passed on 20 Nov"),
    ),
    mention=Person(id="5b10ac8d82e05b22cc7d4ef5", name="Дмитрий Ковалёв", username="d.kovalev"),
    outro="— syncd",
)


def errors(doc: dict) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(doc)]


@pytest.mark.parametrize("marker_in_text", [False, True])
def test_adf_is_valid_against_the_adf_schema(marker_in_text: bool) -> None:
    doc = render_adf(REMINDER, marker_in_text=marker_in_text)
    assert errors(doc) == []
    assert doc["content"][0]["content"][0] == {
        "type": "mention",
        "attrs": {"id": "5b10ac8d82e05b22cc7d4ef5", "text": "@Дмитрий Ковалёв"},
    }
    text = to_plain_text(doc, "adf")
    assert "No checkpoint comment since 19 Nov" in text
    assert "Template: *Goal:* [fill]" in text  # user text is text, not marks
    assert (marker_in_body(text) == REMINDER.marker) is marker_in_text


def test_adf_without_mention_items_or_outro_is_still_valid() -> None:
    bare = Reminder(marker="m", intro="", items=())
    assert errors(render_adf(bare)) == []
    no_mention = Reminder(
        marker="m", intro="Hello", items=(ReminderItem(title="x", details=(" ",)),)
    )
    assert errors(render_adf(no_mention)) == []


def test_the_schema_check_can_fail() -> None:
    broken = render_adf(REMINDER)
    broken["content"][0]["content"][0]["attrs"] = {"accountId": "x"}  # not how mentions look
    assert errors(broken)


def test_wiki_mentions_by_account_id_on_cloud_and_username_on_dc() -> None:
    cloud = render_wiki(REMINDER, cloud=True)
    dc = render_wiki(REMINDER, cloud=False)
    assert cloud.startswith("[~accountid:5b10ac8d82e05b22cc7d4ef5] this task needs attention:")
    assert dc.startswith("[~d.kovalev] this task needs attention:")
    assert "* *No checkpoint comment since 19 Nov*" in dc
    assert "** Template: \\*Goal:\\* \\[fill\\]" in dc
    assert marker_in_body(dc) is None
    assert (
        marker_in_body(render_wiki(REMINDER, cloud=False, marker_in_text=True)) == REMINDER.marker
    )


def test_escape_wiki_neutralises_macros_links_and_mentions() -> None:
    assert escape_wiki("{code}[~admin]|x|") == "\\{code\\}\\[\\~admin\\]\\|x\\|"
    assert "\n" not in escape_wiki("line one\nh1. line two")
