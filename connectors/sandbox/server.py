"""Serving a sandbox tracker over real HTTP: ``SandboxServer`` (uvicorn in a background
thread, for tests and benchmarks) and ``run_sandbox`` (``syncd sandbox``, in the foreground).

A tracker app may publish two hooks on ``app.state`` that the server wires to the control
endpoints: ``sandbox_act`` (``Callable[[control.Act], dict]``, for ``POST /_sandbox/act``)
``sandbox_clock`` (a ``control.SandboxClock``) and ``sandbox_webhooks`` (a
``webhooks.WebhookHub``).
"""

from __future__ import annotations

import asyncio
import errno
import gc
import importlib
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from connectors.sandbox.common.faults import (
    TRANSPORT_KEY,
    ASGIApp,
    FaultPlan,
    Receive,
    RequestLog,
    Scope,
    Send,
    instrument,
)
from connectors.sandbox.common.seed import Seed, SeedUser, gc_paused, load_seed

__all__ = [
    "DEMO_SEED",
    "BindError",
    "SandboxServer",
    "create_app",
    "load_for_life",
    "run_sandbox",
]

DEMO_SEED = Path(__file__).with_name("seeds") / "demo.json"
FLAVOURS = ("jira-cloud", "jira-dc", "gitlab")


class BindError(OSError):
    """The sandbox cannot listen where it was asked to; the message is one line for a
    person (``syncd sandbox`` prints it and exits 2)."""


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, bound here rather than by uvicorn so a busy
    port is one clear error instead of uvicorn's log line and a timeout."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise BindError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise BindError(f"port {port} in use on {host}: choose another with --port") from None
        raise BindError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


class _DroppableH11(H11Protocol):
    """uvicorn's h11 protocol, exposing the connection's transport to the app so a fault can
    drop the connection (ASGI itself has no way to say "close without answering")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.app

        async def with_transport(scope: Scope, receive: Receive, send: Send) -> None:
            scope.setdefault("extensions", {})[TRANSPORT_KEY] = self.transport
            await inner(scope, receive, send)

        self.app = with_transport


class SandboxServer:
    """A tracker app served on ``host`` at a random (or given) port from a background thread.

    ``faults`` and ``log`` are the same objects the ``/_sandbox/`` endpoints use, so a test can
    drive them directly in Python or over HTTP."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.faults = FaultPlan()
        self.log = RequestLog()
        state = getattr(app, "state", None)
        self.asgi = instrument(
            app,
            self.faults,
            self.log,
            act=getattr(state, "sandbox_act", None),
            clock=getattr(state, "sandbox_clock", None),
            webhooks=getattr(state, "sandbox_webhooks", None),
        )
        """The instrumented app, also usable in-process (e.g. ``httpx.ASGITransport``)."""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> str:
        config = uvicorn.Config(
            self.asgi,
            host=self.host,
            port=self.port,
            http=_DroppableH11,
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
            loop="asyncio",
            date_header=False,  # the app stamps Date from the sandbox clock (``faults``)
        )
        sock = _listen(self.host, self.port)
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=self._serve, args=(server, sock), name="sandbox-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox server did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        sock = server.servers[0].sockets[0]
        self.port = int(sock.getsockname()[1])
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{self.port}"
        return self.url

    @staticmethod
    def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        finally:
            sock.close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def create_app(flavour: str, seed: Seed) -> ASGIApp:
    """The tracker app for ``flavour`` (imports lazily: each tracker is its own module)."""
    # Imported by name: each tracker is its own module, loaded only when served.
    if flavour in ("jira-cloud", "jira-dc"):
        module = importlib.import_module("connectors.sandbox.jira.app")
        app: ASGIApp = module.create_jira_app(seed, "cloud" if flavour == "jira-cloud" else "dc")
        return app
    if flavour == "gitlab":
        module = importlib.import_module("connectors.sandbox.gitlab.app")
        gitlab: ASGIApp = module.create_gitlab_app(seed)
        return gitlab
    raise ValueError(f"unknown sandbox flavour {flavour!r}; expected one of {', '.join(FLAVOURS)}")


def _credentials(flavour: str, user: SeedUser) -> str:
    role = " (bot)" if user.bot else ""
    if flavour == "jira-cloud":
        return (
            f"{user.name}{role}: basic auth {user.email} / {user.token}"
            f"  accountId {user.account_id}"
        )
    if flavour == "jira-dc":
        return f"{user.name}{role}: username {user.username}, Bearer PAT {user.token}"
    return (
        f"{user.name}{role}: username {user.username} (id {user.gitlab_id}),"
        f" PRIVATE-TOKEN {user.token}"
    )


def load_for_life(flavour: str, seed: Path, shift: bool) -> tuple[Seed, ASGIApp]:
    """The seed and the tracker app for a process that serves them until it ends
    (``syncd sandbox``): built with the collector paused, then frozen — out of the
    collector's sight before it is switched back on, or its first collections would walk
    the millions of objects of a 100,000-task seed, which stay anyway."""
    with gc_paused():
        loaded = load_seed(seed, flavour=flavour, shift=shift)  # type: ignore[arg-type]
        app = create_app(flavour, loaded)
        gc.freeze()
    return loaded, app


def run_sandbox(flavour: str, seed: Path | None, shift: bool, host: str, port: int) -> None:
    """``syncd sandbox``: serve ``flavour`` with ``seed`` (default: the demo agency) in the
    foreground, printing the URL and the seed users' credentials, until Ctrl-C."""
    if flavour not in FLAVOURS:
        raise ValueError(
            f"unknown sandbox flavour {flavour!r}; expected one of {', '.join(FLAVOURS)}"
        )
    loaded, app = load_for_life(flavour, seed or DEMO_SEED, shift)
    server = SandboxServer(app, host=host, port=port)
    url = server.start()
    try:
        print(f"syncd sandbox {flavour} serving {len(loaded.tasks)} tasks at {url}", flush=True)
        if loaded.now is not None:
            print(f"seed time: {loaded.now.isoformat()}{' (shifted)' if shift else ''}")
        print("credentials (users without a token cannot sign in):")
        for user in loaded.users:
            if user.token:
                print("  " + _credentials(flavour, user))
        print(
            f"control endpoints: {url}/_sandbox/ (faults, requests, act, clock); Ctrl-C to stop",
            flush=True,
        )
        while server._thread is not None and server._thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
