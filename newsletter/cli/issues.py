"""Entry point, the issue commands: `draft` (the scaffold of a new issue), `check` (every
problem, compiler style) and `build` (the email files and the lock file). Each parses its
options, calls one function of `newsletter.commands` and prints what it returns.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from newsletter.cli.shared import config_option, echo_json, handle_errors, load, parse_day
from newsletter.errors import Problem, ProblemsError, format_problems


@click.command()
@config_option
@click.option(
    "--date",
    "day",
    metavar="DATE",
    help="The issue's send date (YYYY-MM-DD). [default: the next send day]",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write it. [default: issues/DATE.yaml]",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@handle_errors
def draft(config: Path | None, day: str | None, output: Path | None, force: bool) -> None:
    """Scaffold a new issue file from the week's articles.

    Writes the sections with placeholder text and every candidate article of the week as a
    commented-out entry, grouped by feed, newest first: uncomment, write, then `check`.
    """
    from newsletter.commands.draft import draft_issue_file

    settings = load(config)
    when = parse_day(day, "--date")
    drafted = draft_issue_file(settings, day=when, output=output, force=force)
    more = f" ({drafted.left_out} older ones left out)" if drafted.left_out else ""
    click.echo(f"wrote {drafted.path} with {drafted.candidates} candidate articles{more}")


def _echo_check_json(issue_file: Path, problems: Sequence[Problem], *, ok: bool) -> None:
    echo_json({"file": str(issue_file), "ok": ok, "problems": [p.to_dict() for p in problems]})


@click.command()
@config_option
@click.argument("issue_file", metavar="ISSUE.yaml", type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
@handle_errors
def check(config: Path | None, issue_file: Path, strict: bool, as_json: bool) -> None:
    """Report every problem in an issue file, compiler style (exit 1 if any error).

    Errors stop a build; warnings (a long subject, a story from outside the week, an article
    already featured) do not, unless --strict.
    """
    from newsletter.commands.check import check_issue

    try:
        checked = check_issue(load(config), issue_file, strict=strict)
    except ProblemsError as exc:
        if not as_json:
            raise
        _echo_check_json(issue_file, exc.problems, ok=False)
        sys.exit(1)
    warnings = checked.warnings
    if as_json:
        _echo_check_json(issue_file, warnings, ok=True)
        return
    if warnings:
        click.echo(format_problems(warnings), err=True, nl=False)
    click.echo(
        f"{issue_file}: ok, issue {checked.issue.number} of {checked.issue.date}, "
        f"{len(checked.issue.articles)} articles, {len(warnings)} warning"
        f"{'s' if len(warnings) != 1 else ''}"
    )


@click.command()
@config_option
@click.argument("issue_file", metavar="ISSUE.yaml", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("build"),
    show_default=True,
    help="The build folder.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--refresh",
    is_flag=True,
    help="Take every article from the store, not from the issue's lock file.",
)
@handle_errors
def build(
    config: Path | None, issue_file: Path, output: Path, as_json: bool, refresh: bool
) -> None:
    """Build an issue: build/NAME/email.html, email.txt, email.eml and report.json.

    Also records the articles the issue used in ISSUE.lock.json beside it, so that building
    it again, even after the store is gone, gives the same email.
    """
    from newsletter.commands.build import build_issue

    built = build_issue(load(config), issue_file, output=output, refresh=refresh)
    if as_json:
        click.echo(built.report.read_text(encoding="utf-8"), nl=False)
        return
    if built.problems:
        click.echo(format_problems(built.problems, wrote_nothing=False), err=True, nl=False)
    click.echo(f"built issue {built.rendered.issue.number}: {built.rendered.subject}")
    for name in ("email.html", "email.txt", "email.eml", "report.json"):
        click.echo(f"  {built.folder / name}")
