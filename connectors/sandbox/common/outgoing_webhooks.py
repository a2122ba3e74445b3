"""Outgoing webhooks from a sandbox tracker, so the daemon's webhook receiver can be tested
against deliveries a tracker made, not ones a test forged.

A test (or person) registers a receiver with ``POST /_sandbox/webhooks``; from then on every
change the tracker records is delivered there as JSON by a background thread, signed the
tracker's way (``sign`` is supplied by the tracker app: Jira's ``X-Hub-Signature:
sha256=<hmac>``, GitLab's ``X-Gitlab-Token``). Deliveries are fire-and-forget like the real
trackers' (no retries), and each one is recorded for assertions. A repeated delivery can be
forced with ``redeliver`` — real trackers do repeat themselves.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

__all__ = ["Delivery", "Signer", "WebhookHub"]

Signer = Callable[[bytes, str | None, str], dict[str, str]]
"""(raw body, secret, delivery id) → headers to add."""


@dataclass(frozen=True)
class Delivery:
    url: str
    event: str
    delivery_id: str
    status: int | None
    error: str | None
    time: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "event": self.event,
            "delivery_id": self.delivery_id,
            "status": self.status,
            "error": self.error,
            "time": self.time.isoformat(),
        }


@dataclass(frozen=True)
class _Receiver:
    url: str
    secret: str | None


class WebhookHub:
    def __init__(self, sign: Signer) -> None:
        self._sign = sign
        self._lock = threading.Lock()
        self._receivers: list[_Receiver] = []
        self._deliveries: list[Delivery] = []
        self._sent: list[tuple[_Receiver, str, bytes, str]] = []
        self._queue: queue.Queue[tuple[_Receiver, str, bytes, str]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self.base_url = ""
        """The URL the tracker is reached at (``self`` links in payloads), set on register."""

    def register(self, url: str, secret: str | None = None, base_url: str = "") -> None:
        with self._lock:
            self._receivers.append(_Receiver(url, secret))
            if base_url:
                self.base_url = base_url

    def clear(self) -> None:
        with self._lock:
            self._receivers.clear()
            self._deliveries.clear()

    @property
    def active(self) -> bool:
        with self._lock:
            return bool(self._receivers)

    def receivers(self) -> list[str]:
        with self._lock:
            return [r.url for r in self._receivers]

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        """Queue ``payload`` for every registered receiver (no-op without receivers)."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        with self._lock:
            jobs = [(r, event, body, str(uuid.uuid4())) for r in self._receivers]
            self._sent.extend(jobs)
            for job in jobs:
                self._enqueue(job)

    def redeliver(self, index: int = -1) -> None:
        """Send a delivery already made once more, with the same id (trackers repeat)."""
        with self._lock:
            self._enqueue(self._sent[index])

    def _enqueue(self, job: tuple[_Receiver, str, bytes, str]) -> None:
        # Called with the lock held; the worker only exits under the lock with an empty
        # queue, so a job is never left without a worker.
        self._pending += 1
        self._queue.put(job)
        if self._worker is None:
            self._worker = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._worker.start()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery has been attempted."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def _run(self) -> None:
        # Exits after a quiet second; ``emit`` starts a new worker when needed.
        while True:
            try:
                receiver, event, body, delivery_id = self._queue.get(timeout=1.0)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._worker = None
                        return
                continue
            headers = {"Content-Type": "application/json", "User-Agent": "syncd-sandbox"}
            headers.update(self._sign(body, receiver.secret, delivery_id))
            status: int | None = None
            error: str | None = None
            try:
                with httpx.Client(timeout=5.0) as client:
                    status = client.post(receiver.url, content=body, headers=headers).status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            with self._idle:
                self._deliveries.append(
                    Delivery(receiver.url, event, delivery_id, status, error, datetime.now(UTC))
                )
                self._pending -= 1
                self._idle.notify_all()
