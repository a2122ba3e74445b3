"""The README's environment-variables table, generated from the settings model.

The table is written between ``<!-- settings-table:start -->`` and
``<!-- settings-table:end -->``; a test compares it with :func:`settings_table_markdown`, so
adding or changing a setting without updating the README fails the build.

    python -m syncd.settings_doc            # print the table
    python -m syncd.settings_doc --write README.md   # replace it between the markers
    python -m syncd.settings_doc --check README.md   # exit 1 when it differs
"""

from __future__ import annotations

import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from config.settings import Settings

__all__ = [
    "END",
    "START",
    "replace_table",
    "settings_table_markdown",
    "table_in",
]

START = "<!-- settings-table:start -->"
END = "<!-- settings-table:end -->"


def _is_secret(field: FieldInfo) -> bool:
    return field.annotation in (SecretStr, SecretStr | None)


def _choices(annotation: Any) -> list[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return []


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return "see description"  # computed at start-up (e.g. from the user's home)
    value = field.default
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Path):
        text = value.as_posix()
        return f"`{text if value.is_absolute() else './' + text}`"
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def settings_table_markdown() -> str:
    """One row per ``Settings`` field: variable(s), default, description (and choices)."""
    lines = ["| Variable | Default | Description |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        var = f"`SYNCD_{name.upper()}`"
        if _is_secret(field):
            var += f"<br>`SYNCD_{name.upper()}_FILE`"
        description = field.description or ""
        choices = _choices(field.annotation)
        if choices:
            description += " One of " + ", ".join(f"`{c}`" for c in choices) + "."
        if _is_secret(field):
            description += " Secret: never logged."
        lines.append(f"| {var} | {_default(field)} | {_cell(description.strip())} |")
    return "\n".join(lines) + "\n"


def table_in(text: str, start_mark: str = START, end_mark: str = END) -> str | None:
    """The text between the markers (without them), or None when they are missing."""
    start, end = text.find(start_mark), text.find(end_mark)
    if start < 0 or end < start:
        return None
    return text[start + len(start_mark) : end].strip("\n") + "\n"


def replace_table(text: str, table: str, start_mark: str = START, end_mark: str = END) -> str:
    start, end = text.find(start_mark), text.find(end_mark)
    if start < 0 or end < start:
        raise ValueError(f"markers {start_mark} … {end_mark} not found")
    return text[: start + len(start_mark)] + "\n" + table + text[end:]


def table_command(
    argv: list[str], what: str, table: str, start_mark: str = START, end_mark: str = END
) -> int:
    """``[--write|--check FILE]``: print the table, write it between the markers, or exit 1
    when the file's copy differs."""
    if len(argv) == 2 and argv[0] in {"--write", "--check"}:
        path = Path(argv[1])
        text = path.read_text(encoding="utf-8")
        if argv[0] == "--check":
            ok = table_in(text, start_mark, end_mark) == table
            print(f"{path}: {what} table {'up to date' if ok else 'differs'}")
            return 0 if ok else 1
        path.write_text(replace_table(text, table, start_mark, end_mark), encoding="utf-8")
        return 0
    sys.stdout.write(table)
    return 0


def main(argv: list[str]) -> int:
    return table_command(argv, "settings", settings_table_markdown())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
