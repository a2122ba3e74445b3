"""``syncd templates`` as a person runs it: from the example policy, in the sources'
language or the one asked for; the files it writes are templates the rules read back as
unfilled; bad input gets one line and exit 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rules.builtin.required_sections import RequiredSections, RequiredSectionsParams
from rules.documents.sections import parse_description
from syncd.commands.templates import write_templates
from syncd.core.errors import ConfigError
from syncd.policy_file import read_policy_text
from tests.rules.factory import at, context, described
from tests.runtime.process import run_syncd

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "examples" / "jira.yaml"


def _syncd(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_syncd(*args, env={"SYNCD_DATA_DIR": str(tmp / "data")}, timeout=120)


def _policy(tmp: Path, *languages: str) -> Path:
    sources = "".join(
        f"""  - name: s{n}
    type: gitlab
    url: https://gitlab.example
    auth: {{kind: private_token, secret: GITLAB_TOKEN}}
    scope: {{group: agency}}
    language: {lang}
"""
        for n, lang in enumerate(languages)
    )
    rules = """rules:
  - rule: required-sections
    params:
      variants:
        - {labels: [design], sections: [formats, sizes]}
"""
    path = tmp / "policy.yaml"
    path.write_text(f"sources:\n{sources}{rules}", encoding="utf-8")
    return path


def test_templates_from_the_example_policy(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _syncd(
        tmp_path, "--config", str(EXAMPLE), "templates", "--out", str(out), "--lang", "ru"
    )
    assert done.returncode == 0, done.stderr
    names = ("default", "design", "copy", "markup")
    for name in names:
        assert f"written {out}/.gitlab/issue_templates/{name}.md" in done.stdout
        assert (out / "jira" / f"{name}.wiki.txt").is_file()
        assert (out / "markdown" / f"{name}.md").is_file()
    design = (out / ".gitlab/issue_templates/design.md").read_text(encoding="utf-8")
    assert design.startswith('/label ~"design"\n')
    assert "## Форматы (в каких форматах сдать файлы)" in design

    # What was written is read back by the rule as the example policy configures it:
    # every section there, every one still to fill.
    params = RequiredSectionsParams.model_validate(
        {
            "variants": [
                {"labels": ["design"], "sections": ["formats", "sizes"]},
                {"labels": ["copy"], "sections": ["audience", "tone", "length"]},
                {"labels": ["markup"], "sections": ["mockup", "clients"]},
            ]
        }
    )
    wiki = (out / "jira" / "copy.wiki.txt").read_text(encoding="utf-8")
    assert [s.name for s in parse_description(wiki, "wiki")] == [
        "goal",
        "acceptance",
        "audience",
        "tone",
        "length",
    ]
    finding = RequiredSections(params).check(
        described(wiki, "wiki", labels=("copy",)), context(at("2026-11-25 09:00"))
    )
    assert finding is not None
    assert finding.data["missing"] == "goal,acceptance,audience,tone,length"


def test_the_language_comes_from_the_sources(tmp_path: Path) -> None:
    o, o2 = tmp_path / "o", tmp_path / "o2"
    done = _syncd(tmp_path, "--config", str(_policy(tmp_path, "ru")), "templates", "--out", str(o))
    assert done.returncode == 0, done.stderr
    text = (o / "markdown" / "default.md").read_text(encoding="utf-8")
    assert text.startswith("## Цель (")

    mixed = _policy(tmp_path, "ru", "en")
    refused = _syncd(tmp_path, "--config", str(mixed), "templates", "--out", str(o2))
    assert refused.returncode == 2
    assert "the sources speak en and ru" in refused.stderr
    assert "Traceback" not in refused.stderr
    chosen = _syncd(tmp_path, "--config", str(mixed), "templates", "--out", str(o2), "--lang", "en")
    assert chosen.returncode == 0, chosen.stderr
    text = (o2 / "jira" / "design.wiki.txt").read_text(encoding="utf-8")
    assert text.startswith("h2. Goal (")


def test_without_a_policy_the_default_brief_and_a_bad_out_is_one_line(tmp_path: Path) -> None:
    o = tmp_path / "o"
    done = _syncd(tmp_path, "templates", "--out", str(o))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (o / "jira").iterdir()) == ["default.wiki.txt"]
    assert (o / "markdown" / "default.md").read_text(encoding="utf-8").startswith("## Goal (")

    taken = tmp_path / "taken"
    taken.write_text("", encoding="utf-8")
    blocked = _syncd(tmp_path, "templates", "--out", str(taken / "sub"))
    assert blocked.returncode == 2
    assert f"cannot write templates to {taken / 'sub'}" in blocked.stderr
    assert "Traceback" not in blocked.stderr


def test_a_policy_without_required_sections_has_nothing_to_write(tmp_path: Path) -> None:
    text = _policy(tmp_path, "en").read_text(encoding="utf-8")
    text = text.replace("rule: required-sections", "rule: required-sections\n    enabled: false")
    policy = read_policy_text(text + "  - rule: due-date\n")
    with pytest.raises(ConfigError, match="does not enable the required-sections rule"):
        write_templates(tmp_path / "out", policy, "en")
    assert not (tmp_path / "out").exists()
