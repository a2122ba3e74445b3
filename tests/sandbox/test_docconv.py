"""Markdown → wiki / ADF, one test per construct; every ADF result is schema-valid."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.sandbox.common.docconv import (
    adf_errors,
    markdown_to_adf,
    markdown_to_wiki,
    validate_adf,
)


def adf(md: str) -> list[dict[str, Any]]:
    doc = markdown_to_adf(md)
    assert adf_errors(doc) == []
    assert doc["type"] == "doc"
    assert doc["version"] == 1
    content: list[dict[str, Any]] = doc["content"]
    return content


def test_heading() -> None:
    assert adf("## Goal\n") == [
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Goal"}]}
    ]
    assert markdown_to_wiki("## Goal\n") == "h2. Goal\n"
    assert markdown_to_wiki("### Цель\n") == "h3. Цель\n"


def test_paragraphs() -> None:
    assert adf("one\n\ntwo\n") == [
        {"type": "paragraph", "content": [{"type": "text", "text": "one"}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "two"}]},
    ]
    assert markdown_to_wiki("one\n\ntwo\n") == "one\n\ntwo\n"


def test_line_break_inside_paragraph() -> None:
    assert adf("a\nb\n")[0]["content"] == [
        {"type": "text", "text": "a"},
        {"type": "hardBreak"},
        {"type": "text", "text": "b"},
    ]
    assert markdown_to_wiki("a\nb\n") == "a\nb\n"


def test_bold() -> None:
    assert adf("**Goal:** x\n")[0]["content"] == [
        {"type": "text", "text": "Goal:", "marks": [{"type": "strong"}]},
        {"type": "text", "text": " x"},
    ]
    assert markdown_to_wiki("**Goal:** x\n") == "*Goal:* x\n"


def test_italics() -> None:
    assert adf("_soon_\n")[0]["content"] == [
        {"type": "text", "text": "soon", "marks": [{"type": "em"}]}
    ]
    assert markdown_to_wiki("*soon*\n") == "_soon_\n"


def test_bold_and_italics_nested() -> None:
    assert adf("**a _b_**\n")[0]["content"][1] == {
        "type": "text",
        "text": "b",
        "marks": [{"type": "strong"}, {"type": "em"}],
    }
    assert markdown_to_wiki("**a _b_**\n") == "*a _b_*\n"


def test_bullet_list() -> None:
    (block,) = adf("- one\n- two\n")
    assert block["type"] == "bulletList"
    assert [i["content"][0]["content"][0]["text"] for i in block["content"]] == ["one", "two"]
    assert markdown_to_wiki("- one\n- two\n") == "* one\n* two\n"


def test_ordered_list_and_nesting() -> None:
    (block,) = adf("3. one\n4. two\n   - inner\n")
    assert block["type"] == "orderedList"
    assert block["attrs"] == {"order": 3}
    assert block["content"][1]["content"][1]["type"] == "bulletList"
    assert markdown_to_wiki("1. one\n2. two\n   - inner\n") == "# one\n# two\n#* inner\n"


def test_task_list_items() -> None:
    (block,) = adf("- [ ] todo\n- [x] done\n")
    assert block["type"] == "taskList"
    assert [(i["attrs"]["state"], i["content"][0]["text"]) for i in block["content"]] == [
        ("TODO", "todo"),
        ("DONE", "done"),
    ]
    assert len({i["attrs"]["localId"] for i in block["content"]} | {block["attrs"]["localId"]}) == 3
    assert markdown_to_wiki("- [ ] todo\n- [x] done\n") == "* [ ] todo\n* [x] done\n"


def test_link() -> None:
    assert adf("see [brief](https://ex.com/b)\n")[0]["content"][1] == {
        "type": "text",
        "text": "brief",
        "marks": [{"type": "link", "attrs": {"href": "https://ex.com/b"}}],
    }
    assert markdown_to_wiki("see [brief](https://ex.com/b)\n") == "see [brief|https://ex.com/b]\n"


def test_inline_code_drops_marks_adf_forbids() -> None:
    assert adf("run `make test`\n")[0]["content"][1] == {
        "type": "text",
        "text": "make test",
        "marks": [{"type": "code"}],
    }
    # strong + code is invalid ADF: the code mark wins
    assert adf("**`x`**\n")[0]["content"] == [
        {"type": "text", "text": "x", "marks": [{"type": "code"}]}
    ]
    assert markdown_to_wiki("run `make test`\n") == "run {{make test}}\n"


def test_code_block_quote_rule_and_html_marker() -> None:
    blocks = adf("```py\nx = 1\n```\n\n> quoted\n\n---\n\ntext <!-- syncd:abc -->\n")
    assert [b["type"] for b in blocks] == ["codeBlock", "blockquote", "rule", "paragraph"]
    assert blocks[0]["attrs"] == {"language": "py"}
    assert blocks[3]["content"][-1]["text"] == "<!-- syncd:abc -->"
    wiki = markdown_to_wiki("```py\nx = 1\n```\n\n> quoted\n")
    assert wiki == "{code:py}\nx = 1\n{code}\n\n{quote}\nquoted\n{quote}\n"


def test_empty_document() -> None:
    assert adf("") == []
    assert markdown_to_wiki("") == ""


@pytest.mark.parametrize(
    "doc",
    [
        "plain string",
        {"type": "doc", "version": 1, "content": [{"type": "text", "text": "bare text at top"}]},
        {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": ""}]}],
        },
    ],
)
def test_schema_rejects_invalid_adf(doc: Any) -> None:
    assert not validate_adf(doc)
    assert adf_errors(doc)


def test_every_seed_document_derives_valid_forms() -> None:
    """The demo agency's and the example's documents, in every form a flavour serves."""
    from connectors.sandbox.common.seed import load_seed
    from connectors.sandbox.server import DEMO_SEED
    from tests.sandbox.jira_helpers import example_seed

    docs = []
    for seed in (load_seed(DEMO_SEED), example_seed()):
        for task in seed.tasks:
            docs.extend(c.body for c in task.comments)
            if task.description is not None:
                docs.append(task.description)
    assert len(docs) > 40
    for doc in docs:
        assert adf_errors(doc.as_adf()) == []
        assert doc.as_wiki().strip()
        assert doc.as_markdown().strip()


def test_wiki_and_adf_convert_both_ways() -> None:
    from connectors.sandbox.jira.markup import adf_to_wiki, wiki_to_adf

    line = "Collect *500* leads [~accountid:5f00] see [brief|https://ex.com] {{code}}"
    wiki = f"h2. Goal\n{line}\n\n* one\n** two\n# first\n"
    adf = wiki_to_adf(wiki)
    assert adf_errors(adf) == []
    kinds = [b["type"] for b in adf["content"]]
    assert kinds == ["heading", "paragraph", "bulletList", "orderedList"]
    assert {"type": "mention", "attrs": {"id": "5f00"}} in adf["content"][1]["content"]
    assert adf_to_wiki(adf) == f"h2. Goal\n\n{line}\n\n* one\n** two\n\n# first\n"
