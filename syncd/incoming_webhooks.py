"""Webhook receivers: a tracker's "this issue changed" becomes an early re-read of it.

Polling stays the source of truth; a webhook only moves one issue's re-read forward, so a
delivery that is lost, repeated or forged-but-rejected changes nothing. That is also why
the handlers answer 202 before any tracker is contacted (GitLab disables a hook after
four slow or failed deliveries).

What each tracker's deliveries look like (signature or token, the issue they name, a
delivery id) is tracker knowledge, in ``connectors/<tracker>/webhooks.py``
(``connectors.base.WebhookFormat``); this module is the HTTP endpoint around them, one per
tracker type: ``POST /webhooks/<tracker>``. GitLab's ``Idempotency-Key`` is de-duplicated
here.

Both secrets are compared in constant time. A webhook body is input from strangers:

- Without ``SYNCD_WEBHOOK_SECRET`` the endpoints do not exist (404), unless
  ``SYNCD_WEBHOOK_INSECURE=true`` says to accept unverified deliveries (a warning at every
  start): otherwise anyone who can reach the port would drive syncd's tracker reads.
- The issue key must be the tracker's syntax (``connectors.keys``) before anything is
  queued; a bad one is 400, logged shortened.
- A body nested too deeply for the JSON parser is 400, like any other non-JSON body.
- Only a verified caller is told which sources re-read the issue.

Repeated deliveries of one issue are coalesced by the daemon (one re-read per task within
a short window, a bounded queue), so replaying a signed body costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from config.policy import SourceConfig
from connectors.base import InvalidKey, WebhookFormat
from connectors.factory import WEBHOOK_FORMATS
from syncd.core.logs import get_logger
from syncd.metrics import Metrics

__all__ = ["MAX_BODY", "RefreshTarget", "WebhookReceiver", "route_hint"]

MAX_BODY = 1024 * 1024
"""Largest accepted delivery; real issue events are a few KiB, even with long descriptions."""


class RefreshTarget(Protocol):
    """The daemon, as seen by the receivers: queue a re-read, return the sources picked."""

    def hint(self, tracker: str, project: str | None, key: str) -> list[str]: ...


class _SeenKeys:
    """A bounded set of recent GitLab Idempotency-Keys, oldest forgotten first."""

    def __init__(self, size: int) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, key: str) -> bool:
        """Remember ``key``; False when it was already there (a repeated delivery)."""
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return False
            self._keys[key] = None
            if len(self._keys) > self._size:
                self._keys.popitem(last=False)
            return True


def route_hint(
    tracker: str,
    project: str | None,
    key: str,
    *,
    names: Sequence[str],
    sources: Sequence[SourceConfig],
    knows: Callable[[str, str], bool],
) -> list[str]:
    """Which running sources should re-read ``key``.

    Sources of the right tracker type that already hold the task win; otherwise those whose
    scope names the project (the tracker's ``WebhookFormat.names_project``: GitLab
    project/group path, a Jira project key in the JQL); otherwise every source of that
    type. Runners without a SourceConfig match any type.
    """
    by_name = {s.name: s for s in sources}
    candidates = [n for n in names if n not in by_name or by_name[n].type == tracker]
    holding = [n for n in candidates if knows(n, key)]
    if holding:
        return holding
    scoped = [
        n
        for n in candidates
        if n in by_name
        and project
        and WEBHOOK_FORMATS[by_name[n].type].names_project(by_name[n], project)
    ]
    return scoped or candidates


class WebhookReceiver:
    """The two webhook endpoints, bound to a refresh target and the metrics."""

    def __init__(
        self,
        target: RefreshTarget,
        secret: SecretStr | None,
        metrics: Metrics,
        *,
        insecure: bool = False,
        max_body: int = MAX_BODY,
        remember: int = 4096,
    ) -> None:
        self.target, self.metrics, self.max_body = target, metrics, max_body
        self._secret = secret.get_secret_value().encode() if secret else None
        self._seen = _SeenKeys(remember)
        self.enabled = self._secret is not None or insecure
        log = get_logger("syncd.incoming_webhooks")
        if self._secret is None and insecure:
            log.warning(
                "webhooks.unauthenticated",
                hint="SYNCD_WEBHOOK_INSECURE=true: anyone who reaches the port can trigger "
                "tracker reads; set SYNCD_WEBHOOK_SECRET to verify deliveries",
            )
        elif self._secret is None:
            log.info(
                "webhooks.disabled",
                hint="set SYNCD_WEBHOOK_SECRET to receive Jira/GitLab webhooks",
            )

    def routes(self) -> list[Route]:
        """The endpoints; none without a secret (unless insecure), so they answer 404."""
        if not self.enabled:
            return []
        return [
            Route(f"/webhooks/{tracker}", self._endpoint(fmt), methods=["POST"])
            for tracker, fmt in WEBHOOK_FORMATS.items()
        ]

    def _endpoint(self, fmt: WebhookFormat) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def endpoint(request: Request) -> JSONResponse:
            return await self.receive(fmt, request)

        return endpoint

    async def receive(self, fmt: WebhookFormat, request: Request) -> JSONResponse:
        tracker = fmt.tracker
        body = await self._body(request, tracker)
        if isinstance(body, JSONResponse):
            return body
        if self._secret is not None and not fmt.verify(request.headers, body, self._secret):
            return self._reply(tracker, "unauthorized", 401, fmt.rejected)
        delivery = fmt.delivery_id(request.headers)
        if delivery and not self._seen.add(hashlib.sha256(delivery.encode()).hexdigest()):
            return self._reply(tracker, "duplicate", 202, "already received")
        log = get_logger("syncd.incoming_webhooks")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # nested past the parser's recursion limit
            return self._reply(tracker, "bad_request", 400, "body is not JSON")
        try:
            found = fmt.parse(payload)
        except InvalidKey as exc:
            log.info("webhook.invalid_key", tracker=tracker, key=exc.shown)
            return self._reply(tracker, "invalid_key", 400, "the issue key is not valid")
        if found is None:
            return self._reply(tracker, "ignored", 202, "no issue in this event")
        key = found.key
        sources = await run_in_threadpool(self.target.hint, tracker, found.project, key)
        log.debug("webhook.accepted", tracker=tracker, task=key, sources=sources)
        self.metrics.webhooks.labels(tracker=tracker, outcome="accepted").inc()
        if self._secret is None:  # an unverified caller learns nothing about the sources
            return JSONResponse({"status": "accepted"}, 202)
        return JSONResponse({"status": "accepted", "key": key, "sources": sources}, 202)

    async def _body(self, request: Request, tracker: str) -> bytes | JSONResponse:
        """The raw body (the signature covers its exact bytes), refused past ``max_body``
        whether or not the client announced its length."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return self._reply(tracker, "too_large", 413, f"body over {self.max_body} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                return self._reply(tracker, "too_large", 413, f"body over {self.max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _reply(self, tracker: str, outcome: str, status: int, message: str) -> JSONResponse:
        self.metrics.webhooks.labels(tracker=tracker, outcome=outcome).inc()
        key = "error" if status >= 400 else "status"
        return JSONResponse({key: message if status >= 400 else outcome}, status)
