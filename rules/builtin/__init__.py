"""The built-in rules, one module each; importing this package registers them all."""

import rules.builtin.checkpoint
import rules.builtin.due_date
import rules.builtin.due_soon
import rules.builtin.measurable_goal
import rules.builtin.overdue
import rules.builtin.priority_set
import rules.builtin.required_sections
import rules.builtin.single_owner
import rules.builtin.stale  # noqa: F401

__all__: list[str] = []
