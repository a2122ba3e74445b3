"""The ``syncd`` command line. Each command is a thin shell over the library: it loads
settings and the policy, opens the store, and calls one function of ``syncd.*``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from syncd import __version__
from syncd.errors import ConfigError, SyncdError

__all__ = ["main"]

EXIT_FINDINGS = 1
EXIT_CONFIG = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    from config.loader import load_policy

    try:
        policy = load_policy(file)
    except ConfigError as exc:
        for issue in exc.issues:
            click.echo(str(issue), err=True)
        click.echo(f"{len(exc.issues)} problem(s) in {file}", err=True)
        sys.exit(EXIT_CONFIG)
    click.echo(
        f"{file}: OK ({len(policy.sources)} source(s), {len(policy.rules)} rule(s), "
        f"{len(policy.managers)} manager(s))"
    )


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"configuration error:\n{exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except SyncdError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
