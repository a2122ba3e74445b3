"""Wiring shared by the CLI commands: settings + policy + store, built once per command."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config.loader import load_policy
from config.policy import Policy
from config.settings import Settings
from syncd.errors import ConfigError
from syncd.logs import configure_logging
from syncd.store import Store, open_store

__all__ = ["App", "load_app"]


@dataclass
class App:
    settings: Settings
    policy: Policy
    policy_path: Path
    store: Store


def load_app(config_path: Path | None, *, dry_run: bool = False) -> App:
    settings = Settings.load()
    if dry_run:
        settings = settings.model_copy(update={"dry_run": True})
    configure_logging(settings.log_level, settings.log_format)
    path = config_path or settings.config
    if path is None:
        raise ConfigError("no policy file: pass --config FILE or set SYNCD_CONFIG")
    policy = load_policy(path)
    store = open_store(settings.resolved_state_url())
    return App(settings=settings, policy=policy, policy_path=Path(path), store=store)
