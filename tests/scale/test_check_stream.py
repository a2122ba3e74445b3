"""``check`` over a stored backlog: streamed from the store and held compactly, the rows are
exactly what evaluating every open task and sorting the findings gives."""

from __future__ import annotations

import json
from pathlib import Path

from config.loader import load_policy_text
from rules.engine import Engine
from syncd.commands.check import (
    CheckRows,
    _evaluated_line,
    _SourceRows,
    collect,
    has_errors,
    iter_json,
    render_json,
)
from syncd.core.models import Finding, Severity
from syncd.store import open_store
from tests.bench.scale_store import NOW, POLICY, SOURCE, generated_tasks


def test_collected_rows_are_the_sorted_findings_of_every_open_task(tmp_path: Path) -> None:
    policy = load_policy_text(POLICY.format(url="https://jira.example", enforce="true"))
    engine = Engine.from_policy(policy)
    tasks = list(generated_tasks(300))
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        store.upsert_tasks(tasks)
        rows = collect(policy, store, engine, NOW, [SOURCE])
    finally:
        store.close()
    expected = sorted(
        engine.evaluate([t for t in tasks if t.is_open], NOW),
        key=lambda f: (f.source, f.rule, f.task_key),
    )
    assert len(expected) > 100  # a mixed backlog: most rules fire somewhere
    assert len({f.rule for f in expected}) >= 5
    got = [f for f, _ in rows]
    assert got == expected
    assert all(isinstance(f, Finding) for f in got)
    queued = {q for _, q in rows}
    assert len(queued) == 1  # one source, one moment: the same "queued until" for all
    assert has_errors(rows) == any(f.severity.value == "error" for f in expected)
    lines = list(iter_json(rows))
    assert render_json(rows) == "\n".join(lines)
    assert list(iter_json(list(rows))) == lines  # compact rows and findings print alike
    first = json.loads(lines[0])
    assert (first["rule"], first["key"]) == (expected[0].rule, expected[0].task_key)
    assert first["data"] == expected[0].data


def test_empty_rows_have_no_errors() -> None:
    rows = CheckRows()
    assert not rows
    assert len(rows) == 0
    assert not has_errors(rows)
    assert render_json(rows) == ""


def test_json_lines_keep_unicode_line_separators_inside_a_line() -> None:
    """JSON leaves U+2028, U+0085 and the like as they are: a line holding one is still
    one line, as printed from kept lines and from findings alike."""
    findings = [
        Finding(
            rule="required-sections",
            source=SOURCE,
            task_key=key,
            severity=Severity.WARNING,
            message=f"no section\u2028«{key}»\x85end",
            fingerprint=key,
            detected_at=NOW,
            data={"section": "goal\u2029"},
        )
        for key in ("SHOP-10", "SHOP-9")
    ]
    part = _SourceRows(SOURCE, None, NOW.isoformat())
    part.evaluated = sorted(_evaluated_line(f, 0) for f in findings)
    lines = list(iter_json(CheckRows([part])))
    assert lines == list(iter_json((f, None) for f in findings))
    assert len(lines) == 2
    assert [json.loads(line)["message"] for line in lines] == [f.message for f in findings]
