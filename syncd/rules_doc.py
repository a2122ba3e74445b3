"""The README's rule table, generated from the rule registry.

Each rule says what it flags (``summary``), its default severity and its parameters in its
own module; the README shows them between ``<!-- rules-table:start -->`` and
``<!-- rules-table:end -->``, and a test compares that copy with :func:`rules_table_markdown`
— a new rule module without a README row fails the build.

    python -m syncd.rules_doc                        # print the table
    python -m syncd.rules_doc --write README.md      # replace it between the markers
    python -m syncd.rules_doc --check README.md      # exit 1 when it differs
"""

from __future__ import annotations

import sys

from rules.registry import all_rules
from syncd.settings_doc import table_command

__all__ = ["END", "START", "rules_table_markdown"]

START = "<!-- rules-table:start -->"
END = "<!-- rules-table:end -->"


def rules_table_markdown() -> str:
    """One row per registered rule, in the rules' own order."""
    lines = [
        "| rule | flags a task when | default severity | parameters |",
        "| --- | --- | --- | --- |",
    ]
    for cls in all_rules():
        params = ", ".join(f"`{name}`" for name in cls.Params.model_fields) or "—"
        summary = cls.summary.replace("|", "\\|") or "—"
        lines.append(f"| `{cls.name}` | {summary} | {cls.default_severity.value} | {params} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    return table_command(argv, "rules", rules_table_markdown(), START, END)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
