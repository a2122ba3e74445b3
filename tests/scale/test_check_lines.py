"""A kept ``check`` line, filled in, is exactly ``json.dumps`` of the finding's object with
sorted keys, whatever the text holds: the markers' escaped forms, a data key named like a
member, quotes, backslashes, non-Latin text."""

from __future__ import annotations

import itertools
import json

from syncd.check_lines import CHECK_SCHEMA
from syncd.commands.check import iter_json
from syncd.core.models import Finding, Severity
from tests.bench.scale_store import NOW

TEXTS = (
    "plain",
    "Нет раздела «Цель»",
    'a "quoted" \\ backslash',
    "\x1d raw markers \x1e",
    "\\u001d written out",
    '"queued_until": "\x1e", ',
    '", "detected_at": "',
    "",
)
DATA = ({}, {"section": "goal"}, {"queued_until": "\x1e"}, {"z": "\x1d", "a": "ÉQUIPE"})


def _reference(finding: Finding, queued: str | None) -> str:
    obj: dict[str, object] = {
        "schema": CHECK_SCHEMA,
        "source": finding.source,
        "key": finding.task_key,
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
        "fingerprint": finding.fingerprint,
        "detected_at": finding.detected_at.isoformat(),
        "data": finding.data,
    }
    if queued is not None:
        obj["queued_until"] = queued
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def test_filled_lines_are_json_dumps_of_the_finding() -> None:
    queued_at = NOW.replace(hour=10)
    for message, data, key, queued in itertools.product(
        TEXTS, DATA, ("SHOP-1", "group/project#12", "ПРОЕКТ-7"), (None, queued_at)
    ):
        finding = Finding(
            rule="required-sections",
            source="agency",
            task_key=key,
            severity=Severity.ERROR,
            message=message,
            fingerprint=f"fp-{message[:3]}",
            detected_at=NOW,
            data=data,
        )
        (line,) = iter_json([(finding, queued)])  # line_template, filled
        expected = _reference(finding, None if queued is None else queued.isoformat())
        assert line == expected
        assert json.loads(line)["message"] == message
