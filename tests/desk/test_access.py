"""Signed links and the proxy's trust list at their edges, and the desk's settings refused
in plain words before it serves anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.policy import Policy
from config.settings import Settings
from syncd.core.errors import ConfigError
from syncd.desk.access import ProxyAccess, parse_networks, sign_link, verify_token
from syncd.desk.app import Desk

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
POLICY = Policy.model_validate(
    {
        "sources": [
            {
                "name": "s",
                "type": "jira",
                "url": "https://jira.example",
                "auth": {"kind": "bearer", "secret": "T"},
                "scope": {"jql": "project = P"},
            }
        ],
        "managers": [
            {"name": "Ольга", "email": "olga@agency.example", "owns": [{"source": "s"}]},
            {"name": "Boris", "owns": [{"source": "s"}]},
        ],
    }
)


def test_link_round_trip_expiry_and_other_secret() -> None:
    token = sign_link("secret", "Ольга", NOW, days=1)
    assert verify_token("secret", token, NOW) == "Ольга"  # any name, in URL-safe form
    assert "/" not in token
    assert "+" not in token
    assert verify_token("secret", token, NOW + timedelta(days=1)) is None  # expired
    assert verify_token("other", token, NOW) is None
    assert verify_token("secret", token + "x" * 3000, NOW) is None
    with pytest.raises(ValueError, match="positive"):
        sign_link("secret", "Ольга", NOW, days=0)


def test_proxy_matches_email_or_name_only_from_trusted_networks() -> None:
    proxy = ProxyAccess("X-Forwarded-Email", parse_networks("10.0.0.0/8, ::1"))
    assert proxy.manager(POLICY, "10.1.2.3", " OLGA@agency.example ") == "Ольга"
    assert proxy.manager(POLICY, "::1", "boris") == "Boris"
    assert proxy.manager(POLICY, "192.168.0.1", "olga@agency.example") is None
    assert proxy.manager(POLICY, "not-an-ip", "olga@agency.example") is None
    assert proxy.manager(POLICY, "10.1.2.3", "") is None
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300'"):
        parse_networks("10.0.0.300")


def test_proxy_mode_needs_a_trust_list(tmp_path: Path) -> None:
    def desk(**values: object) -> Desk:
        settings = Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]
        return Desk(settings, lambda: POLICY, None, lambda: NOW)  # type: ignore[arg-type]

    with pytest.raises(ConfigError, match="SYNCD_DESK_TRUSTED_PROXIES is empty"):
        desk(desk_proxy_header="X-Forwarded-Email")
    with pytest.raises(ConfigError, match=r"SYNCD_DESK_TRUSTED_PROXIES: 'proxy\.local'"):
        desk(desk_proxy_header="X-Forwarded-Email", desk_trusted_proxies="proxy.local")
    assert desk(desk_secret=SecretStr("s")).proxy is None
