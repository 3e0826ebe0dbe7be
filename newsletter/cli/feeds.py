"""Entry point, the feed commands: `fetch` (every feed into the store, with a progress bar
and a health table) and `articles` (the week's stored articles). Each parses its options,
calls one function of `newsletter.commands` and prints what it returns.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from newsletter.cli.shared import (
    config_option,
    debugging,
    echo_json,
    handle_errors,
    load,
    parse_day,
)
from newsletter.untrusted import terminal_text


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the per-feed results as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when any feed failed.")
@handle_errors
def fetch(config: Path | None, as_json: bool, strict: bool) -> None:
    """Read every feed in newsletter.toml into the article store.

    Shows a progress bar, then a health table per feed: new, updated and unchanged articles,
    the HTTP status (304 when the feed had not changed) and a plain-words problem for each
    failure. A broken feed never stops the others; exit 0 unless --strict.
    """
    from newsletter.commands.fetch import fetch_all
    from newsletter.present import console, fetch_json, fetch_summary, health_table, progress_bar

    settings = load(config)
    with progress_bar("fetching", len(settings.feeds), enabled=not as_json) as advance:
        report = fetch_all(settings, on_feed=advance)
    if as_json:
        echo_json(fetch_json(report))
    else:
        console().print(health_table(report))
        console().print(fetch_summary(report))
    if debugging():
        for feed in report.failed:
            if feed.result.debug:
                name = terminal_text(feed.result.source.name)
                click.echo(f"--- {name} ---\n{feed.result.debug}", err=True)
    if report.failed and strict:
        sys.exit(1)


PAGE = 100  # rows of the table when --limit is not given: a screenful or three, not a week


@click.command()
@config_option
@click.option(
    "--week",
    "week",
    metavar="DATE",
    help="The week ending on DATE (YYYY-MM-DD). [default: the next send day]",
)
@click.option("--feed", help="Only articles of this feed.")
@click.option("--search", metavar="TEXT", help="Only articles whose title or summary has TEXT.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    metavar="N",
    help=f"Show N articles a page. [default: {PAGE} in the table, all with --json]",
)
@click.option(
    "--page",
    type=click.IntRange(min=1),
    default=1,
    metavar="K",
    help="Show the K-th page of --limit articles. [default: 1]",
)
@click.option("--all", "show_all", is_flag=True, help="Show every article of the week.")
@click.option("--json", "as_json", is_flag=True, help="Print the articles as JSON.")
@handle_errors
def articles(
    config: Path | None,
    week: str | None,
    feed: str | None,
    search: str | None,
    limit: int | None,
    page: int,
    show_all: bool,
    as_json: bool,
) -> None:
    """List the stored articles of a week, newest first: id, feed, local time, title.

    The week is the seven days ending on DATE, in the newsletter's time zone. Use an id
    (or the URL) in an issue file's `article:` key. The table shows 100 articles a page and
    says how to see the rest; in a terminal each title is cut to the window's width.

    \b
      newsletter articles --week 2026-11-27
      newsletter articles --week 2026-11-27 --page 2
      newsletter articles --search drought --all
    """
    from newsletter.commands.articles import list_articles
    from newsletter.present import articles_json, articles_summary, articles_text

    if show_all and (limit is not None or page != 1):
        raise click.UsageError("--all shows every article: give it without --limit and --page")
    settings = load(config)
    day = parse_day(week, "--week")
    if feed and feed not in {source.name for source in settings.feeds}:
        names = ", ".join(source.name for source in settings.feeds)
        raise click.BadParameter(f"no feed named '{feed}' (feeds: {names})", param_hint="--feed")
    found = list_articles(settings, week=day, feed=feed, search=search)
    # Every article is shown when asked for, and to a script by default; a page otherwise.
    everything = limit is None and (show_all or (as_json and page == 1))
    count = None if everything else limit or PAGE
    first = 0 if count is None else (page - 1) * count
    shown = found.articles[first : None if count is None else first + count]
    if as_json:
        echo_json(articles_json(shown, settings))
        return
    terminal = sys.stdout.isatty()
    width = shutil.get_terminal_size().columns if terminal else None
    click.echo(articles_text(found, settings, shown, width=width, styled=terminal))
    if found.store_empty:
        click.echo("The store is empty: run `newsletter fetch` first.", err=True)
    click.echo(articles_summary(found, first, count))
    if count is not None and first + count < len(found.articles):
        click.echo(f"Next page: {_next_page(page + 1)}; every article: add --all.")


def _next_page(page: int) -> str:
    """The command line that was run, asking for `page`: for the hint under a table."""
    import shlex

    params = click.get_current_context().params
    words = ["newsletter", "articles"]
    for name in ("config", "week", "feed", "search", "limit"):
        if params.get(name) is not None:
            words += [f"--{name}", str(params[name])]
    return shlex.join([*words, "--page", str(page)])
