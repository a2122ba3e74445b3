"""Golden files of every renderer in both languages, over the fixture agency (which
includes a hostile title and a 525-character one). Regenerate after a deliberate change
with ``SYNCD_UPDATE_GOLDEN=1 pytest tests/digest/test_golden.py`` and review the diff."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from syncd.digest.model import Digest
from syncd.digest.render import FORMATS, render
from tests.digest import hostile

GOLDEN = Path(__file__).parent / "golden"
EXTENSIONS = {
    "html": "html",
    "md": "md",
    "text": "txt",
    "slack": "json",
    "mattermost": "md",
    "teams": "json",
    "telegram": "txt",
    "webhook": "json",
}
MANAGERS = {"ru": 0, "en": 1}


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SYNCD_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with SYNCD_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("language", sorted(MANAGERS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_renderer_matches_golden(
    make_digest: Callable[..., Digest], language: str, fmt: str
) -> None:
    digest = make_digest(MANAGERS[language])
    check_golden(f"{language}/daily.{fmt}.{EXTENSIONS[fmt]}", render(digest, fmt))


@pytest.mark.parametrize("language", sorted(MANAGERS))
@pytest.mark.parametrize("fmt", ["text", "md", "html", "slack", "telegram"])
def test_nothing_to_report_is_one_line(
    make_digest: Callable[..., Digest], language: str, fmt: str
) -> None:
    digest = make_digest(MANAGERS[language], tasks=[], findings=[])
    assert digest.nothing_to_report
    out = render(digest, fmt)
    check_golden(f"{language}/empty.{fmt}.{EXTENSIONS[fmt]}", out)
    if fmt in ("text", "md", "telegram"):
        assert len(out.strip().splitlines()) == 1


@pytest.mark.parametrize("language", sorted(MANAGERS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_titles_match_golden(language: str, fmt: str) -> None:
    """Bidi overrides, a stray PDI, every control left open, Hebrew, and Slack/Markdown
    emphasis, in titles, a client and a person: reviewed by eye once, kept from moving."""
    digest = hostile.hostile_digest(language)
    check_golden(f"hostile/{language}.{fmt}.{EXTENSIONS[fmt]}", render(digest, fmt))
