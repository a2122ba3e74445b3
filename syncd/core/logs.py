"""structlog set-up: JSON in containers, readable lines on a terminal, secrets redacted.

Secrets are ``SecretStr`` everywhere, which already prints as ``**********``, and error text
from trackers and channels is masked where it enters (``syncd.core.secrets_mask``). The redaction
processor is the second line of defence: it masks every registered secret again, in all its
forms, and values that arrive as plain strings under telling names (token, password,
authorization…) or in a URL's user info.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from syncd.core.secrets_mask import MASK, mask_secrets

__all__ = ["configure_logging", "get_logger", "redact"]

_SECRET_KEYS = re.compile(r"(token|password|secret|authorization|api[_-]?key|cookie)", re.I)
_SECRET_IN_TEXT = re.compile(
    r"(?i)((?:private-token|authorization|token|password|api[_-]?key)[\"']?\s*[:=]\s*[\"']?"
    r"(?:(?:bearer|basic|token)\s+)?)([^\s\"',;&]+)"
)
_CREDENTIALS_IN_URL = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/@\s]+@")
_MASK = MASK


def _scrub(value: Any) -> Any:
    """Mask secrets inside a value: text patterns, nested mappings and sequences."""
    if isinstance(value, str):
        value = _SECRET_IN_TEXT.sub(rf"\1{_MASK}", mask_secrets(value))
        return _CREDENTIALS_IN_URL.sub(rf"\1{_MASK}@", value)
    if isinstance(value, dict):
        return {
            k: (
                _MASK
                if isinstance(k, str) and _SECRET_KEYS.search(k) and v is not None
                else _scrub(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Last line of defence before rendering: runs after exceptions are formatted (JSON),
    so tracebacks are scrubbed too."""
    for key, value in list(event.items()):
        if _SECRET_KEYS.search(key) and value is not None:
            event[key] = _MASK
        else:
            event[key] = _scrub(value)
    return event


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    """Looks ``sys.stderr`` up when a logger is made, not when logging is configured, so a
    replaced stream (tests, daemonizing) is followed rather than written after it closed."""
    return structlog.PrintLogger(sys.stderr)


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        # Tracebacks become text here, before redaction, on both renderers.
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[*processors, redact, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "syncd", **context: Any) -> Any:
    """A lazy logger: module-level loggers must pick up ``configure_logging`` called later."""
    return structlog.get_logger(name, **context)
