"""Digest strings in Russian and English, with CLDR plural rules and dates from Babel.

The catalogs are YAML files next to this module (``translations/ru.yaml``, ``en.yaml``):
one flat set of keys, plural entries keyed by CLDR category. Babel decides the category
(1 задача, 2 задачи, 5 задач, 21 задача) and formats dates the way each locale writes them.
"""

from __future__ import annotations

from datetime import date as _date
from datetime import datetime as _datetime
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal, format_percent

from rules.registry import get_rule
from syncd.core.errors import RuleError

__all__ = ["Language", "Translator", "translator"]

Language = Literal["ru", "en"]


@cache
def _catalog(language: str) -> dict[str, Any]:
    text = (
        resources.files("syncd.digest")
        .joinpath(f"translations/{language}.yaml")
        .read_text(encoding="utf-8")
    )
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


class Translator:
    """Looks up ``a.b.c`` keys and formats numbers, dates and plurals for one language."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self.locale = Locale.parse(language)
        self._catalog = _catalog(language)

    def __call__(self, key: str, **values: Any) -> str:
        node: Any = self._catalog
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"no {self.language} string for {key!r}")
            node = node[part]
        if not isinstance(node, str):
            raise KeyError(f"{self.language} string {key!r} is not a leaf")
        return node.format(**values) if values else node

    def plural(self, key: str, n: float) -> str:
        forms: dict[str, str] = self._catalog["plurals"][key]
        category = self.locale.plural_form(abs(n))  # CLDR: 1,5 дня, 2 дня, 5 дней
        template = forms.get(category, forms["other"])
        return template.format(n=self.number(n))

    def rule(self, name: str) -> str:
        """A rule's human name (its ``label``); an unknown rule shows as its id."""
        try:
            label = get_rule(name).label
        except RuleError:
            return name
        return label.get(self.language, name)

    def number(self, n: float) -> str:
        return format_decimal(n, locale=self.locale)

    def percent(self, x: float | None) -> str:
        if x is None:
            return self("monthly.na")
        return format_percent(x, format="#,##0%", locale=self.locale)

    def date(self, d: _date | _datetime | None, fmt: str = "d MMM") -> str:
        if d is None:
            return ""
        if isinstance(d, _datetime):
            d = d.date()
        return format_date(d, fmt, locale=self.locale)

    def long_date(self, d: _date | _datetime) -> str:
        return self.date(d, "EEEE, d MMMM y")

    def month(self, d: _date) -> str:
        return format_date(d, "LLLL y", locale=self.locale)

    def time(self, dt: _datetime | None) -> str:
        return "" if dt is None else format_time(dt, "HH:mm", locale=self.locale)

    def datetime(self, dt: _datetime | None) -> str:
        return "" if dt is None else format_datetime(dt, "d MMM HH:mm", locale=self.locale)

    @staticmethod
    def delta(d: int | None) -> str:
        """``▲2`` / ``▼1`` / empty: the change since the previous digest."""
        if not d:
            return ""
        return f"▲{d}" if d > 0 else f"▼{-d}"


@cache
def translator(language: Language) -> Translator:
    return Translator(language)
