"""structlog set-up: JSON in containers, readable lines on a terminal, secrets redacted.

Secrets are ``SecretStr`` everywhere, which already prints as ``**********``; the redaction
processor is the second line of defence for values that arrive as plain strings under
telling names (token, password, authorization…).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["configure_logging", "get_logger", "redact"]

_SECRET_KEYS = re.compile(r"(token|password|secret|authorization|api[_-]?key|cookie)", re.I)
_SECRET_IN_TEXT = re.compile(
    r"(?i)((?:private-token|authorization|token|password)[\"']?\s*[:=]\s*[\"']?)([^\s\"',;]+)"
)


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if _SECRET_KEYS.search(key) and value is not None:
            event[key] = "**********"
        elif isinstance(value, str):
            event[key] = _SECRET_IN_TEXT.sub(r"\1**********", value)
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
    ]
    if use_json:
        processors.append(structlog.processors.format_exc_info)
    structlog.configure(
        processors=[*processors, redact, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "syncd", **context: Any) -> Any:
    """A lazy logger: module-level loggers must pick up ``configure_logging`` called later."""
    return structlog.get_logger(name, **context)
