"""Incoming-webhook channels: Slack, Mattermost, Microsoft Teams (Workflows) and the
generic JSON webhook. The webhook URL is the secret; it is resolved when sending."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from config.policy import ChannelConfig
from config.settings import resolve_secret
from syncd.channels.http_client import HttpPoster
from syncd.channels.payloads import Document, json_payload, markdown_body

__all__ = ["MattermostSender", "SlackSender", "TeamsSender", "WebhookSender"]


class _WebhookSender:
    kind = "webhook"

    def __init__(
        self,
        config: ChannelConfig,
        poster: HttpPoster,
        env: Mapping[str, str] | None = None,
    ) -> None:
        assert config.url_secret is not None  # the policy model requires it
        self.config = config
        self.poster = poster
        self.env = dict(env) if env is not None else None
        self.name = f"{config.type}:{config.url_secret}"

    def payload(self, doc: Document) -> dict[str, object]:
        return json_payload(doc, self.kind)

    def accept(self, response: httpx.Response) -> bool:
        return response.is_success

    def send(self, doc: Document) -> None:
        assert self.config.url_secret is not None
        url = resolve_secret(self.config.url_secret, self.env)
        self.poster.post(url, self.payload(doc), accept=self.accept)


class SlackSender(_WebhookSender):
    """Slack answers ``200 ok``; anything else is an error code such as invalid_blocks."""

    kind = "slack"


class TeamsSender(_WebhookSender):
    """The Workflows endpoint answers 202 (or 200) — even for a card it drops later, which
    is why the card is validated in the tests."""

    kind = "teams"


class WebhookSender(_WebhookSender):
    kind = "webhook"


class MattermostSender(_WebhookSender):
    """Markdown ``text``; Mattermost splits posts over 16383 characters itself."""

    kind = "mattermost"

    def payload(self, doc: Document) -> dict[str, object]:
        return {"text": markdown_body(doc, mattermost=True), "username": "syncd"}
