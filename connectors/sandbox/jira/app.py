"""The sandbox Jira: a Starlette app that answers like Jira Cloud or Jira Data Center.

``create_jira_app(seed, "cloud" | "dc")`` → an ASGI app. Close enough to Jira that the real
``jira`` library and ``jira.js`` cannot tell (see README.md for the list of behaviours and
``../shared/reference/jira/NOTES.md`` for the traps it reproduces). State lives in
``jira_store``, JQL in ``jira_jql``, paging in ``jira_search``, JSON shapes in
``jira_render``; endpoints in ``jira_reads``/``jira_writes`` on the plumbing of
``jira_base``; this module puts them together and maps the routes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from starlette.applications import Starlette
from starlette.routing import Route

from connectors.sandbox.common.seed import Seed
from connectors.sandbox.jira.reads import ReadEndpoints
from connectors.sandbox.jira.writes import WriteEndpoints

__all__ = ["create_jira_app"]


class _Jira(ReadEndpoints, WriteEndpoints):
    """The whole sandbox Jira: read and write endpoints over one store."""


def create_jira_app(
    seed: Seed,
    flavour: Literal["cloud", "dc"],
    *,
    short_pages: bool = False,
    search_lag: float = 0.0,
    drop_comment_properties: bool = False,
) -> Starlette:
    """The sandbox Jira for ``seed``.

    ``short_pages``: Cloud search returns every other page short while more follow (allowed
    by the real API; clients must follow the token). ``search_lag`` (seconds, Cloud): search
    results are eventually consistent — they show issues as they were that long ago, except
    the ids passed in ``reconcileIssues`` (read-after-write, as on Cloud).
    ``drop_comment_properties``: new comments keep no ``properties`` (accepted, then
    dropped), like servers that ignore them."""
    if flavour not in ("cloud", "dc"):
        raise ValueError(f"flavour: expected 'cloud' or 'dc', got {flavour!r}")
    jira = _Jira(seed, flavour, short_pages)
    jira.store.lag = timedelta(seconds=search_lag)
    jira.drop_comment_properties = drop_comment_properties
    api = "/rest/api/{version}"
    w = jira.route
    routes = [
        Route(f"{api}/serverInfo", jira.server_info, methods=["GET"]),
        Route(f"{api}/myself", w(jira.myself), methods=["GET"]),
        Route(f"{api}/field", w(jira.fields), methods=["GET"]),
        Route(f"{api}/status", w(jira.statuses), methods=["GET"]),
        Route(f"{api}/mypermissions", w(jira.permissions), methods=["GET"]),
        Route(f"{api}/search/jql", w(jira.search_jql, cloud_only=True), methods=["GET", "POST"]),
        Route(
            f"{api}/search/approximate-count",
            w(jira.approximate_count, cloud_only=True),
            methods=["POST"],
        ),
        Route(f"{api}/search", w(jira.search_dc), methods=["GET", "POST"]),
        Route(f"{api}/issue/{{key}}", w(jira.get_issue), methods=["GET"]),
        Route(f"{api}/issue/{{key}}", w(jira.put_issue), methods=["PUT"]),
        Route(
            f"{api}/issue/{{key}}/changelog", w(jira.changelog, cloud_only=True), methods=["GET"]
        ),
        Route("/rest/agile/1.0/issue/rank", w(jira.rank), methods=["PUT"]),
        Route(f"{api}/issue/{{key}}/comment", w(jira.list_comments), methods=["GET"]),
        Route(f"{api}/issue/{{key}}/comment", w(jira.add_comment), methods=["POST"]),
        Route(f"{api}/issue/{{key}}/comment/{{cid}}", w(jira.get_comment), methods=["GET"]),
        Route(f"{api}/issue/{{key}}/properties", w(jira.property_keys), methods=["GET"]),
        Route(f"{api}/issue/{{key}}/properties/{{prop}}", w(jira.get_property), methods=["GET"]),
        Route(f"{api}/issue/{{key}}/properties/{{prop}}", w(jira.put_property), methods=["PUT"]),
        Route(
            f"{api}/issue/{{key}}/properties/{{prop}}", w(jira.delete_property), methods=["DELETE"]
        ),
        Route(f"{api}/comment/{{cid}}/properties", w(jira.property_keys), methods=["GET"]),
        Route(f"{api}/comment/{{cid}}/properties/{{prop}}", w(jira.get_property), methods=["GET"]),
        Route(f"{api}/comment/{{cid}}/properties/{{prop}}", w(jira.put_property), methods=["PUT"]),
        Route(
            f"{api}/comment/{{cid}}/properties/{{prop}}",
            w(jira.delete_property),
            methods=["DELETE"],
        ),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox_act = jira.act
    app.state.sandbox_clock = jira.clock
    app.state.sandbox_webhooks = jira.webhooks.hub
    app.state.jira = jira
    return app
