"""What ``syncd init`` learns about a tracker's projects, in one shape for every tracker:
the project, the client it belongs to and the person who leads it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ProjectLead", "TrackerProject"]


@dataclass(frozen=True, slots=True)
class ProjectLead:
    """A project's lead as the tracker describes the person. ``time_zone`` and ``locale``
    are None where the tracker does not say (GitLab shows neither to other users)."""

    id: str
    name: str
    time_zone: str | None = None
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class TrackerProject:
    """``key``: the Jira project key or the GitLab project path (what ``clients:`` maps).
    ``client``: the Jira project category or the GitLab subgroup, None when there is none."""

    key: str
    name: str
    client: str | None
    lead: ProjectLead | None
