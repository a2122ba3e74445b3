"""The monthly report in every channel format, checked structurally: hostile client names
and task titles come out inert, each channel's limits hold with a 200-client agency, the
Teams card is a valid Adaptive Card 1.5 and the webhook payload follows its own schema."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import jsonschema
import pytest

from syncd.core.models import StatusCategory, Task
from syncd.digest.i18n import Language
from syncd.digest.monthly import MonthlyDigest, MonthlyReport, build_monthly_report
from syncd.digest.render.monthly import (
    MONTHLY_SCHEMA_ID,
    monthly_webhook_schema,
    render_monthly,
    render_monthly_payload,
)
from syncd.digest.render.templated import telegram_length
from syncd.digest.render.webhook import webhook_schema
from tests.digest import fixtures
from tests.digest.test_render import TELEGRAM_TAGS, TagChecker, _adaptive_card_schema

HOSTILE_CLIENT = "<!channel> @here *Клиент* & <b>Co</b> [x](http://evil.example)"


def done(project: str, n: int) -> Task:
    return fixtures.task(
        f"T-{n}",
        fixtures.HOSTILE,
        project=project,
        due=date(2026, 10, 20),
        resolved=datetime(2026, 10, 19, 9, tzinfo=UTC),
        status="Done",
        status_category=StatusCategory.DONE,
        created=datetime(2026, 10, 1, 7, tzinfo=UTC),
    )


def monthly(clients: int = 1, language: Language = "en") -> MonthlyDigest:
    names = [HOSTILE_CLIENT] + [f"Client {i:03d} " + "long name " * 10 for i in range(1, clients)]
    tasks = [done(name, i) for i, name in enumerate(names)]
    reports: tuple[MonthlyReport, ...] = tuple(
        build_monthly_report(tasks, [], "2026-10", name, language=language) for name in names
    )
    return MonthlyDigest(
        manager="Alice @channel",
        language=language,
        timezone="UTC",
        period="monthly:2026-11",
        reports=reports,
    )


@pytest.fixture(params=["ru", "en"])
def language(request: pytest.FixtureRequest) -> Language:
    return request.param  # type: ignore[no-any-return]


def test_mattermost_neutralises_mentions_in_titles_and_client_names(language: Language) -> None:
    text = str(render_monthly(monthly(language=language), "mattermost"))
    assert "T-0" in text
    assert "@channel" not in text
    assert "@here" not in text
    assert "@\u2060channel" in text
    assert "@\u2060here" in text
    assert "<script>" not in text
    assert "<b>" not in text
    assert "](http://evil.example)" not in text  # the title cannot become a link
    assert "\nBcc:" not in text
    # Plain Markdown (file reports) escapes but keeps the text as written.
    assert "@channel" in str(render_monthly(monthly(language=language), "md"))


def test_telegram_messages_are_valid_html_within_the_limit(language: Language) -> None:
    messages = render_monthly(monthly(200, language), "telegram")
    assert isinstance(messages, list)
    assert len(messages) > 1
    for message in messages:
        checker = TagChecker()
        checker.check(message)
        assert checker.tags <= TELEGRAM_TAGS
        assert telegram_length(message) <= 4096
    joined = "\n".join(messages)
    assert "&lt;!channel&gt;" in joined
    assert "<!channel>" not in joined
    assert joined.count("Client ") == 199  # every client, none lost in splitting


def test_slack_escapes_and_keeps_block_kit_limits(language: Language) -> None:
    payload = render_monthly_payload(monthly(200, language), "slack")
    blocks = payload["blocks"]
    assert payload["text"]
    assert len(blocks) <= 50
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["type"] == "plain_text"
    assert len(blocks[0]["text"]["text"]) <= 150
    for block in blocks[1:-1]:
        assert block["type"] == "rich_text"
        runs = block["elements"][0]["elements"]
        assert 1 <= sum(len(r["text"]) for r in runs) <= 3000
    more = blocks[-1]
    assert more["type"] == "context"
    assert "155" in more["elements"][0]["text"]  # 200 clients, 45 shown
    # The client's name is a literal rich_text run (Slack parses <!channel> only in mrkdwn).
    title = blocks[1]["elements"][0]["elements"][0]
    assert HOSTILE_CLIENT in title["text"]
    assert title["style"] == {"bold": True}
    mrkdwn = json.dumps(
        [e for b in blocks for e in b.get("elements", ()) if "type" in e and e["type"] == "mrkdwn"]
    )
    assert "channel" not in mrkdwn


@pytest.mark.parametrize("clients", [1, 200])
def test_teams_card_is_a_valid_adaptive_card_within_size(language: Language, clients: int) -> None:
    payload = render_monthly_payload(monthly(clients, language), "teams")
    assert payload["type"] == "message"
    attachment = payload["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    jsonschema.validate(card, _adaptive_card_schema())
    assert card["version"] == "1.5"
    assert all(b.get("text") for b in card["body"] if b["type"] == "TextBlock")
    assert len(json.dumps(payload, ensure_ascii=False).encode()) <= 28_000
    texts = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    titles = [b["inlines"][0]["text"] for b in card["body"] if b["type"] == "RichTextBlock"]
    assert any(HOSTILE_CLIENT in t for t in titles)  # a TextRun: literal, no Markdown
    assert not any("channel" in t for t in texts)
    if clients > 1:
        shown = sum(1 for b in card["body"] if b["type"] == "FactSet")
        assert shown < clients
        assert str(clients - shown) in texts[-1]  # "…and N more"


def test_webhook_payload_follows_the_monthly_schema(language: Language) -> None:
    payload = render_monthly_payload(monthly(3, language), "webhook")
    schema = monthly_webhook_schema()
    assert payload["schema"] == schema["$id"] == MONTHLY_SCHEMA_ID
    assert payload["schema"] != webhook_schema()["$id"]  # the daily schema is another
    jsonschema.validate(payload, schema)
    report = payload["reports"][0]
    assert report["client"] == HOSTILE_CLIENT  # raw: JSON escapes itself
    assert report["current"]["completed"] == 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**payload, "kind": "daily"}, schema)


def test_unknown_monthly_formats_are_refused() -> None:
    with pytest.raises(ValueError, match="payload format"):
        render_monthly_payload(monthly(), "mattermost")
    with pytest.raises(ValueError, match="unknown format"):
        render_monthly(monthly(), "slack")
