"""``syncd init`` against each sandbox tracker with the example seed: the policy it writes
passes the same loader as ``syncd config validate``, the report-only check runs on it and
writes nothing to the tracker, the token never shows, an existing file is kept."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import SandboxServer, create_app
from syncd.policy_file import read_policy

SEED = Path(__file__).resolve().parents[2] / "connectors" / "sandbox" / "seeds" / "example.json"
TOKEN = "bot-token-1"


@pytest.fixture(params=["jira-cloud", "jira-dc", "gitlab"])
def tracker(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, Any]]:
    flavour = request.param
    app = create_app(flavour, load_seed(SEED, flavour=flavour))
    with SandboxServer(app) as server:
        yield flavour, server.url, app


def _init(tmp: Path, url: str, flavour: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    env.update(SYNCD_DATA_DIR=str(tmp / "data"), SYNCD_LOG_FORMAT="json", TRACKER_TOKEN=TOKEN)
    if flavour == "gitlab":
        args = ["--tracker", "gitlab", "--group", "agency"]
    else:
        args = ["--tracker", "jira", "--flavour", flavour.removeprefix("jira-")]
        if flavour == "jira-cloud":
            args += ["--user", "syncd@agency.example"]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "syncd",
            "init",
            *args,
            "--url",
            url,
            "--secret",
            "TRACKER_TOKEN",
            *list(extra),
        ],
        env=env,
        cwd=tmp,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _bot_comments(app: Any) -> int:
    if hasattr(app.state, "jira"):
        store = app.state.jira.store
        return sum(c.author == "bot" for i in store.issues for c in i.comments)
    state = app.state.gitlab
    return sum(n.author_id == 101 for i in state.issues.values() for n in i.notes)


def test_init_writes_a_valid_policy_and_reports(
    tracker: tuple[str, str, Any], tmp_path: Path
) -> None:
    flavour, url, app = tracker
    before = _bot_comments(app)
    run = _init(tmp_path, url, flavour, "--out", "policy.yaml")
    assert run.returncode == 0, run.stdout + run.stderr
    path = tmp_path / "policy.yaml"
    text = path.read_text(encoding="utf-8")

    policy = read_policy(path)  # the loader `syncd config validate` uses
    (source,) = policy.sources
    assert source.enforce is False
    assert source.auth.secret == "TRACKER_TOKEN"
    assert TOKEN not in text
    assert TOKEN not in run.stdout
    assert TOKEN not in run.stderr
    (manager,) = policy.managers  # one lead in the example seed: the account manager
    assert manager.name == "Ольга Смирнова"
    assert manager.language == "ru"
    if flavour == "gitlab":
        assert source.scope.group == "agency"
        assert source.doing_labels == ("Doing",)
        assert set(policy.clients) == {"agency/shop", "agency/nova"}
        assert "does not show the user's time zone" in text  # a default, said so
    else:
        assert source.scope.jql == "project in (NOVA, SHOP)"
        assert source.start_date_field == "Start date"
        assert policy.clients == {"SHOP": "Смартфон-маркет", "NOVA": "Nova Bank"}
        assert manager.timezone == "Europe/Moscow"  # from the lead's Jira profile
    assert set(manager.owns[0].projects) == set(policy.clients)

    validate = subprocess.run(
        [sys.executable, "-m", "syncd", "config", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert validate.returncode == 0, validate.stderr

    out = run.stdout
    assert "ok    auth" in out
    assert "Report-only check: 4 open task(s)" in out  # the seed's open tasks
    rules_part = out.split("Findings per rule:", 1)[1].split("Clients with most violations:")[0]
    assert "required-sections:" in rules_part
    clients_part = out.split("Clients with most violations:", 1)[1]
    assert clients_part.index("Смартфон-маркет") < clients_part.index("Nova Bank")
    assert "then set `enforce: true`" in out
    assert _bot_comments(app) == before  # report-only: nothing written to the tracker


def test_init_keeps_an_existing_file_without_force(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("mine\n", encoding="utf-8")
    # Refused before any request: the URL is never contacted.
    run = _init(tmp_path, "http://127.0.0.1:9", "jira-dc", "--out", "policy.yaml")
    assert run.returncode == 2
    assert "exists; pass --force" in run.stdout
    assert (tmp_path / "policy.yaml").read_text(encoding="utf-8") == "mine\n"


def test_init_overwrites_with_force(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("mine\n", encoding="utf-8")
    app = create_app("jira-dc", load_seed(SEED, flavour="jira-dc"))
    with SandboxServer(app) as server:
        run = _init(tmp_path, server.url, "jira-dc", "--out", "policy.yaml", "--force")
    assert run.returncode == 0, run.stdout + run.stderr
    assert read_policy(tmp_path / "policy.yaml").sources[0].type == "jira"


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # the terminal closed: the process is gone
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


def test_init_asks_on_a_terminal(tmp_path: Path) -> None:
    """On a TTY the missing options are asked with prompts (a real pseudo-terminal)."""
    app = create_app("gitlab", load_seed(SEED, flavour="gitlab"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    env.update(SYNCD_DATA_DIR=str(tmp_path / "data"), TRACKER_TOKEN=TOKEN, TERM="dumb")
    with SandboxServer(app) as server:
        main, child = pty.openpty()
        process = subprocess.Popen(
            [sys.executable, "-m", "syncd", "init", "--out", "policy.yaml"],
            stdin=child,
            stdout=child,
            stderr=child,
            env=env,
            cwd=tmp_path,
        )
        os.close(child)
        # The terminal keeps typed lines until each prompt reads one.
        os.write(main, f"gitlab\n{server.url}\nTRACKER_TOKEN\nagency\n".encode())
        output = _read_all(main)
        assert process.wait(timeout=180) == 0, output
        os.close(main)
    for prompt in ("Tracker", "Tracker URL", "Environment variable holding the token"):
        assert f"{prompt}" in output
    assert "GitLab group to watch" in output
    assert read_policy(tmp_path / "policy.yaml").sources[0].scope.group == "agency"
    assert TOKEN not in output  # only the variable's name was typed and shown


def test_init_without_a_terminal_names_the_missing_option(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "syncd", "init", "--tracker", "jira"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 2
    assert "missing option --url" in run.stderr
    assert "Traceback" not in run.stderr


def test_init_on_jira_cloud_without_an_email_says_what_to_give(tmp_path: Path) -> None:
    app = create_app("jira-cloud", load_seed(SEED, flavour="jira-cloud"))
    with SandboxServer(app) as server:
        run = _init(tmp_path, server.url, "jira-auto", "--out", "policy.yaml")  # no --user
    assert run.returncode == 2, run.stdout + run.stderr
    assert "give --user E-MAIL" in run.stderr
    assert not (tmp_path / "policy.yaml").exists()


def test_init_with_no_visible_project_writes_nothing(tmp_path: Path) -> None:
    data = json.loads(SEED.read_text(encoding="utf-8"))
    data.update(projects=[], tasks=[])
    app = create_app("gitlab", load_seed(data, flavour="gitlab"))
    with SandboxServer(app) as server:
        run = _init(tmp_path, server.url, "gitlab", "--out", "policy.yaml")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "sees no project" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "policy.yaml").exists()
