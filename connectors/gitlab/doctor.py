"""``syncd doctor`` for a GitLab source: one clear line per thing that must hold.

1. version — the server answers ``/version`` (and which GitLab it is);
2. auth — the token works, whose it is and what kind: a personal access token of a person,
   or a project/group access token (a bot user with a stable author id, the recommended
   set-up); its scopes must include ``api`` to write notes;
3. scope — the configured project or group is readable;
4. notes — the account's role lets it comment (Guest or more) and, if syncd labels tasks,
   set labels (Reporter or more).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.base import DoctorCheck
from syncd.core.errors import ConnectorError

if TYPE_CHECKING:
    from connectors.gitlab.connector import GitLabConnector

__all__ = ["run_doctor"]

_ROLES = {
    10: "Guest",
    15: "Planner",
    20: "Reporter",
    30: "Developer",
    40: "Maintainer",
    50: "Owner",
}


def _get(conn: GitLabConnector, path: str, operation: str) -> dict[str, Any]:
    with conn.errors(operation):
        data = conn.gl.http_get(path)
    if not isinstance(data, dict):
        raise ConnectorError(f"GitLab {operation}: unexpected answer", source=conn.source)
    return data


def run_doctor(conn: GitLabConnector) -> list[DoctorCheck]:
    checks: list[DoctorCheck] = []
    try:
        version = _get(conn, "/version", "read version")
        checks.append(DoctorCheck("version", True, f"GitLab {version.get('version')}", version))
    except ConnectorError as exc:
        checks.append(DoctorCheck("version", False, str(exc)))
        return checks
    try:
        user = _get(conn, "/user", "read current user")
    except ConnectorError as exc:
        checks.append(DoctorCheck("auth", False, str(exc)))
        return checks
    kind = "OAuth token" if conn.config.auth.kind == "bearer" else "personal access token"
    if user.get("bot"):
        kind = "project/group access token (bot user)"
    scopes: list[str] | None = None
    if conn.config.auth.kind == "private_token":
        try:
            scopes = list(
                _get(conn, "/personal_access_tokens/self", "read token").get("scopes", [])
            )
        except ConnectorError:
            scopes = None  # older GitLab: cannot tell
    detail = f"signed in as @{user.get('username')} (id {user.get('id')}), {kind}"
    if scopes is not None:
        detail += f", scopes {', '.join(scopes) or 'none'}"
    can_write = scopes is None or "api" in scopes
    if not can_write:
        detail += ": the 'api' scope is needed to write notes"
    checks.append(DoctorCheck("auth", can_write, detail, {"user_id": user.get("id"), "kind": kind}))
    scope = conn.config.scope
    if scope.project:
        owner, what = f"/projects/{_quote(scope.project)}", f"project {scope.project}"
    else:
        owner, what = f"/groups/{_quote(str(scope.group))}", f"group {scope.group}"
    try:
        _get(conn, owner, f"read {what}")
        checks.append(DoctorCheck("scope", True, f"{what} is readable"))
    except ConnectorError as exc:
        checks.append(DoctorCheck("scope", False, str(exc)))
        return checks
    try:
        member = _get(conn, f"{owner}/members/all/{user.get('id')}", "read membership")
        level = int(member.get("access_level") or 0)
    except ConnectorError as exc:
        checks.append(DoctorCheck("notes", False, f"cannot tell the account's role: {exc}"))
        return checks
    role = _ROLES.get(level, str(level))
    ok = level >= 10 and can_write and (level >= 20 or not conn.config.labels_on_finding)
    detail = f"role {role}: " + ("can create notes" if level >= 10 else "cannot comment")
    if conn.config.labels_on_finding:
        detail += ", can set labels" if level >= 20 else ", cannot set labels (Reporter needed)"
    checks.append(DoctorCheck("notes", ok, detail, {"access_level": level}))
    return checks


def _quote(ref: str) -> str:
    from urllib.parse import quote

    return quote(ref, safe="")
