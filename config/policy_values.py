"""The kinds of value the policy file holds, each validated in plain words.

A policy file is written by people and reloaded by a running daemon, so a value must mean
what it says or be refused, naming the field: ``poll_interval: true`` is not one second,
``.inf`` is not a duration (it made ``/readyz`` answer 500), ``99999999d`` is not an
interval anyone meant. A secret's *value* written where the *name* of its environment
variable belongs, or a URL carrying ``user:token@``, is refused without being repeated,
so the mistake does not put the secret on a terminal or in a log.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

__all__ = [
    "CooldownSeconds",
    "EnvName",
    "OverlapSeconds",
    "PollSeconds",
    "TimeoutSeconds",
    "boolean_for_number",
    "without_credentials",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_DAY = 86400.0
_EXPECTED_DURATION = "expected a duration such as 300, '90s', '5m' or '1h'"


def _say_seconds(seconds: float) -> str:
    for unit, size in (("d", _DAY), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _seconds(value: Any) -> float:
    """``300``, ``"300"``, ``"5m"``, ``"1h"`` (what people write in YAML) as seconds."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(_EXPECTED_DURATION)
    if not isinstance(value, str):
        return float(value)
    match = _DURATION.match(value)
    if not match:
        raise ValueError(_EXPECTED_DURATION)
    return float(match.group(1)) * _UNITS[match.group(2)]


def _duration(most: float) -> BeforeValidator:
    """Seconds in (0, ``most``], refused in plain words otherwise."""

    def bounded(value: Any) -> float:
        seconds = _seconds(value)
        if not math.isfinite(seconds):
            raise ValueError(f"{_EXPECTED_DURATION}; got {value!r}, which is not a finite number")
        if not 0 < seconds <= most:
            raise ValueError(f"must be more than 0 and at most {_say_seconds(most)}, got {value!r}")
        return seconds

    return BeforeValidator(bounded)


def _duration_schema(most: float) -> WithJsonSchema:
    """What an editor should accept: a number of seconds or a string such as '5m'."""
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": most},
                {"type": "string", "pattern": _DURATION.pattern},
            ]
        }
    )


_MAX_INTERVAL = 30 * _DAY
_MAX_COOLDOWN = 365 * _DAY
_MAX_OVERLAP = 7 * _DAY
_MAX_TIMEOUT = 600.0
PollSeconds = Annotated[float, _duration(_MAX_INTERVAL), _duration_schema(_MAX_INTERVAL)]
"""Poll and sweep intervals: at most 30 days."""
CooldownSeconds = Annotated[float, _duration(_MAX_COOLDOWN), _duration_schema(_MAX_COOLDOWN)]
"""How long a fixed finding stays quiet: at most a year."""
OverlapSeconds = Annotated[float, _duration(_MAX_OVERLAP), _duration_schema(_MAX_OVERLAP)]
"""How far back a poll looks again: at most a week."""
TimeoutSeconds = Annotated[float, _duration(_MAX_TIMEOUT), _duration_schema(_MAX_TIMEOUT)]
"""One request to a channel: at most ten minutes."""

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):  # never repeat the value: it may be the secret itself
        raise ValueError(
            "is not an environment variable name (upper-case letters, digits and _, e.g. "
            "JIRA_TOKEN): write the name of the variable here and put the secret itself in "
            "that variable or in the file named by NAME_FILE"
        )
    return value


EnvName = Annotated[
    str, AfterValidator(_env_name), Field(json_schema_extra={"pattern": _ENV_NAME.pattern})
]
"""The name of an environment variable holding a secret (never the secret)."""


def without_credentials(hint: str) -> AfterValidator:
    """Refuse ``https://user:token@host`` (a URL is shown by ``doctor``, stored in task
    links and printed in digests), saying where the credential goes instead (``hint``)."""

    def check(url: str) -> str:
        try:
            netloc = urlsplit(url).netloc
        except ValueError:
            raise ValueError("is not a valid URL") from None
        if "@" in netloc:
            raise ValueError(f"must not carry a user name or password (user:token@host): {hint}")
        return url

    return AfterValidator(check)


def _is_number(annotation: Any) -> bool:
    if annotation in (int, float):
        return True
    return any(_is_number(arg) for arg in get_args(annotation) if arg is not bool)


def boolean_for_number(annotation: Any, value: Any) -> bool:
    """Whether ``value`` puts ``true``/``false`` into a field holding numbers (``int`` or
    ``float``, optional or in a tuple), which pydantic would quietly read as 1 or 0."""
    if not _is_number(annotation):
        return False
    items = value if isinstance(value, list | tuple) else [value]
    return any(isinstance(item, bool) for item in items)
