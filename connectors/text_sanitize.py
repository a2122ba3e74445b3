"""Text from a tracker made safe to store, render and send, once, at the connector boundary.

Jira and GitLab return what their users and integrations typed, escapes included: JSON's
``"\\ud800"`` decodes to a lone surrogate, which no UTF-8 encoder accepts — storing the
task failed, and with it every cycle of the source. NUL is refused by PostgreSQL text
columns, and the other C0 controls (ESC above all) reach terminals, e-mail headers and
chat payloads. Both trackers' mappings pass every ``Task`` through ``clean_task`` so the
store, the digests and the channels never see such characters:

- a valid surrogate pair written as two escapes becomes the one character it encodes;
- a lone surrogate becomes U+FFFD (the replacement character: visibly "something was here");
- C0 controls other than tab, line feed and carriage return are removed.

Everything else — RTL marks and overrides, zero-width characters, emoji — is user text and
stays exactly as written (the channels isolate direction when they render it).
"""

from __future__ import annotations

import json
import re
from typing import Any

from syncd.core.models import Task

__all__ = ["clean_task", "clean_text"]

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` without lone surrogates and C0 controls (see the module docstring)."""
    if _UNSAFE.search(text) is None:
        return text  # the common case: no copy
    text = _CONTROLS.sub("", text)
    if _SURROGATE.search(text) is not None:
        # UTF-16 round trip: a high+low pair joins into its character, the rest → U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _clean(value: Any) -> tuple[Any, bool]:
    """``value`` (a model dump: dicts, lists, tuples, scalars) cleaned, and whether any
    string in it changed."""
    if isinstance(value, str):
        cleaned = clean_text(value)
        return cleaned, cleaned is not value
    if isinstance(value, dict):
        items = [(k, *_clean(v)) for k, v in value.items()]
        return {k: v for k, v, _ in items}, any(changed for _, _, changed in items)
    if isinstance(value, list | tuple):
        parts = [_clean(v) for v in value]
        return [v for v, _ in parts], any(changed for _, changed in parts)
    return value, False


def _clean_adf_source(source: str) -> tuple[str, bool]:
    """An ADF document kept as JSON text (``Task.description_source``): JSON escapes control
    characters (``\\u0000``), so they survive :func:`clean_text`; clean the document.
    Only a source holding such an escape is parsed again (JSON with ``ensure_ascii=False``
    writes every other character as itself, so nothing else can hide there)."""
    if "\\u00" not in source:
        return source, False
    try:
        document = json.loads(source)
    except (ValueError, RecursionError):
        return "", True  # not a document syncd can read back: rules use the sections
    cleaned, changed = _clean(document)
    if not changed:
        return source, False
    return json.dumps(cleaned, ensure_ascii=False, separators=(",", ":")), True


def clean_task(task: Task) -> Task:
    """``task`` with every text field cleaned; the very same object when nothing needed it."""
    data, changed = _clean(task.model_dump())
    if data.get("description_format") == "adf" and data.get("description_source"):
        data["description_source"], source_changed = _clean_adf_source(data["description_source"])
        changed = changed or source_changed
    return Task.model_validate(data) if changed else task
