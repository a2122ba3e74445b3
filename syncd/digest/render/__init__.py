"""Renderers: one function per output format, all reading the same ``Digest``.

``render(digest, fmt)`` returns text for previews and files; channel senders call the
typed functions directly (Slack/Teams/webhook want dicts, Telegram a list of messages).
"""

from __future__ import annotations

import json
from typing import Literal, get_args

from syncd.digest.model import Digest
from syncd.digest.render.slack import render_slack
from syncd.digest.render.teams import render_teams
from syncd.digest.render.templated import (
    render_html,
    render_markdown,
    render_mattermost,
    render_telegram,
    render_text,
)
from syncd.digest.render.webhook import render_webhook

__all__ = [
    "FORMATS",
    "Format",
    "render",
    "render_html",
    "render_markdown",
    "render_mattermost",
    "render_slack",
    "render_teams",
    "render_telegram",
    "render_text",
    "render_webhook",
]

Format = Literal["html", "md", "text", "slack", "mattermost", "teams", "telegram", "webhook"]
FORMATS: tuple[str, ...] = get_args(Format)
TELEGRAM_SEPARATOR = "\n\n----- 8< -----\n\n"


def render(d: Digest, fmt: str) -> str:
    """The digest in ``fmt`` as text; JSON formats pretty-printed, Telegram messages
    separated by a scissors line."""
    if fmt == "html":
        return render_html(d)
    if fmt == "md":
        return render_markdown(d)
    if fmt == "text":
        return render_text(d)
    if fmt == "mattermost":
        return render_mattermost(d)
    if fmt == "telegram":
        return TELEGRAM_SEPARATOR.join(render_telegram(d)) + "\n"
    if fmt == "slack":
        return _json(render_slack(d))
    if fmt == "teams":
        return _json(render_teams(d))
    if fmt == "webhook":
        return _json(render_webhook(d, render_text(d)))
    raise ValueError(f"unknown digest format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _json(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
