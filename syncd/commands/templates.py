"""``syncd templates``: description templates in the team's language, from the policy.

Writes, for every brief of the ``required-sections`` rule (the default one and one per
variant), under the output directory:

- ``.gitlab/issue_templates/<brief>.md`` — GitLab issue templates (``default.md`` is the
  one GitLab offers for every new issue; a variant's carries ``/label`` with what selects
  it: a label, ``type::<issue type>``, ``component::<component>``);
- ``jira/<brief>.wiki.txt`` — Jira Data Center wiki markup, to paste or keep on a wiki page;
- ``markdown/<brief>.md`` — the same in Markdown (Jira Cloud's editor converts a paste).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from config.policy import Policy
from rules.briefs import Lang
from rules.builtin.required_sections import RequiredSectionsParams
from rules.task_templates import Brief, Markup, briefs_of, render_template
from syncd.core.errors import ConfigError

__all__ = ["Layout", "rule_params", "team_language", "write_templates"]

Layout = tuple[str, str, Markup, bool]
"""Folder, file suffix, markup, whether GitLab quick actions go in."""

LAYOUTS: tuple[Layout, ...] = (
    (".gitlab/issue_templates", ".md", "markdown", True),
    ("jira", ".wiki.txt", "wiki", False),
    ("markdown", ".md", "markdown", False),
)


def rule_params(policy: Policy | None) -> list[RequiredSectionsParams]:
    """The ``required-sections`` parameters of every enabled entry; the defaults when there
    is no policy or it lists no rules (then every default rule runs)."""
    if policy is None or not policy.rules:
        return [RequiredSectionsParams()]
    return [
        RequiredSectionsParams.model_validate(entry.params)
        for entry in policy.rules
        if entry.rule == "required-sections" and entry.enabled
    ]


def team_language(policy: Policy | None, chosen: Lang | None) -> Lang:
    """``chosen``, else the sources' ``language``; sources that disagree need a choice."""
    if chosen is not None:
        return chosen
    if policy is None:
        return "en"  # the sources' default language
    languages = sorted({s.language for s in policy.sources})
    if len(languages) > 1:
        raise ConfigError(
            f"the sources speak {' and '.join(languages)}: choose the templates' language "
            "with --lang ru or --lang en"
        )
    return languages[0]


def _briefs(
    all_params: Sequence[RequiredSectionsParams],
) -> list[tuple[Brief, RequiredSectionsParams]]:
    """Every entry's briefs; a second entry's name that is taken gets a number."""
    out: list[tuple[Brief, RequiredSectionsParams]] = []
    taken: set[str] = set()
    for params in all_params:
        for brief in briefs_of(params):
            name, suffix = brief.name, 2
            while name in taken:
                name, suffix = f"{brief.name}-{suffix}", suffix + 1
            taken.add(name)
            out.append((replace(brief, name=name), params))
    return out


def write_templates(out: Path, policy: Policy | None, lang: Lang) -> list[Path]:
    """Write every template under ``out``; the files written, in order. Raises
    ``ConfigError`` when the policy has no required sections to write, ``OSError`` when
    ``out`` cannot be written."""
    all_params = rule_params(policy)
    if not all_params:
        raise ConfigError(
            "the policy does not enable the required-sections rule: there are no required "
            "sections to write templates for"
        )
    written: list[Path] = []
    for brief, params in _briefs(all_params):
        for folder, suffix, markup, quick_actions in LAYOUTS:
            path = out / folder / f"{brief.name}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            text = render_template(brief, params, markup, lang, quick_actions=quick_actions)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
