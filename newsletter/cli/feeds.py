"""Entry point, the feed commands: `fetch` (every feed into the store, with a progress bar
and a health table) and `articles` (the week's stored articles). Each parses its options,
calls one function of `newsletter.commands` and prints what it returns.
"""

from __future__ import annotations

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
@click.option("--json", "as_json", is_flag=True, help="Print the articles as JSON.")
@handle_errors
def articles(
    config: Path | None, week: str | None, feed: str | None, search: str | None, as_json: bool
) -> None:
    """List the stored articles of a week: id, feed, local time, title.

    The week is the seven days ending on DATE, in the newsletter's time zone. Use an id
    (or the URL) in an issue file's `article:` key.
    """
    from newsletter.commands.articles import list_articles
    from newsletter.present import articles_json, articles_summary, articles_table, console

    settings = load(config)
    day = parse_day(week, "--week")
    if feed and feed not in {source.name for source in settings.feeds}:
        names = ", ".join(source.name for source in settings.feeds)
        raise click.BadParameter(f"no feed named '{feed}' (feeds: {names})", param_hint="--feed")
    found = list_articles(settings, week=day, feed=feed, search=search)
    if as_json:
        echo_json(articles_json(found, settings))
        return
    console().print(articles_table(found, settings))
    if found.store_empty:
        click.echo("The store is empty: run `newsletter fetch` first.", err=True)
    console().print(articles_summary(found))
