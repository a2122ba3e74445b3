"""The sandbox GitLab's ``POST /api/graphql``: exactly the part of GitLab's GraphQL schema
syncd queries (``connectors.gitlab.graphql``), served by ``graphql-core`` so a query real
GitLab would reject — an unknown field, a wrong argument or type — is rejected here too.

What it mirrors of GitLab (sources in ``connectors.gitlab.graphql``'s docstring):

- the schema subset: ``Query.project(fullPath: ID!)``, ``Project.issues(iids, first,
  after)``, ``Issue.iid``/``notes(first, after)``, ``Note`` (``id``, ``body``, ``system``,
  ``internal``, ``createdAt``, ``author``), ``UserCore`` and ``PageInfo``. Global ids
  (``gid://gitlab/Note/5001``), ``Time`` as ``Time#iso8601`` renders it (whole seconds, UTC
  ``Z``), notes oldest first as ``NotesFinder`` returns them, connections of at most 100
  nodes a page (``first`` above that is clamped, as graphql-ruby's ``max_page_size`` does);
- the limits: max depth 15 and max complexity 250 for an authenticated request, 10 and 200
  without a token (``GitlabSchema``). Complexity is GitLab's (``Types::BaseField``): a field
  costs 1 plus its selections; a resolver-backed connection (``Project.issues``,
  ``Issue.notes``) costs ``(selections + 1) × (1 + min(first, 100) × 0.01)`` truncated,
  with no per-item factor when ``iids`` is given. An over-complex query answers 200 with
  ``{"errors": [{"message": "Query has complexity of N, which exceeds max complexity of
  M"}]}``, like GitLab;
- errors: a validation error answers 200 with an ``errors`` array and no ``data``; a wrong
  token answers 401 ``{"errors": [{"message": "Invalid token"}]}``; without a token the
  query runs as an anonymous user, who sees no (private) project: ``project`` is null.

``create_gitlab_app(graphql=False)`` serves no GraphQL at all: ``/api/graphql`` answers a
proxy's 404 HTML page, as a locked-down instance or another implementation of GitLab's
REST API may.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute_sync,
    get_named_type,
    parse,
    validate,
)
from graphql.execution.values import get_argument_values, get_variable_values

from connectors.sandbox.gitlab.state import GitLabState, Issue, Note, Project, User

__all__ = [
    "ANONYMOUS_COMPLEXITY",
    "ANONYMOUS_DEPTH",
    "AUTHENTICATED_COMPLEXITY",
    "AUTHENTICATED_DEPTH",
    "MAX_PAGE_SIZE",
    "SCHEMA",
    "query_cost",
    "run_query",
]

AUTHENTICATED_COMPLEXITY = 250
ANONYMOUS_COMPLEXITY = 200
AUTHENTICATED_DEPTH = 15
ANONYMOUS_DEPTH = 10
MAX_PAGE_SIZE = 100
_PER_ITEM = 0.01
"""``BaseResolver.complexity_multiplier``: 1 % of the field's cost per item requested."""

SDL = '''
"""Time represented in ISO 8601."""
scalar Time

type Query {
  project(fullPath: ID!): Project
}

type Project {
  id: ID!
  fullPath: ID!
  issues(iids: [String!], first: Int, after: String): IssueConnection
}

type IssueConnection {
  nodes: [Issue]
  pageInfo: PageInfo!
}

type Issue {
  id: ID!
  iid: ID!
  notes(first: Int, after: String): NoteConnection!
}

type NoteConnection {
  nodes: [Note]
  pageInfo: PageInfo!
}

type Note {
  id: ID!
  body: String!
  system: Boolean!
  internal: Boolean
  createdAt: Time!
  author: UserCore
}

type UserCore {
  id: ID!
  username: String!
  name: String!
}

type PageInfo {
  hasNextPage: Boolean!
  endCursor: String
}
'''
_RESOLVER_CONNECTIONS = frozenset({("Project", "issues"), ("Issue", "notes")})
"""Connections GitLab resolves through a ``BaseResolver`` (their cost scales with ``first``)."""


def _gid(kind: str, value: int) -> str:
    return f"gid://gitlab/{kind}/{value}"


def _time(moment: datetime) -> str:
    """``Time#iso8601``: whole seconds, ``Z`` for UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(after: str | None) -> int:
    if not after:
        return 0
    try:
        kind, _, value = base64.b64decode(after, validate=True).decode().partition(":")
        if kind == "offset" and value.isdigit():
            return int(value)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise GraphQLError(f"Invalid cursor: {after!r}")


def _page(rows: Sequence[Any], first: int | None, after: str | None) -> tuple[list[Any], Any]:
    size = MAX_PAGE_SIZE if first is None else max(0, min(first, MAX_PAGE_SIZE))
    start = _offset(after)
    chunk = list(rows[start : start + size])
    end = start + len(chunk)
    info = {"hasNextPage": end < len(rows), "endCursor": _cursor(end) if chunk else None}
    return chunk, info


def _user(user: User) -> dict[str, Any]:
    return {"id": _gid("User", user.id), "username": user.username, "name": user.name}


def _note(state: GitLabState, note: Note) -> dict[str, Any]:
    return {
        "id": _gid("Note", note.id),
        "body": note.body,
        "system": note.system,
        "internal": note.internal,
        "createdAt": _time(note.created_at),
        "author": _user(state.users[note.author_id]),
    }


def _schema() -> GraphQLSchema:
    schema = build_schema(SDL)

    def resolver(type_name: str, field_name: str, fn: Callable[..., Any]) -> None:
        owner = schema.type_map[type_name]
        assert isinstance(owner, GraphQLObjectType)
        owner.fields[field_name].resolve = fn

    def project(_root: Any, info: Any, fullPath: str) -> Any:  # GraphQL's argument name
        context = info.context
        if context["user"] is None:
            return None  # private projects are invisible to an anonymous request
        found: Project | None = context["state"].project(fullPath)
        if found is None or fullPath.isdigit():  # fullPath is a path, never an id
            return None
        return {"id": _gid("Project", found.id), "fullPath": found.full_path, "_row": found}

    def issues(
        parent: Any,
        info: Any,
        iids: list[str] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        state: GitLabState = info.context["state"]
        rows: list[Issue] = state.project_issues(parent["_row"].id)
        if iids is not None:
            wanted = set(iids)
            rows = [i for i in rows if str(i.iid) in wanted]
        rows.sort(key=lambda i: (i.created_at, i.id), reverse=True)  # GitLab's created_desc
        chunk, page_info = _page(rows, first, after)
        nodes = [{"id": _gid("Issue", i.id), "iid": str(i.iid), "_row": i} for i in chunk]
        return {"nodes": nodes, "pageInfo": page_info}

    def notes(parent: Any, info: Any, first: int | None = None, after: str | None = None) -> Any:
        state: GitLabState = info.context["state"]
        issue: Issue = parent["_row"]
        rows = sorted((n for n in issue.notes if not n.hidden), key=lambda n: (n.created_at, n.id))
        chunk, page_info = _page(rows, first, after)
        return {"nodes": [_note(state, n) for n in chunk], "pageInfo": page_info}

    resolver("Query", "project", project)
    resolver("Project", "issues", issues)
    resolver("Issue", "notes", notes)
    return schema


SCHEMA = _schema()


def query_cost(
    document: Any, variables: dict[str, Any], operation: OperationDefinitionNode
) -> tuple[int, int]:
    """(complexity, depth) of ``operation`` by GitLab's rules (see the module docstring);
    ``variables`` as the request gave them. Raises ``GraphQLError`` for a variable that is
    missing or of the wrong type."""
    coerced: Any = get_variable_values(SCHEMA, operation.variable_definitions or (), variables)
    if isinstance(coerced, list):
        raise coerced[0]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }

    def fields_of(selection_set: SelectionSetNode | None) -> list[FieldNode]:
        out: list[FieldNode] = []
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                out.append(sel)
            elif isinstance(sel, InlineFragmentNode):
                out.extend(fields_of(sel.selection_set))
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments:
                out.extend(fields_of(fragments[sel.name.value].selection_set))
        return out

    def walk(owner: GraphQLObjectType, selection_set: SelectionSetNode | None) -> tuple[int, int]:
        total, deepest = 0, 0
        for node in fields_of(selection_set):
            name = node.name.value
            if name.startswith("__"):
                continue
            field: GraphQLField = owner.fields[name]
            inner = get_named_type(field.type)
            child, depth = (
                walk(inner, node.selection_set) if isinstance(inner, GraphQLObjectType) else (0, 0)
            )
            deepest = max(deepest, depth + 1)
            if (owner.name, name) in _RESOLVER_CONNECTIONS:
                args = get_argument_values(field, node, coerced)
                first = args.get("first")
                limit = MAX_PAGE_SIZE if first is None else min(first, MAX_PAGE_SIZE)
                per_item = 0.0 if args.get("iids") is not None else _PER_ITEM
                cost = child + 1
                total += int(cost + cost * limit * per_item)
            else:
                total += 1 + child
        return total, deepest

    root = SCHEMA.query_type
    assert root is not None
    return walk(root, operation.selection_set)


def run_query(
    state: GitLabState, user: User | None, body: Any
) -> dict[str, Any]:  # the JSON answer (always HTTP 200, as graphql-ruby answers)
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return {"errors": [{"message": "No query string was present"}]}
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        return {"errors": [{"message": "Variables are invalid JSON."}]}
    try:
        document = parse(body["query"])
    except GraphQLError as exc:
        return {"errors": [{"message": exc.message}]}
    problems = validate(SCHEMA, document)
    if problems:
        return {"errors": [{"message": p.message} for p in problems]}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    name = body.get("operationName")
    chosen = [o for o in operations if name is None or (o.name and o.name.value == name)]
    if len(chosen) != 1:
        return {"errors": [{"message": "An operation name is required"}]}
    limit = AUTHENTICATED_COMPLEXITY if user else ANONYMOUS_COMPLEXITY
    max_depth = AUTHENTICATED_DEPTH if user else ANONYMOUS_DEPTH
    try:
        score, depth = query_cost(document, variables, chosen[0])
    except GraphQLError as exc:  # a variable missing or of the wrong type
        return {"errors": [{"message": exc.message}]}
    if depth > max_depth:
        message = f"Query has depth of {depth}, which exceeds max depth of {max_depth}"
        return {"errors": [{"message": message}]}
    if score > limit:
        message = f"Query has complexity of {score}, which exceeds max complexity of {limit}"
        return {"errors": [{"message": message}]}
    with state.lock:
        result = execute_sync(
            SCHEMA,
            document,
            variable_values=variables,
            operation_name=name,
            context_value={"state": state, "user": user},
        )
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [dict(e.formatted) for e in result.errors]
    return answer
