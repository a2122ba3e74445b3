"""One exception tree for syncd; everything raised on purpose is a ``SyncdError``::

    SyncdError
    ├── ConfigError            bad settings or policy file (names file, path, line)
    ├── StoreError             state database unusable (corrupt, newer schema)
    ├── ConnectorError         anything a tracker did; carries source and status
    │   ├── RetriableError     connection, timeout, 429, 5xx: try again later
    │   │   └── RateLimitedError   429/503 with the wait the server asked for
    │   ├── FatalError         the request itself is wrong (400, 404, bad data)
    │   └── AuthError          401/403: credentials or permissions
    ├── RuleError              a rule or its parameters are wrong
    └── ChannelError           a digest could not be delivered
        ├── (retriable flag)   delivery may succeed next cycle
        ├── DeliveryUnknownError   sent, but no answer came: maybe delivered, never resent
        └── PartialDeliveryError   accepted for some recipients: recorded as sent, never resent

Errors are mapped at the boundary (connectors, channels) so the daemon can tell expected
failures (logged once per streak) from bugs (logged with a traceback). Messages never
contain secrets: connectors build them from status codes and response bodies only.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ChannelError",
    "ConfigError",
    "ConfigIssue",
    "ConnectorError",
    "DeliveryUnknownError",
    "FatalError",
    "PartialDeliveryError",
    "RateLimitedError",
    "RetriableError",
    "RuleError",
    "StoreError",
    "SyncdError",
]

from dataclasses import dataclass


class SyncdError(Exception):
    """Base of every error syncd raises deliberately."""


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a configuration file, located precisely."""

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        if not self.file and not self.path:
            return self.message  # not about a file: e.g. a secret's variable is not set
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path or '<root>'}: {self.message}"


class ConfigError(SyncdError):
    def __init__(self, issues: list[ConfigIssue] | str) -> None:
        if isinstance(issues, str):
            issues = [ConfigIssue(file="", path="", message=issues)]
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class StoreError(SyncdError):
    pass


class ConnectorError(SyncdError):
    def __init__(self, message: str, *, source: str = "", status: int | None = None) -> None:
        self.source = source
        self.status = status
        prefix = f"[{source}] " if source else ""
        suffix = f" (HTTP {status})" if status else ""
        super().__init__(f"{prefix}{message}{suffix}")


class RetriableError(ConnectorError):
    pass


class RateLimitedError(RetriableError):
    def __init__(
        self, message: str, *, retry_after: float, source: str = "", status: int | None = 429
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, source=source, status=status)


class FatalError(ConnectorError):
    pass


class AuthError(ConnectorError):
    pass


class RuleError(SyncdError):
    pass


class ChannelError(SyncdError):
    def __init__(self, message: str, *, channel: str = "", retriable: bool = True) -> None:
        self.channel = channel
        self.retriable = retriable
        super().__init__(f"[{channel}] {message}" if channel else message)


class PartialDeliveryError(ChannelError):
    """The message was accepted for some recipients and refused for others (an SMTP
    server answering 550 to one ``RCPT TO``). It went out: sending it again would give the
    accepted recipients a second copy, so it is recorded as sent, with the refusal, and
    logged for the operator to fix the address."""

    def __init__(self, message: str, *, refused: tuple[str, ...], channel: str = "") -> None:
        self.refused = refused
        super().__init__(message, channel=channel, retriable=False)


class DeliveryUnknownError(ChannelError):
    """The message went out and no answer came back (a read timeout, a connection dropped
    after sending): it may have been delivered. Recorded as "delivery unknown" in the
    digest ledger and never sent again, because a digest is sent at most once."""

    def __init__(self, message: str, *, channel: str = "") -> None:
        super().__init__(message, channel=channel, retriable=False)
