"""Fault injection and the request log, shared by every sandbox tracker.

``instrument(app, faults, log, act=…)`` wraps a tracker's ASGI app: each API request is first
matched against the ``FaultPlan`` (a queue of faults, each with a method, a path regex and a
number of ``times``), then recorded in the ``RequestLog``. Requests under ``/_sandbox/`` are
the control endpoints (see ``control.py`` and README.md): never faulted, never logged, so a
test's counts are the client's API traffic only.

Fault kinds:
- ``status``: answer ``status`` with ``headers``/``body`` instead of calling the tracker.
  ``retry_after`` (seconds) adds a ``Retry-After`` header, as a number or — with
  ``retry_after_format: "http-date"`` — as an HTTP date computed when the fault fires.
- ``delay``: sleep ``seconds`` then serve normally (a slow tracker; client timeouts).
- ``drop``: close the connection without any response.
- ``lost_response``: perform the request (the write happens), then drop the connection so
  the client never sees the answer — the case that duplicates a blindly retried POST.
- ``echo_credentials``: answer ``status`` with a plain-text body quoting the request's
  credential headers (``Authorization``, ``PRIVATE-TOKEN``), as some proxies and plugins
  do in their error pages: the case that must never carry a token into syncd's logs,
  health answers or store.

Dropping needs the socket: ``server.SandboxServer`` runs uvicorn with a protocol that puts
the transport into ``scope["extensions"][TRANSPORT_KEY]``. Served in-process (no socket),
a drop raises ``DroppedConnection`` into the client instead.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from connectors.sandbox.common.control import Act, SandboxClock
    from connectors.sandbox.common.outgoing_webhooks import WebhookHub

__all__ = [
    "TRANSPORT_KEY",
    "DroppedConnection",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "LoggedRequest",
    "RequestLog",
    "instrument",
]

TRANSPORT_KEY = "syncd.sandbox.transport"
FaultKind = Literal["status", "delay", "drop", "lost_response", "echo_credentials"]
_KINDS = ("status", "delay", "drop", "lost_response", "echo_credentials")
_CREDENTIAL_HEADERS = (b"authorization", b"private-token")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class DroppedConnection(ConnectionError):
    """Raised in-process where a real server would drop the connection."""


@dataclass
class Fault:
    kind: FaultKind
    method: str | None = None
    """HTTP method to match (case-insensitive); None matches any."""
    path: str = ".*"
    """Regex searched in the request path (use ``^…$`` to anchor)."""
    times: int | None = 1
    """How many matching requests it hits; None = until cleared."""
    skip: int = 0
    """Let this many matching requests through first (e.g. fail the 3rd search)."""
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    retry_after: float | None = None
    retry_after_format: Literal["seconds", "http-date"] = "seconds"
    seconds: float = 0.0
    """For ``delay``."""

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"kind: expected one of {', '.join(_KINDS)}, got {self.kind!r}")
        self._regex = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and bool(
            self._regex.search(path)
        )

    def response_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.retry_after is not None:
            if self.retry_after_format == "http-date":
                moment = datetime.now(UTC) + timedelta(seconds=self.retry_after)
                headers["Retry-After"] = format_datetime(moment, usegmt=True)
            else:
                headers["Retry-After"] = str(
                    int(self.retry_after)
                    if float(self.retry_after).is_integer()
                    else self.retry_after
                )
        return headers

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        if not isinstance(data, dict):
            raise ValueError("a fault is a JSON object")
        known = {f for f in cls.__dataclass_fields__ if not f.startswith("_")}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault keys: {', '.join(unknown)}")
        if "kind" not in data:
            raise ValueError("kind: required")
        return cls(**data)


class FaultPlan:
    """A thread-safe queue of faults; the first one matching a request fires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault | None = None, /, **kwargs: Any) -> Fault:
        """``plan.add(Fault(...))`` or ``plan.add(kind="status", status=429, ...)``."""
        fault = fault or Fault(**kwargs)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault this request meets, consuming one of its ``times``."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: str
    status: int | None
    """The status the tracker produced; None when the connection was dropped unanswered."""
    time: datetime
    fault: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = self.time.isoformat()
        return data


class RequestLog:
    """Every API request the sandbox saw, in order (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def count(self, method: str | None = None, path_regex: str | None = None) -> int:
        regex = re.compile(path_regex) if path_regex else None
        return sum(
            1
            for e in self.entries()
            if (method is None or e.method == method.upper())
            and (regex is None or regex.search(e.path))
        )


async def _send_simple(send: Send, status: int, headers: dict[str, str], body: Any) -> None:
    if body is None:
        payload = b""
    elif isinstance(body, str | bytes):
        payload = body.encode() if isinstance(body, str) else body
        headers = {"Content-Type": "text/plain;charset=UTF-8", **headers}
    else:
        payload = json.dumps(body).encode()
        headers = {"Content-Type": "application/json;charset=UTF-8", **headers}
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def _echoed_credentials(scope: Scope) -> str:
    """The error page of a proxy that quotes the request's credential headers back."""
    quoted = [
        f"{name.decode('latin-1')}: {value.decode('latin-1')}"
        for name, value in scope.get("headers", [])
        if name.lower() in _CREDENTIAL_HEADERS
    ]
    return f"Upstream error for {scope['method']} {scope['path']}; request headers: " + (
        "; ".join(quoted) or "none"
    )


async def _drop(scope: Scope) -> None:
    transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if transport is None:
        raise DroppedConnection("sandbox dropped the connection (fault injection)")
    transport.abort()
    # Let uvicorn see connection_lost so it does not try to answer a dead socket.
    for _ in range(3):
        await asyncio.sleep(0)


def _dated(headers: Any, clock: SandboxClock | None) -> list[tuple[bytes, bytes]]:
    """The answer's headers with a ``Date`` from the sandbox's clock, as a real tracker
    stamps its answers with its own time (clients take the tracker's time from it)."""
    now = clock.now() if clock is not None else datetime.now(UTC)
    kept = [(k, v) for k, v in headers if bytes(k).lower() != b"date"]
    return [*kept, (b"date", format_datetime(now.astimezone(UTC), usegmt=True).encode())]


def instrument(
    app: ASGIApp,
    faults: FaultPlan,
    log: RequestLog,
    *,
    act: Callable[[Act], dict[str, Any]] | None = None,
    clock: SandboxClock | None = None,
    webhooks: WebhookHub | None = None,
) -> ASGIApp:
    """Wrap a tracker app with fault injection, the request log and the ``/_sandbox/``
    control endpoints (``act`` handles ``POST /_sandbox/act``; ``clock`` is a
    ``control.SandboxClock`` for ``POST /_sandbox/clock``; ``webhooks`` a
    ``webhooks.WebhookHub`` for ``/_sandbox/webhooks``)."""
    from connectors.sandbox.common.control import control_app

    control = control_app(faults, log, act=act, clock=clock, webhooks=webhooks)

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/_sandbox/"):
            await control(scope, receive, send)
            return
        method: str = scope["method"]
        query = scope.get("query_string", b"").decode("latin-1")
        fault = faults.take(method, path)
        produced: dict[str, int] = {}

        async def recording_send(message: Message) -> None:
            # Logged before the answer leaves, so a client that got it also finds it logged.
            if message["type"] == "http.response.start":
                produced["status"] = int(message["status"])
                record(produced["status"])
                message = {**message, "headers": _dated(message.get("headers", []), clock)}
            await send(message)

        def record(status: int | None) -> None:
            log.record(
                LoggedRequest(
                    method, path, query, status, datetime.now(UTC), fault.kind if fault else None
                )
            )

        if fault is None or fault.kind == "delay":
            if fault is not None:
                await asyncio.sleep(fault.seconds)
            try:
                await app(scope, receive, recording_send)
            finally:
                if "status" not in produced:
                    record(None)
            return
        if fault.kind == "status":
            record(fault.status)
            await _send_simple(send, fault.status, fault.response_headers(), fault.body)
            return
        if fault.kind == "echo_credentials":
            record(fault.status)
            await _send_simple(
                send, fault.status, fault.response_headers(), _echoed_credentials(scope)
            )
            return
        if fault.kind == "drop":
            record(None)
            await _drop(scope)
            return

        # lost_response: the tracker does the work, the answer goes nowhere.
        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                produced["status"] = int(message["status"])

        await app(scope, receive, swallow)
        record(produced.get("status"))
        await _drop(scope)

    return middleware
