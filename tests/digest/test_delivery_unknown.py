"""A channel that answers after the client's read timeout: the digest went out, nobody
knows whether it arrived. It is recorded as "delivery unknown" and never sent again —
not by the retry layer within the cycle, not by a later cycle. Real slow HTTP and SMTP
servers, a real SQLite store, the real senders."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from structlog.testing import capture_logs

from config.policy import ChannelConfig, Policy
from connectors.http.retry import RetryPolicy
from syncd.channels import Sender, build_sender
from syncd.channels.payloads import telegram_messages
from syncd.digest.dispatch import DigestService
from syncd.policy_file import read_policy_text
from syncd.store.store import Store, open_store
from tests.channels.slow_server import slow_server
from tests.channels.test_email import free_port
from tests.digest import fixtures
from tests.digest.test_delivery import NINE, PERIOD, many_tasks

TOKEN = "123456:S3CR3TxTOKEN"
TIMEOUT = 0.2
"""The channels' read timeout; the slow servers hold their answer until released."""


def policy_with(channel: str) -> Policy:
    text = fixtures.POLICY_YAML.replace(
        "    owns: [{source: agency-jira}, {source: agency-gitlab}]\n",
        "    owns: [{source: agency-jira}, {source: agency-gitlab}]\n"
        f"    channels: [{channel}]\n",
    )
    return read_policy_text(text, "slow.yaml")


def senders(env: dict[str, str]) -> Any:
    def build(config: ChannelConfig) -> Sender:
        # Three attempts: before the fix the read timeout was retried twice more.
        retry = RetryPolicy(max_attempts=3, sleep=lambda s: None)
        return build_sender(config, env=env, retry=retry)

    return build


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    store.upsert_tasks(fixtures.tasks() + many_tasks())
    yield store
    store.close()


def olga(results: list[Any]) -> list[tuple[str, tuple[str, ...]]]:
    return [(r.status, r.unknown) for r in results if r.manager == "Ольга"]


def rows(store: Store) -> dict[str, Any]:
    return {r.kind: r for r in store.digests("Ольга") if r.period == PERIOD}


def test_webhook_answering_after_the_read_timeout_is_sent_once(store: Store) -> None:
    with slow_server(hold=1) as server:
        policy = policy_with(f"{{type: webhook, url_secret: SLOW_HOOK, timeout: {TIMEOUT}}}")
        env = {"SLOW_HOOK": f"{server.url}/hooks/S3CR3T"}
        svc = DigestService(policy, store, owner="me", senders=senders(env))
        with capture_logs() as logs:
            first = svc.run_due(NINE)
        assert olga(first) == [("sent", ("webhook:SLOW_HOOK",))]
        assert len(server.bodies) == 1  # the timeout was not retried within the cycle
        server.release.set()
        later = svc.run_due(NINE + timedelta(minutes=1))
        again = DigestService(policy, store, owner="other", senders=senders(env))
        restarted = again.run_due(NINE + timedelta(minutes=30))
    assert olga(later) == []
    assert olga(restarted) == []
    assert len(server.bodies) == 1  # nor by a later cycle or another process
    ledger = rows(store)
    assert ledger["daily"].state == "sent"
    stats = ledger["daily/0-webhook"].stats
    assert stats["delivery"] == "unknown"
    assert "ReadTimeout" in stats["problem"]
    assert "S3CR3T" not in stats["problem"]
    unknown = [e for e in logs if e["event"] == "digest_delivery_unknown"]
    assert [e["kind"] for e in unknown] == ["daily/0-webhook"]


def test_telegram_part_answered_late_is_not_repeated_and_the_rest_go(store: Store) -> None:
    with slow_server(hold=1) as server:
        channel = (
            f"{{type: telegram, bot_token_secret: TG_TOKEN, chat_id: '42',"
            f" api_base: '{{url}}', timeout: {TIMEOUT}}}"
        )
        policy = policy_with(channel.replace("{url}", server.url))
        svc = DigestService(policy, store, owner="me", senders=senders({"TG_TOKEN": TOKEN}))
        first = svc.run_due(NINE)
        server.release.set()
        later = svc.run_due(NINE + timedelta(minutes=1))
        doc = svc.build(policy.managers[0], "daily", PERIOD, NINE)
    expected = telegram_messages(doc)
    assert len(expected) >= 3
    assert olga(first) == [("sent", ("telegram:42",))]
    assert olga(later) == []
    assert server.texts() == expected  # part 1 once (unanswered), every other part once
    ledger = rows(store)
    assert ledger["daily/0-telegram/p1"].stats["delivery"] == "unknown"
    assert ledger["daily/0-telegram/p2"].stats == {}
    assert ledger["daily/0-telegram"].stats["delivery"] == "unknown"


class SlowInbox:
    """Takes the message, then keeps the client waiting for its "250" until released."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        await asyncio.to_thread(self.release.wait, 60)  # a hang guard only
        return "250 Message accepted"


def test_smtp_timeout_after_the_message_was_sent_is_not_resent(store: Store) -> None:
    inbox = SlowInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        policy = policy_with(
            "{type: email, to: [olga@agency.example], smtp_host: 127.0.0.1,"
            f" smtp_port: {port}, smtp_security: none, sender: syncd@agency.example,"
            f" timeout: {TIMEOUT}}}"
        )
        svc = DigestService(policy, store, owner="me", senders=senders({}))
        first = svc.run_due(NINE)
        inbox.release.set()
        later = svc.run_due(NINE + timedelta(minutes=1))
    finally:
        inbox.release.set()
        controller.stop()
    assert olga(first) == [("sent", ("email:127.0.0.1",))]
    assert olga(later) == []
    assert len(inbox.envelopes) == 1
    stats = rows(store)["daily/0-email"].stats
    assert stats["delivery"] == "unknown"
    assert "timed out" in stats["problem"]


class PickyInbox:
    """Accepts the message for every recipient but one, which it answers with 550."""

    def __init__(self, refuse: str) -> None:
        self.refuse = refuse
        self.envelopes: list[Envelope] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address == self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


def test_smtp_refusing_one_recipient_is_sent_once_to_the_others(store: Store) -> None:
    """A typo in one address must not make every other recipient get the digest again
    each cycle: the message went out, the refusal is recorded and logged."""
    inbox = PickyInbox("gone@agency.example")
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        policy = policy_with(
            "{type: email, to: [olga@agency.example, gone@agency.example],"
            f" smtp_host: 127.0.0.1, smtp_port: {port}, smtp_security: none,"
            " sender: syncd@agency.example}"
        )
        svc = DigestService(policy, store, owner="me", senders=senders({}))
        with capture_logs() as logs:
            first = svc.run_due(NINE)
        later = svc.run_due(NINE + timedelta(minutes=1))
    finally:
        controller.stop()
    assert olga(first) == [("sent", ())]
    assert olga(later) == []
    assert [e.rcpt_tos for e in inbox.envelopes] == [["olga@agency.example"]]
    assert rows(store)["daily/0-email"].stats == {"refused": "gone@agency.example"}
    refused = [e for e in logs if e["event"] == "digest_recipients_refused"]
    assert [e["refused"] for e in refused] == [["gone@agency.example"]]
