"""``check --json``'s line for one finding, encoded once and kept (``kept_findings.line``).

A line is ``json.dumps`` of the finding's object with sorted keys. What varies between
runs over the same kept result is only the detection moment and the source's "queued
until" moment, so a line is kept as a template with two markers, filled by plain string
replacement over many lines at once: a run reading kept results encodes no JSON.

The markers are control characters, which ``json.dumps`` always escapes (``\\u001d``):
they cannot occur anywhere else in an encoded line, whatever the message or data hold.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

__all__ = ["AT", "CHECK_SCHEMA", "QUEUED", "fill", "line_template", "queued_field"]

CHECK_SCHEMA = "syncd.check/1"
AT = "\x1d"
"""Stands for the detection moment (the text between the quotes of ``detected_at``)."""
QUEUED = "\x1e"
"""Stands for the ``"queued_until": "…", `` member, or nothing when not queued."""


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
# The markers as the encoder writes them inside a string: "detected_at" and "queued_until"
# are given the markers as values, then the escaped forms are put back to markers.
_AT_ESCAPED = "\\u001d"
_QUEUED_ESCAPED = '"queued_until": "\\u001e", '


def _members(obj: Mapping[str, object]) -> str:
    """The members of ``obj`` as ``json.dumps(..., sort_keys=True)`` writes them, without
    the braces."""
    return _ENCODER.encode(obj)[1:-1]


def line_template(
    source: str,
    key: str,
    *,
    rule: str,
    severity: str,
    message: str,
    fingerprint: str,
    data: Mapping[str, str],
) -> str:
    """The line of one finding with ``AT`` and ``QUEUED`` in place of the moments. The
    members are in sorted key order (data, detected_at, fingerprint, key, message,
    queued_until, rule, schema, severity, source), as ``json.dumps`` of the whole object
    with ``sort_keys=True`` writes them."""
    line = _ENCODER.encode(
        {
            "data": data,
            "detected_at": AT,
            "fingerprint": fingerprint,
            "key": key,
            "message": message,
            "queued_until": QUEUED,
            "rule": rule,
            "schema": CHECK_SCHEMA,
            "severity": severity,
            "source": source,
        }
    )
    if line.count(_AT_ESCAPED) == 1 and line.count(_QUEUED_ESCAPED) == 1:
        return line.replace(_AT_ESCAPED, AT).replace(_QUEUED_ESCAPED, QUEUED)
    # The text itself holds a marker's escaped form: encode around the moments instead.
    head = _members({"data": data})
    middle = _members({"fingerprint": fingerprint, "key": key, "message": message})
    tail = _members({"rule": rule, "schema": CHECK_SCHEMA, "severity": severity, "source": source})
    return f'{{{head}, "detected_at": "{AT}", {middle}, {QUEUED}{tail}}}'


def queued_field(until: datetime | None) -> str:
    """What ``QUEUED`` becomes: the member and its separator, or nothing."""
    return "" if until is None else f'"queued_until": "{until.isoformat()}", '


def fill(templates: str, at: str, queued: str) -> str:
    """Lines (one template or many joined) with the markers replaced."""
    return templates.replace(AT, at).replace(QUEUED, queued)
