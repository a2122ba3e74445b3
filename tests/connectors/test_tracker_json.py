"""The depth-safe decoder agrees with ``json.loads`` wherever that one works, and text
cleaning keeps user text exactly except what no store or channel can take."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.http.tracker_json import loads_deep
from connectors.text_sanitize import clean_text

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=60, deadline=None)
@given(value=_json_values, indent=st.sampled_from([None, 1]), ascii_only=st.booleans())
def test_agrees_with_the_standard_decoder(value: Any, indent: int | None, ascii_only: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    assert loads_deep(text) == (json.loads(text), 0)


@pytest.mark.parametrize(
    "bad", ["", "[", "]", '{"a"}', "[1,]", '{"a":1,}', "[1 2]", "{1:2}", "[1]x", '"\x01"', "tru"]
)
def test_rejects_what_the_standard_decoder_rejects(bad: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad)
    with pytest.raises(json.JSONDecodeError):
        loads_deep(bad)


def test_any_depth_decodes_and_what_is_too_deep_is_left_out() -> None:
    levels = 100_000
    value, left_out = loads_deep('{"a":' * levels + "1" + "}" * levels, max_depth=50)
    depth = 0
    while isinstance(value, dict):
        value, depth = value["a"], depth + 1
    assert depth == 50
    assert value is None
    assert left_out == 1


def test_constants_like_the_standard_decoder() -> None:
    value, _ = loads_deep("[NaN, Infinity, -Infinity, 1e400, -0.0, 12345678901234567890]")
    assert math.isnan(value[0])
    assert value[1:4] == [math.inf, -math.inf, math.inf]
    assert value[5] == 12345678901234567890


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain текст 😀", "plain текст 😀"),
        ("tab\tnew\nline\r", "tab\tnew\nline\r"),
        ("nul\x00 esc\x1b bell\x07 vt\x0b", "nul esc bell vt"),
        ("lone \ud800 and \udfff", "lone \ufffd and \ufffd"),
        ("pair \ud83d\ude00", "pair 😀"),  # two escapes that make one character
        ("rtl \u202e kept, zwj \u200d kept", "rtl \u202e kept, zwj \u200d kept"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
    clean_text(raw).encode("utf-8")  # always encodable


def test_clean_text_returns_the_same_object_when_nothing_changes() -> None:
    text = "ничего лишнего"
    assert clean_text(text) is text


def test_clean_task_cleans_the_adf_source_kept_as_json() -> None:
    """JSON escapes a NUL as ``\\u0000``, so the ADF kept as text needs its own cleaning."""
    from connectors.text_sanitize import clean_task
    from rules.documents.sections import document_source
    from tests.rules.factory import make_task

    doc = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Цель\x00: x"}]}],
    }
    task = make_task(description_format="adf", description_source=document_source(doc))
    assert "\\u0000" in task.description_source
    cleaned = clean_task(task)
    assert "\\u0000" not in cleaned.description_source
    assert json.loads(cleaned.description_source)["content"][0]["content"][0]["text"] == "Цель: x"
