"""``syncd demo``: the real cycle, end to end, on a machine with nothing configured.

It starts a sandbox tracker in-process with the demo agency's seed (shifted so its dates are
current), points a policy at it, keeps state in SQLite in a temporary directory, and runs
the same ``SourceRunner.run_cycle`` the daemon runs — over real HTTP. Time is pinned to the
seed's moment (a Monday 09:00 in Moscow) so what it shows is the same on every run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from config.policy import Policy
from config.settings import Settings
from connectors.sandbox.server import DEMO_SEED
from syncd.commands.check import render_table
from syncd.core.clock import FrozenClock
from syncd.core.errors import SyncdError
from syncd.core.logs import configure_logging
from syncd.source_cycle import CycleReport, build_runners
from syncd.store import Store, open_store

__all__ = ["DEMO_SEED", "demo_policy", "run_demo"]

DEMO_SECRET = "SYNCD_DEMO_TOKEN"  # noqa: S105 - the *name* of the variable, not a secret


def demo_policy(
    url: str, flavour: str, bot_user: str, manager: str, clients: dict[str, str]
) -> Policy:
    """The demo agency's policy: every rule on, reminders enforced, one Russian manager."""
    if flavour == "gitlab":
        source = {
            "type": "gitlab",
            "auth": {"kind": "private_token", "secret": DEMO_SECRET},
            "scope": {"group": "agency"},
        }
    else:
        kind = {"jira-cloud": "basic", "jira-dc": "bearer"}[flavour]
        auth = {"kind": kind, "secret": DEMO_SECRET}
        if kind == "basic":
            auth["user"] = bot_user
        source = {
            "type": "jira",
            "auth": auth,
            "scope": {"jql": f"project in ({', '.join(clients)})"},
            "flavour": "cloud" if flavour == "jira-cloud" else "datacenter",
        }
    return Policy.model_validate(
        {
            "sources": [
                {
                    "name": "demo",
                    "url": url,
                    "enforce": True,
                    "language": "ru",
                    "calendar": {"country": "RU", "timezone": "Europe/Moscow"},
                    **source,
                }
            ],
            "managers": [
                {
                    "name": manager,
                    "timezone": "Europe/Moscow",
                    "language": "ru",
                    "owns": [{"source": "demo"}],
                }
            ],
            "clients": clients,
        }
    )


Flavour = Literal["jira-cloud", "jira-dc", "gitlab"]


def run_demo(out_dir: Path, flavour: Flavour, *, echo: Callable[[str], None]) -> int:
    from connectors.sandbox.common.seed import load_seed
    from connectors.sandbox.server import SandboxServer, create_app
    from syncd.digest.dispatch import DigestService

    configure_logging("warning", "console")
    seed = load_seed(DEMO_SEED, flavour=flavour, shift=True, now=datetime.now(UTC))
    bot = next(u for u in seed.users if u.bot)
    manager = next(u for u in seed.users if not u.bot).name
    if seed.now is None or bot.token is None:
        raise SyncdError("the demo seed needs `now` and a bot user with a token")
    with (
        tempfile.TemporaryDirectory(prefix="syncd-demo-") as tmp,
        SandboxServer(create_app(flavour, seed)) as server,
    ):
        echo(
            f"sandbox {flavour} tracker at {server.url} with the demo agency "
            f"({len(seed.tasks)} tasks, {len(seed.projects)} projects)"
        )
        policy = demo_policy(
            server.url,
            flavour,
            bot.email,
            manager,
            {p.key: p.client or p.name for p in seed.projects},
        )
        settings = Settings(data_dir=Path(tmp), state_url=f"sqlite:///{tmp}/syncd.db")
        clock = FrozenClock(seed.now)
        echo(f"evaluating as of {seed.now:%A %Y-%m-%d %H:%M %z} (the seed's moment)\n")
        with open_store(settings.resolved_state_url()) as store:
            reports = _cycle(
                policy, settings, store, clock, env={DEMO_SECRET: bot.token}, echo=echo
            )
            service = DigestService(policy, store, dry_run=True)
            out_dir.mkdir(parents=True, exist_ok=True)
            html_path, md_path = out_dir / "digest.html", out_dir / "digest.md"
            html_path.write_text(service.preview(manager, "html", clock.now()), encoding="utf-8")
            markdown = service.preview(manager, "md", clock.now())
            md_path.write_text(markdown, encoding="utf-8")
        echo(f"\n== Digest for {manager} ==\n{markdown}")
        echo(f"\nDigest written to {html_path.resolve()} and {md_path.resolve()}")
        total = sum(r.posted for r in reports)
        echo(f"\n{sum(r.findings for r in reports)} finding(s), {total} reminder(s) posted.")
    return 0


def _cycle(
    policy: Policy,
    settings: Settings,
    store: Store,
    clock: FrozenClock,
    *,
    env: dict[str, str],
    echo: Callable[[str], None],
) -> list[CycleReport]:
    """The daemon's cycle for every source, then what it found and what it posted."""
    runners = build_runners(policy, settings, store, clock, env=env)
    reports: list[CycleReport] = []
    try:
        for runner in runners:
            reports.append(runner.run_cycle(clock.now()))
            store.record_poll(runner.source, clock.now())
        echo("== Findings ==")
        render_table([(f, None) for r in reports for f in r.findings_list])
        echo("\n== Reminder comments posted (read back from the tracker) ==")
        for runner, report in zip(runners, reports, strict=True):
            for plan in report.reconcile.posted if report.reconcile else ():
                task = runner.connector.fetch_task(plan.task_key)
                bodies = [c.body for c in (task.comments if task else ()) if c.is_bot]
                echo(f"--- {plan.task_key} ---")
                echo(bodies[-1] if bodies else "(not found on the tracker!)")
    finally:
        for runner in runners:
            runner.close()
    return reports
