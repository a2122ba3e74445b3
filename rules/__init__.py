"""The account manager's rules: description sections, business calendar, rule engine.

``Engine.from_policy(policy).evaluate(tasks, now)`` is the entry point; the built-in rules
live in ``rules.builtin`` (one module each), reminder wording in ``rules.texts``.
"""

from rules.base import Context, Rule, RuleParams
from rules.calendar import BusinessCalendar
from rules.checkpoints import CheckpointMatcher, checkpoint_moment
from rules.engine import Engine
from rules.registry import get_rule, register, rule_names, validate_params
from rules.sections import parse_description, section_filled, to_plain_text

__all__ = [
    "BusinessCalendar",
    "CheckpointMatcher",
    "Context",
    "Engine",
    "Rule",
    "RuleParams",
    "checkpoint_moment",
    "get_rule",
    "parse_description",
    "register",
    "rule_names",
    "section_filled",
    "to_plain_text",
    "validate_params",
]
