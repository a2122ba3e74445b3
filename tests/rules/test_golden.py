"""The golden corpus: every description and comment reads as a careful account manager
reads it, in Markdown, Jira wiki markup and ADF, Russian and English (see
``golden/manifest.yaml`` for each case's reason)."""

from __future__ import annotations

import pytest

from connectors.sandbox.common.docconv import adf_errors
from tests.rules.golden_corpus import GOLDEN, Case, actual_verdict, load_cases

CASES = load_cases()


def _id(case: Case) -> str:
    return f"{case.kind[:-1]}:{case.file}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_verdict_matches_the_manifest(case: Case) -> None:
    assert actual_verdict(case) == case.expect, case.reason


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "descriptions"], ids=_id)
def test_an_unrelated_alias_changes_no_verdict(case: Case) -> None:
    # Configuring aliases makes required-sections re-parse the description with them:
    # from the document as written, so every other verdict stays the same.
    assert actual_verdict(case, aliases=True) == case.expect, case.reason


def test_corpus_covers_every_form_and_both_outcomes() -> None:
    descriptions = [c for c in CASES if c.kind == "descriptions"]
    assert len(descriptions) >= 60
    assert {c.fmt for c in descriptions} == {"markdown", "wiki", "adf"}
    assert {c.fmt for c in CASES if c.kind == "comments"} == {"markdown", "wiki", "adf"}
    for kind in ("descriptions", "comments"):
        verdicts = {all(c.expect.values()) for c in CASES if c.kind == kind}
        assert verdicts == {True, False}, f"{kind}: needs cases that pass and near-misses"
    for lang in ("-ru.", "-en."):
        assert any(lang in c.file for c in descriptions)
    assert all(c.reason.strip() for c in CASES)


def test_manifest_lists_every_file_once() -> None:
    listed = {(c.kind, c.file) for c in CASES}
    assert len(listed) == len(CASES)
    on_disk = {
        (folder.name, path.name)
        for folder in (GOLDEN / "descriptions", GOLDEN / "comments")
        for path in folder.iterdir()
    }
    assert on_disk == listed


@pytest.mark.parametrize("case", [c for c in CASES if c.fmt == "adf"], ids=_id)
def test_adf_files_are_valid_adf(case: Case) -> None:
    # Written by hand where the converter has no such construct (panels, expands): they
    # must still be documents Jira Cloud could have sent.
    assert adf_errors(case.raw) == []
