"""Several ``syncd run`` replicas over one PostgreSQL and one sandbox Jira, for the scale-out
end-to-end test and the replica benchmark.

``Fleet`` serves a sandbox Jira whose projects each hold one task that breaks rules right
now (no goal or criteria, overdue, checkpoint missed; a human commented an hour ago, so it
is not stale), writes a policy with one source per project (``enforce: true``, working
hours open all day in a time zone where it is midday, so real-time cycles post) and
managers whose daily digest is due now, delivered to a generic webhook served by
``Receiver`` (a real HTTP server thread that records every delivery).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from prometheus_client.parser import text_string_to_metric_families

from config.policy import Policy
from connectors.base import Connector
from connectors.factory import create_connector
from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import SandboxServer, create_app
from syncd.store import Store
from tests.runtime.process import SyncdProcess, start_syncd

__all__ = [
    "COMMENT_POST",
    "TOKEN_ENV",
    "Fleet",
    "Receiver",
    "cycles_by_source",
    "fleet",
    "lease_split",
]

TOKEN_ENV = {"E2E_TOKEN": "bot-token"}
HOOK_ENV = "DIGEST_HOOK_URL"
COMMENT_POST = r"/issue/[^/]+/comment$"


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where ``now`` is around noon: date-based rules (overdue, due
    soon) then never cross midnight while a test runs, whatever time the clock shows."""
    offset = 12 - now.astimezone(UTC).hour  # -11 … +12
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # POSIX signs are inverted


def project_keys(n: int) -> list[str]:
    return [f"P{i:02d}" for i in range(n)]


def source_name(project: str) -> str:
    return f"src-{project.lower()}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def fleet_seed(n_projects: int, now: datetime, zone: str) -> dict[str, Any]:
    today = now.astimezone(ZoneInfo(zone)).date()
    user = {"time_zone": "UTC"}
    return {
        "format": "syncd-seed/1",
        "users": [
            {
                "id": "bot",
                "name": "syncd",
                "username": "syncd-bot",
                "email": "bot@agency.example",
                "bot": True,
                "token": "bot-token",
                **user,
            },
            {
                "id": "olga",
                "name": "Olga",
                "username": "olga",
                "email": "olga@agency.example",
                "token": "olga-token",
                **user,
            },
            {
                "id": "dima",
                "name": "Dima",
                "username": "dima",
                "email": "dima@agency.example",
                **user,
            },
        ],
        "projects": [
            {"key": key, "name": f"Client {key}", "client": f"Client {key}"}
            for key in project_keys(n_projects)
        ],
        "tasks": [
            {
                "project": key,
                "number": 1,
                "title": f"Site audit {key}",
                "status": "in_progress",
                "assignees": ["dima"],
                "reporter": "olga",
                "priority": "High",
                "created": _iso(now - timedelta(days=8)),
                "started": _iso(now - timedelta(days=7)),
                "due": (today - timedelta(days=1)).isoformat(),
                "description": "Please audit the site.",
                "comments": [
                    {"author": "dima", "created": _iso(now - timedelta(hours=1)), "body": "On it."}
                ],
            }
            for key in project_keys(n_projects)
        ],
    }


def fleet_policy(
    url: str, n_projects: int, zone: str, *, managers: int, poll: float
) -> dict[str, Any]:
    keys = project_keys(n_projects)
    open_all_day = {"weekend": [], "working_hours": {"start": "00:00", "end": "23:59"}}
    sources = [
        {
            "name": source_name(key),
            "type": "jira",
            "url": url,
            "enforce": True,
            "language": "en",
            "poll_interval": poll,
            "auth": {"kind": "basic", "user": "bot@agency.example", "secret": "E2E_TOKEN"},
            "scope": {"jql": f"project = {key}"},
            "calendar": {"timezone": zone, **open_all_day},
            "labels_on_finding": False,
        }
        for key in keys
    ]
    per = -(-len(sources) // managers) if managers else 0
    return {
        "sources": sources,
        "managers": [
            {
                "name": f"manager-{m}",
                "timezone": "UTC",
                "owns": [{"source": s["name"]} for s in sources[m * per : (m + 1) * per]],
                "channels": [{"type": "webhook", "url_secret": HOOK_ENV}],
                "schedules": {"daily": "0 0 * * *", "weekly": None, "monthly": None},
                "calendar": {"timezone": "UTC", **open_all_day},
            }
            for m in range(managers)
        ],
    }


class Receiver:
    """A digest webhook endpoint: records (manager, kind, period) of every JSON POST."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, str, str]] = []
        lock = threading.Lock()
        deliveries = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    deliveries.append((body["manager"], body["kind"], body["period"]))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/digest"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def counts(self) -> Counter[tuple[str, str, str]]:
        return Counter(self.deliveries)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class Fleet:
    """The sandbox, the receiver, the policy file; ``start`` adds a ``syncd run`` replica."""

    def __init__(
        self,
        tmp: Path,
        db_url: str,
        *,
        projects: int = 20,
        managers: int = 4,
        poll: float = 1.0,
        lease_ttl: float = 3.0,
    ) -> None:
        self.tmp, self.db_url, self.lease_ttl = tmp, db_url, lease_ttl
        now = datetime.now(UTC)
        self.zone = midday_zone(now)
        self.today: date = now.astimezone(ZoneInfo(self.zone)).date()
        seed = load_seed(fleet_seed(projects, now, self.zone), flavour="jira-cloud")
        self.sandbox = SandboxServer(create_app("jira-cloud", seed))
        self.sandbox.start()
        self.receiver = Receiver()
        raw = fleet_policy(self.sandbox.url, projects, self.zone, managers=managers, poll=poll)
        self.policy = Policy.model_validate(raw)
        self.policy_path = tmp / "policy.yaml"
        self.policy_path.write_text(json.dumps(raw), encoding="utf-8")
        self.replicas: dict[str, SyncdProcess] = {}
        self._connectors: dict[str, Connector] = {}

    @property
    def sources(self) -> list[str]:
        return [s.name for s in self.policy.sources]

    def start(self, name: str, **env: str) -> SyncdProcess:
        proc = start_syncd(
            self.policy_path,
            data_dir=self.tmp / name,
            env={
                **TOKEN_ENV,
                HOOK_ENV: self.receiver.url,
                "SYNCD_STATE_URL": self.db_url,
                "SYNCD_REPLICA_ID": name,
                "SYNCD_LEASE_TTL": str(self.lease_ttl),
                **env,
            },
        )
        self.replicas[name] = proc
        return proc

    def task_keys(self) -> list[str]:
        return [f"{key}-1" for key in project_keys(len(self.sources))]

    def connector(self, task_key: str) -> Connector:
        """The connector of the source the task's project belongs to (one each, reused)."""
        name = source_name(task_key.partition("-")[0])
        if name not in self._connectors:
            config = next(s for s in self.policy.sources if s.name == name)
            self._connectors[name] = create_connector(config, TOKEN_ENV)
        return self._connectors[name]

    def bot_comments(self, task_key: str) -> int:
        task = self.connector(task_key).fetch_task(task_key)
        assert task is not None, task_key
        return sum(1 for c in task.comments if c.is_bot)

    def act(self, payload: Mapping[str, Any]) -> None:
        """A human's action on the sandbox (comment, update, transition)."""
        url = self.sandbox.url + "/_sandbox/act"
        httpx.post(url, json=dict(payload), timeout=10).raise_for_status()

    def close(self) -> None:
        for proc in self.replicas.values():
            proc.close()
        for connector in self._connectors.values():
            connector.close()
        self.receiver.close()
        self.sandbox.stop()


@contextmanager
def fleet(tmp: Path, db_url: str, **kwargs: Any) -> Iterator[Fleet]:
    made = Fleet(tmp, db_url, **kwargs)
    try:
        yield made
    finally:
        made.close()


def lease_split(store: Store, now: datetime | None = None) -> dict[str, str]:
    """source -> owner for every lease that has not expired."""
    now = now or datetime.now(UTC)
    out = {}
    for source, (owner, expires_at) in store.lease_owners().items():
        expires = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
        if expires > now:
            out[source] = owner
    return out


def cycles_by_source(proc: SyncdProcess) -> dict[str, float]:
    """Successful cycles per source this replica ran, from its own /metrics."""
    text = proc.client.get("/metrics").text
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "syncd_cycles_total" and sample.labels.get("outcome") == "ok":
                out[sample.labels["source"]] = sample.value
    return out
