"""Webhook receivers: a tracker's "this issue changed" becomes an early re-read of it.

Polling stays the source of truth; a webhook only moves one issue's re-read forward, so a
delivery that is lost, repeated or forged-but-rejected changes nothing. That is also why
the handlers answer 202 before any tracker is contacted (GitLab disables a hook after
four slow or failed deliveries).

- Jira: ``X-Hub-Signature: sha256=<hex>``, HMAC-SHA256 of the raw body with the shared
  secret; the issue is ``issue.key`` (``jira:issue_updated``, ``comment_created``…).
- GitLab: ``X-Gitlab-Token`` is the shared secret itself; ``Idempotency-Key`` stays the same
  across retries of one delivery and is de-duplicated here. Issue Hook →
  ``object_attributes.iid``, Note Hook on an issue → ``issue.iid``; the key is
  ``<project path>#<iid>``.

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
import hmac
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from config.policy import SourceConfig
from connectors.keys import is_gitlab_project, is_jira_issue, shown_key
from syncd.core.logs import get_logger
from syncd.metrics import Metrics

__all__ = [
    "MAX_BODY",
    "InvalidKey",
    "RefreshTarget",
    "WebhookReceiver",
    "parse_gitlab",
    "parse_jira",
    "route_hint",
]

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


class InvalidKey(ValueError):
    """The event names an issue, but not with a key of the tracker's syntax."""

    def __init__(self, key: object) -> None:
        self.shown = shown_key(key)
        super().__init__(f"not a task key: {self.shown}")


def parse_jira(payload: Any) -> tuple[str, str] | None:
    """(project key, issue key) of a Jira issue or comment event; None for other events.
    Raises ``InvalidKey`` when the issue's key is not a Jira issue key (ids are not keys:
    the store knows tasks by key)."""
    issue = payload.get("issue") if isinstance(payload, dict) else None
    if not isinstance(issue, dict) or "key" not in issue:
        return None
    key = issue["key"]
    if not isinstance(key, str) or key.isdigit() or not is_jira_issue(key):
        raise InvalidKey(key)
    return key.rsplit("-", 1)[0], key


def parse_gitlab(payload: Any) -> tuple[str, str] | None:
    """(project path, ``path#iid``) of an Issue Hook or a Note Hook on an issue; None for
    other events. Raises ``InvalidKey`` for a project path or iid GitLab would not have."""
    if not isinstance(payload, dict):
        return None
    kind = payload.get("object_kind")
    holder = payload.get("object_attributes") if kind == "issue" else payload.get("issue")
    if kind not in {"issue", "note"} or not isinstance(holder, dict):
        return None
    project = payload.get("project")
    path = project.get("path_with_namespace") if isinstance(project, dict) else None
    iid = holder.get("iid")
    if not isinstance(path, str) or not is_gitlab_project(path) or path.isdigit():
        raise InvalidKey(path)
    if isinstance(iid, bool) or not isinstance(iid, int) or iid <= 0:
        raise InvalidKey(iid)
    return path, f"{path}#{iid}"


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
    scope names the project (GitLab project/group path, a Jira project key in the JQL);
    otherwise every source of that type. Runners without a SourceConfig match any type.
    """
    by_name = {s.name: s for s in sources}
    candidates = [n for n in names if n not in by_name or by_name[n].type == tracker]
    holding = [n for n in candidates if knows(n, key)]
    if holding:
        return holding
    scoped = [n for n in candidates if n in by_name and _in_scope(by_name[n], project)]
    return scoped or candidates


def _in_scope(source: SourceConfig, project: str | None) -> bool:
    if not project:
        return False
    scope = source.scope
    if source.type == "gitlab":
        if scope.project is not None and str(scope.project).strip("/") == project:
            return True
        group = str(scope.group).strip("/") if scope.group is not None else None
        return bool(group) and project.startswith(f"{group}/")
    pattern = rf"(?<![\w-]){re.escape(project)}(?![\w-])"
    return bool(scope.jql and re.search(pattern, scope.jql, re.IGNORECASE))


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
            Route("/webhooks/jira", self.jira, methods=["POST"]),
            Route("/webhooks/gitlab", self.gitlab, methods=["POST"]),
        ]

    async def jira(self, request: Request) -> JSONResponse:
        body = await self._body(request, "jira")
        if isinstance(body, JSONResponse):
            return body
        if self._secret is not None:
            given = request.headers.get("x-hub-signature", "")
            expected = "sha256=" + hmac.new(self._secret, body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(given.strip().lower().encode(), expected.encode()):
                return self._reply("jira", "unauthorized", 401, "invalid or missing signature")
        return await self._dispatch("jira", body, parse_jira)

    async def gitlab(self, request: Request) -> JSONResponse:
        body = await self._body(request, "gitlab")
        if isinstance(body, JSONResponse):
            return body
        if self._secret is not None:
            given = request.headers.get("x-gitlab-token", "").encode()
            if not hmac.compare_digest(given, self._secret):
                return self._reply("gitlab", "unauthorized", 401, "invalid or missing token")
        delivery = request.headers.get("idempotency-key")
        if delivery and not self._seen.add(hashlib.sha256(delivery.encode()).hexdigest()):
            return self._reply("gitlab", "duplicate", 202, "already received")
        return await self._dispatch("gitlab", body, parse_gitlab)

    async def _dispatch(
        self, tracker: str, body: bytes, parse: Callable[[Any], tuple[str, str] | None]
    ) -> JSONResponse:
        log = get_logger("syncd.incoming_webhooks")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # nested past the parser's recursion limit
            return self._reply(tracker, "bad_request", 400, "body is not JSON")
        try:
            found = parse(payload)
        except InvalidKey as exc:
            log.info("webhook.invalid_key", tracker=tracker, key=exc.shown)
            return self._reply(tracker, "invalid_key", 400, "the issue key is not valid")
        if found is None:
            return self._reply(tracker, "ignored", 202, "no issue in this event")
        project, key = found
        sources = await run_in_threadpool(self.target.hint, tracker, project, key)
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
