"""The ``syncd`` command line. Each command is a thin shell over the library: it loads
settings and the policy, opens the store, and calls one function of ``syncd.*``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, ParamSpec, TypeVar, cast

import click

from syncd import __version__
from syncd.core.errors import ConfigError, ConnectorError, SyncdError

if TYPE_CHECKING:
    from syncd.commands.demo import Flavour
    from syncd.wiring import App

__all__ = ["main"]

P = ParamSpec("P")
R = TypeVar("R")

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


def _global_after_command(ctx: click.Context, param: click.Parameter, value: object) -> None:
    """``syncd check --config X``: a global option typed after the command counts as if
    typed before it (people type it there); given in both places, the later one wins."""
    if value is None or value is False:
        return  # not given here: what the group got (or its environment variable) stays
    ctx.ensure_object(dict)
    ctx.obj[str(param.name)] = value


def global_options(command: Callable[P, R]) -> Callable[P, R]:
    """The group's ``--config`` and ``--dry-run``, accepted after the command too."""
    command = click.option(
        "--dry-run",
        "dry_run",
        is_flag=True,
        expose_value=False,
        callback=_global_after_command,
        help="Write nothing to trackers, send no digests (as before the command).",
    )(command)
    return click.option(
        "--config",
        "config",
        type=click.Path(path_type=Path),
        expose_value=False,
        callback=_global_after_command,
        help="Policy file (YAML), as before the command. Default: $SYNCD_CONFIG.",
    )(command)


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
    """Check the policy FILE; print every problem with file, line and path (exit 2)."""
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
@global_options
@click.option("--at", "at_text", help="Evaluate as of this moment (ISO 8601 with offset).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per finding (JSON Lines).")
@click.option("--no-sync", is_flag=True, help="Use the stored state only; do not read trackers.")
@click.option(
    "--source",
    "sources",
    multiple=True,
    help="Only this source (its name in the policy); repeat for more: --source a --source b.",
)
@click.pass_context
def check(
    ctx: click.Context, at_text: str | None, as_json: bool, no_sync: bool, sources: tuple[str, ...]
) -> None:
    """Print current findings; exit 1 if any has error severity (to gate a CI), 3 if a
    tracker could not be read."""
    from syncd.commands.check import has_errors, run_check

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
    outcome = run_check(
        app, at, selected, sync=not no_sync, as_json=as_json, echo=click.echo, warn=_warn
    )
    if outcome.not_set_up:
        sys.exit(EXIT_CONFIG)
    if outcome.not_read:
        sys.exit(EXIT_TRACKER)
    sys.exit(EXIT_FINDINGS if has_errors(outcome.rows) else 0)


@cli.command()
@global_options
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Print every would-be comment and label change in full (report-only, dry-run).",
)
@click.option(
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write every would-be comment and label change in full to this file.",
)
@click.option(
    "--progress-every",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="Off a terminal: seconds between sync.progress log lines.",
)
@click.pass_context
def once(ctx: click.Context, verbose: bool, output: Path | None, progress_every: float) -> None:
    """Run one cycle for every source, then send the digests that are due. Prints a
    summary per source (with the findings per rule where nothing is written); progress
    goes to stderr while a cycle runs."""
    from syncd.commands.once import run_once
    from syncd.core.clock import process_clock
    from syncd.progress import for_terminal

    app = _app(ctx)
    with _comment_sink(verbose, output) as comments:
        outcome = run_once(
            app,
            process_clock(app.settings.clock_start),
            echo=click.echo,
            comments=comments,
            progress=for_terminal(progress_every),
        )
    if output is not None:
        click.echo(f"every would-be comment written to {output}")
    if outcome.not_set_up:  # a configuration mistake (a secret not set...): as every command
        sys.exit(EXIT_CONFIG)
    failed = [r for r in outcome.reports if r.failed]
    sys.exit(1 if failed or outcome.failed_digests else 0)


@contextmanager
def _comment_sink(verbose: bool, output: Path | None) -> Iterator[Callable[[str], None] | None]:
    """Where every would-be comment goes: stdout (``--verbose``), a file (``--output``),
    both, or nowhere (the summary only)."""
    if output is None:
        yield click.echo if verbose else None
        return
    try:
        handle = output.open("w", encoding="utf-8")
    except OSError as exc:
        raise click.BadParameter(f"{output}: {exc.strerror}", param_hint="--output") from None
    with handle:

        def write(line: str) -> None:
            handle.write(line + "\n")
            if verbose:
                click.echo(line)

        yield write


@cli.command()
@global_options
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the daemon: poll every source on its interval, remind, send digests."""
    from syncd.commands.run import run_daemon
    from syncd.core.clock import process_clock

    app = _app(ctx)
    sys.exit(run_daemon(app, clock=process_clock(app.settings.clock_start)))


@cli.command()
@global_options
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check each source: reachable, authenticated, scope readable, can comment."""
    from syncd.commands.doctor import run_doctor

    outcome = run_doctor(_app(ctx), echo=click.echo)
    if outcome.misconfigured:  # a secret not set...: the same 2 as every command
        sys.exit(EXIT_CONFIG)
    sys.exit(0 if outcome.ok else 1)


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
    help="Which sandbox tracker to run against: Jira Cloud, Jira Data Center or GitLab.",
)
@click.option(
    "--desk",
    "desk_seconds",
    type=float,
    default=0,
    help="Then serve the demo manager's desk for this many seconds and print its link.",
)
def demo(out_dir: Path, flavour: str, desk_seconds: float) -> None:
    """One real cycle against a sandbox tracker with sample agency work."""
    from syncd.commands.demo import run_demo

    sys.exit(
        run_demo(out_dir, cast("Flavour", flavour), echo=click.echo, desk_seconds=desk_seconds)
    )


@cli.command()
@click.argument("flavour", type=click.Choice(["jira-cloud", "jira-dc", "gitlab"]))
@click.option("--seed", type=click.Path(path_type=Path, exists=True), help="Seed file (JSON/YAML).")
@click.option("--shift", is_flag=True, help="Move the seed's dates so its 'now' is today.")
@click.option("--port", type=int, default=8089, show_default=True, help="Port to listen on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: reachable from other machines).",
)
def sandbox(flavour: str, seed: Path | None, shift: bool, port: int, host: str) -> None:
    """Serve a sandbox tracker of kind FLAVOUR in the foreground (try syncd without a
    tracker)."""
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


def _ask(value: str | None, option: str, text: str, choice: click.Choice[str] | None = None) -> str:
    """A missing option: asked on a terminal, an error elsewhere (a script must say it)."""
    if value:
        return value
    if not sys.stdin.isatty():
        raise click.UsageError(f"missing option {option}")
    return str(click.prompt(text, type=choice))


@cli.command()
@global_options
@click.argument("target", metavar="SOURCE:KEY")
@click.option("--source", help="The source, when TARGET is a bare KEY.")
@click.option("--at", "at_text", help="Explain as of this moment (ISO 8601 with offset).")
@click.pass_context
def explain(ctx: click.Context, target: str, source: str | None, at_text: str | None) -> None:
    """Why syncd flags a task (TARGET: SOURCE:KEY, or a bare KEY with --source): sections,
    checkpoint, activity, findings and reminders."""
    from syncd.commands.explain import explain_text

    app = _app(ctx)
    click.echo(explain_text(app.policy, app.store, target, source, _parse_at(at_text, app)))


@cli.group()
def desk() -> None:
    """The managers' desk (a read-only web page per manager on the daemon's port)."""


@desk.command("link")
@global_options
@click.option("--manager", required=True, help="Manager name as in the policy.")
@click.option("--days", type=float, default=30, show_default=True, help="Valid for this long.")
@click.option("--base-url", help="The desk's public address. Default: SYNCD_HTTP_HOST/PORT.")
@click.pass_context
def desk_link(ctx: click.Context, manager: str, days: float, base_url: str | None) -> None:
    """Print a signed link to MANAGER's desk (revoked by rotating SYNCD_DESK_SECRET)."""
    from syncd.commands.desk import desk_link as link
    from syncd.core.clock import process_clock

    app = _app(ctx)
    now = process_clock(app.settings.clock_start).now()
    click.echo(link(app.settings, app.policy, manager, days, now, base_url))


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Directory to write into (.gitlab/issue_templates, jira, markdown).",
)
@click.option(
    "--lang",
    type=click.Choice(["ru", "en"]),
    help="Language of the templates. Default: the sources' language (en without a policy).",
)
@click.pass_context
def templates(ctx: click.Context, out_dir: Path, lang: str | None) -> None:
    """Write task description templates that pass the required-sections rule: one per
    brief (the default and each variant), for GitLab, Jira wiki and Markdown."""
    from syncd.commands.templates import team_language, write_templates
    from syncd.policy_file import read_policy

    policy = read_policy(ctx.obj["config"]) if ctx.obj["config"] else None
    language = team_language(policy, cast('Literal["ru", "en"] | None', lang))
    try:
        written = write_templates(out_dir, policy, language)
    except OSError as exc:
        click.echo(f"cannot write templates to {out_dir}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_CONFIG)
    for path in written:
        click.echo(f"written {path}")


@cli.command()
@click.option(
    "--tracker", type=click.Choice(["jira", "gitlab"]), help="Which tracker (asked if omitted)."
)
@click.option("--url", help="The tracker's base URL, e.g. https://agency.atlassian.net.")
@click.option(
    "--secret",
    help="NAME of the environment variable holding the token (the token itself is never "
    "written or shown).",
)
@click.option(
    "--user", help="Jira Cloud: the account's e-mail (basic auth); omit for a Data Center PAT."
)
@click.option(
    "--flavour",
    type=click.Choice(["auto", "cloud", "dc"]),
    default="auto",
    show_default=True,
    help="Jira: Cloud or Data Center; auto reads it from the server.",
)
@click.option("--group", help="GitLab: the group whose projects to watch (path).")
@click.option("--name", help="The source's short name in the policy (default: the tracker).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("policy.yaml"),
    show_default=True,
    help="Where to write the policy.",
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def init(  # noqa: PLR0917 - click passes every option by name
    tracker: str | None,
    url: str | None,
    secret: str | None,
    user: str | None,
    flavour: str,
    group: str | None,
    name: str | None,
    out: Path,
    force: bool,
) -> None:
    """Write a first policy from what the tracker says, then a report-only check."""
    from syncd.commands.init import InitRequest, run_init

    tracker = _ask(tracker, "--tracker", "Tracker", click.Choice(["jira", "gitlab"]))
    url = _ask(url, "--url", "Tracker URL")
    secret = _ask(secret, "--secret", "Environment variable holding the token")
    if tracker == "gitlab":
        group = _ask(group, "--group", "GitLab group to watch")
    elif user is None and sys.stdin.isatty():
        user = click.prompt("Jira Cloud account e-mail (empty for a Data Center PAT)", default="")
    request = InitRequest(
        tracker=cast('Literal["jira", "gitlab"]', tracker),
        url=url.rstrip("/"),
        secret=secret,
        out=out,
        force=force,
        user=user or None,
        flavour=cast('Literal["auto", "cloud", "dc"]', flavour),
        group=group,
        name=name,
    )
    sys.exit(run_init(request, click.echo))


@cli.command()
@global_options
@click.pass_context
def status(ctx: click.Context) -> None:
    """Sources, their owner replica, last success, cursor, pending ledger entries."""
    from syncd.commands.status import show_status

    show_status(_app(ctx), echo=click.echo)


@cli.group()
def digest() -> None:
    """Preview digests."""


@digest.command("preview")
@global_options
@click.option("--manager", required=True, help="Manager name as in the policy.")
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    type=click.Choice(
        ["html", "md", "slack", "telegram", "teams", "mattermost", "text", "webhook"]
    ),
    help="Render as this channel would receive it.",
)
@click.option("--at", "at_text", help="Render as of this moment (ISO 8601 with offset).")
@click.option(
    "--kind",
    type=click.Choice(["daily", "weekly", "monthly"]),
    default="daily",
    show_default=True,
    help="Which digest: the daily one, the weekly one or the monthly summary.",
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
    from syncd.commands.report import emit, preview_digest

    app = _app(ctx)
    when = cast('Literal["daily", "weekly", "monthly"]', kind)
    emit(preview_digest(app, manager, fmt, _parse_at(at_text, app), when), out, click.echo)


@cli.command()
@global_options
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
    from syncd.commands.report import emit, monthly_report, report_format

    app = _app(ctx)
    emit(monthly_report(app, month, client, report_format(fmt, out)), out, click.echo)


def _warn(text: str) -> None:
    click.echo(text, err=True)


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
