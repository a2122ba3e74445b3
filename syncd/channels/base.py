"""The sender contract and the factory from a manager's ``ChannelConfig``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import httpx

from config.policy import ChannelConfig
from connectors.http.retry import RetryPolicy
from syncd.channels.email import EmailSender
from syncd.channels.http_client import DEFAULT_RETRY, HttpPoster
from syncd.channels.json_webhook import MattermostSender, SlackSender, TeamsSender, WebhookSender
from syncd.channels.payloads import Document
from syncd.channels.telegram import TelegramSender

__all__ = ["PartLedger", "PartedSender", "Sender", "SenderFactory", "build_sender"]


class Sender(Protocol):
    """Delivers one document to one destination or raises ``ChannelError``."""

    name: str
    """Where it goes, safe to log (the *name* of the secret, never its value)."""

    def send(self, doc: Document) -> None: ...


class PartLedger(Protocol):
    """Remembers, across attempts, which messages of a multi-message send went out
    (``syncd.digest.channel_ledger.Parts`` keeps it in the digest ledger)."""

    def begin(self, part: int) -> bool:
        """Claim part ``part`` (1-based): True to send it now, False to skip it (sent by
        an earlier attempt, or possibly sent by one that crashed)."""
        ...

    def sent(self, part: int) -> None: ...
    def failed(self, part: int) -> None: ...
    def unknown(self, part: int, problem: str) -> None:
        """Part ``part`` went out and no answer came: never send it again."""
        ...


class PartedSender(Sender, Protocol):
    """A sender that delivers a document as several messages (``multipart = True``):
    given a ``PartLedger`` it sends each part at most once across retries."""

    multipart: bool

    def send(self, doc: Document, parts: PartLedger | None = None) -> None: ...


class SenderFactory(Protocol):
    def __call__(self, config: ChannelConfig) -> Sender: ...


def build_sender(
    config: ChannelConfig,
    *,
    env: Mapping[str, str] | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    client: httpx.Client | None = None,
) -> Sender:
    """A sender for ``config``; secrets are resolved from ``env`` (default: the process
    environment) only when sending, so a missing secret fails that send, not start-up."""
    if config.type == "email":
        return EmailSender(config, env)
    poster = HttpPoster(config.type, timeout=config.timeout, retry=retry, client=client)
    if config.type == "telegram":
        return TelegramSender(config, poster, env)
    senders: dict[str, type[SlackSender | MattermostSender | TeamsSender | WebhookSender]] = {
        "slack": SlackSender,
        "mattermost": MattermostSender,
        "teams": TeamsSender,
        "webhook": WebhookSender,
    }
    return senders[config.type](config, poster, env)
