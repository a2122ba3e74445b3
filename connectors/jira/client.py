"""Setting up the ``jira`` library for one source: auth, flavour, REST version, our session.

The library decides Cloud vs Data Center from ``serverInfo.deploymentType`` only when it
fetches server info itself, and with ``get_server_info=False`` it silently falls back to the
removed ``/search``. We build it without that first request, swap in ``RetryingSession``
(so even the first request goes through our one retry layer), ask ``serverInfo`` ourselves
over REST v2 (both flavours have it) and then tell the client what it is talking to. That
needs three attributes the library has no setter for (``_session``, ``_options``,
``_version``); they are set here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jira import JIRA
from pydantic import SecretStr

from config.policy import SourceConfig
from connectors.http.retry import RetryPolicy
from connectors.jira.errors import jira_errors
from connectors.jira.session import DEFAULT_TIMEOUT, RetryingSession
from syncd.core.errors import ConfigError
from syncd.core.secrets_mask import register_secret

__all__ = ["Site", "auth_options", "connect"]


@dataclass
class Site:
    client: JIRA
    session: RetryingSession
    cloud: bool
    api_version: str
    server_info: dict[str, Any]
    detected_cloud: bool
    """What ``deploymentType`` said, whatever ``flavour`` forced."""

    @property
    def body_format(self) -> str:
        return "adf" if self.api_version == "3" else "wiki"

    def url(self, path: str) -> str:
        return str(self.client._get_url(path))

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET a REST resource as JSON (for endpoints the library pages incompletely)."""
        return self.client._get_json(path, params=params)

    def close(self) -> None:
        self.client.close()  # type: ignore[no-untyped-call]


def auth_options(config: SourceConfig, token: SecretStr) -> dict[str, Any]:
    """The ``JIRA(...)`` auth keyword for the source; the one place the kind is checked
    (the connector calls it at construction so a wrong kind fails before any request).
    The token is registered for masking with the user it is sent with: an error page that
    quotes the Basic header back is masked too."""
    register_secret(token, user=config.auth.user if config.auth.kind == "basic" else None)
    if config.auth.kind == "basic":
        return {"basic_auth": (config.auth.user or "", token.get_secret_value())}
    if config.auth.kind == "bearer":
        return {"token_auth": token.get_secret_value()}
    raise ConfigError(
        f"source {config.name!r}: Jira needs auth.kind basic (Cloud e-mail + API token) "
        f"or bearer (Data Center PAT), not {config.auth.kind!r}"
    )


def connect(
    config: SourceConfig,
    token: SecretStr,
    *,
    policy: RetryPolicy,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    api_version: str | None = None,
) -> Site:
    auth = auth_options(config, token)
    client = JIRA(
        config.url,
        options={"rest_api_version": "2", "check_update": False},
        get_server_info=False,
        max_retries=0,
        timeout=timeout,
        **auth,
    )
    old = client._session
    session = RetryingSession.replacing(old, policy, timeout)
    old.close()
    client._session = session
    try:
        with jira_errors("server info", config.name):
            info: dict[str, Any] = client.server_info() or {}
    except BaseException:
        client.close()  # type: ignore[no-untyped-call]
        raise
    detected = str(info.get("deploymentType", "")).lower() == "cloud"
    cloud = detected if config.flavour == "auto" else config.flavour == "cloud"
    version = api_version or ("3" if cloud else "2")
    client._options["rest_api_version"] = version
    client.deploymentType = "Cloud" if cloud else (info.get("deploymentType") or "Server")
    client._version = tuple(info.get("versionNumbers") or (0, 0, 0))
    return Site(
        client=client,
        session=session,
        cloud=cloud,
        api_version=version,
        server_info=info,
        detected_cloud=detected,
    )
