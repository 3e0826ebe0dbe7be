"""Entry point: the `newsletter` command line (click). Each command parses its options, calls
the stages in order, and prints the result; bad input is printed as problems (exit 1), never as
a traceback. Exit codes: 0 ok, 1 problems found, 2 usage error.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from newsletter import __version__
from newsletter.config import DAYS, Settings, find_config, load_settings
from newsletter.errors import NewsletterError, Problem, ProblemsError, format_problems
from newsletter.files import write_atomic
from newsletter.models import Article, FeedState
from newsletter.store import SaveCounts, Store, fetch_lock
from newsletter.untrusted import terminal_text
from newsletter.week import FIRST_DAY, LAST_DAY, is_supported_day, local_time, week_bounds

# rich and httpx are imported by the commands that use them: a `--json` fetch run by
# a script or cron starts 0.1 s sooner, and `check` in an editor's save loop never loads them.
if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from newsletter.feeds import FeedResult
    from newsletter.workers import FetchWorkers

F = TypeVar("F", bound=Callable[..., Any])


def _cell(value: str, style: str = "") -> Text:
    """Text for a table cell: feed-supplied strings are data, never rich markup, and their
    control characters are shown as escapes, never sent to the terminal."""
    from rich.text import Text

    return Text(terminal_text(value), style=style)


def _console(stderr: bool = False) -> Console:
    """A console made per command, so the terminal's width is read when the command runs."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


@contextlib.contextmanager
def _progress_bar(total: int, *, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr; yields the function that advances it by one step."""
    if not enabled:
        yield lambda description: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("fetching"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=_console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task("", total=total)
        from rich.markup import escape

        yield lambda description: progress.update(
            task, advance=1, description=escape(terminal_text(description))
        )


def _handle_errors(func: F) -> F:
    """Print problems compiler-style and exit 1; hide tracebacks unless --debug."""

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
                f"internal error: {type(exc).__name__}: {exc}\n"
                "  hint: this is a bug in newsletter; run again with --debug for the details",
                err=True,
            )
            sys.exit(3)

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


def _next_send_day(settings: Settings) -> date:
    today = datetime.now(settings.timezone).date()
    ahead = (DAYS.index(settings.send_day) - today.weekday()) % 7
    return today + timedelta(days=ahead)


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


# -- fetch --------------------------------------------------------------------------------------


def _status(result: FeedResult) -> str:
    if result.not_modified:
        return "304"
    if result.status is not None:
        return str(result.status)
    return "file" if not result.source.is_remote and not result.problem else "—"


def _health_table(rows: list[tuple[FeedResult, SaveCounts, tuple[str, ...]]]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Feed health", title_justify="left")
    table.add_column("feed", no_wrap=True)
    for name in ("new", "updated", "unchanged"):
        table.add_column(name, justify="right")
    table.add_column("status")
    table.add_column("time", justify="right")
    table.add_column("problem")
    for result, counts, notes in rows:
        said = [_cell(result.problem, "red")] if result.problem else []
        said += [_cell(note, "yellow") for note in notes]
        table.add_row(
            _cell(result.source.name),
            str(counts.new),
            str(counts.updated),
            str(counts.unchanged),
            _status(result),
            f"{result.elapsed:.2f}s",
            Text("; ").join(said),
        )
    return table


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
    from newsletter.workers import FetchWorkers

    # Workers first: they load the HTTP stack while this process reads the settings, and,
    # forked before the lock and the store are opened, they hold neither.
    with FetchWorkers() as workers:
        _fetch(workers, config, as_json=as_json, strict=strict)


def _fetch(workers: FetchWorkers, config: Path | None, *, as_json: bool, strict: bool) -> None:
    from newsletter.feeds import FetchOptions, health_notes

    settings = _settings(config)
    if not settings.feeds:
        raise ProblemsError(
            [
                Problem(
                    "no feeds to read",
                    path=settings.path,
                    hint='add [[feeds]] with name = "…" and url = "…"',
                )
            ]
        )
    saved: list[tuple[FeedResult, SaveCounts]] = []
    now = datetime.now(UTC)
    order = tuple(source.name for source in settings.feeds)
    with fetch_lock(settings.store), Store(settings.store) as store:
        states = store.feed_states()
        with _progress_bar(len(settings.feeds), enabled=not as_json) as advance:

            def done(result: FeedResult) -> None:
                try:
                    counts = store.save_feed(
                        name=result.source.name,
                        url=result.source.url,
                        articles=result.articles,
                        status=result.status,
                        validators=result.validators,
                        problem=result.problem,
                        moved_to=result.moved_to,
                        feed_order=order,
                    )
                except Exception as exc:  # this feed's articles are lost, not the others'
                    from newsletter.feeds import stored_nothing

                    result = stored_nothing(result, exc)
                    counts = SaveCounts(0, 0, 0)
                saved.append((result, counts))
                advance(result.source.name)

            workers.fetch(settings.feeds, states, done, FetchOptions.of(settings.fetch))
        states = store.feed_states()
        total = store.count()
    position = {name: index for index, name in enumerate(order)}
    rows = sorted(
        (
            (result, counts, health_notes(result, _newest(states, result), now))
            for result, counts in saved
        ),
        key=lambda row: position[row[0].source.name],
    )
    failed = [result for result, _, _ in rows if result.problem]
    if as_json:
        report = {
            "store": str(settings.store),
            "articles": total,
            "feeds": [
                {
                    "name": result.source.name,
                    "url": result.source.url,
                    "status": result.status,
                    "not_modified": result.not_modified,
                    "new": counts.new,
                    "updated": counts.updated,
                    "unchanged": counts.unchanged,
                    "seconds": round(result.elapsed, 3),
                    "problem": result.problem,
                    "notes": list(notes),
                    "moved_to": result.moved_to,
                    "skipped": list(result.skipped),
                }
                for result, counts, notes in rows
            ],
        }
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _console().print(_health_table(rows))
        _console().print(
            f"{total} articles in the store; {len(rows) - len(failed)} of {len(rows)} feeds read"
            + (f", {len(failed)} failed" if failed else "")
            + "."
        )
    if _debugging():
        for result in failed:
            if result.debug:
                click.echo(f"--- {terminal_text(result.source.name)} ---\n{result.debug}", err=True)
    if failed and strict:
        sys.exit(1)


def _newest(states: dict[str, FeedState], result: FeedResult) -> datetime | None:
    state = states.get(result.source.name)
    return state.newest if state else None


def _debugging() -> bool:
    return bool(click.get_current_context().find_root().params.get("debug"))


# -- articles -----------------------------------------------------------------------------------


def _article_json(article: Article, settings: Settings) -> dict[str, Any]:
    return {
        "id": article.id,
        "feed": article.feed,
        "published": article.published.isoformat() if article.published else None,
        "local_time": local_time(article.published, settings.timezone)
        if article.published
        else None,
        "date_is_guess": article.date_is_guess,
        "title": article.title,
        "url": article.url,
        "author": article.author,
        "summary": article.summary_text,
        "image": article.image.url if article.image else None,
        "lang": article.lang,
        "categories": list(article.categories),
    }


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
    settings = _settings(config)
    day = _parse_day(week, "--week") or _next_send_day(settings)
    if feed and feed not in {source.name for source in settings.feeds}:
        names = ", ".join(source.name for source in settings.feeds)
        raise click.BadParameter(f"no feed named '{feed}' (feeds: {names})", param_hint="--feed")
    start, end = week_bounds(day, settings.timezone)
    with Store(settings.store) as store:
        found = store.articles_between(start, end, feed=feed, search=search)
        empty = store.count() == 0
    if as_json:
        click.echo(
            json.dumps([_article_json(a, settings) for a in found], indent=2, ensure_ascii=False)
        )
        return
    from rich.table import Table

    table = Table(
        title=f"Week {start.date()} to {day} ({settings.timezone.key})", title_justify="left"
    )
    table.add_column("id", no_wrap=True)
    table.add_column("feed", no_wrap=True)
    table.add_column("local time", no_wrap=True)
    table.add_column("title")
    for article in found:
        when = local_time(article.published, settings.timezone) if article.published else ""
        table.add_row(
            article.id,
            _cell(article.feed),
            when + ("*" if article.date_is_guess else ""),
            _cell(article.title),
        )
    _console().print(table)
    if empty:
        click.echo("The store is empty: run `newsletter fetch` first.", err=True)
    _console().print(
        f"{len(found)} article{'s' if len(found) != 1 else ''}"
        + (
            "; * = the feed gave no date, first seen then"
            if any(a.date_is_guess for a in found)
            else ""
        )
        + "."
    )


# -- draft --------------------------------------------------------------------------------------


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
    from newsletter.issue import draft_issue, next_number  # YAML is not needed by `fetch`

    settings = _settings(config)
    when = _parse_day(day, "--date") or _next_send_day(settings)
    target = output or settings.root / "issues" / f"{when}.yaml"
    if target.exists() and not force:
        raise ProblemsError(
            [
                Problem(
                    "the issue file already exists; nothing was written",
                    path=target,
                    hint="pass --force to overwrite it, or -o to write elsewhere",
                )
            ]
        )
    start, end = week_bounds(when, settings.timezone)
    with Store(settings.store) as store:
        candidates = store.articles_between(start, end)
    text = draft_issue(target, when, next_number(target.parent), settings, candidates)
    write_atomic(target, text)
    click.echo(f"wrote {target} with {len(candidates)} candidate articles")


def _echo_check_json(issue_file: Path, problems: Sequence[Problem], *, ok: bool) -> None:
    report = {"file": str(issue_file), "ok": ok, "problems": [p.to_dict() for p in problems]}
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))


# -- check and build ----------------------------------------------------------------------------


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
    from newsletter.issue import read_issue  # YAML is not needed by `fetch`

    settings = _settings(config)
    try:
        with Store(settings.store) as store:
            checked = read_issue(issue_file, settings, store)
    except ProblemsError as exc:
        if not as_json:
            raise
        _echo_check_json(issue_file, exc.problems, ok=False)
        sys.exit(1)
    warnings = list(checked.warnings)
    if as_json:
        _echo_check_json(issue_file, warnings, ok=not (strict and warnings))
        if strict and warnings:
            sys.exit(1)
        return
    if warnings:
        if strict:
            raise ProblemsError([replace(w, severity="error") for w in warnings])
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
    # Imported here: the renderer (premailer, lxml, cssutils) costs 0.2 s to import, which
    # every other command, `fetch` above all, should not pay.
    from newsletter.deliver.build import write_build
    from newsletter.issue import lock_path, lock_text, read_issue
    from newsletter.render import render_issue
    from newsletter.render.checks import check_html

    settings = _settings(config)
    with Store(settings.store) as store:
        checked = read_issue(issue_file, settings, store, refresh=refresh)
    rendered = render_issue(checked.issue, settings)
    lint, sizes = check_html(rendered.html)
    problems = [*checked.warnings, *lint]
    receipt = write_build(rendered, settings, output, problems, sizes)
    issue = checked.issue
    write_atomic(lock_path(issue_file), lock_text(issue.number, issue.date, issue.articles))
    folder = Path(receipt.target)
    if as_json:
        click.echo((folder / "report.json").read_text(encoding="utf-8"), nl=False)
        return
    if problems:
        click.echo(format_problems(problems, wrote_nothing=False), err=True, nl=False)
    click.echo(f"built issue {rendered.issue.number}: {rendered.subject}")
    click.echo(f"  {folder / 'email.html'}")
    click.echo(f"  {folder / 'email.txt'}")
    click.echo(f"  {folder / 'email.eml'}")
    click.echo(f"  {folder / 'report.json'}")


def main() -> None:
    """Run the command line."""
    cli(prog_name="newsletter")
