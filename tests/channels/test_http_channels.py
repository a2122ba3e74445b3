"""Every HTTP channel against respx: request shape, 429 with Retry-After then success,
5xx then retry, final errors without secrets."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import httpx
import jsonschema
import pytest
import respx

from config.policy import ChannelConfig
from connectors.http.retry import RetryPolicy
from syncd.channels import build_sender
from syncd.core.errors import ChannelError, ConfigError, DeliveryUnknownError
from syncd.digest.model import Digest
from syncd.digest.render.templated import telegram_length
from syncd.digest.render.webhook import webhook_schema
from tests.digest import fixtures

SLACK_URL = "https://hooks.slack.test/services/T000/B000/S3CR3TxSLACK"
MM_URL = "https://mm.test/hooks/S3CR3TxMM"
TEAMS_URL = "https://teams.test/workflows/S3CR3TxTEAMS?sig=abc"
HOOK_URL = "https://crm.test/hooks/S3CR3TxHOOK"
TOKEN = "123456:S3CR3TxTOKEN"
ENV = {
    "SLACK_URL": SLACK_URL,
    "MM_URL": MM_URL,
    "TEAMS_URL": TEAMS_URL,
    "HOOK_URL": HOOK_URL,
    "TG_TOKEN": TOKEN,
}


@pytest.fixture
def digest(make_digest: Callable[..., Digest]) -> Digest:
    return make_digest(1)


@pytest.fixture
def waits() -> list[float]:
    return []


def sender(waits: list[float], **config: object):  # type: ignore[no-untyped-def]
    retry = RetryPolicy(max_attempts=3, sleep=waits.append, jitter=0.0, backoff_base=0.5)
    return build_sender(ChannelConfig(**config), env=ENV, retry=retry)  # type: ignore[arg-type]


def body(request: httpx.Request) -> dict:
    return json.loads(request.content)


def test_slack_request_shape(digest: Digest, waits: list[float]) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(SLACK_URL).respond(200, text="ok")
        sender(waits, type="slack", url_secret="SLACK_URL").send(digest)
    sent = body(route.calls.last.request)
    assert route.calls.last.request.headers["content-type"].startswith("application/json")
    assert sent["text"].startswith("Daily digest")
    assert sent["blocks"][0]["type"] == "header"
    # Slack parses <!channel> in mrkdwn only; in a rich_text "text" run (where user text
    # goes: broadcasts there are separate "broadcast" elements) it is literal.
    mrkdwn = [b["text"]["text"] for b in sent["blocks"] if b["type"] == "section"]
    assert not any("channel" in text for text in mrkdwn)
    assert "<!channel>" in json.dumps([b for b in sent["blocks"] if b["type"] == "rich_text"])
    assert waits == []


def test_slack_429_waits_retry_after_then_succeeds(digest: Digest, waits: list[float]) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(SLACK_URL).mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "7"}, text="rate_limited"),
                httpx.Response(200, text="ok"),
            ]
        )
        sender(waits, type="slack", url_secret="SLACK_URL").send(digest)
    assert route.call_count == 2
    assert waits == [7.0]  # exactly what the server asked, never less


def test_slack_5xx_is_retried(digest: Digest, waits: list[float]) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(SLACK_URL).mock(
            side_effect=[httpx.Response(500), httpx.Response(503), httpx.Response(200, text="ok")]
        )
        sender(waits, type="slack", url_secret="SLACK_URL").send(digest)
    assert route.call_count == 3
    assert len(waits) == 2
    assert all(w > 0 for w in waits)


def test_slack_rejection_is_final_and_keeps_the_url_secret(
    digest: Digest, waits: list[float]
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(SLACK_URL).respond(400, text="invalid_blocks")
        with pytest.raises(ChannelError) as info:
            sender(waits, type="slack", url_secret="SLACK_URL").send(digest)
    assert route.call_count == 1
    assert not info.value.retriable
    assert "invalid_blocks" in str(info.value)
    assert "400" in str(info.value)
    assert "S3CR3T" not in str(info.value)
    assert "S3CR3T" not in repr(info.value.args)


def test_persistent_5xx_gives_up_retriable(digest: Digest, waits: list[float]) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(HOOK_URL).respond(502, text=f"bad gateway for {HOOK_URL}")
        with pytest.raises(ChannelError) as info:
            sender(waits, type="webhook", url_secret="HOOK_URL").send(digest)
    assert route.call_count == 3
    assert info.value.retriable
    assert "S3CR3T" not in str(info.value)  # even when the server echoes the URL


def test_429_asking_longer_than_max_wait_is_not_waited_out(
    digest: Digest, waits: list[float]
) -> None:
    # The shared policy never waits less than asked, so it stops and says how long.
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(HOOK_URL).respond(429, headers={"Retry-After": "600"})
        with pytest.raises(ChannelError) as info:
            sender(waits, type="webhook", url_secret="HOOK_URL").send(digest)
    assert route.call_count == 1
    assert waits == []
    assert info.value.retriable
    assert "HTTP 429" in str(info.value)
    assert "asked to wait 600 s" in str(info.value)


def test_connection_errors_exhaust_as_a_retriable_error(digest: Digest, waits: list[float]) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(HOOK_URL).mock(side_effect=httpx.ConnectError(f"refused {HOOK_URL}"))
        with pytest.raises(ChannelError) as info:
            sender(waits, type="webhook", url_secret="HOOK_URL").send(digest)
    assert route.call_count == 3
    assert len(waits) == 2
    assert info.value.retriable
    assert "ConnectError" in str(info.value)
    assert "S3CR3T" not in str(info.value)


@pytest.mark.parametrize(
    "before_sending",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("full")],
    ids=type,
)
def test_errors_before_sending_are_retried(
    digest: Digest, waits: list[float], before_sending: httpx.TransportError
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(HOOK_URL).mock(side_effect=[before_sending, httpx.Response(200)])
        sender(waits, type="webhook", url_secret="HOOK_URL").send(digest)
    assert route.call_count == 2


@pytest.mark.parametrize(
    "after_sending",
    [
        httpx.ReadTimeout("timed out"),
        httpx.WriteTimeout("timed out"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=type,
)
def test_errors_after_sending_are_delivery_unknown_and_not_retried(
    digest: Digest, waits: list[float], after_sending: httpx.TransportError
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(HOOK_URL).mock(side_effect=[after_sending, httpx.Response(200)])
        with pytest.raises(DeliveryUnknownError) as info:
            sender(waits, type="webhook", url_secret="HOOK_URL").send(digest)
    assert route.call_count == 1
    assert waits == []
    assert not info.value.retriable
    assert type(after_sending).__name__ in str(info.value)


def test_connection_error_then_success(digest: Digest, waits: list[float]) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(MM_URL).mock(
            side_effect=[httpx.ConnectError("refused"), httpx.Response(200, text="ok")]
        )
        sender(waits, type="mattermost", url_secret="MM_URL").send(digest)
    assert route.call_count == 2
    sent = body(route.calls.last.request)
    assert sent["username"] == "syncd"
    assert "@channel" not in sent["text"]
    assert "Daily digest" in sent["text"]


def test_teams_workflows_envelope(digest: Digest, waits: list[float]) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(TEAMS_URL).mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "2"}),
                httpx.Response(202),
            ]
        )
        sender(waits, type="teams", url_secret="TEAMS_URL").send(digest)
    sent = body(route.calls.last.request)
    assert sent["type"] == "message"
    card = sent["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    assert waits == [2.0]


def test_generic_webhook_payload_follows_schema(digest: Digest, waits: list[float]) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(HOOK_URL).mock(side_effect=[httpx.Response(503), httpx.Response(204)])
        sender(waits, type="webhook", url_secret="HOOK_URL").send(digest)
    sent = body(route.calls.last.request)
    jsonschema.validate(sent, webhook_schema())
    assert sent["text"]
    assert sent["manager"] == "Alice"


def test_telegram_send_message_html(digest: Digest, waits: list[float]) -> None:
    url = f"https://tg.test/bot{TOKEN}/sendMessage"
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(url).respond(200, json={"ok": True, "result": {"message_id": 1}})
        sender(
            waits,
            type="telegram",
            bot_token_secret="TG_TOKEN",
            chat_id="-100123",
            api_base="https://tg.test",
        ).send(digest)
    sent = body(route.calls.last.request)
    assert sent["chat_id"] == "-100123"
    assert sent["parse_mode"] == "HTML"
    assert "&lt;script&gt;" in sent["text"]


def test_telegram_429_with_retry_after_in_body_then_split_parts(
    make_digest: Callable[..., Digest], waits: list[float]
) -> None:
    big = [
        fixtures.task(f"SHOP-{100 + i}", "Длинная задача " * 12, due=date(2026, 11, 10))
        for i in range(60)
    ]
    digest = make_digest(0, tasks=fixtures.tasks() + big)
    url = f"https://api.telegram.org/bot{TOKEN}/sendMessage"
    ok = httpx.Response(200, json={"ok": True, "result": {}})
    limited = httpx.Response(
        429, json={"ok": False, "error_code": 429, "parameters": {"retry_after": 3}}
    )
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(url).mock(side_effect=[limited, ok, ok, ok, ok, ok, ok])
        sender(waits, type="telegram", bot_token_secret="TG_TOKEN", chat_id="42").send(digest)
    texts = [body(c.request)["text"] for c in route.calls[1:]]
    assert len(texts) >= 2
    assert all(telegram_length(t) <= 4096 for t in texts)
    assert waits == [3.0]


def test_telegram_unknown_token_error_hides_token(digest: Digest, waits: list[float]) -> None:
    url = f"https://api.telegram.org/bot{TOKEN}/sendMessage"
    with respx.mock(assert_all_called=True) as mock:
        mock.post(url).respond(
            401, json={"ok": False, "error_code": 401, "description": "Unauthorized"}
        )
        with pytest.raises(ChannelError) as info:
            sender(waits, type="telegram", bot_token_secret="TG_TOKEN", chat_id="42").send(digest)
    assert "401" in str(info.value)
    assert "Unauthorized" in str(info.value)
    assert TOKEN not in str(info.value)
    assert "S3CR3T" not in str(info.value)


def test_missing_secret_names_the_variable_not_a_value(digest: Digest, waits: list[float]) -> None:
    with pytest.raises(ConfigError, match="NOPE"):
        sender(waits, type="slack", url_secret="NOPE").send(digest)


def test_retry_logs_never_show_the_secret(
    digest: Digest, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(HOOK_URL).mock(
            side_effect=[
                httpx.Response(503, text=f"upstream {HOOK_URL} down"),
                httpx.Response(200),
            ]
        )
        sender(waits, type="webhook", url_secret="HOOK_URL").send(digest)
    logged = capsys.readouterr()
    assert "channel_retry" in logged.out + logged.err
    assert "S3CR3T" not in logged.out + logged.err


def test_mattermost_request_shape(digest: Digest, waits: list[float]) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(MM_URL).respond(200, text="ok")
        sender(waits, type="mattermost", url_secret="MM_URL").send(digest)
    request = route.calls.last.request
    assert request.headers["content-type"].startswith("application/json")
    sent = body(request)
    assert set(sent) == {"text", "username"}
    assert sent["username"] == "syncd"
    assert sent["text"].startswith("### Daily digest")
    assert "@\u2060channel" in sent["text"]  # the hostile title's mention, made inert
    assert "<script>" not in sent["text"]
    assert "SHOP-1" in sent["text"]
    assert waits == []


# Every webhook-style channel honours 429's Retry-After and retries a 5xx; the answer each
# server gives on success differs (Slack/Mattermost "200 ok", Teams 202, a CRM 204).
CHANNELS = [
    pytest.param({"type": "mattermost", "url_secret": "MM_URL"}, MM_URL, 200, id="mattermost"),
    pytest.param({"type": "teams", "url_secret": "TEAMS_URL"}, TEAMS_URL, 202, id="teams"),
    pytest.param({"type": "webhook", "url_secret": "HOOK_URL"}, HOOK_URL, 204, id="webhook"),
]


@pytest.mark.parametrize(("config", "url", "ok"), CHANNELS)
def test_429_waits_retry_after_then_succeeds(
    digest: Digest, waits: list[float], config: dict[str, str], url: str, ok: int
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(url).mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "5"}, text="slow down"),
                httpx.Response(ok, text="ok"),
            ]
        )
        sender(waits, **config).send(digest)
    assert route.call_count == 2
    assert route.calls[0].request.content == route.calls[1].request.content  # same digest
    assert waits == [5.0]


@pytest.mark.parametrize(("config", "url", "ok"), CHANNELS)
def test_5xx_is_retried_with_backoff(
    digest: Digest, waits: list[float], config: dict[str, str], url: str, ok: int
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(url).mock(
            side_effect=[httpx.Response(502), httpx.Response(503), httpx.Response(ok, text="ok")]
        )
        sender(waits, **config).send(digest)
    assert route.call_count == 3
    assert len(waits) == 2
    assert all(w > 0 for w in waits)


@pytest.mark.parametrize(("config", "url", "ok"), CHANNELS)
def test_4xx_is_final_and_hides_the_url(
    digest: Digest, waits: list[float], config: dict[str, str], url: str, ok: int
) -> None:
    del ok
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(url).respond(400, text=f"bad payload posted to {url}")
        with pytest.raises(ChannelError) as info:
            sender(waits, **config).send(digest)
    assert route.call_count == 1
    assert not info.value.retriable
    assert "400" in str(info.value)
    assert "S3CR3T" not in str(info.value)
    assert waits == []
