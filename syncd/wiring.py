"""Wiring shared by the CLI commands: settings + policy + store, built once per command."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from config.policy import Policy
from config.settings import Settings
from syncd.core.errors import ConfigError, StoreError
from syncd.core.logs import configure_logging
from syncd.policy_file import read_policy
from syncd.store import Store, open_store

__all__ = ["App", "check_state_dir", "load_app"]


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
    policy = read_policy(path)
    state_url = settings.resolved_state_url()
    check_state_dir(state_url)
    store = open_store(state_url)
    return App(settings=settings, policy=policy, policy_path=Path(path), store=store)


def check_state_dir(state_url: str) -> None:
    """A SQLite state file's directory must be writable by this process (SQLite also puts
    its journal there). SQLite itself says only "unable to open database file"; the usual
    cause is a container volume owned by another uid, so name the directory and who we are.
    """
    if not state_url.startswith("sqlite:///"):
        return
    path = state_url.removeprefix("sqlite:///").split("?", 1)[0]
    if path in ("", ":memory:"):
        return
    directory = Path(path).parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass  # a real write: permission bits alone miss read-only mounts
    except OSError as exc:
        raise StoreError(
            f"state directory {directory} cannot be written by this process "
            f"(uid {os.getuid()}, gid {os.getgid()}): {exc.strerror}. Make it writable for "
            "that uid (in a container: a volume owned by it, e.g. chown 10001:10001 on the "
            "host directory, or a named volume) or set SYNCD_DATA_DIR / SYNCD_STATE_URL"
        ) from None
