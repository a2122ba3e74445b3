"""Pieces every renderer shares: the Jinja environment, escaping per markup language,
and the localized wording of subjects, headlines and "why" lines.

User text (task titles, names, client names) is never trusted: each markup gets its own
escaper, and every title is flattened to one line first so a CR/LF in a title can neither
break a Markdown list nor reach an e-mail header. Every piece of it is also isolated for
direction (``syncd.core.usertext``): FSI … PDI in text formats, ``<bdi>`` in HTML, so a bidi
override or a right-to-left title never reorders syncd's words around it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from syncd.core.usertext import balance_bidi, isolate
from syncd.digest.i18n import Translator, translator
from syncd.digest.model import METRICS, ClientHeadline, Digest, DigestItem

__all__ = [
    "TITLE_LIMIT",
    "clean",
    "clip",
    "due",
    "environment",
    "headline_text",
    "html_user",
    "isolate",
    "mattermost_escape",
    "md_escape",
    "neutralise_mentions",
    "render_template",
    "slack_escape",
    "subject",
    "summary",
    "telegram_user",
    "title",
    "why",
]

TITLE_LIMIT = 200
"""Titles longer than this are clipped in every rendering: a digest line, not an essay."""

_SPACE = re.compile(r"[\s\x00-\x1f\x7f\u2028\u2029]+")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&^$])")
_MENTION = re.compile(r"@(?=\w)")
# Mattermost turns ``:name:`` into an emoji and emoticons (``:)``, ``;-P``, ``:D``) into
# emoji too, in any user text. A word joiner after a colon or semicolon that touches a
# non-space character keeps the text as written (and invisible) but matches neither.
_EMOJI_START = re.compile(r"([:;])(?=\S)")
# Telegram's own rule for a bot command: "/" not after a letter, digit, "_", "/", "<" or
# ">", followed by a letter, digit or "_" (a URL's "/path" is not one).
_TG_COMMAND = re.compile(r"(?<![\w/<>])/(?=\w)")
_WORD_JOINER = "\u2060"


def clean(text: str | None) -> str:
    """One line, no control characters, trimmed."""
    return _SPACE.sub(" ", text or "").strip()


def clip(text: str | None, limit: int = TITLE_LIMIT) -> str:
    text = clean(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def md_escape(text: str | None) -> str:
    """Backslash-escape CommonMark punctuation so a title cannot become a link, emphasis,
    raw HTML or a table cell break."""
    return _MD_SPECIAL.sub(r"\\\1", clean(text))


def neutralise_mentions(text: str) -> str:
    """``@channel``/``@here``/``@all``/``@user`` in user text must not notify anyone:
    a word joiner after ``@`` keeps it readable and inert."""
    return _MENTION.sub("@\u2060", text)


def mattermost_escape(text: str | None) -> str:
    """Markdown escaping, inert ``@channel``/``@here``/``@all``/``@user`` and no emoji made
    of a title's ``:name:`` or ``:)``: a client's task title must neither notify a whole
    Mattermost channel nor change its meaning."""
    return _EMOJI_START.sub("\\1" + _WORD_JOINER, neutralise_mentions(md_escape(text)))


def telegram_user(text: str | None) -> str:
    """User text for a Telegram message (HTML-escaped afterwards by the template):
    Telegram turns ``/command`` and ``@name`` into tappable commands and mentions in any
    parse mode, so a word joiner after ``/`` and ``@`` keeps them inert and readable;
    then isolated for direction."""
    text = _TG_COMMAND.sub("/" + _WORD_JOINER, clean(text))
    return isolate(neutralise_mentions(text))


def html_user(text: str | None) -> Markup:
    """User text for HTML: escaped, balanced and wrapped in ``<bdi>`` (the element that
    isolates direction, so no stray control character is needed in the markup)."""
    return Markup("<bdi>%s</bdi>") % balance_bidi(clean(text))


def html_t(t: Translator, key: str, **values: object) -> Markup:
    """A translated sentence for HTML whose placeholders may be markup (``html_user``):
    the sentence is escaped, plain values are escaped, Markup values are kept."""
    return escape(t(key)).format(**values)


def slack_escape(text: str | None) -> str:
    """Slack mrkdwn control characters: & < > (so ``<!channel>`` stays text)."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def title(d: Digest, t: Translator) -> str:
    return t(f"title.{d.kind}")


def summary(d: Digest, t: Translator) -> str:
    """The short "3 overdue, 2 at risk" phrase of subjects and notifications."""
    totals = dict.fromkeys(METRICS, 0)
    for h in d.headlines:
        for metric in METRICS:
            totals[metric] += h.counts[metric]
    parts = [
        f"{t.number(totals[m])} {t('metrics.' + m)}"
        for m in ("overdue", "at_risk", "due_soon")
        if totals[m]
    ]
    if totals["violations"]:
        parts.append(t.plural("violation", totals["violations"]))
    check_today = d.section("check_today")
    if check_today:
        parts.insert(0, f"{t('sections.check_today')}: {t.number(len(check_today.items))}")
    return ", ".join(parts) if parts else t("all_clear")


def subject(d: Digest, t: Translator) -> str:
    return clean(t("subject", title=title(d, t), date=t.date(d.local_date), summary=summary(d, t)))


def headline_text(h: ClientHeadline, t: Translator) -> str:
    """``12 open ▲2 · 3 overdue · …`` for one client (numbers and words only, no markup)."""
    parts = []
    for metric in METRICS:
        count = h.counts[metric]
        if metric != "open" and not count and not h.deltas.get(metric):
            continue
        delta = t.delta(h.deltas.get(metric))
        if metric == "violations":
            text = t.plural("violation", count)
        else:
            text = t("metric_count", n=t.number(count), label=t("metrics." + metric))
        parts.append(text + (f" {delta}" if delta else ""))
    return " · ".join(parts)


def due(item: DigestItem, t: Translator) -> str:
    """``Due 24 Nov`` or ``no due date``."""
    return f"{t('fields.due')} {t.date(item.due)}" if item.due else t("fields.no_due")


def why(item: DigestItem, t: Translator) -> str:
    """Why this task is listed, in the reader's language (plain text)."""
    if item.why == "checkpoint_today":
        return t("why.checkpoint_today", time=t.time(item.at))
    if item.why == "overdue":
        if not item.days:
            return t("why.overdue_today")
        return t("why.overdue", days=t.plural("business_day", item.days))
    if item.why == "at_risk":
        return t("why.at_risk", at=t.datetime(item.at))
    if item.why == "due_soon":
        if not item.days:
            return t("why.due_soon_today")
        return t("why.due_soon", days=t.plural("business_day", item.days))
    if item.why == "violations":
        rules = ", ".join(t.rule(r) for r in item.rules)
        return t("why.violations", rules=rules, since=t.date(item.since))
    if item.why == "done":
        return t("why.done", at=t.date(item.at))
    return item.why


def environment() -> Environment:
    """HTML and Telegram templates autoescape; Markdown/text ones escape explicitly."""
    env = Environment(
        loader=PackageLoader("syncd.digest", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html.j2", "telegram.j2"), default_for_string=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        clip=clip,
        md=md_escape,
        clean=clean,
        slack=slack_escape,
        iso=isolate,
        tg=telegram_user,
        bdi=html_user,
    )
    return env


@cache
def _environment() -> Environment:
    return environment()


def render_template(name: str, **context: Any) -> str:
    """Render ``templates/<name>``; ``.html``/``.telegram`` templates autoescape."""
    t = translator(context.get("language", "en"))
    text: str = (
        _environment()
        .get_template(name)
        .render(
            t=t,
            why=lambda item: why(item, t),
            due=lambda item: due(item, t),
            headline=lambda h: headline_text(h, t),
            th=lambda key, **values: html_t(t, key, **values),
            **context,
        )
    )
    return text
