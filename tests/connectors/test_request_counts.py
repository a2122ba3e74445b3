"""Request kinds from the URLs the real libraries send (Jira REST v2/v3, GitLab v4)."""

from __future__ import annotations

import pytest

from connectors.request_counts import KINDS, RequestCounts, request_kind

JIRA = "https://agency.atlassian.net/rest/api/3"
GITLAB = "https://gitlab.example/api/v4"


@pytest.mark.parametrize(
    ("method", "url", "kind"),
    [
        ("GET", f"{JIRA}/search/jql?jql=project%20%3D%20SHOP", "search"),
        ("POST", f"{JIRA}/search/jql", "search"),
        ("POST", f"{JIRA}/search/approximate-count", "search"),
        ("GET", "https://jira.example/rest/api/2/search?startAt=50", "search"),
        ("GET", f"{JIRA}/issue/SHOP-1?expand=changelog", "issue"),
        ("GET", f"{JIRA}/issue/SHOP-1/properties/syncd", "issue"),
        ("GET", f"{JIRA}/issue/SHOP-1/comment?startAt=0&expand=properties", "comments"),
        ("GET", f"{JIRA}/comment/10001/properties/syncd", "comments"),
        ("GET", f"{JIRA}/issue/SHOP-1/changelog?startAt=100", "changelog"),
        ("POST", f"{JIRA}/issue/SHOP-1/comment", "writes"),
        ("PUT", f"{JIRA}/issue/SHOP-1", "writes"),
        ("GET", f"{JIRA}/serverInfo", "other"),
        ("GET", f"{JIRA}/myself", "other"),
        ("GET", f"{JIRA}/field", "other"),
        ("GET", f"{JIRA}/project/SHOP", "other"),
        ("GET", f"{GITLAB}/projects/agency%2Fshop/issues?per_page=100", "search"),
        ("GET", f"{GITLAB}/groups/agency/issues?state=opened", "search"),
        ("GET", f"{GITLAB}/projects/201/issues/12", "issue"),
        ("GET", f"{GITLAB}/projects/201/issues/12/notes?sort=asc", "comments"),
        ("GET", f"{GITLAB}/projects/201/issues/12/resource_label_events", "events"),
        ("GET", f"{GITLAB}/projects/201/issues/12/resource_weight_events", "events"),
        ("POST", f"{GITLAB}/projects/201/issues/12/notes", "writes"),
        ("PUT", f"{GITLAB}/projects/201/issues/12", "writes"),
        ("GET", f"{GITLAB}/projects/201", "other"),
        ("GET", f"{GITLAB}/user", "other"),
    ],
)
def test_kind_of_each_request(method: str, url: str, kind: str) -> None:
    assert request_kind(method, url) == kind


def test_counts_since_a_snapshot_and_listeners() -> None:
    counts = RequestCounts()
    heard: list[str] = []
    counts.listeners.append(heard.append)
    counts.record("GET", f"{GITLAB}/user")
    before = counts.snapshot()
    counts.record(b"POST", f"{GITLAB}/projects/201/issues/12/notes".encode())
    counts.record("GET", f"{GITLAB}/projects/201/issues/12/notes")
    spent = counts.since(before)
    assert set(spent) == set(KINDS)
    assert (spent["writes"], spent["comments"], spent["other"]) == (1, 1, 0)
    assert counts.total == 3
    assert heard == ["other", "writes", "comments"]
