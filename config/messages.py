"""Pydantic's validation messages in plain words, naming the field.

The people who read ``syncd config validate`` and start-up errors write YAML and
environment variables, not Python: "Tuple should have at least 1 item after validation"
means nothing to them, "owns needs at least 1 item" does. The callers keep the file, line
and path; this module only rewrites the message. The value that was given is never
repeated here: a secret written in the wrong place must not be echoed back.

Unknown error types keep pydantic's own message (minus its "Value error, " prefix, which
precedes syncd's own validator messages).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic_core import ErrorDetails

__all__ = ["plain_message"]


def _items(count: Any) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _number(value: Any) -> str:
    """``0`` rather than pydantic's ``0.0`` for a float bound that is a whole number."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _characters(count: Any) -> str:
    return "must not be empty" if count == 1 else f"must be at least {count} characters long"


_Template = Callable[[str, Mapping[str, Any]], str]

_NUMBER = "{} must be a whole number"
_DATETIME = "{} must be a date and time with its UTC offset, such as 2026-11-24T09:00:00+03:00"

_PLAIN: dict[str, _Template] = {
    "missing": lambda f, c: f"{f} is required",
    "extra_forbidden": lambda f, c: f"{f} is not a known key (check the spelling)",
    "int_parsing": lambda f, c: _NUMBER.format(f),
    "int_type": lambda f, c: _NUMBER.format(f),
    "int_from_float": lambda f, c: _NUMBER.format(f),
    "float_parsing": lambda f, c: f"{f} must be a number",
    "float_type": lambda f, c: f"{f} must be a number",
    "bool_parsing": lambda f, c: f"{f} must be true or false",
    "bool_type": lambda f, c: f"{f} must be true or false",
    "string_type": lambda f, c: f"{f} must be text",
    "too_short": lambda f, c: f"{f} needs at least {_items(c.get('min_length'))}",
    "too_long": lambda f, c: f"{f} takes at most {_items(c.get('max_length'))}",
    "string_too_short": lambda f, c: f"{f} {_characters(c.get('min_length'))}",
    "string_too_long": lambda f, c: f"{f} must be at most {c.get('max_length')} characters long",
    "greater_than": lambda f, c: f"{f} must be greater than {_number(c.get('gt'))}",
    "greater_than_equal": lambda f, c: f"{f} must be {_number(c.get('ge'))} or more",
    "less_than": lambda f, c: f"{f} must be less than {_number(c.get('lt'))}",
    "less_than_equal": lambda f, c: f"{f} must be {_number(c.get('le'))} or less",
    "list_type": lambda f, c: f"{f} must be a list",
    "tuple_type": lambda f, c: f"{f} must be a list",
    "set_type": lambda f, c: f"{f} must be a list",
    "dict_type": lambda f, c: f"{f} must be a mapping of keys to values",
    "model_type": lambda f, c: f"{f} must be a mapping of keys to values",
    "model_attributes_type": lambda f, c: f"{f} must be a mapping of keys to values",
    "literal_error": lambda f, c: f"{f} must be one of {c.get('expected')}",
    "enum": lambda f, c: f"{f} must be one of {c.get('expected')}",
    "string_pattern_mismatch": lambda f, c: (
        f"{f} does not have the expected form (pattern {c.get('pattern')})"
    ),
    "datetime_parsing": lambda f, c: _DATETIME.format(f),
    "datetime_type": lambda f, c: _DATETIME.format(f),
    "datetime_from_date_parsing": lambda f, c: _DATETIME.format(f),
    "timezone_aware": lambda f, c: _DATETIME.format(f),
    "date_parsing": lambda f, c: f"{f} must be a date such as 2026-11-24",
    "date_type": lambda f, c: f"{f} must be a date such as 2026-11-24",
    "date_from_datetime_parsing": lambda f, c: f"{f} must be a date such as 2026-11-24",
    "time_parsing": lambda f, c: f"{f} must be a time of day such as 09:00",
    "time_type": lambda f, c: f"{f} must be a time of day such as 09:00",
    "url_parsing": lambda f, c: f"{f} must be a URL such as https://example.com",
    "url_type": lambda f, c: f"{f} must be a URL such as https://example.com",
    "url_scheme": lambda f, c: f"{f} must be a URL starting with {c.get('expected_schemes')}",
    "union_tag_invalid": lambda f, c: (
        f"{f}: {c.get('tag')!r} is not a known {c.get('discriminator')};"
        f" expected one of {c.get('expected_tags')}"
    ),
    "union_tag_not_found": lambda f, c: f"{f} needs a {c.get('discriminator')}",
}

_PREFIXES = ("Value error, ", "Assertion failed, ")


def _field(loc: tuple[int | str, ...]) -> str:
    """The field as the person wrote it: its key, with the list index if it is one item
    (``to[1]``); pydantic's internal tags (``function-after[…]``) are left out."""
    parts = [p for p in loc if isinstance(p, int) or not p.startswith("function-")]
    last_key = max((i for i, p in enumerate(parts) if isinstance(p, str)), default=None)
    if last_key is None:
        return "the value"
    return str(parts[last_key]) + "".join(f"[{p}]" for p in parts[last_key + 1 :])


def plain_message(error: ErrorDetails) -> str:
    """``error``'s message in plain words, naming the field; the path is the caller's."""
    template = _PLAIN.get(error["type"])
    if template is not None:
        return template(_field(error["loc"]), error.get("ctx") or {})
    message = error["msg"]
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    return message
