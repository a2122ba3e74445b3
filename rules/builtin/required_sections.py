"""``required-sections``: the description states the client's goal and clear requirements."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, ClassVar, Literal
from urllib.parse import quote

from pydantic import Field, model_validator

from config.policy_values import without_credentials
from rules.base import Context, RuleParams, TimelessRule
from rules.briefs import SECTION_TITLES, Lang, section_template, section_title
from rules.builtin._util import casefolded
from rules.documents.sections import (
    DEFAULT_ALIASES,
    merge_aliases,
    parse_description,
    section_filled,
)
from rules.registry import register
from rules.texts import say
from syncd.core.models import Finding, ReminderItem, Section, Severity, Task
from syncd.core.usertext import isolate

__all__ = ["DEFAULT_TEMPLATE", "RequiredSections", "RequiredSectionsParams", "Variant"]

DEFAULT_TEMPLATE = "default"
"""The template of the base sections (GitLab offers ``default.md`` for every new issue)."""
_NOT_NAME = re.compile(r"[^\w-]+")


class Variant(RuleParams):
    """Extra sections for some tasks: any listed label, issue type or component matches
    (every non-empty list must match)."""

    labels: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    sections: tuple[str, ...] = Field(min_length=1)
    replace: bool = Field(default=False, description="Require only these, not the base set.")
    name: str | None = Field(
        default=None,
        pattern=r"^[\w-]+$",
        description="The brief's template name (syncd templates, templates_url); default: "
        "its first label, issue type or component.",
    )

    def template_name(self, index: int) -> str:
        """A file-name-safe name: ``name``, else the first label, issue type or component
        (``Вёрстка`` → ``вёрстка``), else ``variant-<index>``."""
        if self.name:
            return self.name
        for value in (*self.labels, *self.issue_types, *self.components):
            slug = _NOT_NAME.sub("-", value.casefold()).strip("-_")
            if slug:
                return slug
        return f"variant-{index}"

    def matches(self, task: Task) -> bool:
        if self.labels and not casefolded(self.labels) & casefolded(task.labels):
            return False
        if self.issue_types and task.issue_type.casefold() not in casefolded(self.issue_types):
            return False
        return not self.components or bool(
            casefolded(self.components) & casefolded(task.components)
        )


class RequiredSectionsParams(RuleParams):
    sections: tuple[str, ...] = ("goal", "acceptance")
    variants: tuple[Variant, ...] = ()
    aliases: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="Section name → extra headings/labels naming it."
    )
    replace_aliases: bool = False
    min_chars: int = Field(default=10, ge=1, description="Shortest line that fills a section.")
    templates: dict[str, dict[Literal["ru", "en"], str]] = Field(
        default_factory=dict,
        description="Section name → the line the reminder's ready-to-fill template shows.",
    )
    templates_url: Annotated[str, without_credentials("the link is shown to everyone")] | None = (
        Field(
            default=None,
            pattern=r"^https?://",
            description="Link to the task's description template, added to the reminder about "
            "missing sections; '{variant}' is replaced by the template's name (e.g. https://"
            "gitlab.example/agency/x/-/blob/main/.gitlab/issue_templates/{variant}.md).",
        )
    )

    @model_validator(mode="after")
    def _known_sections(self) -> RequiredSectionsParams:
        known = set(DEFAULT_ALIASES) | set(self.aliases)
        named = set(self.sections).union(*(v.sections for v in self.variants))
        unknown = sorted(named - known)
        if unknown:
            raise ValueError(
                f"unknown section(s) {', '.join(unknown)}: add them under 'aliases' "
                f"(known: {', '.join(sorted(known))})"
            )
        return self


@register("required-sections")
class RequiredSections(TimelessRule):
    """The description has a filled Goal and Acceptance-criteria section (aliases in
    Russian and English); briefs for specialists may need more, per label, issue type or
    component. The reminder carries a ready-to-fill template of the missing sections.

    example:

        rules:
          - rule: required-sections
            params:
              sections: [goal, acceptance]
              variants:
                - labels: [design]
                  sections: [formats, sizes]
                - components: [Вёрстка]
                  sections: [mockup, clients]
              aliases:
                formats: [Форматы баннеров]
              templates:
                formats: {ru: "PNG 1080×1080, JPG 1200×628", en: "PNG 1080×1080, JPG 1200×628"}
    """

    Params = RequiredSectionsParams
    params: RequiredSectionsParams
    default_severity = Severity.ERROR
    order = 10
    label: ClassVar[Mapping[str, str]] = {
        "ru": "не заполнены обязательные разделы",
        "en": "required sections missing",
    }
    summary = (
        "the description has no filled **Goal** or **Acceptance criteria** section "
        "(Markdown, Jira wiki or ADF; Russian and English headings such as «Цель», "
        '«Критерии приёмки», "Definition of Done"; also inside panels, quotes and '
        "expands)"
    )

    def __init__(self, params: RuleParams | None = None, severity: Severity | None = None) -> None:
        super().__init__(params, severity)
        p = self.params
        self._by_source: dict[int, dict[str, tuple[str, ...]]] = {}
        # Facts for the reminder's template, per section: configured hints, and a title
        # for sections syncd has no wording of its own for.
        self._facts: dict[str, dict[str, str]] = {}
        for name, hints in p.templates.items():
            for lang, text in hints.items():
                self._facts.setdefault(name, {})[f"hint.{lang}.{name}"] = text
        for name, values in p.aliases.items():
            if name not in DEFAULT_ALIASES and values:
                self._facts.setdefault(name, {})[f"title.{name}"] = values[0]

    def _required(self, task: Task) -> tuple[str, ...]:
        required = self.params.sections
        for variant in self.params.variants:
            if variant.matches(task):
                extra = variant.sections
                required = extra if variant.replace else (*required, *extra)
        return tuple(dict.fromkeys(required))

    def template_names(self, task: Task) -> tuple[str, ...]:
        """The templates written for the briefs ``task`` falls under (``syncd templates``):
        each matching variant's, or the default one."""
        names = [
            v.template_name(n) for n, v in enumerate(self.params.variants, 1) if v.matches(task)
        ]
        return tuple(dict.fromkeys(names)) or (DEFAULT_TEMPLATE,)

    def _aliases(self, ctx: Context) -> dict[str, tuple[str, ...]]:
        key = id(ctx.section_aliases)  # the engine keeps one mapping per source for life
        aliases = self._by_source.get(key)
        if aliases is None:
            aliases = merge_aliases(ctx.section_aliases)
            for name, values in self.params.aliases.items():
                base = () if self.params.replace_aliases else aliases.get(name, ())
                aliases[name] = (*base, *(v for v in values if v not in base))
            self._by_source[key] = aliases
        return aliases

    def _sections(self, task: Task, ctx: Context) -> tuple[Section, ...]:
        # Connectors parsed with the defaults plus the source's section_aliases: re-parse
        # only when this rule knows other names, keeping the source's as well — from the
        # document as written, never from the plain text (its headings, bold labels and
        # containers are gone, so parsing it as markup changes unrelated verdicts).
        if not self.params.aliases:
            return task.sections
        aliases = self._aliases(ctx)
        fmt = task.description_format
        if task.description_source or fmt == "text":
            raw = task.description_source or task.description_text
            return parse_description(raw, fmt, aliases)
        # A snapshot stored before the source was kept: what the connector found stands;
        # the plain text (read as plain text) can only add the rule's own sections.
        found = {s.name: s for s in task.sections}
        for section in parse_description(task.description_text, "text", aliases):
            if not section_filled(found.get(section.name), self.params.min_chars):
                found[section.name] = section
        return tuple(found.values())

    def required_for(self, task: Task) -> tuple[str, ...]:
        """The sections this rule asks of ``task`` (base set and matching variants)."""
        return self._required(task)

    def sections_of(self, task: Task, ctx: Context) -> tuple[Section, ...]:
        """The task's sections as this rule reads them (``syncd explain`` shows these)."""
        return self._sections(task, ctx)

    def check(self, task: Task, ctx: Context) -> Finding | None:
        sections = {s.name: s for s in self._sections(task, ctx)}
        min_chars = self.params.min_chars
        missing = [
            n for n in self._required(task) if not section_filled(sections.get(n), min_chars)
        ]
        if not missing:
            return None
        data = {
            "missing": ",".join(missing),
            "empty": ",".join(n for n in missing if n in sections),
        }
        for name in missing:
            data.update(self._facts.get(name, {}))
        url = self.params.templates_url
        if url:
            # Names are word characters and hyphens (no spaces): the links join with one.
            data["template_urls"] = " ".join(
                url.replace("{variant}", quote(name)) for name in self.template_names(task)
            )
        return self.finding(
            task,
            ctx,
            f"description lacks filled sections: {', '.join(missing)}",
            tuple(sorted(missing)),
            data,
        )

    @classmethod
    def reminder_item(cls, finding: Finding, lang: Lang) -> ReminderItem:
        f = finding
        names = [n for n in f.data.get("missing", "").split(",") if n]
        # A section syncd has no wording for is named as the policy's author wrote it:
        # isolated, so its direction cannot reorder the sentence around it. The template
        # lines keep it bare (a pasted template must parse); the renderers balance them.
        titles = ", ".join(
            section_title(n, f.data, lang)
            if n in SECTION_TITLES
            else isolate(section_title(n, f.data, lang))
            for n in names
        )
        if lang == "ru":
            head = (
                "В описании не заполнены разделы: "
                if len(names) > 1
                else "В описании не заполнен раздел: "
            )
            todo = "Что сделать: скопируйте шаблон в описание и заполните:"
            why = (
                "Почему это важно: исполнитель работает на цель клиента, а по чётким требованиям "
                "результат принимают с первого раза, а не переделывают."
            )
        else:
            head = "The description lacks: "
            todo = "What to do: copy this template into the description and fill it in:"
            why = (
                "Why it matters: people work towards the client's goal, and clear requirements "
                "get work accepted the first time instead of redone."
            )
        template = section_template(names, f.data, lang)
        urls = f.data.get("template_urls", "").split()
        if urls:
            where = say(lang, "Готовый шаблон описания", "The description template")
            template = (*template, f"{where}: {', '.join(urls)}")
        return ReminderItem(head + titles, (todo, *template, why))
