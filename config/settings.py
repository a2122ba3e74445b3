"""Process settings: where state lives, how to log, where to listen.

Read from ``SYNCD_*`` environment variables and an optional ``.env`` file. Secrets are
``SecretStr`` and may come from a file instead (``SYNCD_X_FILE=/run/secrets/x``), the
convention container platforms use for mounted secrets.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.messages import plain_message
from syncd.core.errors import ConfigError, ConfigIssue
from syncd.core.secrets_mask import register_secret

__all__ = ["Settings", "resolve_secret"]


def _default_data_dir() -> Path:
    """One state database per user, not per working directory: two runs from different
    directories must not each believe nothing was posted yet."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "syncd"


class Settings(BaseSettings):
    """Everything about the process; everything about the agency's rules is in the policy."""

    model_config = SettingsConfigDict(
        env_prefix="SYNCD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    config: Path | None = Field(
        default=None, description="Path of the YAML policy file (sources, rules, managers)."
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Directory for the SQLite state file (default: $XDG_DATA_HOME/syncd, "
        "i.e. ~/.local/share/syncd — the same wherever syncd is started; /data in the image).",
    )
    state_url: str | None = Field(
        default=None,
        description=(
            "State store URL: sqlite:///path/syncd.db (default: under data_dir) or "
            "postgresql://user@host/db for several replicas."
        ),
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Minimum log level."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto = console on a terminal, JSON otherwise."
    )
    http_host: str = Field(
        default="0.0.0.0", description="Bind address of health/metrics/webhooks."
    )
    http_port: int = Field(default=8080, description="Port of health/metrics/webhooks; 0 = off.")
    dry_run: bool = Field(default=False, description="Never write to trackers or send digests.")
    shutdown_timeout: float = Field(default=20.0, description="Seconds to finish on SIGTERM.")
    progress_every: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description=(
            "Seconds between `sync.progress` log lines while a long cycle (a backfill) runs; "
            "a cycle shorter than this logs none."
        ),
    )
    replica_id: str | None = Field(
        default=None,
        description=(
            "Name of this replica in source leases and ledgers (default: the host name); "
            "set a distinct one for each replica sharing a host."
        ),
    )
    lease_ttl: float = Field(
        default=60.0,
        gt=0,
        description=(
            "PostgreSQL only: seconds a source lease lasts unless renewed (every third of "
            "it); a dead replica's sources move to the others within about this time."
        ),
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret for Jira/GitLab webhooks (or _FILE); without it the "
        "webhook endpoints answer 404.",
    )
    webhook_insecure: bool = Field(
        default=False,
        description="Accept webhooks without SYNCD_WEBHOOK_SECRET: anyone who reaches the "
        "port can then trigger tracker reads (a warning is logged at every start).",
    )
    desk_secret: SecretStr | None = Field(
        default=None,
        description="Enables the manager's desk (/desk/) with signed links "
        "(`syncd desk link`); rotating it revokes every link (or _FILE).",
    )
    desk_proxy_header: str | None = Field(
        default=None,
        description="Enables the desk behind an authenticating reverse proxy: the header "
        "naming the person (X-Forwarded-Email or X-Forwarded-User), matched to a manager's "
        "email or name.",
    )
    desk_trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses/networks of the reverse proxy; the desk "
        "proxy header is ignored from any other address.",
    )
    clock_start: AwareDatetime | None = Field(
        default=None,
        description="Rehearsals and tests only: the process clock starts at this moment "
        "(ISO 8601 with offset) and runs on from there; combine with dry-run.",
    )
    max_parallel_sources: int = Field(default=4, description="Sources polled at the same time.")

    def model_post_init(self, context: Any, /) -> None:
        # A caller quoting the webhook secret back must not see it in our logs either.
        register_secret(self.webhook_secret)
        register_secret(self.desk_secret)

    def resolved_state_url(self) -> str:
        if self.state_url:
            return self.state_url
        return f"sqlite:///{(self.data_dir / 'syncd.db').as_posix()}"

    @classmethod
    def load(cls) -> Settings:
        """Settings from the environment; a bad value is a ``ConfigError`` naming it."""
        try:
            return cls._load()
        except ValidationError as exc:
            issues = [
                ConfigIssue(
                    "environment",
                    "SYNCD_" + "_".join(str(p) for p in err["loc"]).upper(),
                    f"{plain_message(err)} (got {err.get('input')!r})",
                )
                for err in exc.errors()
            ]
            raise ConfigError(issues) from None

    @classmethod
    def _load(cls) -> Settings:
        """Build settings, reading ``SYNCD_<NAME>_FILE`` for secret fields first."""
        overrides: dict[str, object] = {}
        for name, field in cls.model_fields.items():
            if field.annotation in (SecretStr, SecretStr | None):
                value = _read_secret_file(f"SYNCD_{name.upper()}_FILE")
                if value is not None:
                    overrides[name] = SecretStr(value)
        return cls(**overrides)  # type: ignore[arg-type]


def _read_secret_file(var: str) -> str | None:
    path = os.environ.get(var)
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{var}: cannot read secret file {path}: {exc.strerror}") from None


def resolve_secret(name: str, env: dict[str, str] | None = None) -> SecretStr:
    """Resolve a secret the policy refers to by name: ``$NAME`` or the file in ``$NAME_FILE``.

    The policy file never holds secrets, only their names, so it can live in git. Every
    value resolved is registered with ``syncd.core.secrets_mask``, so error text quoting it back
    is masked wherever it goes.
    """
    environ = os.environ if env is None else env
    if environ.get(name):
        register_secret(environ[name])
        return SecretStr(environ[name])
    file_var = f"{name}_FILE"
    if environ.get(file_var):
        try:
            value = Path(environ[file_var]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"secret {name}: cannot read {file_var}={environ[file_var]}: {exc.strerror}"
            ) from None
        register_secret(value)
        return SecretStr(value)
    raise ConfigError(
        f"secret {name} is not set: set the environment variable {name} or {file_var}"
    )
