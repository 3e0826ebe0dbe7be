"""Entry point: the `newsletter` command line (click). Each command parses its options, calls
one function of `newsletter.commands` and prints what it returns, as a table or as JSON (see
`present`). Bad input is printed as problems and exits 1, never as a traceback; a usage error
exits 2. The commands' modules are imported by the command that runs, so `check` in an
editor's save loop never loads the HTTP stack and `fetch` never loads the renderer.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from newsletter import __version__
from newsletter.config import Settings, find_config, load_settings
from newsletter.errors import NewsletterError, Problem, ProblemsError, format_problems
from newsletter.untrusted import terminal_text
from newsletter.week import FIRST_DAY, LAST_DAY, is_supported_day

F = TypeVar("F", bound=Callable[..., Any])


def _debugging() -> bool:
    return bool(click.get_current_context().find_root().params.get("debug"))


def _handle_errors(func: F) -> F:
    """Print problems compiler-style and exit 1; a bug says so (its traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ProblemsError as exc:
            click.echo(format_problems(exc.problems), err=True, nl=False)
            sys.exit(1)
        except NewsletterError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if _debugging():
                raise
            click.echo(
                f"internal error: {type(exc).__name__}: {terminal_text(str(exc))}\n"
                "  hint: this is a bug in newsletter; run again with --debug for the details",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _config_option(func: F) -> F:
    return click.option(
        "--config",
        "config",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="The newsroom's settings file. [default: ./newsletter.toml]",
    )(func)


def _settings(config: Path | None) -> Settings:
    return load_settings(find_config(config))


def _parse_day(value: str | None, param: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"expected a date as YYYY-MM-DD, found '{value}'", param_hint=param
        ) from None
    if not is_supported_day(day):
        raise click.BadParameter(
            f"{day} is outside the dates newsletter supports, {FIRST_DAY} to {LAST_DAY}",
            param_hint=param,
        )
    return day


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="newsletter")
@click.option("--debug", is_flag=True, help="Show a traceback for internal errors.")
def cli(debug: bool) -> None:
    """Assemble a newsroom's weekly email briefing from its RSS/Atom feeds.

    \b
    The weekly loop:
      newsletter fetch                          read every feed into the store
      newsletter articles --week 2026-11-27     see what the week holds
      newsletter draft --date 2026-11-27        scaffold issues/2026-11-27.yaml
      newsletter check issues/2026-11-27.yaml   every mistake, with line and hint
      newsletter build issues/2026-11-27.yaml   build/2026-11-27/email.html, .txt, .eml
    """


@cli.command()
@_config_option
@click.option("--json", "as_json", is_flag=True, help="Print the per-feed results as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when any feed failed.")
@_handle_errors
def fetch(config: Path | None, as_json: bool, strict: bool) -> None:
    """Read every feed in newsletter.toml into the article store.

    Shows a progress bar, then a health table per feed: new, updated and unchanged articles,
    the HTTP status (304 when the feed had not changed) and a plain-words problem for each
    failure. A broken feed never stops the others; exit 0 unless --strict.
    """
    from newsletter.commands.fetch import fetch_all
    from newsletter.present import console, fetch_json, fetch_summary, health_table, progress_bar

    settings = _settings(config)
    with progress_bar("fetching", len(settings.feeds), enabled=not as_json) as advance:
        report = fetch_all(settings, on_feed=advance)
    if as_json:
        _echo_json(fetch_json(report))
    else:
        console().print(health_table(report))
        console().print(fetch_summary(report))
    if _debugging():
        for feed in report.failed:
            if feed.result.debug:
                name = terminal_text(feed.result.source.name)
                click.echo(f"--- {name} ---\n{feed.result.debug}", err=True)
    if report.failed and strict:
        sys.exit(1)


@cli.command()
@_config_option
@click.option(
    "--week",
    "week",
    metavar="DATE",
    help="The week ending on DATE (YYYY-MM-DD). [default: the next send day]",
)
@click.option("--feed", help="Only articles of this feed.")
@click.option("--search", metavar="TEXT", help="Only articles whose title or summary has TEXT.")
@click.option("--json", "as_json", is_flag=True, help="Print the articles as JSON.")
@_handle_errors
def articles(
    config: Path | None, week: str | None, feed: str | None, search: str | None, as_json: bool
) -> None:
    """List the stored articles of a week: id, feed, local time, title.

    The week is the seven days ending on DATE, in the newsletter's time zone. Use an id
    (or the URL) in an issue file's `article:` key.
    """
    from newsletter.commands.articles import list_articles
    from newsletter.present import articles_json, articles_summary, articles_table, console

    settings = _settings(config)
    day = _parse_day(week, "--week")
    if feed and feed not in {source.name for source in settings.feeds}:
        names = ", ".join(source.name for source in settings.feeds)
        raise click.BadParameter(f"no feed named '{feed}' (feeds: {names})", param_hint="--feed")
    found = list_articles(settings, week=day, feed=feed, search=search)
    if as_json:
        _echo_json(articles_json(found, settings))
        return
    console().print(articles_table(found, settings))
    if found.store_empty:
        click.echo("The store is empty: run `newsletter fetch` first.", err=True)
    console().print(articles_summary(found))


@cli.command()
@_config_option
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
@_handle_errors
def draft(config: Path | None, day: str | None, output: Path | None, force: bool) -> None:
    """Scaffold a new issue file from the week's articles.

    Writes the sections with placeholder text and every candidate article of the week as a
    commented-out entry, grouped by feed, newest first: uncomment, write, then `check`.
    """
    from newsletter.commands.draft import draft_issue_file

    settings = _settings(config)
    when = _parse_day(day, "--date")
    drafted = draft_issue_file(settings, day=when, output=output, force=force)
    more = f" ({drafted.left_out} older ones left out)" if drafted.left_out else ""
    click.echo(f"wrote {drafted.path} with {drafted.candidates} candidate articles{more}")


def _echo_check_json(issue_file: Path, problems: Sequence[Problem], *, ok: bool) -> None:
    _echo_json({"file": str(issue_file), "ok": ok, "problems": [p.to_dict() for p in problems]})


@cli.command()
@_config_option
@click.argument("issue_file", metavar="ISSUE.yaml", type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
@_handle_errors
def check(config: Path | None, issue_file: Path, strict: bool, as_json: bool) -> None:
    """Report every problem in an issue file, compiler style (exit 1 if any error).

    Errors stop a build; warnings (a long subject, a story from outside the week, an article
    already featured) do not, unless --strict.
    """
    from newsletter.commands.check import check_issue

    try:
        checked = check_issue(_settings(config), issue_file, strict=strict)
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


@cli.command()
@_config_option
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
@_handle_errors
def build(
    config: Path | None, issue_file: Path, output: Path, as_json: bool, refresh: bool
) -> None:
    """Build an issue: build/DATE/email.html, email.txt, email.eml and report.json.

    Also records the articles the issue used in ISSUE.lock.json beside it, so that building
    it again, even after the store is gone, gives the same email.
    """
    from newsletter.commands.build import build_issue

    built = build_issue(_settings(config), issue_file, output=output, refresh=refresh)
    if as_json:
        click.echo(built.report.read_text(encoding="utf-8"), nl=False)
        return
    if built.problems:
        click.echo(format_problems(built.problems, wrote_nothing=False), err=True, nl=False)
    click.echo(f"built issue {built.rendered.issue.number}: {built.rendered.subject}")
    for name in ("email.html", "email.txt", "email.eml", "report.json"):
        click.echo(f"  {built.folder / name}")


@cli.command()
@click.argument("folder", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--name", help='The newsletter\'s name, e.g. "The Valley Briefing".')
@click.option("--from", "sender", metavar="ADDRESS", help='The sender, e.g. "Name <a@b.org>".')
@click.option("--timezone", help="The newsroom's time zone, e.g. Europe/Prague. [default: UTC]")
@click.option("--author", help="The name of the person who writes the issues.")
@click.option("--feed", "feeds", multiple=True, metavar="[NAME=]URL", help="A feed; repeatable.")
@click.option("--theme", is_flag=True, help="Copy the default theme into FOLDER/theme to edit.")
@_handle_errors
def init(
    folder: Path,
    name: str | None,
    sender: str | None,
    timezone: str | None,
    author: str | None,
    feeds: tuple[str, ...],
    theme: bool,
) -> None:
    """Start a newsroom in FOLDER (default: here) with its settings and issues/.

    Writes a commented newsletter.toml, an issues/ folder and, with --theme, a copy of the
    default theme to make your own. Asks for what the options leave out when run in a
    terminal; otherwise uses defaults you can change in newsletter.toml. Never overwrites
    an existing newsroom.
    """
    from newsletter.commands.init import init_newsroom

    asking = sys.stdin.isatty()

    def ask(value: str | None, question: str, default: str) -> str:
        if value is not None or not asking:
            return value if value is not None else default
        return str(click.prompt(question, default=default, show_default=bool(default)))

    title = folder.resolve().name.replace("-", " ").replace("_", " ").title() or "Briefing"
    name = ask(name, "The newsletter's name", title)
    sender = ask(sender, "The sender's address", "briefing@example.org")
    timezone = ask(timezone, "The newsroom's time zone", "UTC")
    author = ask(author, "Who writes the issues", "")
    if not feeds and asking:
        first = click.prompt("A feed's address (empty to add feeds later)", default="")
        feeds = (first,) if first.strip() else ()
    made = init_newsroom(
        folder, name=name, sender=sender, timezone=timezone, author=author, feeds=feeds, theme=theme
    )
    click.echo(f"wrote {made.settings} and {made.folder / 'issues'}/")
    if made.theme:
        click.echo(f"copied the default theme to {made.theme}/")
    click.echo("next:")
    for step in made.next_steps:
        click.echo(f"  {step}")


def main() -> None:
    """Run the command line."""
    cli(prog_name="newsletter")
