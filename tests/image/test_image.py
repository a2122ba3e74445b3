"""The container image itself, run with docker as an ops engineer would (SYNCD_IMAGE names
it; `make image-test` builds it and runs this file).

- the CLI works inside it, as the non-root uid 10001, on the policy examples it ships, in
  every language a policy can choose;
- `syncd run` (host network) against a sandbox Jira served here: the image's HEALTHCHECK
  turns healthy, /readyz answers 200, reminders appear on the tracker, `docker stop` ends
  it with exit code 0 (so within the grace period: past it docker kills, 137) — on a
  writable root and on `--read-only --tmpfs /tmp`;
- a /data it cannot write is a clear error and a non-zero exit;
- two containers sharing one PostgreSQL split the sources by lease, and after one is
  killed the other takes its sources over without posting any reminder twice.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from connectors.jira.render import PROPERTY_KEY
from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import SandboxServer, create_app
from syncd.store import open_store
from tests.e2e.fleet import lease_split, midday_zone
from tests.runtime.process import REPO_ROOT, free_port
from tests.support.postgres import PostgresServer

IMAGE = os.environ["SYNCD_IMAGE"]
DOCKER = os.environ.get("DOCKER") or shutil.which("docker") or "docker"
UID = "10001"
SEED = REPO_ROOT / "connectors" / "sandbox" / "seeds" / "example.json"
BOT = ("syncd@agency.example", "bot-token-1")  # the seed's bot user
PROJECTS = ("SHOP", "NOVA")
GRACE = 30  # docker stop's grace period; syncd's own shutdown timeout is 20 s
WAIT = 120.0  # for anything a container does; generous for a loaded 2-core machine


def docker(
    *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [DOCKER, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"docker {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


def wait_for(what: str, predicate: Callable[[], bool], explain: Callable[[], str]) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {WAIT:.0f}s waiting for {what}:\n{explain()}")
        time.sleep(0.5)


class Container:
    """One detached `docker run` of the image; always removed on exit."""

    def __init__(self, *run_args: str, port: int) -> None:
        self.name = f"syncd-image-test-{uuid.uuid4().hex[:8]}"
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        docker("run", "--detach", "--name", self.name, *run_args, IMAGE)

    def state(self, field: str) -> str:
        return docker("inspect", "--format", "{{" + field + "}}", self.name).stdout.strip()

    def logs(self) -> str:
        done = docker("logs", "--tail", "60", self.name, check=False)
        return f"--- {self.name} logs ---\n{done.stdout}{done.stderr}"

    def running(self) -> bool:
        return self.state(".State.Running") == "true"

    def healthy(self) -> bool:
        assert self.running(), f"{self.name} exited:\n{self.logs()}"
        return self.state(".State.Health.Status") == "healthy"

    def answers(self, path: str) -> httpx.Response | None:
        assert self.running(), f"{self.name} exited:\n{self.logs()}"
        try:
            return httpx.get(self.url + path, timeout=5)
        except httpx.TransportError:
            return None

    def ready(self) -> bool:
        response = self.answers("/readyz")
        return response is not None and response.status_code == 200

    def cycles(self) -> dict[str, float]:
        """Successful cycles per source, from the container's own /metrics."""
        response = self.answers("/metrics")
        out: dict[str, float] = {}
        if response is None:
            return out
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                if sample.name == "syncd_cycles_total" and sample.labels.get("outcome") == "ok":
                    out[sample.labels["source"]] = sample.value
        return out

    def stop(self) -> int:
        docker("stop", "--time", str(GRACE), self.name, timeout=GRACE + 60)
        return int(self.state(".State.ExitCode"))

    def remove(self) -> None:
        docker("rm", "--force", "--volumes", self.name, check=False)


@contextmanager
def container(*run_args: str, env: dict[str, str] | None = None) -> Iterator[Container]:
    port = free_port()
    flags = [f"--env={k}={v}" for k, v in {**(env or {}), "SYNCD_HTTP_PORT": str(port)}.items()]
    # A short interval so the test need not wait 30 s; the check itself is the image's.
    box = Container(
        "--network=host",
        "--health-interval=2s",
        "--health-start-period=120s",
        *flags,
        *run_args,
        port=port,
    )
    try:
        yield box
    finally:
        box.remove()


@contextmanager
def volume() -> Iterator[str]:
    name = f"syncd-image-test-{uuid.uuid4().hex[:8]}"
    docker("volume", "create", name)
    try:
        yield name
    finally:
        docker("volume", "rm", "--force", name, check=False)


@pytest.fixture
def jira() -> Iterator[SandboxServer]:
    """The sandbox Jira with the example seed, its dates moved to today, on the host."""
    with SandboxServer(
        create_app("jira-cloud", load_seed(SEED, flavour="jira-cloud", shift=True))
    ) as server:
        yield server


@pytest.fixture
def policy_dir(jira: SandboxServer, tmp_path: Path) -> Path:
    """A policy enforcing the default rules on the sandbox's two projects, one source each,
    in a time zone where it is midday and working hours all day, so reminders are due now.
    Mounted read-only at /etc/syncd (readable by uid 10001)."""
    zone = midday_zone(datetime.now(UTC))
    sources = [
        {
            "name": project.lower(),
            "type": "jira",
            "url": jira.url,
            "auth": {"kind": "basic", "user": BOT[0], "secret": "JIRA_TOKEN"},
            "scope": {"jql": f"project = {project}"},
            "poll_interval": "2s",
            "enforce": True,
            "calendar": {
                "timezone": zone,
                "weekend": [],
                "working_hours": {"start": "00:00", "end": "23:59"},
            },
        }
        for project in PROJECTS
    ]
    folder = tmp_path / "etc-syncd"
    folder.mkdir()
    (folder / "policy.yaml").write_text(json.dumps({"sources": sources}), encoding="utf-8")
    folder.chmod(0o755)
    (folder / "policy.yaml").chmod(0o644)
    return folder


def reminder_markers(jira: SandboxServer) -> list[str]:
    """The marker of every reminder the bot posted, read over the sandbox's Jira REST API:
    its comments carrying syncd's property (the seed's own bot comment has none)."""
    with httpx.Client(base_url=jira.url, auth=BOT, timeout=10) as api:
        bot = api.get("/rest/api/3/myself").json()["accountId"]
        found = api.get(
            "/rest/api/3/search/jql",
            params={"jql": "project in (SHOP, NOVA)", "fields": "summary", "maxResults": 100},
        ).json()
        markers = []
        for issue in found["issues"]:
            comments = api.get(f"/rest/api/3/issue/{issue['key']}/comment").json()["comments"]
            for comment in comments:
                if comment["author"]["accountId"] != bot:
                    continue
                prop = api.get(f"/rest/api/3/comment/{comment['id']}/properties/{PROPERTY_KEY}")
                if prop.status_code == 200:
                    markers.append(prop.json()["value"]["marker"])
        return markers


def test_cli_runs_as_the_non_root_uid() -> None:
    assert docker("image", "inspect", "--format", "{{.Config.User}}", IMAGE).stdout.strip() == (
        f"{UID}:{UID}"
    )
    ids = docker("run", "--rm", "--network=none", "--entrypoint", "sh", IMAGE, "-c", "id -u; id -g")
    assert ids.stdout.split() == [UID, UID]
    shown = docker("run", "--rm", "--network=none", IMAGE, "version").stdout.strip()
    assert shown == f"syncd {version('syncd')}"


def test_the_shipped_policy_examples_validate_inside_the_image() -> None:
    find = "import config, pathlib; print(pathlib.Path(config.__file__).parent / 'examples')"
    where = docker("run", "--rm", "--network=none", "--entrypoint", "python3", IMAGE, "-c", find)
    folder = where.stdout.strip()
    names = sorted(p.name for p in (REPO_ROOT / "config" / "examples").glob("*.yaml"))
    assert names, "no policy examples in config/examples"
    for name in names:
        done = docker(
            "run", "--rm", "--network=none", IMAGE, "config", "validate", f"{folder}/{name}"
        )
        assert f"{name}: OK" in done.stdout, done.stdout + done.stderr


def test_every_policy_language_renders_dates_inside_the_image() -> None:
    # The Dockerfile keeps Babel's data for these languages only (BABEL_LOCALES).
    script = (
        "import datetime, typing; from babel.dates import format_date;"
        "from config.policy import ManagerConfig, SourceConfig;"
        "langs = {a for m in (SourceConfig, ManagerConfig)"
        " for a in typing.get_args(m.model_fields['language'].annotation)};"
        "[print(x, format_date(datetime.date(2026, 11, 23), 'd MMMM', locale=x))"
        " for x in sorted(langs)]"
    )
    done = docker("run", "--rm", "--network=none", "--entrypoint", "python3", IMAGE, "-c", script)
    assert "en 23 November" in done.stdout
    assert "ru 23 ноября" in done.stdout


@pytest.mark.parametrize("read_only", [False, True], ids=["writable-root", "read-only-root"])
def test_run_serves_healthy_and_ready_posts_reminders_and_stops_cleanly(
    jira: SandboxServer, policy_dir: Path, read_only: bool
) -> None:
    root = ["--read-only", "--tmpfs=/tmp"] if read_only else []
    with volume() as data:
        with container(
            *root,
            f"--volume={data}:/data",
            f"--volume={policy_dir}:/etc/syncd:ro",
            env={"JIRA_TOKEN": BOT[1]},
        ) as box:
            wait_for("the HEALTHCHECK to turn healthy", box.healthy, box.logs)
            wait_for("/readyz to answer 200", box.ready, box.logs)
            wait_for("a reminder on the sandbox", lambda: bool(reminder_markers(jira)), box.logs)
            assert box.stop() == 0, box.logs()
        # The state is in the volume, not in the container.
        ls = ["--network=none", f"--volume={data}:/data", "--entrypoint", "ls", IMAGE, "/data"]
        assert "syncd.db" in docker("run", "--rm", *ls).stdout.split()


@pytest.mark.parametrize("mount", ["root-owned-dir", "read-only-volume"])
def test_an_unwritable_data_dir_is_a_clear_error(
    policy_dir: Path, tmp_path: Path, mount: str
) -> None:
    if mount == "root-owned-dir":
        host = tmp_path / "data"
        host.mkdir(mode=0o755)
        os.chown(host, 0, 0)  # the usual mistake: a host directory docker created as root
        source = f"{host}:/data"
    else:
        source = "{}:/data:ro"
    with volume() as name:
        done = docker(
            "run",
            "--rm",
            "--network=host",
            f"--volume={source.format(name)}",
            f"--volume={policy_dir}:/etc/syncd:ro",
            "--env=JIRA_TOKEN=x",
            IMAGE,
            "run",
            check=False,
            timeout=GRACE + 60,
        )
    assert done.returncode != 0, done.stdout + done.stderr
    assert f"state directory /data cannot be written by this process (uid {UID}" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.postgres
def test_two_containers_on_one_postgres_share_leases_and_never_post_twice(
    jira: SandboxServer, policy_dir: Path, pg_server: PostgresServer
) -> None:
    with pg_server.new_database("syncd_image") as admin_url:
        database = admin_url.rsplit("/", 1)[1]
        # A password login over TCP, as a real deployment would use.
        url = pg_server.create_login(f"{database}_app", "image-test-pw", database)
        store = open_store(url)  # migrates: the replicas then race only for leases

        def replica(name: str) -> Any:
            return container(
                f"--volume={policy_dir}:/etc/syncd:ro",
                env={
                    "JIRA_TOKEN": BOT[1],
                    "SYNCD_STATE_URL": url,
                    "SYNCD_REPLICA_ID": name,
                    "SYNCD_LEASE_TTL": "3",
                },
            )

        try:
            with replica("replica-a") as a, replica("replica-b") as b:

                def logs() -> str:
                    return f"leases: {lease_split(store)}\n{a.logs()}\n{b.logs()}"

                for box in (a, b):
                    wait_for(f"{box.name} healthy", box.healthy, logs)
                    wait_for(f"{box.name} ready", box.ready, logs)
                wait_for(
                    "each replica holding one of the two sources",
                    lambda: set(lease_split(store).values()) == {"replica-a", "replica-b"},
                    logs,
                )
                wait_for(
                    "every claimed reminder posted",
                    lambda: (
                        bool(store.actions(state="done"))
                        and len(store.actions()) == len(store.actions(state="done"))
                    ),
                    logs,
                )
                posted = reminder_markers(jira)
                assert len(posted) == len(set(posted)) == len(store.actions(state="done"))

                # replica-a dies without a word: b takes its source over within the lease
                # time and polls it, and what a had posted is not posted again.
                docker("kill", a.name)
                wait_for(
                    "replica-b holding both sources",
                    lambda: (
                        set(lease_split(store).values()) == {"replica-b"}
                        and len(lease_split(store)) == len(PROJECTS)
                    ),
                    logs,
                )
                before = b.cycles()
                wait_for(
                    "replica-b polling both sources twice more",
                    lambda: all(
                        b.cycles().get(p.lower(), 0) >= before.get(p.lower(), 0) + 2
                        for p in PROJECTS
                    ),
                    logs,
                )
                again = reminder_markers(jira)
                assert sorted(again) == sorted(posted), logs()
                assert b.stop() == 0, b.logs()
        finally:
            store.close()
