"""``syncd desk link --manager NAME``: a signed link to a manager's desk."""

from __future__ import annotations

from datetime import datetime

from config.policy import Policy
from config.settings import Settings
from syncd.core.errors import ConfigError
from syncd.desk.access import sign_link

__all__ = ["desk_link"]


def desk_link(  # noqa: PLR0917 - the command's options, in order
    settings: Settings,
    policy: Policy,
    manager: str,
    days: float,
    now: datetime,
    base_url: str | None = None,
) -> str:
    """The URL that logs ``manager`` in for ``days``; ConfigError when the desk has no
    secret or the policy has no such manager (the known names are listed: the operator
    running this command may see them)."""
    if settings.desk_secret is None:
        raise ConfigError(
            "SYNCD_DESK_SECRET is not set: the desk's signed links need it "
            "(set it, or SYNCD_DESK_SECRET_FILE, for the daemon and for this command)"
        )
    names = [m.name for m in policy.managers]
    if manager not in names:
        raise ConfigError(
            f"no manager {manager!r} in the policy (managers: {', '.join(names) or 'none'})"
        )
    if not 0 < days <= 366:
        raise ConfigError(f"--days: expected 1 to 366, got {days:g}")
    token = sign_link(settings.desk_secret.get_secret_value(), manager, now, days)
    if base_url is None:
        host = (
            settings.http_host if settings.http_host not in {"0.0.0.0", "", "::"} else "localhost"
        )
        base_url = f"http://{host}:{settings.http_port}"
    return f"{base_url.rstrip('/')}/desk/login/{token}"
