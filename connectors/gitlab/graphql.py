"""Many issues' notes in one GitLab GraphQL request instead of one REST read per issue.

What GitLab's GraphQL API gives, and what it does not (the facts this module relies on):

- **Notes, yes; label and state changes, no.** ``Issue.notes`` is resolved by
  ``Resolvers::Noteable::NotesResolver`` through ``NotesFinder`` (gitlab-org/gitlab
  ``app/graphql/resolvers/noteable/notes_resolver.rb``): the persisted notes, system notes
  included (assignee, due date, title, description, milestone…), exactly what REST's
  ``GET …/issues/:iid/notes`` lists. Label and state changes are not notes since GitLab 11.x
  (REST notes docs: "Label notes are not part of this API, but recorded as separate events
  in resource label events"); the *synthetic* notes built from those events
  (``ResourceEvents::MergeIntoNotesService``) are merged in by the web UI's controllers, not
  by this resolver, and GraphQL has no label-event type ("Add Label Events to the GraphQL
  API", gitlab-org/gitlab#299251, open). ``Types::Notes::NoteType#id`` does handle
  ``SyntheticNote``s for the newer work-item notes widget; that route is not used here: which
  of its fields merge them is not documented, and a synthetic label note names its labels
  only in its body's text. So the label and state events that give the start of work and
  ``status``/``labels`` activity stay REST reads (``connector``) — two per open issue in a
  backfill, which is where a backfill's time goes now.
- **Times have whole seconds.** ``Types::TimeType#coerce_result`` is ``value.iso8601``
  ("2023-12-15T17:31:00Z"); REST gives milliseconds. A note read here carries its
  ``created_at`` to the second (comments, system-note activity, the due-date-set moment).
  The issue itself — ``updated_at`` above all, the cursor's watermark — always comes from
  the REST listing, so the cursor keeps GitLab's full precision.
- **No ``closedBy`` on ``Issue``** (``app/graphql/types/issue_type.rb``): one more reason
  the listing stays REST; GraphQL only replaces the per-issue notes reads.
- **Endpoint and auth:** ``POST /api/graphql`` with ``{"query", "variables"}``, the same
  ``PRIVATE-TOKEN`` or ``Authorization: Bearer`` as REST (GitLab's GraphQL docs;
  ``doc/development/api_graphql_styleguide.md``).
- **Limits** (``app/graphql/gitlab_schema.rb``, ``doc/api/graphql/index.md`` "Limits"):
  max complexity 200 unauthenticated, 250 authenticated (300 admin); max depth 10/15;
  connections return at most 100 nodes a page; requests time out at 30 s. Over the limit
  GitLab answers ``{"errors": [{"message": "Query has complexity of N, which exceeds max
  complexity of M"}]}``.
- **How complexity is counted** (``app/graphql/types/base_field.rb``, which overrides
  graphql-ruby's per-item multiplication for connections via ``complexity_for``;
  ``app/graphql/resolvers/base_resolver.rb``): every field costs 1 plus its selections; a
  resolver-backed field costs ``(selections + resolver_complexity) × (1 + limit ×
  complexity_multiplier)`` where ``resolver_complexity`` is 1 (+1 with ``sort``, +5 with
  ``search``), ``limit`` = min(first, 100) and the multiplier is 0.01 — or 0 when ``iid``/
  ``iids`` is given. Nested connections therefore do *not* multiply by page size: 100
  issues with up to 100 notes each cost ``QUERY_COST_PER_PROJECT`` (below), whatever the
  counts.
- **Rate limits:** gitlab.com counts a GraphQL request like any authenticated API request
  (2,000 a minute per user, ``reference/gitlab/NOTES.md``): one request here replaces up
  to 100 notes reads, which also spares that budget.

Why not python-gitlab's ``gitlab.GraphQL``: it needs the ``gql`` extra and its own
``httpx`` client, and it retries 429s itself (``obey_rate_limit``) — a second retry layer
beside ``session.RetryingSession``, outside the request counts and the tracker clock. The
query here goes through the connector's own session instead.

Trust: an instance without GraphQL — older or locked down, a proxy, another implementation
of GitLab's REST API — answers 404/403/401, HTML, or an ``errors`` array. Any of those
raises ``GraphQLUnavailable``: the connector reads notes over REST for the rest of the
process (``connector.GitLabConnector._graphql_notes``). A throttle, a 5xx or a lost
connection raises ``GraphQLFailed``: that batch falls back to REST, GraphQL is tried again
for the next one (three failures in a row count as unavailable).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from connectors.http.timestamps import parse_timestamp
from syncd.core.secrets_mask import mask_secrets

__all__ = [
    "BATCH_ISSUES",
    "MAX_COMPLEXITY",
    "NOTES_PAGE",
    "QUERY_COST_PER_PROJECT",
    "GraphQLFailed",
    "GraphQLUnavailable",
    "IssueRef",
    "notes_query",
    "read_notes",
]

IssueRef = tuple[str, int]
"""(project full path, iid)."""

MAX_COMPLEXITY = 250
"""GitLab's limit for an authenticated request."""
NOTES_PAGE = 100
"""Notes asked per issue; an issue with more is read over REST (``hasNextPage``)."""
BATCH_ISSUES = 100
"""Issues per project alias: ``issues(iids:)`` answers at most 100 nodes a page."""

_NOTE_FIELDS = "id body system internal createdAt author { id username name }"
_ALIAS = (
    "p{n}: project(fullPath: $path{n}) {{ issues(iids: $iids{n}, first: {batch}) {{ nodes {{ "
    "iid notes(first: {page}) {{ pageInfo {{ hasNextPage }} nodes {{ {fields} }} }} }} }} }}"
)
_NOTES_COST = 2 * ((1 + 1) + (1 + 5 + (1 + 3)) + 1)
"""``notes(first: 100)``: (``pageInfo`` 1 + ``hasNextPage`` 1, ``nodes`` 1 + five fields +
``author`` 1 + its three, + 1) × (1 + 100 × 0.01)."""
QUERY_COST_PER_PROJECT = 1 + ((1 + 1 + _NOTES_COST) + 1)
"""One alias: ``project`` 1 + ``issues(iids:)`` — no per-item factor with ``iids`` — of
(``nodes`` 1 + ``iid`` 1 + ``notes``) + 1. 30, so eight projects fit in a request."""
_MAX_ALIASES = MAX_COMPLEXITY // QUERY_COST_PER_PROJECT


class GraphQLUnavailable(Exception):
    """This GitLab cannot answer our GraphQL query: use REST for the rest of the process."""


class GraphQLFailed(Exception):
    """This request failed for a passing reason (throttle, 5xx, connection): use REST now."""


def notes_query(aliases: int) -> str:
    """The query for ``aliases`` projects, each with its own ``$pathN``/``$iidsN``."""
    params = ", ".join(f"$path{n}: ID!, $iids{n}: [String!]" for n in range(aliases))
    body = " ".join(
        _ALIAS.format(n=n, batch=BATCH_ISSUES, page=NOTES_PAGE, fields=_NOTE_FIELDS)
        for n in range(aliases)
    )
    return f"query syncdNotes({params}) {{ {body} }}"


def _batches(refs: Sequence[IssueRef]) -> list[list[tuple[str, list[int]]]]:
    """``refs`` grouped by project, at most ``BATCH_ISSUES`` iids an alias and as many
    aliases a request as the complexity limit allows."""
    by_project: dict[str, list[int]] = {}
    for path, iid in refs:
        by_project.setdefault(path, []).append(iid)
    aliases = [
        (path, iids[i : i + BATCH_ISSUES])
        for path, iids in by_project.items()
        for i in range(0, len(iids), BATCH_ISSUES)
    ]
    return [aliases[i : i + _MAX_ALIASES] for i in range(0, len(aliases), _MAX_ALIASES)]


def _tail_id(gid: Any) -> int:
    """``gid://gitlab/Note/5001`` → 5001 (REST's numeric id)."""
    text = str(gid)
    tail = text.rsplit("/", 1)[-1]
    if not tail.isdigit():
        raise ValueError(f"not a GitLab global id: {text[:80]!r}")
    return int(tail)


def _rest_note(node: Mapping[str, Any]) -> dict[str, Any]:
    """A GraphQL ``Note`` in the REST shape ``mapping`` reads."""
    author = node.get("author")
    return {
        "id": _tail_id(node["id"]),
        "body": node.get("body"),
        "system": bool(node.get("system")),
        "internal": bool(node.get("internal")),
        "created_at": node["createdAt"],
        "author": (
            {
                "id": _tail_id(author["id"]),
                "username": author.get("username"),
                "name": author.get("name"),
            }
            if isinstance(author, dict)
            else None
        ),
    }


def _oldest_first(note: Mapping[str, Any]) -> tuple[float, int]:
    """REST's order (``order_by=created_at&sort=asc``, ties by id); an unreadable time sorts
    first and fails in ``mapping``, naming the issue."""
    try:
        at = parse_timestamp(str(note["created_at"]), "note.createdAt").timestamp()
    except ValueError:
        at = float("-inf")
    return at, int(note["id"])


def _answer(response: requests.Response) -> dict[str, Any]:
    """The ``data`` of a GraphQL answer, or the exception saying why there is none."""
    status = response.status_code
    if status == 429 or status >= 500:
        raise GraphQLFailed(f"HTTP {status}")
    reason = f"HTTP {status}: {response.text[:200]}"
    if status != 200:
        raise GraphQLUnavailable(mask_secrets(reason))
    try:
        body = response.json()
    except ValueError:
        raise GraphQLUnavailable(mask_secrets(f"not JSON: {reason}")) from None
    if not isinstance(body, dict):
        raise GraphQLUnavailable(mask_secrets(f"not a GraphQL answer: {reason}"))
    errors = body.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) and errors else errors
        message = first.get("message") if isinstance(first, dict) else first
        raise GraphQLUnavailable(mask_secrets(f"errors: {str(message)[:200]}"))
    data = body.get("data")
    if not isinstance(data, dict):
        raise GraphQLUnavailable(mask_secrets(f"no data: {reason}"))
    return data


def read_notes(
    post: Callable[[dict[str, Any]], requests.Response], refs: Sequence[IssueRef]
) -> dict[IssueRef, list[dict[str, Any]]]:
    """Every note of each issue in ``refs``, oldest first, in REST's shape — for the issues
    whose notes fit in one page; the others (more than ``NOTES_PAGE`` notes, or not in the
    answer: moved, deleted, not visible) are left out for a REST read. ``post`` sends one
    GraphQL request body. Raises ``GraphQLUnavailable``/``GraphQLFailed``."""
    found: dict[IssueRef, list[dict[str, Any]]] = {}
    for batch in _batches(refs):
        variables: dict[str, Any] = {}
        for n, (path, iids) in enumerate(batch):
            variables[f"path{n}"] = path
            variables[f"iids{n}"] = [str(i) for i in iids]
        try:
            response = post({"query": notes_query(len(batch)), "variables": variables})
        except requests.RequestException as exc:
            raise GraphQLFailed(type(exc).__name__) from None
        data = _answer(response)
        for n, (path, _) in enumerate(batch):
            project = data.get(f"p{n}")
            nodes = ((project or {}).get("issues") or {}).get("nodes") or ()
            for issue in nodes:
                notes = issue.get("notes") or {}
                if (notes.get("pageInfo") or {}).get("hasNextPage"):
                    continue  # a long thread: its REST read pages through all of it
                rows = [_rest_note(node) for node in notes.get("nodes") or ()]
                rows.sort(key=_oldest_first)
                found[(path, int(issue["iid"]))] = rows
    return found
