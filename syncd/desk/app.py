"""The desk's routes on the daemon's HTTP server, under ``/desk/``.

Off unless configured (``SYNCD_DESK_SECRET`` and/or ``SYNCD_DESK_PROXY_HEADER`` with
``SYNCD_DESK_TRUSTED_PROXIES``). Read-only: only GET, nothing in the store is written.
Without a valid signed link (exchanged once for a cookie, so the token does not stay in
the address bar) or a trusted proxy's header, every page answers 403 with no data and no
manager's name; a task or client outside what the manager owns answers 404 — the same as
one that does not exist, so a guess tells nothing. Every answer carries the security
headers (CSP without inline script or style, no framing, no referrer).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib import resources
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.policy import ManagerConfig, Policy
from config.settings import Settings
from rules.engine import Engine
from syncd.core.errors import ConfigError
from syncd.core.logs import get_logger
from syncd.desk.access import ProxyAccess, parse_networks, verify_token
from syncd.desk.cache import ViewCache, ViewKey, view_key
from syncd.desk.pages import (
    DeskView,
    build_view,
    overview_page,
    previous_month,
    report_page,
    reports_page,
    timeline_page,
    why_page,
)
from syncd.desk.shelf import ShelvedEngine
from syncd.digest.monthly import parse_month
from syncd.digest.scope import owns
from syncd.explain import explain_task
from syncd.store import Store

__all__ = ["COOKIE", "SECURITY_HEADERS", "Desk", "desk_enabled"]

COOKIE = "syncd_desk"
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_DENIED = "<!DOCTYPE html><title>403</title><p>No access: open the desk with your link.</p>\n"
_MISSING = "<!DOCTYPE html><title>404</title><p>Not found.</p>\n"

_log = get_logger("syncd.desk")


def desk_enabled(settings: Settings) -> bool:
    return settings.desk_secret is not None or bool(settings.desk_proxy_header)


class _Headers:
    """Security headers on every answer under ``/desk`` (403, 404 and 500 too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.decode("latin-1").lower() not in {h.lower() for h in SECURITY_HEADERS}
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class Desk:
    """The desk over a policy (read at each request: a reload is seen at once) and the
    shared store (several replicas serve the same pages)."""

    def __init__(
        self,
        settings: Settings,
        policy: Callable[[], Policy],
        store: Store,
        now: Callable[[], datetime],
    ) -> None:
        self.secret = settings.desk_secret.get_secret_value() if settings.desk_secret else None
        self.proxy: ProxyAccess | None = None
        if settings.desk_proxy_header:
            try:
                trusted = parse_networks(settings.desk_trusted_proxies)
            except ValueError as exc:
                raise ConfigError(f"SYNCD_DESK_TRUSTED_PROXIES: {exc}") from None
            if not trusted:
                raise ConfigError(
                    "SYNCD_DESK_PROXY_HEADER is set but SYNCD_DESK_TRUSTED_PROXIES is empty: "
                    "name the proxy's address, or anyone could send the header"
                )
            self.proxy = ProxyAccess(settings.desk_proxy_header, trusted)
        self.policy = policy
        self.store = store
        self.now = now
        self._engines: dict[int, tuple[Policy, Engine]] = {}
        self.views = ViewCache()

    def engine(self, policy: Policy) -> Engine:
        known = self._engines.get(id(policy))
        if known is None or known[0] is not policy:
            known = (policy, ShelvedEngine.from_policy(policy))
            self._engines = {id(policy): known}  # the previous policy's engine is let go
        return known[1]

    # -- who ------------------------------------------------------------------------
    def viewer(self, request: Request, policy: Policy) -> ManagerConfig | None:
        name: str | None = None
        if self.proxy is not None:
            client = request.client.host if request.client else None
            name = self.proxy.manager(policy, client, request.headers.get(self.proxy.header))
        if name is None and self.secret is not None:
            token = request.cookies.get(COOKIE)
            if token:
                name = verify_token(self.secret, token, self.now())
        if name is None:
            return None
        return next((m for m in policy.managers if m.name == name), None)

    # -- routes ---------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route("/desk/login/{token}", self.login, methods=["GET"]),
            Route("/desk/static/desk.css", self.css, methods=["GET"]),
            Route("/desk/", self.page(self._overview), methods=["GET"]),
            Route("/desk/timeline", self.page(self._timeline), methods=["GET"]),
            Route("/desk/reports", self.page(self._reports), methods=["GET"]),
            Route("/desk/report", self.page(self._report), methods=["GET"]),
            Route("/desk/why", self.page(self._why), methods=["GET"]),
        ]

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """``app`` with the desk's headers on every ``/desk`` answer."""
        headed = _Headers(app)

        async def route(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and str(scope.get("path", "")).startswith("/desk"):
                await headed(scope, receive, send)
            else:
                await app(scope, receive, send)

        return route

    async def login(self, request: Request) -> Response:
        token = request.path_params["token"]
        if self.secret is None or verify_token(self.secret, token, self.now()) is None:
            return HTMLResponse(_DENIED, 403)
        response = RedirectResponse("/desk/", 303)
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/desk",
        )
        return response

    async def css(self, _request: Request) -> Response:
        text = resources.files("syncd.desk").joinpath("desk.css").read_text(encoding="utf-8")
        return Response(text, media_type="text/css")

    def page(self, build: Callable[[Request, Policy, ManagerConfig], str | None]) -> Any:
        async def endpoint(request: Request) -> Response:
            policy = self.policy()
            manager = self.viewer(request, policy)
            if manager is None:
                return HTMLResponse(_DENIED, 403)
            html = await run_in_threadpool(build, request, policy, manager)
            if html is None:
                return HTMLResponse(_MISSING, 404)
            return HTMLResponse(html)

        return endpoint

    def _build(
        self, policy: Policy, manager: ManagerConfig
    ) -> tuple[ViewKey, Callable[[], DeskView]]:
        """The cache key of ``manager``'s view now, and how to build it on a miss."""
        key = view_key(self.store, policy, manager, self.now())

        def build() -> DeskView:
            return build_view(
                policy,
                self.store,
                self.engine(policy),
                manager,
                key.minute,  # the page is the minute's, whichever second asked first
                shelf=self.views.shelf(key),
                marker=key.tasks,
            )

        return key, build

    def _view(self, policy: Policy, manager: ManagerConfig) -> DeskView:
        return self.views.view(*self._build(policy, manager), policy=policy)

    def _cached_page(
        self, policy: Policy, manager: ManagerConfig, name: str, render: Callable[[DeskView], str]
    ) -> str:
        key, build = self._build(policy, manager)
        return self.views.page(key, policy, build, name, render)

    def _overview(self, _r: Request, policy: Policy, manager: ManagerConfig) -> str:
        return self._cached_page(policy, manager, "overview", overview_page)

    def _timeline(self, _r: Request, policy: Policy, manager: ManagerConfig) -> str:
        return self._cached_page(policy, manager, "timeline", timeline_page)

    def _reports(self, _r: Request, policy: Policy, manager: ManagerConfig) -> str:
        return self._cached_page(policy, manager, "reports", reports_page)

    def _report(self, request: Request, policy: Policy, manager: ManagerConfig) -> str | None:
        view = self._view(policy, manager)
        client = request.query_params.get("client", "")
        month = request.query_params.get("month") or previous_month(view)
        try:
            parse_month(month)
        except ValueError:
            return None
        if not view.owns_client(client):
            return None
        return report_page(view, self.store, client, month)

    def _why(self, request: Request, policy: Policy, manager: ManagerConfig) -> str | None:
        source = request.query_params.get("source", "")
        key = request.query_params.get("key", "")
        task = self.store.get_task(source, key) if source and key else None
        if task is None or not owns(manager, task):
            return None
        view = self._view(policy, manager)
        explained = explain_task(
            policy, self.store, source, key, self.now(), language=manager.language
        )
        return why_page(view, explained)
