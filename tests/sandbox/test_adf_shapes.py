"""Seed loading validates ADF once per document shape: the same verdicts as the full schema
check, with documents that differ only in free text validated once."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connectors.sandbox.common.docconv import _Shapes, markdown_to_adf, validate_adf
from connectors.sandbox.common.generator import generate_seed
from connectors.sandbox.common.seed import SeedError, load_seed


def _doc(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(blocks)}


def _para(*inline: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(inline)}


def test_documents_differing_only_in_text_are_validated_once() -> None:
    shapes = _Shapes()
    first = markdown_to_adf("## Goal\nRaise sign-ups by 5 %.\n\n- [ ] tracked\n")
    second = markdown_to_adf('## Цель\nПолучить 500 "заявок" \\ в месяц.\n\n- [ ] согласовано\n')
    assert shapes.is_valid(first)
    assert shapes.is_valid(second)
    assert shapes.validations == 1


def test_a_new_invalid_shape_is_rejected_after_valid_ones() -> None:
    shapes = _Shapes()
    assert shapes.is_valid(_doc(_para({"type": "text", "text": "fine"})))
    empty_text = _doc(_para({"type": "text", "text": ""}))  # text nodes need minLength 1
    unknown_mark = _doc(_para({"type": "text", "text": "fine", "marks": [{"type": "glow"}]}))
    for bad in (empty_text, unknown_mark):
        assert not validate_adf(bad)
        assert not shapes.is_valid(bad)
    assert shapes.validations == 3


def test_enum_values_of_free_keys_keep_their_verdict() -> None:
    """hardBreak's ``attrs.text`` may only be a newline: another string is a new verdict,
    not the shape of a valid document."""
    shapes = _Shapes()
    good = _doc(_para({"type": "hardBreak", "attrs": {"text": "\n"}}))
    bad = _doc(_para({"type": "hardBreak", "attrs": {"text": "x"}}))
    assert validate_adf(good)
    assert not validate_adf(bad)
    assert shapes.is_valid(good)
    assert not shapes.is_valid(bad)


def test_python_values_that_print_as_json_get_their_own_verdict() -> None:
    """A tuple prints like a list but the schema rejects it: it must not share a list's
    cached verdict."""
    shapes = _Shapes()
    good = _doc(_para({"type": "text", "text": "a"}))
    assert shapes.is_valid(good)
    as_tuple = {"type": "doc", "version": 1, "content": (_para({"type": "text", "text": "a"}),)}
    assert shapes.is_valid(as_tuple) == validate_adf(as_tuple)
    assert shapes.validations == 2


def test_seed_with_an_invalid_document_of_a_new_shape_names_the_place() -> None:
    data = generate_seed(40, n_projects=2, documents="adf")
    assert load_seed(copy.deepcopy(data), flavour="jira-cloud")  # the valid shapes are cached
    bad = copy.deepcopy(data)
    body = bad["tasks"][7]["description"]["adf"]
    body["content"][0]["content"][0]["text"] = ""
    with pytest.raises(SeedError) as err:
        load_seed(bad, flavour="jira-cloud")
    assert "tasks[7].description.adf" in str(err.value)


@pytest.mark.parametrize("flavour", ["jira-cloud", "jira-dc", "gitlab"])
def test_generated_adf_seed_serves_the_same_text(flavour: Any) -> None:
    """``documents="adf"``: descriptions and comments are ADF documents, loaded as such and
    saying what the Markdown seed says."""
    as_adf = load_seed(generate_seed(60, n_projects=3, documents="adf"), flavour=flavour)
    described = [t for t in as_adf.tasks if t.description is not None]
    assert described
    assert all(t.description.adf is not None for t in described)  # type: ignore[union-attr]
    commented = [c for t in as_adf.tasks for c in t.comments]
    assert commented
    assert all(c.body.adf is not None for c in commented)
    as_md = load_seed(generate_seed(60, n_projects=3), flavour=flavour)
    for a, m in zip(as_adf.tasks, as_md.tasks, strict=True):
        assert a.key == m.key
        if m.description is None:
            assert a.description is None
        else:
            assert a.description is not None
            assert a.description.adf == markdown_to_adf(m.description.as_markdown())
