"""``syncd status`` rendering over a real store (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.commands.status import ago, render_status
from syncd.store import open_store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TTL = timedelta(minutes=2)


def test_status_shows_owner_lease_success_cursor_and_pending(store_url: str) -> None:
    with open_store(store_url) as store:
        store.claim_leases("replica-a", ["jira-main"], NOW, TTL)
        store.record_poll("jira-main", NOW - timedelta(minutes=5))
        store.set_cursor("jira-main", {"watermark": "2026-11-23T08:55"}, NOW)
        store.record_poll("gitlab-web", NOW - timedelta(hours=3))
        store.record_poll("gitlab-web", NOW - timedelta(minutes=1), error="HTTP 502 from gitlab")
        for marker in ("m1", "m2"):
            store.claim_action(
                marker,
                source="jira-main",
                task_key="P-1",
                kind="comment",
                payload={},
                owner="replica-a",
                now=NOW,
            )
        text = render_status(store, ["jira-main", "gitlab-web", "never-polled"], NOW)
    lines = {line.split()[1]: line for line in text.splitlines() if line.startswith("│")}
    if store_url.startswith("sqlite"):
        assert "backend: sqlite (one replica; sources are not leased)" in text
        assert "live replicas" not in text
    else:
        assert "live replicas (1): replica-a" in text
    jira = lines["jira-main"]
    assert "replica-a" in jira
    assert "expires in 2m" in jira
    assert "5m ago" in jira
    assert '{"watermark":"2026-11-23T08:55"}' in jira
    assert jira.rstrip(" │").endswith("2")  # pending ledger entries
    gitlab = lines["gitlab-web"]
    assert "3h ago (failing: HTTP 502 from gitlab)" in gitlab
    assert "never" in lines["never-polled"]
    assert "3 source(s), 2 pending ledger entries" in text


def test_expired_lease_is_flagged(store_url: str) -> None:
    with open_store(store_url) as store:
        store.claim_leases("replica-a", ["s"], NOW, TTL)
        text = render_status(store, None, NOW + timedelta(minutes=10))
    assert "EXPIRED 8m ago" in text
    if not store_url.startswith("sqlite"):
        assert "live replicas (0): none" in text


def test_ago() -> None:
    assert ago(None, NOW) == "never"
    assert ago(NOW - timedelta(seconds=30), NOW) == "30s ago"
    assert ago(NOW + timedelta(minutes=3), NOW) == "in 3m"
    assert ago(NOW - timedelta(days=3), NOW) == "3d ago"
