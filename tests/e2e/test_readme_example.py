"""The README's "Trying syncd without a tracker" example, run as written: ``syncd sandbox``
serves the shared example seed from a shell, and ``syncd check --at … --json`` against it
prints findings for the example tasks (issue 10)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.runtime.process import REPO_ROOT, free_port
from tests.support.reference import REFERENCE, required

README = REPO_ROOT / "README.md"
SHARED_SEED = REFERENCE / "seed-example.json"


def _readme_example() -> tuple[str, str, str]:
    text = README.read_text(encoding="utf-8")
    block = text.split("### Trying syncd without a tracker", 1)[1].split("```sh", 1)[1]
    block = block.split("```", 1)[0]
    sandbox_cmd = next(ln for ln in block.splitlines() if ln.startswith("syncd sandbox"))
    policy = block.split("<<'YAML'\n", 1)[1].split("\nYAML", 1)[0]
    check_cmd = next(ln for ln in block.splitlines() if " check " in ln)
    return sandbox_cmd, policy, check_cmd


def _syncd(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_readme_sandbox_and_check_example(tmp_path: Path) -> None:
    sandbox_cmd, policy, check_cmd = _readme_example()
    port = free_port()
    sandbox_argv = sandbox_cmd.split()[1:]
    sandbox_argv[sandbox_argv.index("--port") + 1] = str(port)
    seed_at = sandbox_argv.index("--seed") + 1
    sandbox_argv[seed_at] = str(REPO_ROOT / sandbox_argv[seed_at])  # relative to the repo
    (tmp_path / "sandbox.yaml").write_text(policy.replace(":8089", f":{port}"), encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")},
        "SANDBOX_TOKEN": "bot-token-1",
        "SYNCD_DATA_DIR": str(tmp_path / "data"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "syncd", *sandbox_argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/rest/api/2/serverInfo", timeout=2
                ).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "syncd sandbox did not start"
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.1)
        check = subprocess.run(
            [sys.executable, "-m", "syncd", *check_cmd.split()[1:]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        doctor = _syncd(tmp_path, env, "--config", "sandbox.yaml", "doctor")
        bad_token = _syncd(
            tmp_path, {**env, "SANDBOX_TOKEN": "wrong-token"}, "--config", "sandbox.yaml", "doctor"
        )
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=20)
    assert check.returncode == 1, check.stderr  # error-severity findings gate a CI
    rows = [json.loads(line) for line in check.stdout.splitlines()]
    assert {r["schema"] for r in rows} == {"syncd.commands.check/1"}
    by_key: dict[str, set[str]] = {}
    for r in rows:
        by_key.setdefault(r["key"], set()).add(r["rule"])
    # SHOP-2 "Аудит сайта": no goal, overdue since 20 Nov, checkpoint missed.
    assert {"required-sections", "overdue", "checkpoint"} <= by_key["SHOP-2"]
    # SHOP-3: nobody owns it and it has no due date.
    assert {"single-owner", "due-date"} <= by_key["SHOP-3"]
    checkpoint = next(r for r in rows if r["key"] == "SHOP-2" and r["rule"] == "checkpoint")
    assert re.match(r"2026-11-1\dT", checkpoint["data"]["checkpoint_at"])
    assert "bot-token-1" in out  # the sandbox printed the credentials to use
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    for check_name in ("server", "auth", "time zone", "jql", "permissions"):
        assert re.search(rf"^  ok +{check_name}:", doctor.stdout, re.M), doctor.stdout
    assert bad_token.returncode == 1
    assert re.search(r"^  FAIL +auth:", bad_token.stdout, re.M), bad_token.stdout
    assert "wrong-token" not in bad_token.stdout + bad_token.stderr


def test_shipped_example_seed_is_the_shared_one() -> None:
    required(SHARED_SEED)
    shipped = REPO_ROOT / "connectors" / "sandbox" / "seeds" / "example.json"
    assert shipped.read_bytes() == SHARED_SEED.read_bytes()
