"""Telegram Bot API ``sendMessage`` in HTML parse mode, one call per ≤ 4096-char part."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from pydantic import SecretStr

from config.policy import ChannelConfig
from config.settings import resolve_secret
from syncd.channels.http import HttpPoster
from syncd.channels.payloads import Document, telegram_messages

__all__ = ["TelegramSender"]


def _ok(response: httpx.Response) -> bool:
    if not response.is_success:
        return False
    try:
        return bool(response.json().get("ok"))
    except ValueError:
        return False


class TelegramSender:
    def __init__(
        self, config: ChannelConfig, poster: HttpPoster, env: Mapping[str, str] | None = None
    ) -> None:
        assert config.bot_token_secret is not None
        assert config.chat_id is not None
        self.config = config
        self.poster = poster
        self.env = dict(env) if env is not None else None
        self.name = f"telegram:{config.chat_id}"

    def send(self, doc: Document) -> None:
        """Parts go in order; a failure part-way raises, and the next cycle resends the
        digest from the start (the ledger never marks a partial send as sent)."""
        assert self.config.bot_token_secret is not None
        token = resolve_secret(self.config.bot_token_secret, self.env).get_secret_value()
        url = SecretStr(f"{self.config.api_base.rstrip('/')}/bot{token}/sendMessage")
        for text in telegram_messages(doc):
            self.poster.post(
                url,
                {
                    "chat_id": self.config.chat_id,
                    "text": text,
                    "parse_mode": "HTML",
                    "link_preview_options": {"is_disabled": True},
                },
                accept=_ok,
                secrets=(token,),
            )
