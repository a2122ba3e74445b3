"""What a task key may look like on each tracker, checked before it goes into a request path.

A key reaches a connector from a webhook body (anyone who can reach the port, or who knows
the shared secret) as well as from the tracker itself. Put into ``issue/{key}`` unchecked,
``../../../rest/api/3/myself?x=`` becomes an authenticated request to another endpoint of
the tracker, so every single-task read checks the key against the tracker's own syntax
first; the webhook receivers check it again before anything is queued.

- Jira: an issue key is a project key (an upper-case letter, then upper-case letters,
  digits or ``_``, Jira's default ``jira.projectkey.pattern`` family), ``-``, the issue
  number; an issue id is all digits. Both are accepted by ``GET /issue/{issueIdOrKey}``.
- GitLab: syncd's key is ``<project path>#<iid>``. A path is ``/``-separated slugs of
  letters, digits, ``_``, ``.`` and ``-``, starting with a letter, digit or ``_`` (older
  projects may start with ``_``), never ending in ``.git`` or ``.atom``; a numeric
  project id stands for a path. The iid is a positive integer.

Only ASCII is accepted: ``\\d`` would let other scripts' digits through.
"""

from __future__ import annotations

import re

__all__ = [
    "MAX_KEY_LENGTH",
    "is_gitlab_project",
    "is_jira_issue",
    "shown_key",
    "split_gitlab_key",
]

MAX_KEY_LENGTH = 1024
"""Longer than any real key (Jira project keys stop at 255 characters, GitLab paths are
at most 21 slugs): anything longer is refused before it is even matched."""

_JIRA_KEY = re.compile(r"[A-Z][A-Z0-9_]*-[0-9]{1,18}")
_NUMBER = re.compile(r"[0-9]{1,18}")
_SLUG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}")
_MAX_SLUGS = 21  # groups nest at most 20 levels deep (top level included), then the project
_SHOWN = 80


def is_jira_issue(key: str) -> bool:
    """A Jira issue key (``SHOP-12``) or numeric issue id (``10001``)."""
    return len(key) <= MAX_KEY_LENGTH and (
        _JIRA_KEY.fullmatch(key) is not None or _NUMBER.fullmatch(key) is not None
    )


def is_gitlab_project(path: str) -> bool:
    """A GitLab project's ``path_with_namespace`` (``group/sub/project``) or numeric id."""
    if len(path) > MAX_KEY_LENGTH:
        return False
    if _NUMBER.fullmatch(path):
        return True
    slugs = path.split("/")
    return len(slugs) <= _MAX_SLUGS and all(
        _SLUG.fullmatch(s) and not s.endswith((".git", ".atom")) for s in slugs
    )


def split_gitlab_key(key: str) -> tuple[str, int] | None:
    """(project path or id, iid) of ``<project>#<iid>``; None when it is not one."""
    if len(key) > MAX_KEY_LENGTH:
        return None
    path, sep, iid = key.rpartition("#")
    if not sep or not _NUMBER.fullmatch(iid) or int(iid) == 0 or not is_gitlab_project(path):
        return None
    return path, int(iid)


def shown_key(key: object) -> str:
    """A key as logs and errors may show it: printable, at most ~80 characters (a hostile
    key can be a megabyte of anything)."""
    text = repr(key) if not isinstance(key, str) else key
    escaped = text[:_SHOWN].encode("unicode_escape", "backslashreplace").decode("ascii")
    if len(text) <= _SHOWN and len(escaped) <= _SHOWN:
        return escaped
    return f"{escaped[:_SHOWN]}… ({len(text)} characters)"
