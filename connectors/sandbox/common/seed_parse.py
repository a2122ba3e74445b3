"""Checking a parsed seed (JSON/YAML data) against ``syncd-seed/1``, rule by rule.

Kept apart from ``seed.py`` (the dataclasses and the public loader) because this is the long,
boring part: every key is checked by type, every reference resolved, and the first problem
stops the load with the path of the offending value. Plain dicts come out; ``seed.py`` turns
them into dataclasses. Written for speed too: a 100,000-task seed must load in seconds.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["ParseError", "RawSeed", "parse_seed"]

_USERNAME = re.compile(r"[A-Za-z0-9._-]+")
_PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9]+")
_STATUSES = ("new", "in_progress", "done")
_DOC_KEYS = frozenset({"markdown", "wiki", "adf"})

_USER_KEYS = frozenset({"id", "name", "username", "email", "time_zone", "bot", "token"})
_USER_REQUIRED = ("id", "name", "username", "email", "time_zone")
_PROJECT_KEYS = frozenset({"key", "name", "client"})
_TASK_KEYS = frozenset({
    "project", "number", "title", "type", "status", "assignees", "reporter", "priority",
    "labels", "components", "created", "updated", "started", "start_date", "due", "resolved",
    "description", "comments",
})  # fmt: skip
_TASK_REQUIRED = ("project", "number", "title", "status", "reporter", "created")
Where = Callable[[], str]
"""Builds the path of a value, for an error message only."""
_COMMENT_KEYS = frozenset({"author", "created", "body", "internal"})


class ParseError(ValueError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass
class RawSeed:
    now: datetime | None
    users: list[dict[str, Any]]
    projects: list[dict[str, Any]]
    tasks: list[dict[str, Any]]


def _at(path: str, key: str) -> str:
    """The path of ``key`` inside ``path``: built only for an error message (formatting
    every path of a 100,000-task seed up front cost a third of the load)."""
    return f"{path}.{key}" if path else key


def _obj(
    value: Any, path: str, allowed: frozenset[str], required: tuple[str, ...]
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ParseError(path, f"expected an object, got {type(value).__name__}")
    if not value.keys() <= allowed:
        for key in value:
            if key not in allowed:
                raise ParseError(_at(path, str(key)), "unknown key")
    for key in required:
        if key not in value:
            raise ParseError(_at(path, key), "required")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ParseError(path, f"expected a list, got {type(value).__name__}")
    return value


def _str(value: Any, path: str, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ParseError(path, f"expected a string, got {type(value).__name__}")
    if not empty and not value.strip():
        raise ParseError(path, "must not be empty")
    return value


def _opt_str(value: Any, path: str) -> str | None:
    return None if value is None else _str(value, path)


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ParseError(path, f"expected true or false, got {value!r}")
    return value


def timestamp(value: Any, path: str) -> datetime:
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value)
        except ValueError:
            raise ParseError(path, f"not an ISO 8601 timestamp: {value!r}") from None
    else:
        raise ParseError(path, f"expected a timestamp string, got {type(value).__name__}")
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ParseError(path, f"timestamp needs an offset (e.g. +03:00): {value!r}")
    return ts


def _opt_timestamp(value: Any, path: str) -> datetime | None:
    return None if value is None else timestamp(value, path)


def _opt_date(value: Any, path: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ParseError(path, f"expected a date YYYY-MM-DD, got {value!r}")


def _strings(value: Any, where: Where) -> list[str]:
    if type(value) is list and all(type(v) is str and v.strip() for v in value):
        return list(value)
    path = where()
    return [_str(v, f"{path}[{i}]") for i, v in enumerate(_list(value, path))]


class _Parser:
    def __init__(self, jira: bool, make_doc: Callable[..., Any], decoded_json: bool) -> None:
        self.jira = jira
        self.make_doc = make_doc
        self.decoded_json = decoded_json
        self._adf_check: Callable[..., list[str]] | None = None
        self.user_ids: set[str] = set()
        self.project_keys: set[str] = set()

    def user(self, value: Any, path: str, index: int) -> dict[str, Any]:
        u = _obj(value, path, _USER_KEYS, _USER_REQUIRED)
        uid = _str(u["id"], f"{path}.id")
        if uid in self.user_ids:
            raise ParseError(f"{path}.id", f"duplicate user id {uid!r}")
        self.user_ids.add(uid)
        username = _str(u["username"], f"{path}.username")
        if not _USERNAME.fullmatch(username):
            raise ParseError(f"{path}.username", f"must match [A-Za-z0-9._-]+, got {username!r}")
        tz = _str(u["time_zone"], f"{path}.time_zone")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ParseError(f"{path}.time_zone", f"unknown IANA time zone {tz!r}") from None
        return {
            "id": uid,
            "name": _str(u["name"], f"{path}.name"),
            "username": username,
            "email": _str(u["email"], f"{path}.email"),
            "time_zone": tz,
            "bot": _bool(u.get("bot", False), f"{path}.bot"),
            "token": _opt_str(u.get("token"), f"{path}.token"),
            "index": index,
        }

    def project(self, value: Any, path: str) -> dict[str, Any]:
        p = _obj(value, path, _PROJECT_KEYS, ("key", "name"))
        key = _str(p["key"], f"{path}.key")
        if not _PROJECT_KEY.fullmatch(key):
            raise ParseError(f"{path}.key", f"must match [A-Z][A-Z0-9]+, got {key!r}")
        if key in self.project_keys:
            raise ParseError(f"{path}.key", f"duplicate project key {key!r}")
        self.project_keys.add(key)
        name = _str(p["name"], f"{path}.name")
        client = p.get("client")
        return {
            "key": key,
            "name": name,
            "client": name if client is None else _str(client, f"{path}.client"),
        }

    def user_ref(self, value: Any, path: str) -> str:
        uid = _str(value, path)
        if uid not in self.user_ids:
            raise ParseError(path, f"unknown user {uid!r}")
        return uid

    def adf_problems(self, adf: Any) -> list[str]:
        if self._adf_check is None:
            # Imported on the first ADF document: docconv loads markdown-it and jsonschema,
            # which a seed without ADF never needs.
            from connectors.sandbox.common.docconv import adf_shape_errors

            self._adf_check = adf_shape_errors
        return self._adf_check(adf, decoded_json=self.decoded_json)

    def document(self, value: Any, path: Where) -> Any:
        """A description or comment body; ``path`` builds its path (for errors only)."""
        if isinstance(value, str):
            return self.make_doc(markdown=value)
        if not isinstance(value, dict) or not value.keys() <= _DOC_KEYS:
            _obj(value, path(), _DOC_KEYS, ())  # names the problem (or lets a Mapping pass)
        d: Mapping[str, Any] = value
        if not d:
            raise ParseError(path(), "a document needs at least one of markdown, wiki, adf")
        adf = d.get("adf")
        if adf is not None:
            # Once per document shape: a seed of 100,000 tasks holds a handful of shapes.
            problems = self.adf_problems(adf)
            if problems:
                raise ParseError(f"{path()}.adf", f"not valid ADF: {problems[0]}")
            if not self.decoded_json:
                adf = dict(adf)  # the caller's data stays the caller's
        markdown, wiki = d.get("markdown"), d.get("wiki")
        return self.make_doc(
            markdown=None if markdown is None else _str(markdown, f"{path()}.markdown", empty=True),
            wiki=None if wiki is None else _str(wiki, f"{path()}.wiki", empty=True),
            adf=adf,
        )

    def comment(self, value: Any, path: Where) -> dict[str, Any]:
        """A comment; ``path`` builds its path (for errors only)."""
        if not isinstance(value, dict) or not value.keys() <= _COMMENT_KEYS:
            _obj(value, path(), _COMMENT_KEYS, ("author", "created", "body"))
        c: Mapping[str, Any] = value
        for key in ("author", "created", "body"):
            if key not in c:
                raise ParseError(f"{path()}.{key}", "required")
        author = c["author"]
        if type(author) is not str or author not in self.user_ids:
            self.user_ref(author, f"{path()}.author")  # raises, naming the problem
        created = _timestamp_at(c["created"], lambda: f"{path()}.created")
        body = self.document(c["body"], lambda: f"{path()}.body")
        internal = c.get("internal", False)
        if type(internal) is not bool:
            _bool(internal, f"{path()}.internal")
        return {"author": author, "created": created, "body": body, "internal": internal}

    def task(self, value: Any, path: str, numbers: set[tuple[str, int]]) -> dict[str, Any]:
        # Checks in a fixed order (the first problem is the one named); error paths are
        # built only when a check fails.
        t = _obj(value, path, _TASK_KEYS, _TASK_REQUIRED)
        project, number, status = self._identity(t, path, numbers)
        assignees = self._assignees(t.get("assignees", []), path)
        created = _timestamp_at(t["created"], lambda: f"{path}.created")
        started = _opt_timestamp_at(t.get("started"), lambda: f"{path}.started")
        resolved = _opt_timestamp_at(t.get("resolved"), lambda: f"{path}.resolved")
        if status == "in_progress" and started is None:
            raise ParseError(f"{path}.started", "required when status is in_progress")
        if status == "done" and resolved is None:
            raise ParseError(f"{path}.resolved", "required when status is done")
        comments = self._comments(t.get("comments", []), path)
        latest = max(
            [created, *(x for x in (started, resolved) if x), *(c["created"] for c in comments)]
        )
        updated = _opt_timestamp_at(t.get("updated"), lambda: f"{path}.updated") or latest
        if updated < created:
            raise ParseError(f"{path}.updated", "earlier than created")
        title = _name(t["title"], lambda: f"{path}.title")
        kind = _name(t.get("type", "Task"), lambda: f"{path}.type")
        reporter = t["reporter"]
        if type(reporter) is not str or reporter not in self.user_ids:
            self.user_ref(reporter, f"{path}.reporter")
        priority = t.get("priority")
        description = t.get("description")
        return {
            "project": project,
            "number": number,
            "title": title,
            "type": kind,
            "status": status,
            "assignees": assignees,
            "reporter": reporter,
            "priority": None if priority is None else _name(priority, lambda: f"{path}.priority"),
            "labels": _strings(t.get("labels", []), lambda: f"{path}.labels"),
            "components": _strings(t.get("components", []), lambda: f"{path}.components"),
            "created": created,
            "updated": updated,
            "started": started,
            "start_date": _opt_date_at(t.get("start_date"), lambda: f"{path}.start_date"),
            "due": _opt_date_at(t.get("due"), lambda: f"{path}.due"),
            "resolved": resolved,
            "description": None
            if description is None
            else self.document(description, lambda: f"{path}.description"),
            "comments": comments,
        }

    def _identity(
        self, t: Mapping[str, Any], path: str, numbers: set[tuple[str, int]]
    ) -> tuple[str, int, str]:
        project = t["project"]
        if type(project) is not str or project not in self.project_keys:
            _str(project, f"{path}.project")
            raise ParseError(f"{path}.project", f"unknown project {project!r}")
        number = t["number"]
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise ParseError(f"{path}.number", f"expected an integer ≥ 1, got {number!r}")
        if (project, number) in numbers:
            raise ParseError(f"{path}.number", f"duplicate task {project}-{number}")
        numbers.add((project, number))
        status = t["status"]
        if status not in _STATUSES:
            raise ParseError(
                f"{path}.status", f"expected one of new, in_progress, done, got {status!r}"
            )
        return project, number, status

    def _assignees(self, value: Any, path: str) -> list[str]:
        if isinstance(value, list) and all(type(a) is str and a in self.user_ids for a in value):
            assignees = list(value)
        else:
            assignees = [
                self.user_ref(a, f"{path}.assignees[{i}]")
                for i, a in enumerate(_list(value, f"{path}.assignees"))
            ]
        if len(assignees) > 1 and len(set(assignees)) != len(assignees):
            raise ParseError(f"{path}.assignees", "the same user is listed twice")
        if self.jira and len(assignees) > 1:
            raise ParseError(f"{path}.assignees", "Jira takes at most one assignee")
        return assignees

    def _comments(self, value: Any, path: str) -> list[dict[str, Any]]:
        items = value if type(value) is list else _list(value, f"{path}.comments")
        comments = [self.comment(c, functools.partial(_item, path, i)) for i, c in enumerate(items)]
        for i in range(1, len(comments)):
            if comments[i]["created"] < comments[i - 1]["created"]:
                raise ParseError(
                    f"{path}.comments[{i}].created", "comments must be listed oldest first"
                )
        return comments


def _item(path: str, index: int) -> str:
    return f"{path}.comments[{index}]"


# The ``*_at`` checks take ``where``, a function building the value's path: called only
# when the check fails (formatting every path of a 100,000-task seed up front cost a third
# of the load).


def _name(value: Any, where: Where) -> str:
    """A non-empty string (title, type, priority)."""
    if type(value) is not str or not value.strip():
        _str(value, where())
    return value  # type: ignore[no-any-return]


def _timestamp_at(value: Any, where: Where) -> datetime:
    if type(value) is str:
        try:
            ts = datetime.fromisoformat(value)
        except ValueError:
            ts = None
        if ts is not None and ts.tzinfo is not None and ts.utcoffset() is not None:
            return ts
    return timestamp(value, where())  # names the problem


def _opt_timestamp_at(value: Any, where: Where) -> datetime | None:
    return None if value is None else _timestamp_at(value, where)


def _opt_date_at(value: Any, where: Where) -> date | None:
    if value is None:
        return None
    if type(value) is str and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return _opt_date(value, where())


def parse_seed(
    data: Any, *, jira: bool, make_doc: Callable[..., Any], decoded_json: bool = False
) -> RawSeed:
    """Check ``data`` and return its parts as plain dicts; raise ``ParseError`` at the first
    problem. ``decoded_json``: ``data`` is ``json.loads``'s fresh answer, owned by the loader
    (documents are taken as they are, neither copied nor checked for non-JSON values)."""
    top = _obj(data, "", frozenset({"format", "now", "users", "projects", "tasks"}), ("format",))
    if top["format"] != "syncd-seed/1":
        raise ParseError("format", f"expected 'syncd-seed/1', got {top['format']!r}")
    now = _opt_timestamp(top.get("now"), "now")
    parser = _Parser(jira, make_doc, decoded_json)
    users = [
        parser.user(u, f"users[{i}]", i) for i, u in enumerate(_list(top.get("users", []), "users"))
    ]
    projects = [
        parser.project(p, f"projects[{i}]")
        for i, p in enumerate(_list(top.get("projects", []), "projects"))
    ]
    numbers: set[tuple[str, int]] = set()
    tasks = [
        parser.task(t, f"tasks[{i}]", numbers)
        for i, t in enumerate(_list(top.get("tasks", []), "tasks"))
    ]
    return RawSeed(now=now, users=users, projects=projects, tasks=tasks)
