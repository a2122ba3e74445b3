"""Digest delivery channels: Slack, Microsoft Teams, Mattermost, Telegram, generic JSON
webhook (all over httpx with the shared retry policy) and e-mail over SMTP.

Every failure is a ``syncd.core.errors.ChannelError`` whose message names the channel and
never contains a webhook URL, bot token or password.
"""

from __future__ import annotations

from syncd.channels.base import PartedSender, PartLedger, Sender, SenderFactory, build_sender
from syncd.channels.payloads import Document

__all__ = ["Document", "PartLedger", "PartedSender", "Sender", "SenderFactory", "build_sender"]
