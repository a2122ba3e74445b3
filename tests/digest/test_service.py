"""DigestService over a real SQLite store, the real rule engine and real senders (their
HTTP answered by respx): exactly once per manager and period, across restarts."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import respx

from config.policy import ChannelConfig, Policy
from connectors.http.retry import RetryPolicy
from syncd.channels import Sender, build_sender
from syncd.core.errors import SyncdError
from syncd.core.models import StatusCategory
from syncd.digest.dispatch import DigestService
from syncd.digest.report import render_report_file
from syncd.policy_file import read_policy_text
from syncd.store.store import Store, open_store
from tests.digest import fixtures

OLGA_HOOK = "https://hooks.test/olga"
OLGA_SLACK = "https://hooks.test/olga-slack"
ALICE_HOOK = "https://hooks.test/alice"
ENV = {"OLGA_HOOK": OLGA_HOOK, "OLGA_SLACK": OLGA_SLACK, "ALICE_HOOK": ALICE_HOOK}


def make_policy(send_empty: bool = True) -> Policy:
    text = fixtures.POLICY_YAML.replace(
        "    owns: [{source: agency-jira}, {source: agency-gitlab}]\n",
        "    owns: [{source: agency-jira}, {source: agency-gitlab}]\n"
        "    channels: [{type: webhook, url_secret: OLGA_HOOK},"
        " {type: slack, url_secret: OLGA_SLACK}]\n",
    ).replace(
        "    owns: [{source: agency-jira, projects: [SHOP]}]\n",
        "    owns: [{source: agency-jira, projects: [SHOP]}]\n"
        "    channels: [{type: webhook, url_secret: ALICE_HOOK}]\n"
        f"    schedules: {{send_empty: {str(send_empty).lower()}}}\n",
    )
    return read_policy_text(text, "service.yaml")


def senders(config: ChannelConfig) -> Sender:
    return build_sender(config, env=ENV, retry=RetryPolicy(max_attempts=2, sleep=lambda s: None))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    store.upsert_tasks(fixtures.tasks())
    yield store
    store.close()


def service(store: Store, policy: Policy | None = None, **kwargs: object) -> DigestService:
    return DigestService(policy or make_policy(), store, owner="test", senders=senders, **kwargs)  # type: ignore[arg-type]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


TUESDAY_0859 = at("2026-11-24T08:59:00+03:00")
TUESDAY_0900 = at("2026-11-24T09:00:00+03:00")


@pytest.fixture
def hooks() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        mock.post(OLGA_HOOK, name="olga").respond(200)
        mock.post(OLGA_SLACK, name="olga_slack").respond(200, text="ok")
        mock.post(ALICE_HOOK, name="alice").respond(200)
        yield mock


def test_one_daily_digest_per_manager_at_the_scheduled_minute(
    store: Store, hooks: respx.MockRouter
) -> None:
    svc = service(store)
    assert svc.run_due(TUESDAY_0859) == []
    sent = svc.run_due(TUESDAY_0900)
    assert [(s.manager, s.period) for s in sent] == [("Ольга", "daily:2026-11-24")]
    assert hooks["olga"].call_count == 1
    assert hooks["olga_slack"].call_count == 1
    assert hooks["alice"].call_count == 0  # 06:00 in London
    assert [(s.manager, s.period) for s in svc.run_due(at("2026-11-24T09:00:00+00:00"))] == [
        ("Alice", "daily:2026-11-24")
    ]
    payload = json.loads(hooks["olga"].calls.last.request.content)
    assert payload["manager"] == "Ольга"
    assert payload["period"] == "daily:2026-11-24"
    assert "SHOP-1" in {i["key"] for s in payload["sections"] for i in s["items"]}
    rows = store.digests(kind="daily")
    assert sorted((r.manager, r.state) for r in rows) == [("Alice", "sent"), ("Ольга", "sent")]


def test_no_second_send_after_restart(store: Store, hooks: respx.MockRouter) -> None:
    service(store).run_due(TUESDAY_0900)
    for minute in ("09:00", "09:05", "11:30"):  # before 09:00 in London
        restarted = service(store)  # a new process on the same state file
        assert restarted.run_due(at(f"2026-11-24T{minute}:00+03:00")) == []
    assert hooks["olga"].call_count == 1


def test_failed_send_is_released_and_retried_next_cycle(
    store: Store, hooks: respx.MockRouter
) -> None:
    hooks["olga"].side_effect = [httpx.Response(400, text="nope"), httpx.Response(200)]
    failed = service(store).run_due(TUESDAY_0900)
    assert [(f.status, f.period) for f in failed] == [("failed", "daily:2026-11-24")]
    assert "HTTP 400" in (failed[0].error or "")
    assert [r for r in store.digests("Ольга", "daily") if r.state == "sent"] == []
    assert hooks["olga_slack"].call_count == 1  # the working channel got it once
    sent = service(store).run_due(at("2026-11-24T09:01:00+03:00"))
    assert [(s.period, s.status) for s in sent] == [("daily:2026-11-24", "sent")]
    assert hooks["olga"].call_count == 2
    assert hooks["olga_slack"].call_count == 1  # not repeated on the retry
    assert [r.state for r in store.digests("Ольга", "daily")] == ["sent"]


def test_changes_since_previous_digest_and_done_window(
    store: Store, hooks: respx.MockRouter
) -> None:
    service(store).run_due(at("2026-11-23T09:00:00+03:00"))  # Monday: daily + weekly
    first = json.loads(hooks["olga"].calls[0].request.content)
    assert all(v is None for h in first["headlines"] for v in h["deltas"].values())
    done = next(t for t in fixtures.tasks() if t.key == "SHOP-1").model_copy(
        update={"status_category": StatusCategory.DONE, "resolved": TUESDAY_0859}
    )
    store.upsert_tasks([done])
    service(store).run_due(TUESDAY_0900)
    last = json.loads(hooks["olga"].calls.last.request.content)
    assert last["kind"] == "daily"
    shop = next(h for h in last["headlines"] if h["client"] == "Shop & Co <b>")
    assert shop["deltas"]["open"] == -1
    assert shop["deltas"]["done"] >= 0
    done_keys = [i["key"] for s in last["sections"] if s["kind"] == "done" for i in s["items"]]
    assert done_keys == ["SHOP-1"]  # SHOP-6 was already reported on Monday


def test_dry_run_prints_and_records_nothing(store: Store, hooks: respx.MockRouter) -> None:
    out = io.StringIO()
    sent = service(store, dry_run=True, out=out).run_due(TUESDAY_0900)
    assert [s.dry_run for s in sent] == [True]
    assert "dry-run: not sent" in out.getvalue()
    assert "SHOP-1" in out.getvalue()
    assert hooks["olga"].call_count == 0
    assert store.digests() == []


def test_empty_digest_skipped_when_configured(tmp_path: Path, hooks: respx.MockRouter) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        sent = service(store, make_policy(send_empty=False)).run_due(
            at("2026-11-24T09:00:00+00:00")
        )
    finally:
        store.close()
    alice = [s for s in sent if s.manager == "Alice"]
    assert alice
    assert alice[0].empty
    assert alice[0].skipped
    assert hooks["alice"].call_count == 0


def test_monthly_report_on_first_business_day(store: Store, hooks: respx.MockRouter) -> None:
    sent = service(store).run_due(at("2026-12-01T09:00:00+03:00"))
    assert ("Ольга", "monthly:2026-12") in {(s.manager, s.period) for s in sent}
    payloads = [json.loads(c.request.content) for c in hooks["olga"].calls]
    monthly = next(p for p in payloads if p.get("kind") == "monthly")
    shop = next(r for r in monthly["reports"] if r["client"] == "Shop & Co <b>")
    assert shop["month"] == "2026-11"
    assert shop["current"]["completed"] == 1


def test_preview_renders_without_sending(store: Store, hooks: respx.MockRouter) -> None:
    svc = service(store)
    md = svc.preview("Alice", "md", TUESDAY_0900)
    assert "Overdue" in md
    assert "SHOP-1" in md
    assert svc.preview("Ольга", "telegram", TUESDAY_0900).startswith("<b>")
    monthly = svc.preview("Ольга", "md", at("2026-12-01T09:00:00+03:00"), kind="monthly")
    assert "отчёт за ноябрь 2026" in monthly
    assert store.digests() == []
    assert hooks["olga"].call_count == 0
    with pytest.raises(SyncdError, match="known: Ольга, Alice"):
        svc.preview("Nobody", "md", TUESDAY_0900)


def test_report_file(store: Store) -> None:
    policy = make_policy()
    md = render_report_file(policy, store, "2026-11", "Shop & Co <b>", "md")
    assert "отчёт за ноябрь 2026" in md
    assert "SHOP-6" in md
    html = render_report_file(policy, store, "2026-11", "Shop & Co <b>", "html")
    assert "Shop &amp; Co &lt;b&gt;" in html
    with pytest.raises(SyncdError, match="--client"):
        render_report_file(policy, store, "2026-11", "Unknown", "md")
    with pytest.raises(SyncdError, match="--month"):
        render_report_file(policy, store, "2026-13", "Shop & Co <b>", "md")
