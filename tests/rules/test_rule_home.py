"""One home per rule: a rule is one module, and everything said about it comes from there.

The toy rule below is written as a file into a folder that joins ``rules.builtin`` — the
way a new built-in rule is added — and then shows up everywhere without touching anything
else: the registry, the default set, the engine, the reminder's wording, the digest's
label and the README's rule table.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import rules.builtin
from rules import registry
from rules.engine import Engine
from rules.texts import reminder_item
from syncd.digest.i18n import translator
from syncd.policy_file import read_policy_text
from syncd.rules_doc import END, START, main, rules_table_markdown
from syncd.settings_doc import table_in
from tests.rules.factory import at, make_task
from tests.rules.test_engine import SOURCES

README = Path(__file__).resolve().parents[2] / "README.md"

TOY = '''
"""``toy-title-shout``: the title is written in capitals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rules.base import Context, Rule, Wording
from rules.briefs import Lang
from rules.registry import register
from rules.texts import say
from syncd.core.models import Finding, Severity, Task


@register("toy-title-shout")
class ToyTitleShout(Rule):
    """A title in capitals reads as shouting at the team.

    example:

        rules:
          - rule: toy-title-shout
    """

    default_severity = Severity.INFO
    order = 5
    label: ClassVar[Mapping[str, str]] = {"ru": "заголовок капсом", "en": "title in capitals"}
    summary = "the title is written in capitals"

    def check(self, task: Task, ctx: Context) -> Finding | None:
        if not task.title.isupper():
            return None
        return self.finding(task, ctx, "title in capitals", ("upper",))

    @classmethod
    def wording(cls, data: Mapping[str, str], lang: Lang) -> Wording:
        return (
            say(lang, "Заголовок написан капсом", "The title is in capitals"),
            say(lang, "Что сделать: перепишите обычными буквами.", "What to do: rewrite it."),
            say(lang, "Почему это важно: капс читается как крик.", "Why: capitals shout."),
        )
'''


@pytest.fixture
def toy_rule_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "more_rules"
    folder.mkdir()
    path = folder / "toy_title_shout.py"
    path.write_text(textwrap.dedent(TOY), encoding="utf-8")
    monkeypatch.setattr(rules.builtin, "__path__", [*rules.builtin.__path__, str(folder)])
    yield path
    registry._RULES.pop("toy-title-shout", None)
    sys.modules.pop("rules.builtin.toy_title_shout", None)


def test_a_new_rule_is_one_module(toy_rule_module: Path) -> None:
    assert "toy-title-shout" in registry.rule_names()
    assert registry.default_rule_names()[0] == "toy-title-shout"  # order 5 comes first

    engine = Engine.from_policy(read_policy_text(SOURCES))
    findings = engine.evaluate([make_task(key="SHOP-9", title="СРОЧНО БАННЕР")], at("2026-11-24"))
    toy = [f for f in findings if f.rule == "toy-title-shout"]
    assert len(toy) == 1

    task = make_task(key="SHOP-9")
    assert reminder_item(toy[0], task, "ru").title == "Заголовок написан капсом"
    assert reminder_item(toy[0], task, "en").details[0] == "What to do: rewrite it."
    assert translator("ru").rule("toy-title-shout") == "заголовок капсом"
    assert "| `toy-title-shout` | the title is written in capitals | info | — |" in (
        rules_table_markdown()
    )


def test_readme_has_exactly_the_generated_rule_table() -> None:
    readme = README.read_text(encoding="utf-8")
    assert table_in(readme, START, END) == rules_table_markdown(), (
        "README rule table is stale: python -m syncd.rules_doc --write README.md"
    )


def test_rules_doc_check_and_write(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(f"# x\n{START}\n| old |\n{END}\nafter\n", encoding="utf-8")
    assert main(["--check", str(path)]) == 1
    assert main(["--write", str(path)]) == 0
    assert main(["--check", str(path)]) == 0


def test_every_rule_has_a_label_and_summary_in_its_module() -> None:
    for cls in registry.all_rules():
        assert set(cls.label) == {"ru", "en"}, cls.name
        assert cls.summary, cls.name
