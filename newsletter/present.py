"""Entry point helpers: how the commands' results look in a terminal (rich tables) and as JSON.

Used by `cli.py` only. Feed-supplied text is data here, never rich markup, and control
characters are shown as escapes, never sent to the terminal. rich is imported when a table
is drawn: a `--json` run by a script, or `check` in an editor's save loop, never loads it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.commands.articles import ArticlesResult
from newsletter.config import Settings
from newsletter.models import Article
from newsletter.records import article_to_record
from newsletter.spamscore import SPAM_AT, advice
from newsletter.untrusted import terminal_text
from newsletter.week import local_time

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from newsletter.commands.fetch import FeedReport, FetchReport
    from newsletter.commands.links import IssueLinks
    from newsletter.commands.spam import IssueSpam
    from newsletter.linkcheck.found import Site


def console(stderr: bool = False) -> Console:
    """A console made per command, so the terminal's width is read when the command runs."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def cell(value: str, style: str = "") -> Text:
    """Text for a table cell: data, never markup; control characters escaped."""
    from rich.text import Text

    return Text(terminal_text(value), style=style)


def _status(report: FeedReport) -> str:
    result = report.result
    if result.not_modified:
        return "304"
    if result.status is not None:
        return str(result.status)
    return "file" if not result.source.is_remote and not result.problem else "—"


def health_table(report: FetchReport) -> Table:
    """The fetch's health table: a row per feed, problems in red, notes in yellow."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Feed health", title_justify="left")
    table.add_column("feed", no_wrap=True)
    for name in ("new", "updated", "unchanged"):
        table.add_column(name, justify="right")
    table.add_column("status")
    table.add_column("time", justify="right")
    table.add_column("problem")
    for feed in report.feeds:
        result, counts = feed.result, feed.counts
        said = [cell(result.problem, "red")] if result.problem else []
        said += [cell(note, "yellow") for note in feed.notes]
        table.add_row(
            cell(result.source.name),
            str(counts.new),
            str(counts.updated),
            str(counts.unchanged),
            _status(feed),
            f"{result.elapsed:.2f}s",
            Text("; ").join(said),
        )
    return table


def fetch_summary(report: FetchReport) -> str:
    """The line under the health table."""
    failed = len(report.failed)
    read = len(report.feeds) - failed
    return (
        f"{report.articles} articles in the store; {read} of {len(report.feeds)} feeds read"
        + (f", {failed} failed" if failed else "")
        + "."
    )


def fetch_json(report: FetchReport) -> dict[str, Any]:
    """The fetch's results for scripts."""
    return {
        "store": str(report.store),
        "articles": report.articles,
        "feeds": [
            {
                "name": feed.result.source.name,
                "url": feed.result.source.url,
                "status": feed.result.status,
                "not_modified": feed.result.not_modified,
                "new": feed.counts.new,
                "updated": feed.counts.updated,
                "unchanged": feed.counts.unchanged,
                "seconds": round(feed.result.elapsed, 3),
                "problem": feed.result.problem,
                "notes": list(feed.notes),
                "moved_to": feed.result.moved_to,
                "skipped": [str(entry) for entry in feed.result.skipped],
            }
            for feed in report.feeds
        ],
    }


def articles_json(shown: Sequence[Article], settings: Settings) -> list[dict[str, Any]]:
    """Each article's record (as in a lock file) with its local time added."""
    return [
        {
            **article_to_record(article),
            "local_time": local_time(article.published, settings.timezone)
            if article.published
            else None,
        }
        for article in shown
    ]


FEED_WIDTH = 24  # a feed's name is cut to this many columns: the title needs the room


def articles_text(
    found: ArticlesResult,
    settings: Settings,
    shown: Sequence[Article],
    *,
    width: int | None = None,
    styled: bool = False,
) -> str:
    """The week's articles as a table of plain lines: id, feed, local time (* when the feed
    gave no date), title; each title cut to fit `width` columns (not cut when None, as when
    printed into a pipe).

    Lines are written here, not by rich's Table, which measures and wraps every cell: a row
    costs about 0.2 ms there, some 10 microseconds here, and a busy week has 35,000 rows.
    """
    from rich.cells import cell_len, set_cell_size

    def fit(text: str, room: int) -> str:
        if cell_len(text) <= room:
            return text
        return set_cell_size(text, max(room - 1, 0)) + "…"

    rows = []
    for article in shown:
        when = local_time(article.published, settings.timezone) if article.published else ""
        rows.append(
            (
                article.id,
                terminal_text(article.feed),
                when + ("*" if article.date_is_guess else " "),
                terminal_text(article.title),
            )
        )
    id_width = max([2, *(len(row[0]) for row in rows)])
    feed_width = min(FEED_WIDTH, max([4, *(cell_len(row[1]) for row in rows)]))
    time_width = max([10, *(len(row[2]) for row in rows)])
    room = None if width is None else max(width - id_width - feed_width - time_width - 6, 10)

    def line(ident: str, feed: str, when: str, title: str) -> str:
        feed = set_cell_size(fit(feed, feed_width), feed_width)
        title = title if room is None else fit(title, room)
        return f"{ident:<{id_width}}  {feed}  {when:<{time_width}}  {title}".rstrip()

    heading = f"Week {found.start.date()} to {found.day} ({settings.timezone.key})"
    header = line("id", "feed", "local time", "title")
    if styled:
        heading, header = f"\x1b[3m{heading}\x1b[0m", f"\x1b[1m{header}\x1b[0m"
    return "\n".join([heading, header, *(line(*row) for row in rows)])


def articles_summary(found: ArticlesResult, first: int = 0, count: int | None = None) -> str:
    """The line under the articles table: how many there are, and which of them were shown
    (rows `first` to `first + count`; all when `count` is None)."""
    total = len(found.articles)
    shown = found.articles[first : None if count is None else first + count]
    guessed = any(article.date_is_guess for article in shown)
    if len(shown) == total:
        said = f"{total:,} article{'s' if total != 1 else ''}"
    elif not shown:
        said = f"No articles on this page: the week has {total:,}"
    else:
        said = f"Articles {first + 1:,} to {first + len(shown):,} of {total:,}, newest first"
    return said + ("; * = the feed gave no date, first seen then" if guessed else "") + "."


@contextlib.contextmanager
def progress_bar(label: str, total: int, *, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr; yields the function that advances it by one step, showing
    the name of what was just done."""
    if not enabled:
        yield lambda description: None
        return
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task("", total=total)
        yield lambda name: progress.update(task, advance=1, description=escape(terminal_text(name)))


_VERDICT_STYLES = {
    "ok": "green",
    "moved": "yellow",
    "doubtful": "yellow",
    "broken": "bold red",
    "refused": "red",
    "skipped": "dim",
}


def site_text(site: Site, root: Path) -> str:
    """Where a link was written, short: `issues/x.yaml:12:5`, or what wrote it."""
    if site.span is None:
        return site.what
    path = site.span.path
    with contextlib.suppress(ValueError):
        path = path.relative_to(root)
    return f"{path}:{site.span.line}:{site.span.column}"


def links_table(report: IssueLinks, root: Path) -> Table:
    """A row per link of one issue's email: its verdict, address, where it was written and
    what trying it found (or that the answer is a recent run's)."""
    from rich.table import Table

    table = Table(title=f"Links of {report.path}", title_justify="left")
    table.add_column("result", no_wrap=True)
    table.add_column("link", overflow="fold")
    table.add_column("written at", no_wrap=True)
    table.add_column("found", overflow="fold")
    for checked in report.links:
        result = checked.result
        where = ", ".join(site_text(site, root) for site in checked.link.sites)
        detail = result.detail + (" (remembered)" if result.cached else "")
        table.add_row(
            cell(result.verdict, _VERDICT_STYLES.get(result.verdict, "")),
            cell(result.url),
            cell(where),
            cell(detail),
        )
    return table


def links_summary(reports: Sequence[IssueLinks]) -> str:
    """The line under the link tables: how many links, by verdict, and how many were asked."""
    results = {c.result.url: c.result for report in reports for c in report.links}
    counts: dict[str, int] = {}
    for result in results.values():
        counts[result.verdict] = counts.get(result.verdict, 0) + 1
    order = ("ok", "moved", "doubtful", "broken", "refused", "skipped")
    parts = ", ".join(f"{counts[v]} {v}" for v in order if v in counts)
    remembered = sum(1 for result in results.values() if result.cached)
    total = len(results)
    line = f"{total} link{'s' if total != 1 else ''}: {parts or 'none'}"
    if remembered:
        line += f"; {remembered} remembered from an earlier check (--refresh tries them again)"
    return line + "."


def links_json(report: IssueLinks, root: Path) -> list[dict[str, Any]]:
    """The links of one issue's email as JSON: each with its verdict and where it was written."""
    return [
        {
            "url": c.result.url,
            "verdict": c.result.verdict,
            "status": c.result.status,
            "final_url": c.result.final_url,
            "detail": c.result.detail,
            "checked_at": c.result.checked_at.isoformat(),
            "cached": c.result.cached,
            "written_at": [site_text(site, root) for site in c.link.sites],
        }
        for c in report.links
    ]


def spam_table(report: IssueSpam) -> Table:
    """A row per SpamAssassin rule that fired on one issue's email: its points, what it
    means, and what to change; the score in the title."""
    from rich.table import Table

    assert report.score is not None
    score = report.score
    style = {"ok": "green", "borderline": "yellow", "spam": "bold red"}[score.verdict]
    table = Table(
        title=(
            f"Spam score of {report.path}: [{style}]{_points(score.score)}[/] "
            f"(SpamAssassin {score.version}, local tests only; {SPAM_AT:.1f} is spam)"
        ),
        title_justify="left",
    )
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("what it means", overflow="fold")
    table.add_column("what to change", overflow="fold")
    for rule in score.rules:
        table.add_row(_points(rule.points), rule.name, cell(rule.description), cell(advice(rule)))
    return table


def _points(points: float) -> str:
    """Points to one decimal, without SpamAssassin's "-0.0" for a rule worth -0.001."""
    return f"{round(points, 1) + 0.0:.1f}"


def spam_json(report: IssueSpam) -> dict[str, Any] | None:
    """One issue's spam score as JSON (None when it could not be had: see its problems)."""
    if report.score is None:
        return None
    return {
        "score": report.score.score,
        "verdict": report.score.verdict,
        "spam_at": SPAM_AT,
        "spamassassin": report.score.version,
        "rules": [
            {
                "name": rule.name,
                "points": rule.points,
                "description": rule.description,
                "advice": advice(rule) or None,
            }
            for rule in report.score.rules
        ],
    }
