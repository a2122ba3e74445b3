"""The daily per-client snapshots behind the desk's trend lines, on SQLite and PostgreSQL
(the 0004 migration creates the table on both): the first writer of a day wins."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from syncd.store import open_store

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_one_snapshot_per_manager_client_and_day(store_url: str) -> None:
    with open_store(store_url) as store:
        day = date(2026, 11, 24)
        assert not store.has_client_snapshot("Olga", day)
        store.record_client_snapshot("Olga", day, {"Shop": {"open": 5, "overdue": 1}}, NOW)
        # A second replica (or tick) the same day: ignored, not an error, not a second row.
        store.record_client_snapshot("Olga", day, {"Shop": {"open": 9, "overdue": 9}}, NOW)
        store.record_client_snapshot(
            "Olga", day - timedelta(days=1), {"Shop": {"open": 4, "overdue": 0}}, NOW
        )
        store.record_client_snapshot("Boris", day, {"Ads": {"open": 1}}, NOW)
        assert store.has_client_snapshot("Olga", day)
        assert store.client_snapshots("Olga", day - timedelta(days=7)) == {
            "Shop": {
                day - timedelta(days=1): {"open": 4, "overdue": 0},
                day: {"open": 5, "overdue": 1},
            }
        }
        assert store.client_snapshots("Olga", day) == {"Shop": {day: {"open": 5, "overdue": 1}}}
