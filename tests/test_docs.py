"""Docs kept true: every command and every option is in its `--help` and in the README, and
the README's examples name only commands that exist."""

from __future__ import annotations

import re

import click
import pytest

from newsletter.cli import cli
from tests.conftest import ROOT, run

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def test_the_commands_are_the_ones_the_readme_tours() -> None:
    toured = sorted(set(re.findall(r"^### `newsletter (\w+)`", README, re.MULTILINE)))
    assert toured == COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_in_the_help_and_the_readme(name: str) -> None:
    command = cli.commands[name]
    shown = run(name, "--help")
    assert shown.exit_code == 0
    assert command.help and command.help.split("\n")[0] in shown.output
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        assert param.help, f"{name} {param.opts[0]} has no help text"
        for flag in param.opts:
            assert flag in shown.output, f"{flag} is not in `newsletter {name} --help`"
        longest = max(param.opts, key=len)
        assert longest in README, f"`newsletter {name} {longest}` is not in the README"


def test_the_readme_runs_only_commands_that_exist() -> None:
    used = set(re.findall(r"\bnewsletter ([a-z]+)\b", README))
    assert used - {*COMMANDS, "briefing"} == set(), used - set(COMMANDS)
