"""Taking the process's secrets out of any text that came from outside.

A tracker or a channel may quote our credentials back in an error body (proxies and
plugins echo the ``Authorization`` header; an SMTP server may quote the AUTH line). That
text becomes exception messages, which flow to the log, ``/readyz``, the store's
``last_error`` and command output. So every secret the process uses is registered here
when it is resolved or handed to an HTTP library, and error text is masked where HTTP
failures are turned into ``syncd.core.errors`` (``connectors.http.status_errors``, the channels) —
with the log's redaction processor applying the same mask again as a second net.

A secret is masked in every form it travels in: as written, inside ``Bearer …`` (the same
characters), percent-encoded (upper- or lower-case hex, ``+`` for spaces), JSON-escaped,
and base64 — alone, as HTTP Basic's ``user:secret`` and ``:secret``/``secret:``, and as
SMTP AUTH PLAIN's ``\\0user\\0secret`` — with and without padding. A secret that is a URL
(a Slack or Teams webhook) is also masked by its path and query alone, which is where its
token sits and what a server quotes back ("no hook at /services/T0/B0/XXXX").

Why one registry for the process and not a masker passed along: error text is produced in
dozens of places across two connectors and five channels; a registry fed wherever a secret
is resolved cannot be forgotten by the next call site.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, urlsplit

from pydantic import SecretStr

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "SecretMasker",
    "mask_secrets",
    "register_secret",
    "secret_forms",
]

MASK = "**********"
MIN_SECRET_LENGTH = 4
"""Shorter values are not masked: a secret of one to three characters protects nothing,
and masking it would cut ordinary words apart in every log line."""

_MIN_URL_PART = 8
_PERCENT = re.compile(r"%[0-9A-F]{2}")


def _base64_forms(raw: str) -> set[str]:
    data = raw.encode("utf-8")
    out: set[str] = set()
    for encoded in (base64.b64encode(data), base64.urlsafe_b64encode(data)):
        text = encoded.decode("ascii")
        out.update((text, text.rstrip("=")))
    return out


def _url_parts(secret: str) -> set[str]:
    try:
        parts = urlsplit(secret)
    except ValueError:
        return set()
    if not (parts.scheme and parts.netloc):
        return set()
    out = {parts.path + (f"?{parts.query}" if parts.query else ""), parts.query}
    if parts.password:
        out.add(parts.password)
    # A short path ("/api") holds no token and would be masked in every unrelated line.
    return {p for p in out if len(p) >= _MIN_URL_PART}


def secret_forms(secret: str, user: str | None = None) -> set[str]:
    """Every spelling of ``secret`` that can travel on the wire (see the module docstring);
    ``user`` adds the combined forms of HTTP Basic and SMTP AUTH PLAIN."""
    if len(secret) < MIN_SECRET_LENGTH:
        return set()
    forms = {secret, json.dumps(secret)[1:-1], *_url_parts(secret)}
    for encoded in (quote(secret, safe=""), quote_plus(secret)):
        forms.update((encoded, _PERCENT.sub(lambda m: m.group(0).lower(), encoded)))
    combined = [secret, f":{secret}", f"{secret}:"]
    if user:
        combined += [f"{user}:{secret}", f"\0{user}\0{secret}"]
    for raw in combined:
        forms |= _base64_forms(raw)
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


class SecretMasker:
    """Replaces every known form of every added secret with ``MASK``; thread-safe."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._forms: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | SecretStr | None, *, user: str | None = None) -> None:
        if secret is None:
            return
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        forms = secret_forms(value, user)
        with self._lock:
            if forms <= self._forms:
                return
            self._forms = self._forms | forms
            # Longest first, so a Basic token is masked whole rather than around a part.
            ordered = sorted(self._forms, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(f) for f in ordered))

    def mask(self, text: str) -> str:
        pattern = self._pattern  # one read: a concurrent ``add`` swaps it whole
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def __bool__(self) -> bool:
        return self._pattern is not None


_PROCESS = SecretMasker()


def register_secret(secret: str | SecretStr | None, *, user: str | None = None) -> None:
    """Remember a secret this process uses (with the user it is sent with, if any), so
    ``mask_secrets`` takes it out of any text from now on."""
    _PROCESS.add(secret, user=user)


def mask_secrets(text: str) -> str:
    """``text`` with every registered secret, in every form, replaced by ``MASK``."""
    return _PROCESS.mask(text)
