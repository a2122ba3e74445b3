"""``syncd explain SOURCE:KEY``: syncd's reading of one task, from the store and the policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from config.policy import Policy
from syncd.core.errors import ConfigError, SyncdError
from syncd.explain import explain_task, render_text
from syncd.store import Store

__all__ = ["explain_text", "split_target"]


def split_target(target: str, source: str | None, sources: Sequence[str]) -> tuple[str, str]:
    """(source, key) from ``SOURCE:KEY``, or ``KEY`` with ``--source``, or ``KEY`` alone when
    the policy has one source. ConfigError naming the choices otherwise."""
    if source is None:
        prefix, sep, rest = target.partition(":")
        if sep and prefix in sources:
            source, target = prefix, rest
        elif len(sources) == 1:
            source = sources[0]
        else:
            raise ConfigError(
                f"{target!r}: say which source, as SOURCE:KEY or with --source "
                f"(the policy has {', '.join(sources)})"
            )
    if source not in sources:
        raise ConfigError(f"unknown source {source!r}; the policy has {', '.join(sources)}")
    if not target.strip():
        raise ConfigError("no task key given")
    return source, target.strip()


def explain_text(
    policy: Policy, store: Store, target: str, source: str | None, at: datetime
) -> str:
    names = [s.name for s in policy.sources]
    name, key = split_target(target, source, names)
    try:
        return render_text(explain_task(policy, store, name, key, at))
    except LookupError as exc:
        raise SyncdError(
            f"{exc}; run `syncd once` (or the daemon) to read it, or check the key"
        ) from None
