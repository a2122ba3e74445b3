"""The ``syncd`` command line. Each command is a thin shell over the library: it loads
settings and the policy, opens the store, and calls one function of ``syncd.*``."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import click

from syncd import __version__
from syncd.core.errors import ConfigError, ConnectorError, SyncdError

if TYPE_CHECKING:
    from syncd.commands.demo import Flavour
    from syncd.wiring import App

__all__ = ["main"]

EXIT_FINDINGS = 1
EXIT_CONFIG = 2
EXIT_TRACKER = 3


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "-V", "--version", prog_name="syncd", message="%(prog)s %(version)s"
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    envvar="SYNCD_CONFIG",
    help="Policy file (YAML). Default: $SYNCD_CONFIG.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    envvar="SYNCD_DRY_RUN",
    help="Write nothing to trackers, send no digests; print what would be done.",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, dry_run: bool) -> None:
    """syncd keeps Jira/GitLab tasks in order and tells account managers where things stand."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config_path
    ctx.obj["dry_run"] = dry_run


@cli.command()
def version() -> None:
    """Print syncd's version."""
    click.echo(f"syncd {__version__}")


@cli.group()
def config() -> None:
    """Validate the policy file or print its JSON Schema."""


@config.command("schema")
def config_schema() -> None:
    """Print the policy file's JSON Schema (for editor completion)."""
    from config.loader import policy_json_schema

    click.echo(policy_json_schema())


@config.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
def config_validate(file: Path) -> None:
    """Check a policy file; print every problem with file, line and path (exit 2)."""
    from syncd.policy_file import read_policy

    try:
        policy = read_policy(file)
    except ConfigError as exc:
        for issue in exc.issues:
            click.echo(str(issue), err=True)
        click.echo(f"{len(exc.issues)} problem(s) in {file}", err=True)
        sys.exit(EXIT_CONFIG)
    rules = (
        f"{sum(r.enabled for r in policy.rules)} rule(s)" if policy.rules else "the default rules"
    )
    click.echo(
        f"{file}: OK ({len(policy.sources)} source(s), {rules}, {len(policy.managers)} manager(s))"
    )


def _app(ctx: click.Context) -> App:
    from syncd.wiring import load_app

    return load_app(ctx.obj["config"], dry_run=ctx.obj["dry_run"])


def _parse_at(value: str | None, app: App) -> datetime:
    """``--at``, else the process clock: real time, or ``SYNCD_CLOCK_START`` for a
    rehearsal — one clock for every command."""
    from syncd.core.clock import process_clock

    if value is None:
        return process_clock(app.settings.clock_start).now()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: expected ISO 8601, e.g. 2026-11-27T09:00+03:00", param_hint="--at"
        ) from None
    if at.tzinfo is None:
        raise click.BadParameter(
            f"{value!r}: give a UTC offset, e.g. 2026-11-27T09:00+03:00", param_hint="--at"
        )
    return at


@cli.command()
@click.option("--at", "at_text", help="Evaluate as of this moment (ISO 8601 with offset).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per finding (JSON Lines).")
@click.option("--no-sync", is_flag=True, help="Use the stored state only; do not read trackers.")
@click.option("--source", "sources", multiple=True, help="Only these sources.")
@click.pass_context
def check(
    ctx: click.Context, at_text: str | None, as_json: bool, no_sync: bool, sources: tuple[str, ...]
) -> None:
    """Print current findings; exit 1 if any has error severity (to gate a CI), 3 if a
    tracker could not be read."""
    from rules.engine import Engine
    from syncd.commands.check import collect, has_errors, iter_json, render_table
    from syncd.core.clock import process_clock
    from syncd.source_cycle import build_runners, failure_text

    app = _app(ctx)
    at = _parse_at(at_text, app)
    names = [s.name for s in app.policy.sources]
    unknown = sorted(set(sources) - set(names))
    if unknown:
        raise click.BadParameter(
            f"unknown source {', '.join(unknown)}; the policy has {', '.join(names)}",
            param_hint="--source",
        )
    selected = [n for n in names if not sources or n in sources]
    failed: dict[str, str] = {}  # could not be read
    broken: dict[str, str] = {}  # could not even be set up (a secret is missing...)
    if not no_sync:
        settings = app.settings.model_copy(update={"dry_run": True})  # check never writes
        runners = build_runners(
            app.policy,
            settings,
            app.store,
            process_clock(app.settings.clock_start),
            only=set(selected),
            errors=broken,
            interactive=True,
        )
        for runner in runners:
            try:
                runner.sync()
            except Exception as exc:  # one source's failure never hides the others' findings
                failed[runner.source] = failure_text(exc)
            finally:
                runner.close()
    rows = collect(app.policy, app.store, Engine.from_policy(app.policy), at, selected)
    if as_json:
        # Buffered writes: click.echo flushes every line, 200,000 flushes at scale.
        for line in iter_json(rows):
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    else:
        quiet = frozenset(s.name for s in app.policy.sources if not s.enforce)
        render_table(rows, report_only=quiet, not_read=frozenset({*broken, *failed}))
    for name, error in {**broken, **failed}.items():
        click.echo(f"{name}: not read, findings are from the stored state: {error}", err=True)
    if broken:
        sys.exit(EXIT_CONFIG)
    if failed:
        sys.exit(EXIT_TRACKER)
    sys.exit(EXIT_FINDINGS if has_errors(rows) else 0)


@cli.command()
@click.pass_context
def once(ctx: click.Context) -> None:
    """Run one cycle for every source, then send the digests that are due."""
    from syncd.commands.once import run_once
    from syncd.core.clock import process_clock

    app = _app(ctx)
    broken: dict[str, str] = {}
    reports, failed_digests = run_once(
        app, process_clock(app.settings.clock_start), echo=click.echo, broken=broken
    )
    failed = [r for r in reports if r.failed]
    if broken:  # a configuration mistake (a secret not set...): the same 2 as every command
        sys.exit(EXIT_CONFIG)
    sys.exit(1 if failed or failed_digests else 0)


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the daemon: poll every source on its interval, remind, send digests."""
    from syncd.commands.run import run_daemon
    from syncd.core.clock import process_clock

    app = _app(ctx)
    sys.exit(run_daemon(app, clock=process_clock(app.settings.clock_start)))


@cli.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check each source: reachable, authenticated, scope readable, can comment."""
    from connectors.factory import create_connector

    app = _app(ctx)
    ok = True
    misconfigured = False
    for source in app.policy.sources:
        click.echo(f"{source.name} ({source.type}, {source.url})")
        try:
            connector = create_connector(source, interactive=True)
        except SyncdError as exc:
            click.echo(f"  FAIL  setup: {exc}")
            ok = False
            misconfigured = misconfigured or isinstance(exc, ConfigError)
            continue
        try:
            for item in connector.doctor():
                ok = ok and item.ok
                click.echo(f"  {'ok  ' if item.ok else 'FAIL'}  {item.name}: {item.detail}")
        except SyncdError as exc:  # one unreachable source must not hide the others
            ok = False
            click.echo(f"  FAIL  {source.name}: {exc}")
        finally:
            connector.close()
    if misconfigured:  # a secret not set...: the same 2 as every command
        sys.exit(EXIT_CONFIG)
    sys.exit(0 if ok else 1)


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("demo-out"),
    show_default=True,
    help="Where to write the demo digest (HTML and Markdown).",
)
@click.option(
    "--flavour",
    type=click.Choice(["jira-cloud", "jira-dc", "gitlab"]),
    default="jira-cloud",
    show_default=True,
)
def demo(out_dir: Path, flavour: str) -> None:
    """One real cycle against a sandbox tracker with sample agency work."""
    from syncd.commands.demo import run_demo

    sys.exit(run_demo(out_dir, cast("Flavour", flavour), echo=click.echo))


@cli.command()
@click.argument("flavour", type=click.Choice(["jira-cloud", "jira-dc", "gitlab"]))
@click.option("--seed", type=click.Path(path_type=Path, exists=True), help="Seed file (JSON/YAML).")
@click.option("--shift", is_flag=True, help="Move the seed's dates so its 'now' is today.")
@click.option("--port", type=int, default=8089, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def sandbox(flavour: str, seed: Path | None, shift: bool, port: int, host: str) -> None:
    """Serve a sandbox tracker in the foreground (try syncd without a tracker)."""
    from connectors.sandbox.common.seed import SeedError
    from connectors.sandbox.server import BindError, run_sandbox

    try:
        run_sandbox(flavour, seed, shift, host, port)
    except SeedError as exc:  # a bad seed file is bad input: one line, like a bad policy
        click.echo(f"seed error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except BindError as exc:  # a busy port: one line, no traceback
        click.echo(str(exc), err=True)
        sys.exit(EXIT_CONFIG)


@cli.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Sources, their owner replica, last success, cursor, pending ledger entries."""
    from syncd.store.status import render_status

    app = _app(ctx)
    click.echo(render_status(app.store, [s.name for s in app.policy.sources]))


@cli.group()
def digest() -> None:
    """Preview digests."""


@digest.command("preview")
@click.option("--manager", required=True, help="Manager name as in the policy.")
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    type=click.Choice(
        ["html", "md", "slack", "telegram", "teams", "mattermost", "text", "webhook"]
    ),
)
@click.option("--at", "at_text", help="Render as of this moment (ISO 8601 with offset).")
@click.option(
    "--kind",
    type=click.Choice(["daily", "weekly", "monthly"]),
    default="daily",
    show_default=True,
)
@click.option("--out", type=click.Path(path_type=Path), help="Write to a file instead of stdout.")
@click.pass_context
def digest_preview(  # noqa: PLR0917 - click passes every option by name
    ctx: click.Context,
    manager: str,
    fmt: str,
    at_text: str | None,
    kind: str,
    out: Path | None,
) -> None:
    """Render a manager's digest without sending it."""
    from syncd.digest.dispatch import DigestService

    app = _app(ctx)
    text = DigestService(app.policy, app.store, dry_run=True).preview(
        manager, fmt, _parse_at(at_text, app), cast('Literal["daily", "weekly", "monthly"]', kind)
    )
    _emit(text, out)


@cli.command()
@click.option("--month", required=True, help="Month as YYYY-MM.")
@click.option("--client", required=True, help="Client name.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md"]),
    help="Default: from the --out file's extension (.html), else md.",
)
@click.option("--out", type=click.Path(path_type=Path), help="Write to a file instead of stdout.")
@click.pass_context
def report(ctx: click.Context, month: str, client: str, fmt: str | None, out: Path | None) -> None:
    """Monthly client report: done, on-time rate, checkpoint compliance, cycle time."""
    from syncd.digest.report import render_report_file

    app = _app(ctx)
    if fmt is None:
        fmt = "html" if out is not None and out.suffix.lower() in {".html", ".htm"} else "md"
    kind = cast('Literal["html", "md"]', fmt)
    _emit(render_report_file(app.policy, app.store, month, client, kind), out)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"written to {out}")


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"configuration error:\n{exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except ConnectorError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_TRACKER)
    except SyncdError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
