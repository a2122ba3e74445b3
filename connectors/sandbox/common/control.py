"""The ``/_sandbox/`` control endpoints every sandbox tracker shares (documented in README.md).

- ``POST /_sandbox/faults`` (a fault as JSON, see ``faults.Fault``), ``GET``/``DELETE`` it;
- ``GET``/``DELETE /_sandbox/requests``: the request log;
- ``POST /_sandbox/act``: act as a human on the tracker. The JSON is parsed here into an
  ``Act`` (one shape for every tracker) and handed to the tracker app's handler;
- ``GET``/``POST /_sandbox/clock``: the sandbox's clock (stamps writes such as ``updated``
  and comment ``created``): freeze it, advance it, or return to real time;
- ``POST``/``GET``/``DELETE /_sandbox/webhooks``: receivers of the tracker's outgoing
  webhooks and the deliveries made (see ``webhooks.py``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox.common.docconv import adf_errors
from connectors.sandbox.common.faults import Fault, FaultPlan, RequestLog
from connectors.sandbox.common.outgoing_webhooks import WebhookHub
from connectors.sandbox.common.seed import Document
from connectors.sandbox.common.seed_parse import ParseError, timestamp

__all__ = ["Act", "ActError", "SandboxClock", "control_app", "parse_act"]

_STATUSES = ("new", "in_progress", "done")
_UPDATABLE = {
    "title",
    "type",
    "priority",
    "labels",
    "components",
    "assignees",
    "due",
    "start_date",
    "description",
}


class ActError(Exception):
    """A bad ``/_sandbox/act`` request: answered with ``status`` and the message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class SandboxClock:
    """Real time unless frozen or offset by a test (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def freeze(self, moment: datetime | None) -> None:
        """Stop the clock at ``moment`` (aware), or let it run again with None."""
        with self._lock:
            self._frozen = moment
            self._offset = timedelta(0)

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Act:
    """One human action. ``task`` is the seed key ``PROJECT-number`` on every tracker."""

    action: Literal["comment", "update", "transition"]
    project: str
    number: int
    user: str
    """Seed user id acting (the comment author for ``comment``)."""
    body: Document | None = None
    internal: bool = False
    status: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    """For ``update``: seed-format values (dates as ``YYYY-MM-DD``, description a Document)."""

    @property
    def key(self) -> str:
        return f"{self.project}-{self.number}"


def parse_act(data: Any) -> Act:
    if not isinstance(data, dict):
        raise ActError("expected a JSON object")
    action = data.get("action")
    task = data.get("task")
    if action not in ("comment", "update", "transition"):
        raise ActError(f"action: expected comment, update or transition, got {action!r}")
    if not isinstance(task, str) or "-" not in task:
        raise ActError(f"task: expected a key like SHOP-1, got {task!r}")
    project, _, number = task.rpartition("-")
    if not number.isdigit():
        raise ActError(f"task: expected a key like SHOP-1, got {task!r}")
    user = (
        data.get("author" if action == "comment" else "as") or data.get("as") or data.get("author")
    )
    if not isinstance(user, str):
        raise ActError(
            "as: the seed user id acting is required" if action != "comment" else "author: required"
        )
    allowed = {"action", "task", "as", "author"} | {
        "comment": {"body", "internal"},
        "update": {"fields"},
        "transition": {"status"},
    }[action]
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ActError(f"unknown keys for {action}: {', '.join(unknown)}")
    if action == "comment":
        doc = _document(data.get("body"), "body")
        return Act(
            "comment",
            project,
            int(number),
            user,
            body=doc,
            internal=bool(data.get("internal", False)),
        )
    if action == "transition":
        status = data.get("status")
        if status not in _STATUSES:
            raise ActError(f"status: expected new, in_progress or done, got {status!r}")
        return Act("transition", project, int(number), user, status=status)
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise ActError("fields: a non-empty object")
    bad = sorted(set(fields) - _UPDATABLE)
    if bad:
        raise ActError(
            f"fields: cannot update {', '.join(bad)} (updatable: {', '.join(sorted(_UPDATABLE))})"
        )
    if fields.get("description") is not None:
        fields = {**fields, "description": _document(fields["description"], "fields.description")}
    return Act("update", project, int(number), user, fields=dict(fields))


def _document(value: Any, path: str) -> Document:
    """A seed Document from act JSON: a Markdown string or ``{markdown, wiki, adf}``."""
    if isinstance(value, str):
        return Document(markdown=value)
    if not isinstance(value, dict) or not value or not set(value) <= {"markdown", "wiki", "adf"}:
        raise ActError(f"{path}: a string (Markdown) or an object with markdown/wiki/adf")
    adf = value.get("adf")
    if adf is not None:
        problems = adf_errors(adf)
        if problems:
            raise ActError(f"{path}.adf: not valid ADF: {problems[0]}")
    return Document(markdown=value.get("markdown"), wiki=value.get("wiki"), adf=adf)


def control_app(
    faults: FaultPlan,
    log: RequestLog,
    *,
    act: Callable[[Act], dict[str, Any]] | None = None,
    clock: SandboxClock | None = None,
    webhooks: WebhookHub | None = None,
) -> Starlette:
    async def add_fault(request: Request) -> Response:
        try:
            fault = Fault.from_json(await request.json())
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        faults.add(fault)
        return JSONResponse({"pending": len(faults.pending())}, status_code=201)

    async def list_faults(request: Request) -> Response:
        return JSONResponse(
            [
                {"kind": f.kind, "method": f.method, "path": f.path, "times": f.times}
                for f in faults.pending()
            ]
        )

    async def clear_faults(request: Request) -> Response:
        faults.clear()
        return Response(status_code=204)

    async def requests(request: Request) -> Response:
        return JSONResponse([e.as_json() for e in log.entries()])

    async def clear_requests(request: Request) -> Response:
        log.clear()
        return Response(status_code=204)

    async def do_act(request: Request) -> Response:
        if act is None:
            return JSONResponse({"error": "this sandbox has no act handler"}, status_code=404)
        try:
            parsed = parse_act(json.loads(await request.body() or b"null"))
            return JSONResponse(act(parsed))
        except ActError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        except json.JSONDecodeError as exc:
            return JSONResponse({"error": f"not JSON: {exc}"}, status_code=400)

    async def get_clock(request: Request) -> Response:
        if clock is None:
            return JSONResponse({"error": "this sandbox has no clock"}, status_code=404)
        return JSONResponse({"now": clock.now().isoformat()})

    async def set_clock(request: Request) -> Response:
        if clock is None:
            return JSONResponse({"error": "this sandbox has no clock"}, status_code=404)
        data = await request.json()
        try:
            if "advance" in data:
                clock.advance(float(data["advance"]))
            elif data.get("now") is None:
                clock.freeze(None)
            else:
                clock.freeze(timestamp(data["now"], "now"))
        except (ParseError, ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"now": clock.now().isoformat()})

    async def add_webhook(request: Request) -> Response:
        if webhooks is None:
            return JSONResponse({"error": "this sandbox sends no webhooks"}, status_code=404)
        data = json.loads(await request.body() or b"null")
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            return JSONResponse({"error": "url: required"}, status_code=400)
        unknown = sorted(set(data) - {"url", "secret"})
        if unknown:
            return JSONResponse({"error": f"unknown keys: {', '.join(unknown)}"}, status_code=400)
        secret = data.get("secret")
        base = str(request.base_url).rstrip("/")
        webhooks.register(data["url"], secret if isinstance(secret, str) else None, base)
        return JSONResponse({"receivers": webhooks.receivers()}, status_code=201)

    async def list_webhooks(request: Request) -> Response:
        if webhooks is None:
            return JSONResponse({"error": "this sandbox sends no webhooks"}, status_code=404)
        return JSONResponse(
            {
                "receivers": webhooks.receivers(),
                "deliveries": [d.as_json() for d in webhooks.deliveries()],
            }
        )

    async def clear_webhooks(request: Request) -> Response:
        if webhooks is not None:
            webhooks.clear()
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/_sandbox/webhooks", add_webhook, methods=["POST"]),
            Route("/_sandbox/webhooks", list_webhooks, methods=["GET"]),
            Route("/_sandbox/webhooks", clear_webhooks, methods=["DELETE"]),
            Route("/_sandbox/faults", add_fault, methods=["POST"]),
            Route("/_sandbox/faults", list_faults, methods=["GET"]),
            Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
            Route("/_sandbox/requests", requests, methods=["GET"]),
            Route("/_sandbox/requests", clear_requests, methods=["DELETE"]),
            Route("/_sandbox/act", do_act, methods=["POST"]),
            Route("/_sandbox/clock", get_clock, methods=["GET"]),
            Route("/_sandbox/clock", set_clock, methods=["POST"]),
        ]
    )
