"""POSTing a digest over httpx with the shared retry policy, and errors without secrets.

Retried: 429 (waiting at least its ``Retry-After``, or Telegram's ``retry_after`` field),
any 5xx and transport errors, within ``RetryPolicy`` limits. A digest POST is retried even
though POST is not idempotent: the server *answered* that it failed, and a lost digest is
worse than the rare duplicate after a 5xx that was in fact delivered. What the ledger never
retries is a send whose outcome nobody saw (the process died mid-send): see
``syncd.digest.delivery``.
Everything else is final. Error messages carry status codes and the server's short
answer, never the URL or token (both are secrets).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from pydantic import SecretStr

from connectors.retry import RetryPolicy, wait_seconds
from syncd.errors import ChannelError
from syncd.logs import get_logger

__all__ = ["DEFAULT_RETRY", "HttpPoster", "scrub"]

DEFAULT_RETRY = RetryPolicy(max_attempts=4, max_wait=60.0, deadline=120.0)
_log = get_logger("syncd.channels")


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "**********")
    return text


def _retry_after_header(response: httpx.Response) -> dict[str, str]:
    """Headers for ``wait_seconds``; Telegram may put the wait only in its JSON body."""
    headers = dict(response.headers)
    if "retry-after" not in {k.lower() for k in headers}:
        try:
            body = response.json()
            wait = body.get("parameters", {}).get("retry_after")
        except (ValueError, AttributeError):
            wait = None
        if isinstance(wait, int | float):
            headers["Retry-After"] = str(wait)
    return headers


class HttpPoster:
    """One channel's HTTP client: timeouts, retries, safe errors."""

    def __init__(
        self,
        channel: str,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        client: httpx.Client | None = None,
    ) -> None:
        self.channel = channel
        self.timeout = timeout
        self.retry = retry
        self._client = client

    def post(
        self,
        url: SecretStr,
        payload: dict[str, Any],
        *,
        accept: Callable[[httpx.Response], bool] = lambda r: r.is_success,
        secrets: Iterable[str] = (),
    ) -> httpx.Response:
        hidden = [url.get_secret_value(), *secrets]
        if self._client is not None:
            return self._post(self._client, url, payload, accept, hidden)
        with httpx.Client(timeout=self.timeout) as client:
            return self._post(client, url, payload, accept, hidden)

    def _post(
        self,
        client: httpx.Client,
        url: SecretStr,
        payload: dict[str, Any],
        accept: Callable[[httpx.Response], bool],
        hidden: list[str],
    ) -> httpx.Response:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        problem = "no attempt made"
        for attempt in range(1, self.retry.max_attempts + 1):
            status: int | None = None
            wait_headers: dict[str, str] = {}
            try:
                response = client.post(
                    url.get_secret_value(), content=body, headers=headers, timeout=self.timeout
                )
            except httpx.HTTPError as exc:
                problem = scrub(f"{type(exc).__name__}: {exc}", hidden)
            else:
                if accept(response):
                    return response
                status = response.status_code
                answer = scrub(response.text[:300].strip(), hidden)
                problem = f"HTTP {status}: {answer}" if answer else f"HTTP {status}"
                if status != 429 and status < 500:
                    raise ChannelError(problem, channel=self.channel, retriable=False)
                wait_headers = _retry_after_header(response)
            if attempt == self.retry.max_attempts:
                break
            wait = wait_seconds(status, wait_headers, attempt, self.retry)
            if wait > self.retry.max_wait:
                problem += f" (asked to wait {wait:.0f} s)"
                break
            _log.info("channel_retry", channel=self.channel, problem=problem, wait=wait)
            self.retry.sleep(wait)
        raise ChannelError(problem, channel=self.channel, retriable=True)
