"""Telegram Bot API ``sendMessage`` in HTML parse mode, one call per ≤ 4096-char part."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import httpx
from pydantic import SecretStr

from config.policy import ChannelConfig
from config.settings import resolve_secret
from syncd.channels.http_client import HttpPoster
from syncd.channels.payloads import Document, telegram_messages
from syncd.core.errors import DeliveryUnknownError

if TYPE_CHECKING:
    from syncd.channels.base import PartLedger

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

    multipart = True
    """A long digest is several messages: see :meth:`send`."""

    def send(self, doc: Document, parts: PartLedger | None = None) -> None:
        """Parts go in order; a failure part-way raises. With ``parts`` (the digest
        ledger) each part is claimed before and confirmed after its message, so the retry
        next cycle sends only the parts that did not go out — never part 1 twice.

        A part that went out unanswered (a read timeout) is recorded as unknown and not
        repeated; the later parts still go, each at most once, and the send then raises
        ``DeliveryUnknownError`` so the channel is reported as possibly incomplete."""
        assert self.config.bot_token_secret is not None
        messages = telegram_messages(doc)
        token = resolve_secret(self.config.bot_token_secret, self.env).get_secret_value()
        url = SecretStr(f"{self.config.api_base.rstrip('/')}/bot{token}/sendMessage")
        unknown: list[str] = []
        for number, text in enumerate(messages, start=1):
            if parts is not None and not parts.begin(number):
                continue
            try:
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
            except DeliveryUnknownError as exc:
                if parts is None:
                    raise
                parts.unknown(number, str(exc))
                unknown.append(f"part {number}/{len(messages)}: {exc}")
                continue
            except Exception:
                if parts is not None:
                    parts.failed(number)
                raise
            if parts is not None:
                parts.sent(number)
        if unknown:
            raise DeliveryUnknownError("; ".join(unknown), channel=self.name)
