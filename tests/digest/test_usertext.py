"""User text shown exactly as written: isolated for direction in every channel (a title's
bidi override never reorders syncd's words) and never turned into formatting, mentions or
bot commands. Layout is checked with a real implementation of the Unicode Bidirectional
Algorithm, not by looking for marker characters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from syncd.core.usertext import FSI, PDI, balance_bidi, isolate
from syncd.digest.render import (
    render_html,
    render_markdown,
    render_mattermost,
    render_slack,
    render_teams,
    render_telegram,
    render_text,
)
from tests.digest import hostile

# --- the isolation primitive -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "balanced"),
    [
        ("plain", "plain"),
        ("a\u202eb", "ab"),  # override left open
        ("a\u202eb\u202cc", "a\u202eb\u202cc"),  # a closed pair is what the user wrote
        ("a\u202cb", "ab"),  # PDF closing nothing
        ("a\u2069b", "ab"),  # PDI closing nothing (would close syncd's isolate)
        ("\u2067a\u202eb\u2069", "\u2067ab\u2069"),  # PDI closes the isolate; RLO inside
        ("\u202ea\u2067b\u202c\u2069", "a\u2067b\u2069"),  # PDF may not cross an isolate
        ("\u202ea\nb\u202c", "a\nb"),  # a line break ends every embedding
        ("\u200fמ\u200e", "\u200fמ\u200e"),  # marks open nothing: kept
    ],
)
def test_balance_drops_only_unpaired_controls(raw: str, balanced: str) -> None:
    assert balance_bidi(raw) == balanced


def test_isolate_wraps_balanced_text_and_leaves_empty_alone() -> None:
    assert isolate("x\u2069\u202ey") == f"{FSI}xy{PDI}"
    assert isolate("") == ""
    assert isolate(None) == ""


@pytest.mark.parametrize("title", hostile.TITLES)
def test_isolated_title_keeps_the_words_after_it_in_place(title: str) -> None:
    line = f"SHOP-1 {isolate(title)} — Иван · Due 24 Nov · 2 business days late"
    assert hostile.laid_out_in_order(line)
    raw = f"SHOP-1 {title} — Иван · Due 24 Nov · 2 business days late"
    if title not in (hostile.EMPHASIS, hostile.ALL_CONTROLS):  # the checker sees the damage
        assert not hostile.laid_out_in_order(raw)


# --- every channel -----------------------------------------------------------------------


def _lines(fmt: str, language: str) -> list[str]:
    d = hostile.hostile_digest(language)
    renderers: dict[str, Callable[[], list[str]]] = {
        "text": lambda: render_text(d).splitlines(),
        "md": lambda: render_markdown(d).splitlines(),
        "mattermost": lambda: render_mattermost(d).splitlines(),
        "telegram": lambda: hostile.telegram_lines(render_telegram(d)),
        "html": lambda: hostile.html_lines(render_html(d)),
        "slack": lambda: hostile.slack_lines(render_slack(d)),
        "teams": lambda: hostile.teams_lines(render_teams(d)),
    }
    return renderers[fmt]()


CHANNELS = ["text", "md", "mattermost", "telegram", "html", "slack", "teams"]


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("fmt", CHANNELS)
def test_no_user_text_reorders_syncd_words(fmt: str, language: str) -> None:
    lines = _lines(fmt, language)
    assert any("SHOP-1" in line for line in lines)
    broken = [line for line in lines if not hostile.laid_out_in_order(line)]
    assert not broken, f"{fmt}: lines laid out out of order: {broken[:3]}"


@pytest.mark.parametrize("fmt", CHANNELS)
def test_every_title_is_shown_in_full(fmt: str) -> None:
    shown = hostile.visible("\n".join(_lines(fmt, "en")))
    for title in (hostile.HEBREW, "Баннер для распродажи", "reversed tail"):
        assert title in shown, f"{fmt} lost {title!r}"


def _slack_runs(payload: dict[str, Any]) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                runs.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload["blocks"])
    return runs


def test_slack_shows_emphasis_characters_literally() -> None:
    payload = render_slack(hostile.hostile_digest())
    runs = _slack_runs(payload)
    literal = [r for r in runs if hostile.EMPHASIS in r["text"]]
    assert literal, "the title is a plain rich_text run"
    assert all(not r.get("style") for r in literal)
    # No mrkdwn field carries user text: mrkdwn has no escape for * _ ~ `.
    mrkdwn = [
        b["text"]["text"]
        for b in payload["blocks"]
        if isinstance(b.get("text"), dict) and b["text"]["type"] == "mrkdwn"
    ] + [
        e["text"]
        for b in payload["blocks"]
        for e in b.get("elements", ())
        if e.get("type") == "mrkdwn"
    ]
    assert not any("*bold*" in text or "Мария" in text or "Клиент" in text for text in mrkdwn)
    names = [r for r in runs if "Мария *Dev* @here" in r["text"]]
    assert names
    assert all(not r.get("style") for r in names)


def test_teams_shows_user_text_in_text_runs_not_markdown() -> None:
    card = render_teams(hostile.hostile_digest())["attachments"][0]["content"]
    runs: list[dict[str, Any]] = [
        i for b in card["body"] if b["type"] == "RichTextBlock" for i in b["inlines"]
    ]
    assert any(r["text"] == isolate(hostile.EMPHASIS) for r in runs)
    assert any(r["text"] == isolate(hostile.NASTY_CLIENT) for r in runs)
    markdown = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    assert not any("bold" in t or "Клиент" in t or "Мария" in t for t in markdown)


def test_telegram_neutralises_commands_and_mentions_in_user_text() -> None:
    messages = render_telegram(hostile.hostile_digest())
    text = "\n".join(hostile.telegram_lines(messages))
    assert "/start" not in text
    assert "/\u2060start" in text
    assert "@channel" not in text
    assert "@\u2060channel" in text
    assert "/help" not in text
    assert "@here" not in text
    assert hostile.visible(text).count(hostile.EMPHASIS) == 1  # otherwise as written
    assert "<b>x</b>" not in "\n".join(messages)  # escaped, not a tag


def test_html_and_text_show_emphasis_as_written() -> None:
    d = hostile.hostile_digest()
    assert hostile.EMPHASIS in hostile.visible("\n".join(hostile.html_lines(render_html(d))))
    assert hostile.EMPHASIS in hostile.visible(render_text(d))


@pytest.mark.parametrize("fmt", ["text", "md", "mattermost", "telegram", "html"])
def test_monthly_report_isolates_client_names_and_titles(fmt: str) -> None:
    from syncd.digest.monthly import MonthlyDigest, build_monthly_report
    from syncd.digest.render.monthly import render_monthly
    from tests.digest.test_monthly_render import done

    tasks = [done(hostile.NASTY_CLIENT, 1)]
    tasks = [t.model_copy(update={"title": hostile.RLO_OPEN}) for t in tasks]
    report = build_monthly_report(tasks, [], "2026-10", hostile.NASTY_CLIENT, language="en")
    doc = MonthlyDigest(
        manager="M", language="en", timezone="UTC", period="monthly:2026-11", reports=(report,)
    )
    out = render_monthly(doc, fmt)
    lines = (
        hostile.telegram_lines(out)
        if isinstance(out, list)
        else hostile.html_lines(out)
        if fmt == "html"
        else out.splitlines()
    )
    assert any("Клиент" in line for line in lines)
    broken = [line for line in lines if not hostile.laid_out_in_order(line)]
    assert not broken, broken[:3]
