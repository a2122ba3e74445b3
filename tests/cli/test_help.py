"""Every option of every command says what it is for (``syncd X --help`` is the manual)."""

from __future__ import annotations

from collections.abc import Iterator

import click

from syncd.cli import cli


def _commands(
    command: click.Command, path: tuple[str, ...] = ("syncd",)
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def test_every_option_and_argument_has_help() -> None:
    missing = []
    for path, command in _commands(cli):
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"{' '.join(path)} {param.opts[0]}")
            # click arguments take no help text: the command's own help must name them.
            if isinstance(param, click.Argument) and str(param.name).upper() not in (
                command.help or ""
            ):
                missing.append(f"{' '.join(path)} {str(param.name).upper()} (not in the help)")
    assert missing == []


def test_the_walk_reaches_nested_commands() -> None:
    paths = {" ".join(path) for path, _ in _commands(cli)}
    assert {"syncd digest preview", "syncd config validate", "syncd init"} <= paths


def test_source_says_it_may_be_repeated() -> None:
    source = next(p for p in cli.commands["check"].params if p.name == "sources")
    assert isinstance(source, click.Option)
    assert source.multiple
    assert "repeat" in (source.help or "")
