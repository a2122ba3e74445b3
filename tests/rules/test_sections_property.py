"""Property tests: the parser never crashes, whatever a tracker sends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.checkpoints import CheckpointMatcher
from rules.sections import (
    DEFAULT_ALIASES,
    parse_description,
    section_filled,
    strip_placeholders,
    to_plain_text,
)
from syncd.models import Section

NODE_TYPES = [
    "doc",
    "paragraph",
    "text",
    "heading",
    "bulletList",
    "orderedList",
    "listItem",
    "taskList",
    "taskItem",
    "panel",
    "table",
    "tableRow",
    "tableHeader",
    "tableCell",
    "codeBlock",
    "expand",
    "hardBreak",
    "mention",
    "emoji",
    "date",
    "inlineCard",
    "mystery",
]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30)
)
marks = st.lists(st.one_of(st.fixed_dictionaries({"type": st.just("strong")}), scalars), max_size=2)


def _node(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {"type": st.one_of(st.sampled_from(NODE_TYPES), scalars)},
        optional={
            "content": st.one_of(st.lists(children, max_size=4), scalars),
            "text": st.one_of(st.text(max_size=40), scalars),
            "attrs": st.one_of(
                st.dictionaries(
                    st.sampled_from(["level", "state", "title", "text", "timestamp", "url"]),
                    scalars,
                    max_size=3,
                ),
                scalars,
            ),
            "marks": st.one_of(marks, scalars),
        },
    )


adf_docs = st.recursive(st.one_of(scalars, _node(scalars)), _node, max_leaves=40)
texty = st.text(
    alphabet=st.sampled_from(
        list("Цель Goal:*#-[]|{}()!_+\n\r\t\xa0\u2000\\<>«»…🎯ёxh2.AC`~@0123456789")
    ),
    max_size=300,
)
NAMES = set(DEFAULT_ALIASES)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(adf_docs)
def test_adf_never_crashes(doc: Any) -> None:
    for raw in (doc, json.dumps(doc)):
        sections = parse_description(raw if isinstance(raw, dict | str) else json.dumps(raw), "adf")
        assert {s.name for s in sections} <= NAMES
        for section in sections:
            section_filled(section)
        assert isinstance(to_plain_text(raw if isinstance(raw, dict | str) else None, "adf"), str)


@FAST
@given(
    st.one_of(texty, st.text(max_size=200)),
    st.sampled_from(["wiki", "markdown", "text", "adf", "??"]),
)
def test_text_formats_never_crash(raw: str, fmt: str) -> None:
    sections = parse_description(raw, fmt)
    assert {s.name for s in sections} <= NAMES
    assert len({s.name for s in sections}) == len(sections)  # one section per name
    assert isinstance(to_plain_text(raw, fmt), str)


@FAST
@given(st.one_of(texty, st.text(max_size=200)))
def test_checkpoint_matcher_never_crashes(body: str) -> None:
    assert isinstance(CheckpointMatcher().matches(body), bool)


def test_absurdly_deep_adf_is_cut_not_crashed() -> None:
    node: dict[str, Any] = {
        "type": "paragraph",
        "content": [{"type": "text", "text": "Goal: deep"}],
    }
    for _ in range(5000):
        node = {"type": "panel", "content": [node]}
    doc = {"type": "doc", "content": [node]}
    assert parse_description(doc, "adf") == ()
    as_json = '{"type":"doc","content":' + "[" * 100_000 + "]" * 100_000 + "}"
    assert parse_description(as_json, "adf") == ()


def test_huge_and_empty_descriptions() -> None:
    assert parse_description(None, "markdown") == ()
    assert parse_description("", "wiki") == ()
    huge = "## Goal\n" + ("Grow the mailing list by 10% every month. " * 20_000)
    (section,) = parse_description(huge, "markdown")
    assert section.name == "goal"
    assert section_filled(section)


@FAST
@given(st.one_of(texty, st.text(max_size=80)), st.integers(min_value=1, max_value=20))
def test_fast_filled_check_agrees_with_the_definition(text: str, min_chars: int) -> None:
    section = Section(name="goal", title="Goal", text=text)
    slow = any(len(strip_placeholders(line)) >= min_chars for line in text.splitlines())
    assert section_filled(section, min_chars) is slow


HOSTILE = [
    ":+-:" * 40 + "x",
    "(-)" * 40 + "x",
    "@a.-" * 40,
    "*" * 5000,
    "*a " * 3000,
    "-a " * 3000,
    "[" * 3000 + "|" * 3000,
    "{{" * 3000,
    "Цель" + ":" * 5000,
    "a" * 59 + " -" * 3000,
    "<" * 3000 + "x",
]


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_stays_fast(text: str) -> None:
    # Overlapping regex alternatives backtrack exponentially: these inputs would hang
    # for hours before the possessive leader, so the timeout is the assertion.
    assert not CheckpointMatcher().matches(text)
    for fmt in ("wiki", "markdown", "text"):
        assert isinstance(parse_description(text, fmt), tuple)
        assert isinstance(to_plain_text(text, fmt), str)
    section_filled(Section(name="goal", title="Goal", text=text))
