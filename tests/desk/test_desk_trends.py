"""Trend lines: the digest thread's service takes one snapshot per manager and day (not in
dry-run), and the desk draws the last 8 weeks of them beside each headline number."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from syncd.desk.access import sign_link
from syncd.digest.dispatch import DigestService
from tests.desk.scene import SECRET, desk_scenario, served
from tests.e2e.scenario import DEFAULT_NOW


def test_daily_snapshots_become_sparklines(tmp_path: Path) -> None:
    for sc in desk_scenario(tmp_path):
        assert sc.store is not None
        dry = DigestService(sc.policy, sc.store, dry_run=True)
        dry.run_due(DEFAULT_NOW - timedelta(days=8))
        assert sc.store.client_snapshots("Olga", DEFAULT_NOW.date() - timedelta(days=60)) == {}
        service = DigestService(sc.policy, sc.store)
        for days_ago in range(7, 0, -1):
            service.run_due(DEFAULT_NOW - timedelta(days=days_ago))
            service.run_due(DEFAULT_NOW - timedelta(days=days_ago, hours=-1))  # same day
        history = sc.store.client_snapshots("Olga", DEFAULT_NOW.date() - timedelta(days=60))
        assert list(history) == ["Смартфон-маркет"]  # Olga's client only
        assert len(history["Смартфон-маркет"]) == 7
        assert sc.store.client_snapshots(
            "Boris", DEFAULT_NOW.date() - timedelta(days=60)
        ).keys() == {"Ads Co"}
        with served(sc) as client:
            client.get("/desk/login/" + sign_link(SECRET, "Olga", DEFAULT_NOW, 30))
            page = client.get("/desk/").text
        row = page.split("Смартфон-маркет", 1)[1].split("</tr>", 1)[0]
        lines = re.findall(r'<svg class="spark"[^>]*><polyline points="([^"]+)"', row)
        assert len(lines) == 6  # one per headline number
        assert all(len(points.split()) == 8 for points in lines)  # 7 snapshots + today
