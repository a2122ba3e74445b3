"""Escaping and limits of every renderer, checked structurally (not against goldens):
hostile titles come out inert, and big digests stay within each channel's limits."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from html.parser import HTMLParser
from importlib import resources

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.core.models import Person
from syncd.digest.model import Digest
from syncd.digest.render import (
    render_html,
    render_markdown,
    render_mattermost,
    render_slack,
    render_teams,
    render_telegram,
    render_text,
    render_webhook,
)
from syncd.digest.render.common import mattermost_escape, md_escape
from syncd.digest.render.links import safe_url
from syncd.digest.render.templated import split_telegram, telegram_length
from syncd.digest.render.webhook import webhook_schema
from tests.digest import fixtures

TELEGRAM_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
MAIL_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "body",
    "table",
    "tr",
    "td",
    "div",
    "span",
    "a",
    "b",
    "br",
    "bdi",
}


class TagChecker(HTMLParser):
    """Records every tag and fails on a mismatched or unclosed one."""

    VOID = frozenset({"meta", "br"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack[-1] == tag, f"mismatched </{tag}> in {self.stack}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def check(self, markup: str) -> str:
        self.feed(markup)
        self.close()
        assert not self.stack, f"unclosed tags: {self.stack}"
        return "".join(self.text)


def many_tasks(n: int) -> list:
    """``n`` overdue tasks with hostile, long titles: enough to overflow every channel."""
    return [
        fixtures.task(
            f"SHOP-{100 + i}",
            f"{fixtures.HOSTILE} {i} " + "x" * 300,
            assignees=(fixtures.MARIA,),
            due=date(2026, 11, 10),
            priority="High",
        )
        for i in range(n)
    ]


@pytest.fixture(params=[0, 1], ids=["ru", "en"])
def digest(request: pytest.FixtureRequest, make_digest: Callable[..., Digest]) -> Digest:
    return make_digest(request.param)


def test_html_mail_has_only_layout_tags_and_escaped_titles(digest: Digest) -> None:
    out = render_html(digest)
    checker = TagChecker()
    text = checker.check(out)
    assert checker.tags <= MAIL_TAGS, checker.tags - MAIL_TAGS
    assert "<script" not in out
    assert "&lt;script&gt;" in out
    assert '<script>alert("x")</script>' in text  # shown to the reader as text
    assert "<style" not in out
    assert "@import" not in out


def test_telegram_messages_are_valid_and_short(make_digest: Callable[..., Digest]) -> None:
    digest = make_digest(0, tasks=fixtures.tasks() + many_tasks(60))
    messages = render_telegram(digest)
    assert len(messages) > 1
    for message in messages:
        checker = TagChecker()
        checker.check(message)
        assert checker.tags <= TELEGRAM_TAGS
        assert telegram_length(message) <= 4096
        assert "<script" not in message
    joined = "\n".join(messages)
    assert all(f"SHOP-{100 + i}<" in joined for i in range(60)), "no item lost in splitting"


def test_telegram_split_prefers_section_boundaries() -> None:
    a = "<b>A</b>\n" + "\n".join(f"• <i>a{i}</i> &amp;" for i in range(12))
    b = "<b>B</b>\n" + "\n".join(f"• <i>b{i}</i> &amp;" for i in range(12))
    assert telegram_length(a) < 150
    assert telegram_length(f"{a}\n\n{b}") > 150
    assert split_telegram(f"{a}\n\n{b}", limit=150) == [a, b]


def test_telegram_split_cuts_a_long_section_between_lines() -> None:
    text = "<b>A</b>\n" + "\n".join(f"• <i>line {i}</i> &amp;" for i in range(50))
    parts = split_telegram(text, limit=200)
    assert len(parts) > 2
    assert all(telegram_length(p) <= 200 for p in parts)
    assert all(TagChecker().check(p) is not None for p in parts)
    assert "\n".join(parts).count("line") == 50


def test_slack_escapes_and_respects_block_kit_limits(make_digest: Callable[..., Digest]) -> None:
    digest = make_digest(1, tasks=fixtures.tasks() + many_tasks(500))
    payload = render_slack(digest)
    blocks = payload["blocks"]
    assert payload["text"]
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
            assert block["text"]["type"] == "plain_text"
        if block["type"] == "section":
            assert 1 <= len(block["text"]["text"]) <= 3000
        if block["type"] == "rich_text":
            assert len(json.dumps(block, ensure_ascii=False)) < 3 * 3000
    # Slack parses <!channel> and <@U123> only in mrkdwn; user text is never there, it
    # travels in rich_text "text" runs, which are shown literally.
    mrkdwn = json.dumps(
        [b["text"] for b in blocks if b["type"] == "section"]
        + [e for b in blocks for e in b.get("elements", ()) if e.get("type") == "mrkdwn"],
        ensure_ascii=False,
    )
    assert "channel" not in mrkdwn
    assert "U123" not in mrkdwn
    runs = [
        e["text"]
        for b in blocks
        if b["type"] == "rich_text"
        for part in b["elements"]
        for line in part["elements"]
        for e in (line.get("elements", [line]))
    ]
    assert any("<!channel> <@U123>" in text for text in runs)
    assert "more" in blocks[-1]["elements"][0]["text"]  # the overflow is said, not hidden


def _adaptive_card_schema() -> dict:
    raw = resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text()
    return json.loads(raw)


def test_teams_card_is_valid_adaptive_card_15_within_size(
    make_digest: Callable[..., Digest],
) -> None:
    schema = _adaptive_card_schema()
    for tasks in (fixtures.tasks(), fixtures.tasks() + many_tasks(150)):
        payload = render_teams(make_digest(1, tasks=tasks))
        assert payload["type"] == "message"
        attachment = payload["attachments"][0]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = attachment["content"]
        jsonschema.validate(card, schema)
        assert card["version"] == "1.5"
        assert all(b.get("text") for b in card["body"] if b["type"] == "TextBlock")
        assert len(json.dumps(payload, ensure_ascii=False).encode()) <= 28_000


def test_markdown_escapes_user_text(digest: Digest) -> None:
    out = render_markdown(digest)
    assert "<script>" not in out
    assert "\\<script\\>" in out
    assert "[link](http://evil" not in out
    assert "*bold*" not in out
    assert "\\*bold\\*" in out


def test_mattermost_neutralises_mentions(digest: Digest) -> None:
    out = render_mattermost(digest)
    assert "@channel" not in out
    assert "@\u2060channel" in out


_EMOJI = re.compile(r":[a-z0-9_+-]+:|[:;]-?\\?[()DPOop|/\\]")


@given(st.text(alphabet=st.sampled_from(":;-)(DPp/|smile+1_ \u0410a@"), max_size=40))
def test_mattermost_escape_leaves_no_emoji_and_reads_the_same(text: str) -> None:
    """Mattermost makes ``:smile:`` and ``:)`` emoji in any text: a title's must stay as
    written — no emoji pattern left, and without the invisible joiners the text is the
    plain Markdown escaping (with mentions made inert) of the title."""
    out = mattermost_escape(text)
    assert not _EMOJI.search(out)
    assert out.replace("\u2060", "") == md_escape(text)


def test_mattermost_title_with_emoji_codes() -> None:
    assert mattermost_escape("Запуск :rocket: к 10:30 :)") == (
        "Запуск :\u2060rocket: к 10:\u206030 :\u2060\\)"
    )


def test_cr_lf_in_titles_never_start_a_line(digest: Digest) -> None:
    for out in (render_text(digest), render_markdown(digest), render_html(digest)):
        assert not any(line.startswith("Bcc:") for line in out.splitlines())


def test_long_titles_are_clipped(digest: Digest) -> None:
    assert ("Очень длинная задача " * 25).strip() not in render_text(digest)
    assert "…" in render_text(digest)


def test_webhook_payload_matches_its_published_schema(digest: Digest) -> None:
    payload = render_webhook(digest, render_text(digest))
    jsonschema.validate(payload, webhook_schema())
    titles = [i["title"] for s in payload["sections"] for i in s["items"]]
    assert fixtures.HOSTILE in titles  # raw: the receiver escapes for its own markup
    assert payload["schema"].endswith("/v1")
    assert payload["version"] == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("javascript:alert(1)", ""),
        ("https://x.example/a b(c)|d", "https://x.example/a%20b%28c%29%7Cd"),
        ("https://x.example/browse/SHOP-1", "https://x.example/browse/SHOP-1"),
        ('https://x.example/"><script>', "https://x.example/%22%3E%3Cscript%3E"),
    ],
)
def test_links_are_http_only_and_cannot_break_out(url: str, expected: str) -> None:
    assert safe_url(url) == expected


def test_teams_card_trims_headlines_and_workload_of_a_large_team(
    make_digest: Callable[..., Digest],
) -> None:
    # 400 clients and 400 people: even with no section items left the headline and the
    # workload alone would be far over Teams' ~28 KB.
    people = [
        Person(id=f"u{i}", name=f"Сотрудник {i:03d} " + "Длинная-Фамилия " * 3) for i in range(400)
    ]
    tasks = [
        fixtures.task(
            f"P{i:03d}-1",
            f"{fixtures.HOSTILE} {i}",
            assignees=(people[i],),
            due=date(2026, 11, 10),
        )
        for i in range(400)
    ]
    digest = make_digest(0, tasks=tasks)
    assert len(digest.headlines) == 400
    assert len(digest.workload) == 400
    payload = render_teams(digest)
    assert len(json.dumps(payload, ensure_ascii=False).encode()) <= 28_000
    card = payload["attachments"][0]["content"]
    jsonschema.validate(card, _adaptive_card_schema())
    rows = [b for b in card["body"] if b["type"] == "RichTextBlock" and b.get("spacing") == "None"]
    shown = len(rows) - 1  # the first is the "for <manager>" line
    assert 0 < shown < 800, "some headline clients and workload rows are still shown"
    mores = [b["text"] for b in card["body"] if b["type"] == "TextBlock" and "ещё" in b["text"]]
    assert len(mores) >= 2  # the cut sections, and the cut rows, each say how much is left
