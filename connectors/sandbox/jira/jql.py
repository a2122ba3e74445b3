"""The JQL subset the sandbox Jira understands: parse, check against the store, evaluate, sort.

Real configurations use ``project``, ``updated``/``created`` comparisons, ``statusCategory``,
``status``, ``labels``, ``assignee``, ``issuetype``, ``component`` joined by AND/OR with
parentheses, and ``ORDER BY updated ASC, key ASC``. Anything outside the subset — an
unknown field, function or value — is answered with 400 and Jira's wording, never ignored:
a connector must not believe a filter worked when it did not.

Date literals have minute precision and are read in the *searching user's* profile time
zone, exactly the trap the connector has to get right.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.sandbox.common.seed import SeedUser
from connectors.sandbox.jira.jql_parse import (
    Clause,
    JqlError,
    Node,
    Query,
    Value,
    parse_jql,
)
from connectors.sandbox.jira.render import START_DATE_FIELD, TARGET_START_FIELD, target_start
from connectors.sandbox.jira.store import STATUSES, JiraIssue, JiraStore

__all__ = [
    "Clause",
    "JqlContext",
    "JqlError",
    "Query",
    "compare_values",
    "compile_query",
    "parse_jql",
    "sort_values",
]


@dataclass
class JqlContext:
    store: JiraStore
    user: SeedUser
    now: datetime
    cloud: bool
    reconcile: frozenset[int] = frozenset()
    """Issue ids a Cloud search must show as they are now (``reconcileIssues``)."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.user.time_zone)


Predicate = Callable[[JiraIssue], bool]
_DATE_FIELDS = {
    "updated": "updated",
    "created": "created",
    "resolutiondate": "resolved",
    "resolved": "resolved",
}
_DUE_FIELDS = {"duedate", "due"}
_PERIOD = re.compile(r"^([+-]?)((?:\d+[wdhm]\s*)+)$")
_LITERAL_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
_FUNCTIONS = {"currentuser", "now", "startofday", "endofday", "startofweek", "endofweek"}


def _period(text: str) -> timedelta | None:
    m = _PERIOD.match(text.strip())
    if not m:
        return None
    units = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}
    seconds = sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([wdhm])", m.group(2)))
    return timedelta(seconds=-seconds if m.group(1) == "-" else seconds)


def _moment(field: str, value: Value, ctx: JqlContext) -> datetime:
    if value.function:
        name = value.text.lower()
        shift = _period(value.args[0]) if value.args else timedelta(0)
        if shift is None:
            raise JqlError(f"Invalid argument '{value.args[0]}' for function '{value.text}()'.")
        local = ctx.now.astimezone(ctx.zone)
        midnight = datetime.combine(local.date(), time(0), ctx.zone)
        if name == "now":
            return ctx.now + shift
        if name == "startofday":
            return midnight + shift
        if name == "endofday":
            return midnight + timedelta(days=1, milliseconds=-1) + shift
        if name in ("startofweek", "endofweek"):
            start = midnight - timedelta(
                days=(local.weekday() + 1) % 7
            )  # Jira weeks start on Sunday
            return (
                start if name == "startofweek" else start + timedelta(days=7, milliseconds=-1)
            ) + shift
        raise JqlError(f"Unable to find JQL function '{value.text}()'.")
    period = _period(value.text)
    if period is not None:
        return ctx.now + period
    for fmt in _LITERAL_FORMATS:
        try:
            return datetime.strptime(value.text.strip(), fmt).replace(tzinfo=ctx.zone)
        except ValueError:
            continue
    raise JqlError(
        f"Date value '{value.text}' for field '{field}' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
        "or a period format e.g. '-5d', '4w 2d'."
    )


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == ">":
        return bool(a > b)
    if op == ">=":
        return bool(a >= b)
    if op == "<":
        return bool(a < b)
    return bool(a <= b)


def _check_function(field: str, value: Value, allowed: set[str]) -> None:
    if value.function:
        name = value.text.lower()
        if name not in _FUNCTIONS:
            raise JqlError(f"Unable to find JQL function '{value.text}()'.")
        if name not in allowed:
            raise JqlError(f"The field '{field}' does not support the function '{value.text}()'.")


def _date_clause(
    clause: Clause, ctx: JqlContext, get: Callable[[JiraIssue], datetime | None]
) -> Predicate:
    if clause.op in ("is", "isnot"):
        want_empty = clause.op == "is"
        return lambda i: (get(i) is None) == want_empty
    if clause.op in ("~", "!~"):
        raise JqlError(
            f"The operator '{clause.op}' is not supported by the '{clause.field}' field."
        )
    for v in clause.values:
        _check_function(
            clause.field, v, {"now", "startofday", "endofday", "startofweek", "endofweek"}
        )
    moments = [_moment(clause.field, v, ctx) for v in clause.values]
    if clause.op in ("in", "notin"):
        wanted = set(moments)
        inside = clause.op == "in"
        return lambda i: (get(i) in wanted) == inside
    op, moment = clause.op, moments[0]

    def pred(issue: JiraIssue) -> bool:
        value = get(issue)
        return value is not None and _compare(op, value, moment)

    return pred


def _set_clause(
    clause: Clause, resolve: Callable[[Value], Any], get: Callable[[JiraIssue], set[Any]]
) -> Predicate:
    if clause.op in ("is", "isnot"):
        want_empty = clause.op == "is"
        return lambda i: (not get(i)) == want_empty
    if clause.op not in ("=", "!=", "in", "notin"):
        raise JqlError(
            f"The operator '{clause.op}' is not supported by the '{clause.field}' field."
        )
    wanted = {resolve(v) for v in clause.values if not v.empty}
    with_empty = any(v.empty for v in clause.values)
    positive = clause.op in ("=", "in")

    def pred(issue: JiraIssue) -> bool:
        have = get(issue)
        hit = bool(have & wanted) or (with_empty and not have)
        return hit if positive else not hit and bool(have)

    return pred


def _lookup(field: str, table: dict[str, Any], value: Value) -> Any:
    if value.function:
        raise JqlError(f"Unable to find JQL function '{value.text}()'.")
    found = table.get(value.text.lower())
    if found is None:
        raise JqlError(f"The value '{value.text}' does not exist for the field '{field}'.")
    return found


def _day_field(field: str, ctx: JqlContext) -> Callable[[JiraIssue], date | None] | None:
    """Date-only fields: due date, and the custom "Start date" / decoy "Target start"
    (by name or as ``cf[id]``)."""
    flavour = "cloud" if ctx.cloud else "dc"
    start = START_DATE_FIELD[flavour].rsplit("_", 1)[1]
    target = TARGET_START_FIELD[flavour].rsplit("_", 1)[1]
    if field in _DUE_FIELDS:
        return lambda i: i.due
    if field in ("start date", f"cf[{start}]"):
        return lambda i: i.start_date
    if field in ("target start", f"cf[{target}]"):
        return lambda i: target_start(i.start_date)
    return None


def _clause(clause: Clause, ctx: JqlContext) -> Predicate:
    field = clause.field.lower()
    store = ctx.store
    if field in _DATE_FIELDS:
        attr = _DATE_FIELDS[field]
        return _date_clause(clause, ctx, lambda i: getattr(i, attr))
    day_of = _day_field(field, ctx)
    if day_of is not None:
        zone = ctx.zone

        def day(issue: JiraIssue) -> datetime | None:
            value = day_of(issue)
            return datetime.combine(value, time(0), zone) if value else None

        return _date_clause(clause, ctx, day)
    if field == "project":
        table: dict[str, Any] = {}
        for key, project in store.projects.items():
            table[key.lower()] = key
            table[project.name.lower()] = key
            table[str(store.project_ids[key])] = key
        return _set_clause(clause, lambda v: _lookup(clause.field, table, v), lambda i: {i.project})
    if field in ("key", "issuekey", "id"):
        keys = {i.key.lower(): i.key for i in store.issues} | {
            str(i.id): i.key for i in store.issues
        }
        return _set_clause(clause, lambda v: _lookup(clause.field, keys, v), lambda i: {i.key})
    if field == "status":
        table = {}
        for status, (name, sid, *_rest) in STATUSES.items():
            table[name.lower()] = status
            table[sid] = status
        return _set_clause(clause, lambda v: _lookup(clause.field, table, v), lambda i: {i.status})
    if field == "statuscategory":
        table = {}
        for status, (_n, _s, cat_key, cat_id, cat_name) in STATUSES.items():
            table[cat_key] = table[str(cat_id)] = table[cat_name.lower()] = status
        return _set_clause(clause, lambda v: _lookup(clause.field, table, v), lambda i: {i.status})
    if field in ("labels", "label"):
        return _set_clause(clause, lambda v: v.text, lambda i: set(i.labels))
    if field in ("component", "components"):
        table = {c.lower(): c for i in store.issues for c in i.components}
        return _set_clause(
            clause, lambda v: _lookup(clause.field, table, v), lambda i: set(i.components)
        )
    if field in ("issuetype", "type"):
        table = {i.type.lower(): i.type for i in store.issues} | {
            t.lower(): t for t in ("Task", "Story", "Bug", "Epic")
        }
        return _set_clause(clause, lambda v: _lookup(clause.field, table, v), lambda i: {i.type})
    if field == "priority":
        table = {i.priority.lower(): i.priority for i in store.issues if i.priority}
        table |= {p.lower(): p for p in ("Highest", "High", "Medium", "Low", "Lowest")}
        return _set_clause(
            clause, lambda v: _lookup(clause.field, table, v), lambda i: {i.priority} - {None}
        )
    if field == "resolution":
        table = {"unresolved": "__unresolved__", "done": "Done"}

        def resolution(issue: JiraIssue) -> set[Any]:
            return {"Done"} if issue.status == "done" else set()

        def resolve(v: Value) -> Any:
            found = _lookup(clause.field, table, v)
            return None if found == "__unresolved__" else found

        if any(v.text.lower() == "unresolved" for v in clause.values):
            base = Clause(
                clause.field,
                {"=": "is", "!=": "isnot", "in": "is", "notin": "isnot"}.get(clause.op, "is"),
                (),
            )
            return _set_clause(base, resolve, resolution)
        return _set_clause(clause, resolve, resolution)
    if field in ("assignee", "reporter"):
        attr = field

        def user(v: Value) -> Any:
            if v.function:
                _check_function(clause.field, v, {"currentuser"})
                return ctx.user.id
            found = store.by_account.get(v.text) if ctx.cloud else store.by_username.get(v.text)
            if found is None:
                raise JqlError(
                    f"The value '{v.text}' does not exist for the field '{clause.field}'."
                )
            return found.id

        return _set_clause(clause, user, lambda i: {getattr(i, attr)} - {None})
    raise JqlError(
        f"Field '{clause.field}' does not exist or you do not have permission to view it."
    )


def _compile(node: Node, ctx: JqlContext) -> Predicate:
    if isinstance(node, Clause):
        return _clause(node, ctx)
    parts = [_compile(p, ctx) for p in node.parts]
    if node.op == "not":
        inner = parts[0]
        return lambda i: not inner(i)
    if node.op == "and":
        return lambda i: all(p(i) for p in parts)
    return lambda i: any(p(i) for p in parts)


_PRIORITY_RANK = {"Highest": 1, "High": 2, "Medium": 3, "Low": 4, "Lowest": 5}
_SORTABLE = {
    "updated",
    "created",
    "key",
    "issuekey",
    "id",
    "duedate",
    "due",
    "priority",
    "status",
    "resolutiondate",
    "resolved",
    "summary",
}


def compile_query(query: Query, ctx: JqlContext) -> Predicate:
    for name, _desc in query.order:
        if name.lower() not in _SORTABLE:
            raise JqlError(f"Not able to sort using field '{name}'.")
    if query.where is None:
        return lambda i: True
    return _compile(query.where, ctx)


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _day(value: date | None) -> int | None:
    return None if value is None else value.toordinal()


def sort_values(issue: JiraIssue, order: tuple[tuple[str, bool], ...]) -> list[Any]:
    """JSON-able sort values (for keyset paging tokens); ``None`` sorts last ascending."""
    out: list[Any] = []
    for name, _desc in order:
        field = name.lower()
        if field == "updated":
            out.append(_ms(issue.updated))
        elif field == "created":
            out.append(_ms(issue.created))
        elif field in ("resolutiondate", "resolved"):
            out.append(_ms(issue.resolved))
        elif field in ("key", "issuekey"):
            out.append([issue.project, issue.number])
        elif field == "id":
            out.append(issue.id)
        elif field in ("duedate", "due"):
            out.append(_day(issue.due))
        elif field == "priority":
            out.append(_PRIORITY_RANK.get(issue.priority or "", 99) if issue.priority else None)
        elif field == "status":
            out.append(STATUSES[issue.status][0])
        else:
            out.append(issue.summary)
    out.append(issue.id)
    return out


def compare_values(a: list[Any], b: list[Any], order: tuple[tuple[str, bool], ...]) -> int:
    """-1/0/1 for two ``sort_values`` lists under ``order`` (+ ascending id tie-break)."""
    directions = [desc for _n, desc in order] + [False]
    for x, y, desc in zip(a, b, directions, strict=True):
        if x == y:
            continue
        if x is None:
            return 1
        if y is None:
            return -1
        result = -1 if x < y else 1
        return -result if desc else result
    return 0
