"""Entry point, the issue commands: `draft` (the scaffold of a new issue), `check` (every
problem, compiler style) and `build` (the email files and the lock file). Each parses its
options, calls one function of `newsletter.commands` and prints what it returns.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsletter.cli.shared import config_option, echo_json, handle_errors, load, parse_day
from newsletter.errors import format_problems


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


@click.command()
@config_option
@click.argument(
    "issue_files", metavar="ISSUE.yaml...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--json", "as_json", is_flag=True, help="Print a list of each file's problems.")
@handle_errors
def check(config: Path | None, issue_files: tuple[Path, ...], strict: bool, as_json: bool) -> None:
    """Report every problem in issue files, compiler style (exit 1 on any error).

    Errors stop a build; warnings (a long subject, a story from outside the week, an article
    already featured, a missing key issue) do not, unless --strict. Each file is reported on
    its own.
    """
    from newsletter.commands.check import check_issues

    results = check_issues(load(config), issue_files, strict=strict)
    if as_json:
        echo_json(
            [
                {
                    "file": str(result.path),
                    "ok": result.ok,
                    "problems": [p.to_dict() for p in result.problems],
                }
                for result in results
            ]
        )
    for result in [] if as_json else results:
        if result.problems:
            click.echo(format_problems(result.problems), err=True, nl=False)
        if result.checked is not None:
            issue, count = result.checked.issue, len(result.problems)
            click.echo(
                f"{result.path}: ok, issue {issue.number} of {issue.date}, "
                f"{len(issue.articles)} articles, {count} warning{'s' if count != 1 else ''}"
            )
    failed = [result for result in results if not result.ok]
    if len(results) > 1 and not as_json:
        click.echo(f"{len(results)} files checked, {len(failed)} with errors", err=True)
    if failed:
        sys.exit(1)


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
@click.option(
    "--strict",
    is_flag=True,
    help="Treat warnings (the issue's and the email lint's) as errors: build nothing.",
)
@handle_errors
def build(
    config: Path | None, issue_file: Path, output: Path, as_json: bool, refresh: bool, strict: bool
) -> None:
    """Build an issue: build/NAME/email.html, email.txt, email.eml and report.json.

    Also records the articles the issue used in ISSUE.lock.json beside it, so that building
    it again, even after the store is gone, gives the same email.
    """
    from newsletter.commands.build import build_issue

    built = build_issue(load(config), issue_file, output=output, refresh=refresh, strict=strict)
    if as_json:
        click.echo(built.report.read_text(encoding="utf-8"), nl=False)
        return
    if built.problems:
        click.echo(format_problems(built.problems, wrote_nothing=False), err=True, nl=False)
    click.echo(f"built issue {built.rendered.issue.number}: {built.rendered.subject}")
    for name in ("email.html", "email.txt", "email.eml", "report.json"):
        click.echo(f"  {built.folder / name}")
