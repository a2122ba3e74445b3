"""The desk served by a real ``syncd run`` process, opened with a link printed by a real
``syncd desk link``: the daemon's own cycle fills the store the page reads."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import SandboxServer, create_app
from tests.desk.scene import desk_policy, desk_seed
from tests.e2e.scenario import policy_for
from tests.runtime.process import run_syncd, start_syncd

DESK_SECRET = "e2e-desk-secret"

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(create_app("jira-cloud", load_seed(desk_seed(), flavour="jira-cloud"))) as s:
        yield s


def test_daemon_serves_the_desk_to_a_signed_link(sandbox: SandboxServer, tmp_path: Path) -> None:
    data = desk_policy(sandbox.url, policy_for(sandbox.url)).model_dump(mode="json")
    data["sources"][0]["enforce"] = False  # the desk reads; this test needs no reminders
    policy = tmp_path / "policy.yaml"
    policy.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    env = {"E2E_TOKEN": "bot-token", "SYNCD_DESK_SECRET": DESK_SECRET}
    with start_syncd(policy, data_dir=tmp_path, env=env) as proc:
        proc.wait_ready(timeout=60)
        common = {
            "SYNCD_CONFIG": str(policy),
            "SYNCD_DATA_DIR": str(tmp_path),
            "SYNCD_HTTP_HOST": "127.0.0.1",
            "SYNCD_HTTP_PORT": str(proc.port),
        }
        link = run_syncd("desk", "link", "--manager", "Olga", "--days", "1", env={
            **common, "SYNCD_DESK_SECRET": DESK_SECRET})  # fmt: skip
        assert link.returncode == 0, link.stderr
        url = link.stdout.strip()
        assert url.startswith(f"http://127.0.0.1:{proc.port}/desk/login/")
        assert DESK_SECRET not in url
        with httpx.Client(timeout=30, follow_redirects=True) as client:
            assert client.get(f"{proc.url}/desk/").status_code == 403
            page = client.get(url)
            deadline = time.monotonic() + 60
            while "SHOP-1" not in page.text and time.monotonic() < deadline:
                time.sleep(0.2)  # the first cycle may still be writing the store
                page = client.get(f"{proc.url}/desk/")
            assert page.status_code == 200
            assert "SHOP-1" in page.text
            assert "ADS-1" not in page.text
            assert page.headers["x-frame-options"] == "DENY"
        # Without the secret there is nothing to sign with: a clear error, no traceback.
        unsigned = run_syncd("desk", "link", "--manager", "Olga", env=common)
        assert unsigned.returncode == 2
        assert "SYNCD_DESK_SECRET" in unsigned.stderr
        assert "Traceback" not in unsigned.stderr
        nobody = run_syncd("desk", "link", "--manager", "Nobody", env={
            **common, "SYNCD_DESK_SECRET": DESK_SECRET})  # fmt: skip
        assert nobody.returncode == 2
        assert "no manager 'Nobody'" in nobody.stderr


def test_desk_is_off_unless_configured(sandbox: SandboxServer, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    data = desk_policy(sandbox.url, policy_for(sandbox.url)).model_dump(mode="json")
    policy.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with start_syncd(policy, data_dir=tmp_path, env={"E2E_TOKEN": "bot-token"}) as proc:
        proc.wait_ready(timeout=60)
        assert httpx.get(f"{proc.url}/desk/", timeout=10).status_code == 404
