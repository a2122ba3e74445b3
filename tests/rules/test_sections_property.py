"""Property tests: the parser never crashes, whatever a tracker sends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rules.builtin.required_sections import RequiredSections, RequiredSectionsParams
from rules.checkpoints import CheckpointMatcher
from rules.documents.blocks import normalize_label
from rules.documents.sections import (
    DEFAULT_ALIASES,
    parse_description,
    section_filled,
    strip_placeholders,
    to_plain_text,
)
from syncd.core.models import Section
from tests.rules.factory import at, context, described

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
    "{a:" * 3000 + "x",
    "bq." * 3000 + "{quote}" * 3000,
    "bq. " * 5000 + "x",
    "{note}" * 3000 + "x",
    "> " * 3000 + "x",
    "<details>" + "<summary>" * 5000 + "x" * 5000,
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


# -- a well-formed section is always found and filled ---------------------------------
# Generated the way people write them: an alias from the real lists (any case), in one of
# the layouts people use (heading, bold label, label line then a numbered list, a callout
# under the heading, a checklist), rendered as Markdown, Jira wiki markup and ADF, with
# Russian or English content that is no placeholder.

PLACEHOLDER_WORDS = frozenset({"tbd", "tba", "todo", "fixme", "xxx", "заполнить", "заполните"})
ALPHABETS = {
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯ",
    "en": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
}
LAYOUTS = ("heading", "bold", "label_list", "callout", "checklist")
ALIAS_INDEX = {normalize_label(a) for names in DEFAULT_ALIASES.values() for a in names}


@st.composite
def prose(draw: st.DrawFn, min_chars: int = 10) -> str:
    """A line of words in one language, at least ``min_chars`` long, naming no section."""
    letters = ALPHABETS[draw(st.sampled_from(sorted(ALPHABETS)))]
    word = st.text(alphabet=letters, min_size=2, max_size=9).filter(
        lambda w: w.casefold() not in PLACEHOLDER_WORDS
    )
    words = draw(st.lists(word, min_size=2, max_size=8))
    line = " ".join(words)
    assume(len(line) >= min_chars and normalize_label(line) not in ALIAS_INDEX)
    return line


@st.composite
def well_formed(draw: st.DrawFn, name: str) -> tuple[str, str, str, str]:
    """(alias as written, layout, content, callout title) of one section."""
    alias = draw(st.sampled_from(DEFAULT_ALIASES[name]))
    alias = draw(st.sampled_from([alias, alias.upper(), alias.lower()]))
    layout = draw(st.sampled_from(LAYOUTS))
    content = draw(prose(min_chars=1 if layout == "checklist" else 10))
    title = draw(prose(min_chars=1))
    return alias, layout, content, title


TEXT_LAYOUTS = {
    "markdown": {
        "heading": "## {alias}\n\n{content}\n",
        "bold": "**{alias}:** {content}\n",
        "label_list": "{alias}:\n\n1. {content}\n",
        "callout": "## {alias}\n\n> **{title}**\n> - {content}\n",
        "checklist": "## {alias}\n\n- [ ] {content}\n",
    },
    "wiki": {
        "heading": "h2. {alias}\n{content}\n",
        "bold": "*{alias}:* {content}\n",
        "label_list": "{alias}:\n# {content}\n",
        "callout": "h2. {alias}\n{{note:title={title}}}\n* {content}\n{{note}}\n",
        "checklist": "h2. {alias}\n* [ ] {content}\n",
    },
}


def _text(fmt: str, alias: str, layout: str, content: str, title: str) -> str:
    return TEXT_LAYOUTS[fmt][layout].format(alias=alias, content=content, title=title)


def _adf(alias: str, layout: str, content: str, title: str) -> list[dict[str, Any]]:
    def text(value: str, strong: bool = False) -> dict[str, Any]:
        node: dict[str, Any] = {"type": "text", "text": value}
        return {**node, "marks": [{"type": "strong"}]} if strong else node

    def para(*nodes: dict[str, Any]) -> dict[str, Any]:
        return {"type": "paragraph", "content": list(nodes)}

    def items(kind: str) -> dict[str, Any]:
        return {"type": kind, "content": [{"type": "listItem", "content": [para(text(content))]}]}

    heading = {"type": "heading", "attrs": {"level": 2}, "content": [text(alias)]}
    task = {
        "type": "taskItem",
        "attrs": {"localId": "1", "state": "TODO"},
        "content": [text(content)],
    }
    return {
        "heading": [heading, para(text(content))],
        "bold": [para(text(f"{alias}:", strong=True), text(f" {content}"))],
        "label_list": [para(text(f"{alias}:")), items("orderedList")],
        "callout": [
            heading,
            {
                "type": "panel",
                "attrs": {"panelType": "note"},
                "content": [para(text(title, strong=True)), items("bulletList")],
            },
        ],
        "checklist": [heading, {"type": "taskList", "attrs": {"localId": "2"}, "content": [task]}],
    }[layout]


PREAMBLE = "Клиент просит обновить баннеры к распродаже."
AFTER = {"markdown": "## Ссылки\n\nмакет в Figma\n", "wiki": "h2. Links\nmockup in Figma\n"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(well_formed("goal"), well_formed("acceptance"), st.booleans())
def test_well_formed_sections_are_found_and_filled_in_every_form(
    goal: tuple[str, str, str, str], acceptance: tuple[str, str, str, str], goal_first: bool
) -> None:
    parts = [goal, acceptance] if goal_first else [acceptance, goal]
    documents: dict[str, str | dict[str, Any]] = {
        "markdown": "\n".join([PREAMBLE + "\n", *(_text("markdown", *p) for p in parts)])
        + "\n"
        + AFTER["markdown"],
        "wiki": "\n".join([PREAMBLE, *(_text("wiki", *p) for p in parts), AFTER["wiki"]]),
        "adf": {
            "type": "doc",
            "version": 1,
            "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": PREAMBLE}]},
                *(node for p in parts for node in _adf(*p)),
            ],
        },
    }
    rule = RequiredSections()
    aliased = RequiredSections(RequiredSectionsParams(aliases={"formats": ("Форматы баннеров",)}))
    ctx = context(at("2026-11-20 09:00"))
    for fmt, raw in documents.items():
        found = {s.name: s for s in parse_description(raw, fmt)}
        for name, (alias, layout, content, _) in (("goal", goal), ("acceptance", acceptance)):
            where = f"{fmt}/{layout}: {alias!r} → {content!r}"
            assert name in found, where
            assert content in found[name].text.splitlines(), where
            assert section_filled(found[name]), where
        task = described(raw, fmt)
        assert rule.check(task, ctx) is None, fmt
        assert aliased.check(task, ctx) is None, fmt
