"""Description templates a task starts from: one per brief of the ``required-sections``
rule (its base sections, and each variant's — design, copy, markup…), in Markdown (GitLab
issue templates; Jira Cloud, whose editor turns pasted Markdown into its own) or Jira wiki
markup (Data Center).

The best reminder is the one never needed: a task written from its template passes. Each
section is a heading syncd recognises with a short prompt in brackets — "Цель (чего хочет
клиент, измеримо, с числом и сроком)"; headings are compared without bracketed remarks — and one
line ``… (например: …)`` that the section parser reads as a placeholder, so a template left
unfilled is flagged like an empty description. ``filled=True`` writes the example in place
of the placeholder: a filled-in task as the team would write it (the tests parse it back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rules.briefs import SECTION_HINTS, SECTION_PROMPTS, SECTION_TITLES, Lang
from rules.builtin.required_sections import DEFAULT_TEMPLATE, RequiredSectionsParams
from rules.documents.blocks import normalize_label
from rules.texts import say

__all__ = ["Brief", "Markup", "briefs_of", "render_template"]

Markup = Literal["markdown", "wiki"]


@dataclass(frozen=True, slots=True)
class Brief:
    """One template: its file name, the sections in order, and what selects its variant."""

    name: str
    sections: tuple[str, ...]
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()

    def gitlab_labels(self) -> tuple[str, ...]:
        """The labels that select the variant on GitLab, where the connector reads issue
        types and components from scoped labels (``type::design``, ``component::Вёрстка``).
        One of each list: a variant matches on any of them."""
        picked = [
            *self.labels[:1],
            *(f"type::{t}" for t in self.issue_types[:1]),
            *(f"component::{c}" for c in self.components[:1]),
        ]
        return tuple(picked)


def briefs_of(params: RequiredSectionsParams) -> list[Brief]:
    """The default brief (the base sections), then one per variant, names made unique."""
    briefs = [Brief(DEFAULT_TEMPLATE, params.sections)]
    taken = {DEFAULT_TEMPLATE}
    for index, variant in enumerate(params.variants, 1):
        name = base = variant.template_name(index)
        suffix = 2
        while name in taken:
            name, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(name)
        sections = variant.sections if variant.replace else (*params.sections, *variant.sections)
        briefs.append(
            Brief(
                name,
                tuple(dict.fromkeys(sections)),
                variant.labels,
                variant.components,
                variant.issue_types,
            )
        )
    return briefs


def _title(name: str, params: RequiredSectionsParams, lang: Lang) -> str:
    """syncd's own heading for the section, unless the policy replaced the aliases without
    it: then the policy's first one, which the rule is sure to recognise."""
    own = SECTION_TITLES.get(name, {}).get(lang)
    configured = params.aliases.get(name, ())
    replaced = params.replace_aliases and configured
    if own and replaced and normalize_label(own) not in {normalize_label(a) for a in configured}:
        return configured[0]
    return own or (configured[0] if configured else name)


def _hint(name: str, params: RequiredSectionsParams, lang: Lang) -> str | None:
    return params.templates.get(name, {}).get(lang) or SECTION_HINTS.get(name, {}).get(lang)


def _example(name: str, title: str, params: RequiredSectionsParams, lang: Lang) -> str:
    hint = _hint(name, params, lang)
    if hint:
        return hint
    return say(lang, f"{title}: как договорились с клиентом", f"{title} as agreed with the client")


def _placeholder(name: str, params: RequiredSectionsParams, lang: Lang) -> str:
    hint = _hint(name, params, lang)
    return f"… ({say(lang, 'например', 'e.g.')}: {hint})" if hint else "…"


def _heading(name: str, title: str, lang: Lang) -> str:
    prompt = SECTION_PROMPTS.get(name, {}).get(lang)
    return f"{title} ({prompt})" if prompt else title


def _label_action(brief: Brief) -> str:
    """GitLab's quick action giving a new issue the variant's labels, so that the rule asks
    for exactly the sections of the template that was chosen. Labels GitLab could not
    quote are left to the person."""
    labels = brief.gitlab_labels()
    quoted = [f'~"{label}"' for label in labels if '"' not in label and "\n" not in label]
    return f"/label {' '.join(quoted)}" if quoted else ""


def render_template(
    brief: Brief,
    params: RequiredSectionsParams,
    markup: Markup,
    lang: Lang,
    *,
    filled: bool = False,
    quick_actions: bool = False,
) -> str:
    """The description template of ``brief``. ``quick_actions`` (GitLab issue templates)
    puts the ``/label`` line first: before any heading, so it is never a section's text."""
    parts: list[str] = []
    action = _label_action(brief) if quick_actions else ""
    if action:
        parts.append(action)
    for name in brief.sections:
        title = _title(name, params, lang)
        heading = _heading(name, title, lang)
        body = _example(name, title, params, lang) if filled else _placeholder(name, params, lang)
        parts.append(
            f"## {heading}\n\n{body}" if markup == "markdown" else f"h2. {heading}\n{body}"
        )
    return "\n\n".join(parts) + "\n"
