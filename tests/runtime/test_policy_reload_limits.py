"""SIGHUP with a hostile policy file (an alias bomb) is refused within the loader's bounds:
the running daemon logs the file and line, keeps its old policy and still stops on SIGTERM.
Before the bounds, the reload grew without limit and SIGTERM went unanswered meanwhile."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from tests.config.test_untrusted_policy import BILLION_LAUGHS
from tests.runtime.process import start_syncd

SCRIPT = [sys.executable, "-m", "tests.runtime.daemon_main"]
POLICY = (
    "sources:\n"
    "  - {name: alpha, type: jira, url: 'https://alpha.example', scope: {jql: 'project = X'},"
    " auth: {kind: bearer, secret: TOKEN}}\n"
)


def test_sighup_with_an_alias_bomb_keeps_the_old_policy(tmp_path: Path) -> None:
    config = tmp_path / "policy.yaml"
    config.write_text(POLICY, encoding="utf-8")
    with start_syncd(config, data_dir=tmp_path, argv=SCRIPT) as proc:
        proc.wait_ready()
        config.write_text(BILLION_LAUGHS, encoding="utf-8")
        proc.send(signal.SIGHUP)
        proc.wait_log("policy.reload_failed", timeout=60)
        (failed,) = [
            json.loads(line)
            for line in proc.log().splitlines()
            if line.startswith("{") and '"policy.reload_failed"' in line
        ]
        (problem,) = failed["problems"]
        assert problem.startswith(f"{config}:")
        assert "alias" in problem
        assert set(proc.wait_ready().json()["sources"]) == {"alpha"}  # still serving
        assert proc.terminate(timeout=30) == 0
