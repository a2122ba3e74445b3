"""Name → rule class registry (the Cloud Custodian pattern).

Rules register with ``@register("name")``; the policy names them. An unknown name fails with
the list of valid ones, and parameters are validated by the rule's own pydantic model when
the policy is loaded (``config.loader`` calls :func:`validate_params`), before anything runs.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import textwrap
from collections.abc import Callable
from typing import Any, TypeVar

from rules.base import Rule
from syncd.core.errors import RuleError

__all__ = [
    "all_rules",
    "default_rule_names",
    "get_rule",
    "register",
    "rule_example",
    "rule_names",
    "validate_params",
]

_RULES: dict[str, type[Rule]] = {}
R = TypeVar("R", bound=type[Rule])
_EXAMPLE = re.compile(
    r"^(?P<indent>[ \t]*)example:[ \t]*\n(?P<body>(?:(?P=indent)[ \t]+\S.*\n|[ \t]*\n)+)", re.M
)


def register(name: str) -> Callable[[R], R]:
    def decorate(cls: R) -> R:
        if name in _RULES and _RULES[name] is not cls:
            raise RuleError(
                f"rule {name!r} registered twice ({_RULES[name].__name__}, {cls.__name__})"
            )
        cls.name = name
        _RULES[name] = cls
        return cls

    return decorate


def _load_builtins() -> None:
    """Import every module of ``rules.builtin``: a new rule is one new module there.
    Lazily, since the built-in modules import this one for ``register``."""
    import rules.builtin

    for module in pkgutil.iter_modules(rules.builtin.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"rules.builtin.{module.name}")


def default_rule_names() -> tuple[str, ...]:
    """The rules a policy without a ``rules:`` list runs: every rule whose
    ``default_enabled`` is set, in their ``order``."""
    _load_builtins()
    chosen = [cls for cls in _RULES.values() if cls.default_enabled]
    return tuple(cls.name for cls in sorted(chosen, key=lambda c: (c.order, c.name)))


def all_rules() -> list[type[Rule]]:
    """Every registered rule, in ``order`` (the README's table, the digest's labels)."""
    _load_builtins()
    return sorted(_RULES.values(), key=lambda c: (c.order, c.name))


def rule_names() -> list[str]:
    _load_builtins()
    return sorted(_RULES)


def get_rule(name: str) -> type[Rule]:
    _load_builtins()
    try:
        return _RULES[name]
    except KeyError:
        raise RuleError(
            f"unknown rule {name!r}; valid rules: {', '.join(sorted(_RULES))}"
        ) from None


def validate_params(name: str, params: dict[str, Any]) -> None:
    """RuleError for an unknown rule; pydantic ValidationError for bad parameters."""
    get_rule(name).Params.model_validate(params)


def rule_example(cls: type[Rule]) -> str:
    """The YAML under ``example:`` in a rule's docstring (a ``rules:`` list)."""
    match = _EXAMPLE.search((cls.__doc__ or "") + "\n")
    if match is None:
        raise RuleError(f"rule {cls.name!r} has no 'example:' block in its docstring")
    return textwrap.dedent(match.group("body")).strip() + "\n"
