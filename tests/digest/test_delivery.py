"""Per-channel and per-part delivery rows: nothing that went out is sent twice — not after a
failed part, not after a crash between sending and confirming — and a broken sender never
leaves a claim behind. Real SQLite store, real senders, HTTP answered by respx."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import respx

from config.policy import ChannelConfig, Policy
from connectors.http.retry import RetryPolicy
from syncd.channels import Document, Sender, build_sender
from syncd.digest.dispatch import DigestService
from syncd.digest.render.templated import telegram_length
from syncd.policy_file import read_policy_text
from syncd.store.store import Store, open_store
from tests.digest import fixtures
from tests.digest.test_service import ENV, at, make_policy

TOKEN = "123456:S3CR3TxTOKEN"
TG_URL = f"https://tg.test/bot{TOKEN}/sendMessage"
PERIOD = "daily:2026-11-24"
NINE = at("2026-11-24T09:00:00+03:00")


def telegram_policy() -> Policy:
    text = fixtures.POLICY_YAML.replace(
        "    owns: [{source: agency-jira}, {source: agency-gitlab}]\n",
        "    owns: [{source: agency-jira}, {source: agency-gitlab}]\n"
        "    channels: [{type: telegram, bot_token_secret: TG_TOKEN, chat_id: '42',"
        " api_base: 'https://tg.test'}]\n",
    )
    return read_policy_text(text, "telegram.yaml")


def real_sender(config: ChannelConfig) -> Sender:
    retry = RetryPolicy(max_attempts=1, sleep=lambda s: None)
    return build_sender(config, env={**ENV, "TG_TOKEN": TOKEN}, retry=retry)


def many_tasks() -> list:  # type: ignore[type-arg]
    return [
        fixtures.task(f"SHOP-{100 + i}", "Длинная задача " * 12, due=date(2026, 11, 10))
        for i in range(60)
    ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    store.upsert_tasks(fixtures.tasks() + many_tasks())
    yield store
    store.close()


def service(store: Store, policy: Policy, **kwargs: object) -> DigestService:
    return DigestService(policy, store, owner="me", senders=real_sender, **kwargs)  # type: ignore[arg-type]


def texts(route: respx.Route) -> list[str]:
    return [json.loads(c.request.content)["text"] for c in route.calls]


OK = httpx.Response(200, json={"ok": True, "result": {}})
BAD = httpx.Response(400, json={"ok": False, "description": "Bad Request: chat not found"})


def test_failed_telegram_part_is_retried_alone(store: Store) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.post(TG_URL).mock(side_effect=[OK, BAD])
        failed = service(store, telegram_policy()).run_due(NINE)
        assert [r.status for r in failed if r.manager == "Ольга"] == ["failed"]
        first = texts(route)
        route.side_effect = None
        route.return_value = OK
        retried = service(store, telegram_policy()).run_due(NINE + timedelta(minutes=1))
        assert [r.status for r in retried if r.manager == "Ольга"] == ["sent"]
    sent = texts(route)
    parts = sent[2:]
    assert len(first) == 2  # part 1 delivered, part 2 refused
    assert len(parts) >= 2  # part 2 again, then the rest
    assert parts[0] == first[1]
    assert first[0] not in parts  # part 1 was not repeated
    assert all(telegram_length(t) <= 4096 for t in sent)
    rows = {r.kind: r.state for r in store.digests("Ольга") if r.period == PERIOD}
    assert rows["daily"] == "sent"
    assert rows["daily/0-telegram"] == "sent"
    assert {rows[f"daily/0-telegram/p{n}"] for n in range(1, len(parts) + 2)} == {"sent"}


def crashed(store: Store, *kinds: str, at_: datetime) -> None:
    """The ledger as a process killed mid-send leaves it: claims never confirmed."""
    for kind in kinds:
        assert store.claim_digest("Ольга", kind, PERIOD, "dead-host", at_)


def test_crash_between_send_and_confirm_is_not_resent(store: Store) -> None:
    crashed(store, "daily", "daily/0-webhook", at_=NINE)
    policy = make_policy()  # Ольга: webhook (channel 0), then slack (channel 1)
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        webhook = mock.post("https://hooks.test/olga").respond(200)
        slack = mock.post("https://hooks.test/olga-slack").respond(200, text="ok")
        mock.post("https://hooks.test/alice").respond(200)
        svc = DigestService(policy, store, owner="me", senders=real_sender)
        # Within the stale window the dead claim still stands: nobody sends.
        assert svc.run_due(NINE + timedelta(minutes=5)) == []
        results = svc.run_due(NINE + timedelta(minutes=11))
    olga = [r for r in results if r.manager == "Ольга"]
    assert [(r.status, r.unknown) for r in olga] == [("sent", ("webhook:OLGA_HOOK",))]
    assert webhook.call_count == 0  # it may have gone out before the crash: not again
    assert slack.call_count == 1  # never attempted before: sent now
    rows = {r.kind: r for r in store.digests("Ольга") if r.period == PERIOD}
    assert rows["daily"].state == "sent"
    assert rows["daily/0-webhook"].stats == {
        "delivery": "unknown",
        "claimed_by": "dead-host",
        "claimed_at": rows["daily/0-webhook"].claimed_at.isoformat(),
    }


def test_crash_in_the_middle_of_telegram_parts_gives_up_only_that_part(store: Store) -> None:
    crashed(
        store, "daily", "daily/0-telegram", "daily/0-telegram/p1", "daily/0-telegram/p2", at_=NINE
    )
    store.confirm_digest("Ольга", "daily/0-telegram/p1", PERIOD, {}, NINE)
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.post(TG_URL).mock(return_value=OK)
        results = service(store, telegram_policy()).run_due(NINE + timedelta(minutes=11))
        everything = service(store, telegram_policy(), dry_run=True, out=io.StringIO())
    assert [r.status for r in results if r.manager == "Ольга"] == ["sent"]
    doc = everything.build(telegram_policy().managers[0], "daily", PERIOD, NINE)
    from syncd.channels.payloads import telegram_messages

    expected = telegram_messages(doc)
    assert len(expected) >= 3
    assert texts(route) == expected[2:]  # p1 sent before, p2 unknown, the rest now
    rows = {r.kind: r for r in store.digests("Ольга") if r.period == PERIOD}
    assert rows["daily/0-telegram/p2"].stats["delivery"] == "unknown"  # type: ignore[index]
    assert rows["daily/0-telegram"].state == "sent"


class Exploding:
    """A sender with a bug: raises something that is not a ChannelError."""

    name = "exploding"

    def send(self, doc: Document) -> None:
        raise ValueError("a single Telegram line exceeds the message limit")


def test_any_sender_exception_releases_its_claim_and_spares_the_rest(store: Store) -> None:
    broken = {"on": True}

    def senders(config: ChannelConfig) -> Sender:
        if config.type == "webhook" and config.url_secret == "OLGA_HOOK" and broken["on"]:
            return Exploding()
        return real_sender(config)

    policy = make_policy()
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        webhook = mock.post("https://hooks.test/olga").respond(200)
        slack = mock.post("https://hooks.test/olga-slack").respond(200, text="ok")
        alice = mock.post("https://hooks.test/alice").respond(200)
        svc = DigestService(policy, store, owner="me", senders=senders)
        first = svc.run_due(at("2026-11-24T09:00:00+00:00"))  # both managers due
        assert {(r.manager, r.status) for r in first} == {("Ольга", "failed"), ("Alice", "sent")}
        assert "ValueError" in (next(r for r in first if r.manager == "Ольга").error or "")
        assert alice.call_count == 1
        assert slack.call_count == 1
        assert [r for r in store.digests("Ольга") if r.state == "claimed"] == []
        broken["on"] = False  # fixed: the very next cycle delivers, no 10-minute wait
        again = svc.run_due(at("2026-11-24T09:01:00+00:00"))
    assert [(r.manager, r.status) for r in again] == [("Ольга", "sent")]
    assert webhook.call_count == 1
    assert slack.call_count == 1  # the channel that worked is not repeated


def test_dry_run_prints_each_slot_once(store: Store) -> None:
    out = io.StringIO()
    svc = service(store, make_policy(), dry_run=True, out=out)
    first = svc.run_due(NINE)
    assert [(r.manager, r.status) for r in first] == [("Ольга", "dry-run")]
    for minute in range(1, 4):
        assert svc.run_due(NINE + timedelta(minutes=minute)) == []
    assert out.getvalue().count(f"--- digest Ольга {PERIOD}") == 2  # webhook + slack views
    assert store.digests() == []
    tomorrow = svc.run_due(NINE + timedelta(days=1))
    assert [r.period for r in tomorrow] == ["daily:2026-11-25"]
