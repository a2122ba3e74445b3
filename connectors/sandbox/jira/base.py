"""Plumbing shared by the sandbox Jira's endpoints: authentication per flavour, the
per-request renderer, Jira-shaped errors and parameter parsing.

Cloud accepts HTTP basic (e-mail + API token) and answers a failure with Cloud's plain-text
401; Data Center accepts a Bearer personal access token and answers with JSON. Endpoints
are ``async (request, user, renderer) -> Response``; ``route`` wraps them with the version
check (Data Center has no REST v3), authentication and error mapping.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from connectors.sandbox.common.control import SandboxClock
from connectors.sandbox.common.seed import Seed, SeedUser
from connectors.sandbox.jira.hooks import JiraWebhooks
from connectors.sandbox.jira.jql import JqlContext, JqlError
from connectors.sandbox.jira.render import (
    FIELDS,
    START_DATE_FIELD,
    TARGET_START_FIELD,
    Renderer,
)
from connectors.sandbox.jira.store import JiraStore, StoreError

__all__ = ["EMBEDDED_COMMENT_CAP", "GONE", "PROPERTY_LIMIT", "JiraBase", "error"]


Handler = Callable[[Request, SeedUser, Renderer], Awaitable[Response]]
EMBEDDED_COMMENT_CAP = 20
PROPERTY_LIMIT = 32_768
GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


def error(status: int, *messages: str, errors: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"errorMessages": list(messages), "errors": errors or {}}, status_code=status
    )


class JiraBase:
    """State and plumbing every endpoint group uses."""

    def __init__(self, seed: Seed, flavour: Literal["cloud", "dc"], short_pages: bool) -> None:
        self.flavour = flavour
        self.cloud = flavour == "cloud"
        self.short_pages = short_pages
        self.drop_comment_properties = False
        """Accept ``properties`` on a new comment but keep none (some servers and proxies
        do): exercises the connector's text-marker fallback."""
        self.clock = SandboxClock()
        self.store = JiraStore(seed, self.clock.now)
        self.webhooks = JiraWebhooks(self.store, flavour)
        self.field_ids = {f[0] for f in FIELDS} | {
            START_DATE_FIELD[flavour],
            TARGET_START_FIELD[flavour],
        }
        self._credentials: dict[str, SeedUser] = {}
        for u in seed.users:
            if u.token:
                key = f"basic:{u.email}:{u.token}" if self.cloud else f"bearer:{u.token}"
                self._credentials[key] = u

    # ------------------------------------------------------------------ plumbing

    def authenticate(self, request: Request) -> SeedUser | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if self.cloud and scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip()).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return None
            return self._credentials.get("basic:" + decoded)
        if not self.cloud and scheme.lower() == "bearer":
            return self._credentials.get("bearer:" + value.strip())
        return None

    def unauthorized(self) -> Response:
        if self.cloud:
            return PlainTextResponse(
                "Client must be authenticated to access this resource.", status_code=401
            )
        return error(
            401, "You are not authenticated. Authentication required to perform this operation."
        )

    def route(
        self, handler: Handler, *, cloud_only: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            version = request.path_params.get("version", "2")
            if version not in ("2", "3", "latest") or (not self.cloud and version == "3"):
                return error(404, "null for uri: " + str(request.url))
            if cloud_only and not self.cloud:
                return error(404, "null for uri: " + str(request.url))
            user = self.authenticate(request)
            if user is None:
                return self.unauthorized()
            base = str(request.base_url).rstrip("/")
            renderer = Renderer(
                self.store, self.flavour, "2" if version == "latest" else version, base, user
            )
            try:
                return await handler(request, user, renderer)
            except StoreError as exc:
                return error(exc.status, str(exc))
            except JqlError as exc:
                return error(400, str(exc))

        return endpoint

    async def body(self, request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw) if raw else None
        except json.JSONDecodeError as exc:
            raise StoreError(f"Unexpected character in JSON body: {exc.msg}", status=400) from None

    def ctx(self, user: SeedUser) -> JqlContext:
        return JqlContext(self.store, user, self.clock.now(), self.cloud)

    @staticmethod
    def _int(value: Any, name: str, default: int) -> int:
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise StoreError(
                f"The value '{value}' is invalid for the parameter '{name}'.", status=400
            ) from None

    def _expand(self, value: Any) -> set[str]:
        items = value if isinstance(value, list) else str(value or "").split(",")
        return {e.strip() for e in items if e.strip()}
