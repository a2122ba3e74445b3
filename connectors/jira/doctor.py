"""``syncd doctor`` for a Jira source: one clear line per thing that must work.

Each check catches its own failure, so one broken thing (say, permissions) does not hide the
others. Messages come from ``syncd.core.errors`` and never carry the token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from connectors.base import DoctorCheck
from connectors.jira.errors import jira_errors
from syncd.core.errors import SyncdError

if TYPE_CHECKING:
    from connectors.jira.connector import JiraConnector

__all__ = ["run_checks"]

_PERMISSIONS = ("BROWSE_PROJECTS", "ADD_COMMENTS")


def _guard(name: str, check: Callable[[], DoctorCheck]) -> DoctorCheck:
    try:
        return check()
    except SyncdError as exc:
        return DoctorCheck(name=name, ok=False, detail=str(exc))


def run_checks(conn: JiraConnector) -> list[DoctorCheck]:
    """The checks in order. Connecting is the first one: a server that cannot be reached
    (wrong URL or port, down, TLS) gives one failed ``server`` line and nothing more —
    every later check would only repeat the same failure."""
    try:
        site = conn.site
    except SyncdError as exc:
        return [DoctorCheck(name="server", ok=False, detail=f"{_shown(conn.config.url)}: {exc}")]
    info = site.server_info
    flavour = "Cloud" if site.cloud else "Data Center"
    detail = (
        f"{info.get('serverTitle') or conn.config.url}: Jira {info.get('version', '?')}, "
        f"{flavour}, REST v{site.api_version}"
    )
    mismatch = conn.config.flavour != "auto" and site.cloud != site.detected_cloud
    if mismatch:
        detail += f" (flavour forced to {conn.config.flavour}; server says "
        detail += f"{info.get('deploymentType')!r})"
    checks = [
        DoctorCheck(name="server", ok=not mismatch, detail=detail, extra={"cloud": site.cloud})
    ]
    checks.append(_guard("auth", lambda: _auth(conn)))
    if not checks[-1].ok:  # everything below would fail the same way: say it once
        return checks
    checks.append(_guard("time zone", lambda: _zone(conn)))
    checks.append(_guard("jql", lambda: _jql(conn)))
    checks.append(_guard("permissions", lambda: _permissions(conn)))
    checks.append(_guard("start date field", lambda: _start_field(conn)))
    return checks


def _shown(url: str) -> str:
    """The URL without any ``user:password@`` part."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _auth(conn: JiraConnector) -> DoctorCheck:
    bot = conn.bot()
    who = f"{bot.name} ({'accountId' if conn.site.cloud else 'user'} {bot.id})"
    return DoctorCheck(name="auth", ok=True, detail=f"logged in as {who}", extra={"id": bot.id})


def _zone(conn: JiraConnector) -> DoctorCheck:
    raw = conn.myself().get("timeZone")
    zone = conn.profile_zone()
    if not raw:
        return DoctorCheck(
            name="time zone", ok=False, detail="profile has no timeZone; assuming UTC for JQL"
        )
    return DoctorCheck(
        name="time zone",
        ok=True,
        detail=f"JQL dates are read in {zone.key}",
        extra={"zone": zone.key},
    )


def _jql(conn: JiraConnector) -> DoctorCheck:
    jql = conn.config.scope.jql or ""
    client = conn.site.client
    with jira_errors("JQL check", conn.source):
        if conn.site.cloud:
            count: Any = client.approximate_issue_count(jql)
            size = f"about {count} issues"
        else:
            data = client.search_issues(jql, maxResults=1, fields=["id"], json_result=True)
            count = data.get("total")
            size = f"{count} issues"
    return DoctorCheck(name="jql", ok=True, detail=f"JQL is valid: {size}", extra={"count": count})


def _permissions(conn: JiraConnector) -> DoctorCheck:
    jql = conn.config.scope.jql or ""
    client = conn.site.client
    with jira_errors("permissions", conn.source):
        if conn.site.cloud:
            hits = client.enhanced_search_issues(jql, maxResults=1, fields=["id"], json_result=True)
        else:
            hits = client.search_issues(jql, maxResults=1, fields=["id"], json_result=True)
        issues = hits.get("issues") or []
        params: dict[str, Any] = {"permissions": ",".join(_PERMISSIONS)}
        # Cloud's search/jql may answer with the id only; mypermissions takes either.
        first = (issues[0].get("key") or issues[0].get("id")) if issues else None
        if first:
            params["issueKey"] = first
        granted = conn.site.get("mypermissions", params=params).get("permissions") or {}
    missing = [p for p in _PERMISSIONS if not (granted.get(p) or {}).get("havePermission")]
    where = f" on {params['issueKey']}" if "issueKey" in params else ""
    if missing:
        return DoctorCheck(
            name="permissions",
            ok=False,
            detail=f"missing {', '.join(missing)}{where}: syncd cannot read or comment",
        )
    return DoctorCheck(name="permissions", ok=True, detail=f"can browse and comment{where}")


def _start_field(conn: JiraConnector) -> DoctorCheck:
    name = conn.config.start_date_field
    if not name:
        return DoctorCheck(
            name="start date field", ok=True, detail="not configured (changelog used)"
        )
    field_id = conn.start_field()
    if field_id is None:
        return DoctorCheck(
            name="start date field",
            ok=False,
            detail=f"no field named {name!r}; starts will come from the changelog",
        )
    return DoctorCheck(name="start date field", ok=True, detail=f"{name!r} is {field_id}")
