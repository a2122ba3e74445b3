"""POSTing a digest over httpx with the shared retry policy, and errors without secrets.

Retried by ``connectors.http.retry.RetryPolicy.retrying_send`` (the one retry layer): 429
(waiting at least its ``Retry-After``, or Telegram's ``retry_after`` field, copied into
that header), any 5xx, and connection errors that prove nothing was sent (refused,
connect timeout), within the policy's attempts, longest wait and deadline. A digest POST
is retried after a 5xx even though POST is not idempotent: the server *answered* that it
failed, and a lost digest is worse than the rare duplicate after a 5xx that was in fact
delivered. A send whose outcome nobody saw is never retried: a timeout or a dropped
connection after the request went out raises ``DeliveryUnknownError`` (the digest ledger
records it as unknown, as it does for a process that died mid-send: see
``syncd.digest.channel_ledger``). Everything else is final.

Error messages carry status codes and the server's short answer, never the URL or token
(both are secrets): the answer is masked (``syncd.core.secrets_mask``) for the channel's own
secrets and every other one the process holds, in each form they travel in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import tenacity
from pydantic import SecretStr

from connectors.http.retry import RetryPolicy, arrival_unknown, retry_after_seconds
from syncd.core.errors import ChannelError, DeliveryUnknownError
from syncd.core.logs import get_logger
from syncd.core.secrets_mask import SecretMasker, mask_secrets

__all__ = ["DEFAULT_RETRY", "HttpPoster", "scrub"]

DEFAULT_RETRY = RetryPolicy(max_attempts=4, max_wait=60.0, deadline=120.0)
_RETRY_STATUSES = frozenset({429, *range(500, 600)})
"""Rate limited or any server error; every other answer that is not accepted is final."""
_log = get_logger("syncd.channels")


def scrub(text: str, secrets: Iterable[str], *, user: str | None = None) -> str:
    """``text`` without ``secrets`` (sent with ``user``, if any) or any registered secret."""
    masker = SecretMasker()
    for secret in secrets:
        masker.add(secret, user=user)
    return mask_secrets(masker.mask(text))


def _telegram_retry_after(response: httpx.Response) -> None:
    """Telegram may put the wait only in its JSON body (``parameters.retry_after``):
    copy it into a ``Retry-After`` header, which is what the retry policy reads."""
    if "retry-after" in response.headers:
        return
    try:
        wait = response.json().get("parameters", {}).get("retry_after")
    except (ValueError, AttributeError):
        return
    if isinstance(wait, int | float):
        response.headers["Retry-After"] = str(wait)


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

        def send() -> httpx.Response:
            response = client.post(
                url.get_secret_value(), content=body, headers=headers, timeout=self.timeout
            )
            if not accept(response):
                _telegram_retry_after(response)
            return response

        def before_sleep(state: tenacity.RetryCallState) -> None:
            problem = _problem(state.outcome, hidden)
            wait = state.upcoming_sleep
            _log.info("channel_retry", channel=self.channel, problem=problem, wait=wait)

        # See the module docstring for why a digest POST is retried after an answered
        # failure, and never after one that may have arrived.
        retrying = self.retry.retrying_send(statuses=_RETRY_STATUSES).copy(
            before_sleep=before_sleep
        )
        try:
            response: httpx.Response = retrying(self.retry.counted(send))
        except httpx.HTTPError as exc:  # not sent on the last attempt, or sent but unanswered
            problem = scrub(f"{type(exc).__name__}: {exc}", hidden)
            if arrival_unknown(exc):
                raise DeliveryUnknownError(
                    f"{problem} (sent, no answer: it may have been delivered)",
                    channel=self.channel,
                ) from None
            raise ChannelError(problem, channel=self.channel, retriable=True) from None
        if accept(response):
            return response
        problem = _answer(response, hidden)
        status = response.status_code
        if status not in _RETRY_STATUSES:
            raise ChannelError(problem, channel=self.channel, retriable=False)
        asked = retry_after_seconds(response.headers, self.retry.now())
        if asked is not None and asked > self.retry.max_wait:
            problem += f" (asked to wait {asked:.0f} s)"
        raise ChannelError(problem, channel=self.channel, retriable=True)


def _answer(response: httpx.Response, hidden: list[str]) -> str:
    status = response.status_code
    answer = scrub(response.text[:300].strip(), hidden)
    return f"HTTP {status}: {answer}" if answer else f"HTTP {status}"


def _problem(outcome: tenacity.Future | None, hidden: list[str]) -> str:
    if outcome is None:
        return "no attempt made"
    exc = outcome.exception()
    if exc is not None:
        return scrub(f"{type(exc).__name__}: {exc}", hidden)
    response: httpx.Response = outcome.result()
    return _answer(response, hidden)
