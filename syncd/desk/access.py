"""Who is looking at the desk: a signed link, or an authenticating reverse proxy.

A signed link carries ``manager.expiry.signature``: the manager's name (URL-safe base64),
the expiry (Unix seconds) and HMAC-SHA256 of both under the server's desk secret. Nothing
is stored: rotating ``SYNCD_DESK_SECRET`` revokes every link at once, and the signature is
checked on every request (the cookie holds the same token), so a rotation takes effect
immediately. Signatures are compared in constant time.

Behind a reverse proxy that authenticates people (oauth2-proxy, an SSO gateway), the proxy
names the person in a header (``X-Forwarded-Email`` or ``X-Forwarded-User``); the header is
believed only from the configured proxy addresses — from anyone else it is ignored, or
any client could claim to be any manager.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
from collections.abc import Sequence
from datetime import datetime, timedelta

from config.policy import ManagerConfig, Policy

__all__ = [
    "ProxyAccess",
    "parse_networks",
    "sign_link",
    "verify_token",
]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, name_part: str, expiry: int) -> str:
    mac = hmac.new(secret.encode(), f"desk/1|{name_part}|{expiry}".encode(), hashlib.sha256)
    return _b64(mac.digest())


def sign_link(secret: str, manager: str, now: datetime, days: float = 30) -> str:
    """A token for ``manager`` valid for ``days`` from ``now``."""
    if days <= 0:
        raise ValueError("days must be positive")
    expiry = int((now + timedelta(days=days)).timestamp())
    name_part = _b64(manager.encode())
    return f"{name_part}.{expiry}.{_signature(secret, name_part, expiry)}"


def verify_token(secret: str, token: str, now: datetime) -> str | None:
    """The manager's name when ``token`` is signed with ``secret`` and not expired; None
    for anything else (malformed, tampered, expired) — the caller says only "no"."""
    parts = token.split(".")
    if len(parts) != 3 or len(token) > 2048:
        return None
    name_part, expiry_text, signature = parts
    if not expiry_text.isdigit():
        return None
    expiry = int(expiry_text)
    expected = _signature(secret, name_part, expiry)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    if now.timestamp() >= expiry:
        return None
    try:
        return _unb64(name_part).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def parse_networks(text: str | None) -> tuple[_Network, ...]:
    """``"10.0.0.1, 192.168.0.0/24"`` → networks; ValueError naming a bad entry."""
    out: list[_Network] = []
    for raw in (text or "").split(","):
        item = raw.strip()
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network") from None
    return tuple(out)


class ProxyAccess:
    """The proxy mode: ``header`` names the person, believed only from ``trusted``."""

    def __init__(self, header: str, trusted: Sequence[_Network]) -> None:
        self.header = header
        self.trusted = tuple(trusted)

    def trusts(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def manager(self, policy: Policy, address: str | None, value: str | None) -> str | None:
        """The manager the proxy names, matched by e-mail (case-insensitive) or name."""
        if not value or not self.trusts(address):
            return None
        wanted = value.strip().casefold()
        for manager in policy.managers:
            if _matches(manager, wanted):
                return manager.name
        return None


def _matches(manager: ManagerConfig, wanted: str) -> bool:
    if manager.email and manager.email.casefold() == wanted:
        return True
    return manager.name.casefold() == wanted
