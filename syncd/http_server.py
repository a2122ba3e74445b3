"""The HTTP side of ``syncd run``: health, readiness, metrics and webhooks.

A Starlette app served by uvicorn in a background thread, so the main thread keeps the
signal handling (uvicorn only installs its own handlers on the main thread). The daemon
stays the only owner of the sources; this module only reads its state and forwards
webhook hints to it.

- ``GET /healthz``: 200 while the process serves requests (liveness).
- ``GET /readyz``: 200 when every source polled successfully within 3 × its interval,
  503 otherwise (and while shutting down); JSON detail per source either way.
- ``GET /metrics``: Prometheus text exposition.
- ``POST /webhooks/jira``, ``POST /webhooks/gitlab``: see :mod:`syncd.incoming_webhooks`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any, Protocol

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.settings import Settings
from syncd.core.errors import ConfigError
from syncd.core.logs import get_logger
from syncd.incoming_webhooks import RefreshTarget, WebhookReceiver
from syncd.metrics import CONTENT_TYPE_LATEST, Metrics

__all__ = ["HttpServer", "Readiness", "build_app", "serve"]


class Readiness(Protocol):
    def readiness(self) -> tuple[bool, dict[str, Any]]: ...


class _Served(Readiness, RefreshTarget, Protocol):
    """The daemon as the app needs it (``syncd.daemon.Daemon`` is one)."""


def build_app(daemon: _Served, metrics: Metrics, settings: Settings) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "alive"})

    async def readyz(_request: Request) -> JSONResponse:
        ready, detail = await run_in_threadpool(daemon.readiness)
        return JSONResponse(detail, status_code=200 if ready else 503)

    async def metrics_endpoint(_request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    receiver = WebhookReceiver(
        daemon, settings.webhook_secret, metrics, insecure=settings.webhook_insecure
    )
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        *receiver.routes(),
    ]

    # A crash inside an endpoint: a JSON 500 (from this handler) and one JSON log line
    # (from ``_LoggedErrors``), never uvicorn's plain-text traceback in the log stream.
    async def crashed(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "internal error"}, 500)

    return Starlette(routes=routes, exception_handlers={Exception: crashed})


class _LoggedErrors:
    """Outermost ASGI layer: Starlette re-raises an endpoint's exception after answering
    500 so that the server can log it; log it here, through syncd's logger, and stop it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            path = str(scope.get("path", ""))[:200]
            get_logger("syncd.http_server").exception("http.crashed", path=path)
            if not started and scope["type"] == "http":
                await JSONResponse({"error": "internal error"}, 500)(scope, receive, send)


class HttpServer:
    """uvicorn in a daemon thread, on a socket bound up front.

    Binding here (not inside uvicorn) makes "port in use" an immediate error in the caller
    and lets tests ask for port 0 and read the port the kernel chose.
    """

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((host, port))
        except OSError as exc:
            self._sock.close()
            raise ConfigError(
                f"SYNCD_HTTP_HOST/SYNCD_HTTP_PORT: cannot listen on {host}:{port}: "
                f"{exc.strerror} (another syncd, or set SYNCD_HTTP_PORT=0 to serve no HTTP)"
            ) from None
        self._sock.listen(128)
        self.host, self.port = host, self._sock.getsockname()[1]
        config = uvicorn.Config(
            _LoggedErrors(app),
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="syncd-http", daemon=True)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in {"0.0.0.0", ""} else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._sock.close()
                raise RuntimeError(f"HTTP server did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        get_logger("syncd.http_server").info("http.listening", host=self.host, port=self.port)

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._sock.close()


def serve(daemon: Any, settings: Settings, metrics: Metrics) -> int:
    """Run ``daemon`` (a ``syncd.daemon.Daemon``) with the HTTP server unless
    ``http_port`` is 0; block until SIGTERM/SIGINT; return the process exit code. The
    server gets what is left of the shutdown timeout once the daemon has stopped."""
    server: HttpServer | None = None
    if settings.http_port:
        app = build_app(daemon, metrics, settings)
        server = HttpServer(app, settings.http_host, settings.http_port)
        server.start()
    try:
        code: int = daemon.run()
    finally:
        if server is not None:
            server.stop(timeout=max(0.05, daemon.time_left()))
    return code
