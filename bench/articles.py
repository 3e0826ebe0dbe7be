"""Benchmark: `newsletter articles` over a busy week of 35,000 articles.

Two measurements, each printed with its ratio against a baseline run in this same process:

- drawing the table: the week's rows drawn by `present.articles_text` (120 columns, titles
  cut to fit) against rich's Table as `articles` drew it before, the same rows to the same
  width, each the best of three (target: at least 10x faster a row);
- whole processes, the median of three runs each, on a SQLite store holding those 35,000
  articles in the week ending 2026-11-27: `articles` (its first page), `articles --all`
  (every row) and `articles --json` (every row, for scripts: the baseline).

Run from the repository root: `.venv/bin/python bench/articles.py [--rows N]`.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsletter.commands.articles import ArticlesResult  # noqa: E402
from newsletter.config import load_settings  # noqa: E402
from newsletter.models import Article  # noqa: E402
from newsletter.present import articles_text, cell  # noqa: E402
from newsletter.store import Location, open_store  # noqa: E402
from newsletter.week import local_time, week_bounds  # noqa: E402

NEWSLETTER = str(Path(sys.executable).with_name("newsletter"))
ROWS = 35_000
WIDTH = 120
FEEDS = ["news", "analysis", "dari", "provinces", "economy", "wire-service-english"]
TITLES = [
    "Council Orders Five Independent Radio Stations Off The Air In The North",
    "Wheat Flour Prices Climb 30 Percent As Winter Approaches",
    "قیمت آرد گندم در آستانهٔ زمستان سی درصد بالا رفت",
    "In Kesh Valley, Families Rebuild Mud Homes Before The Snow",
    "زمین\u200cلرزه\u200cای به بزرگی پنج ریشتر ولایت شمالی را لرزاند",
    "Analysis: Why The Council Is Tightening Its Grip On The Airwaves",
]
END = datetime(2026, 11, 26, 18, tzinfo=UTC)  # inside the week ending 2026-11-27 in Kabul


def _articles(count: int) -> list[Article]:
    return [
        Article(
            id=f"a{n:07d}",
            url=f"https://example.org/{n}",
            title=f"{TITLES[n % len(TITLES)]} ({n})",
            feed=FEEDS[n % len(FEEDS)],
            published=END - timedelta(seconds=15 * n),
            summary_html="<p>A story.</p>",
            summary_text="A story.",
            date_is_guess=n % 97 == 0,
        )
        for n in range(count)
    ]


def _rich_table(found: ArticlesResult, timezone: object, rows: list[Article]) -> str:
    """The table as `articles` drew it with rich before: the baseline."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Week {found.start.date()} to {found.day}", title_justify="left")
    for name in ("id", "feed", "local time"):
        table.add_column(name, no_wrap=True)
    table.add_column("title")
    for article in rows:
        assert article.published is not None
        when = local_time(article.published, timezone)  # type: ignore[arg-type]
        table.add_row(
            article.id,
            cell(article.feed),
            when + ("*" if article.date_is_guess else ""),
            cell(article.title),
        )
    out = io.StringIO()
    Console(file=out, width=WIDTH, highlight=False).print(table)
    return out.getvalue()


def _best(work: object, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best


def _newsroom(folder: Path, rows: list[Article]) -> None:
    feeds = "".join(f'[[feeds]]\nname = "{name}"\nurl = "feeds/{name}.xml"\n' for name in FEEDS)
    (folder / "newsletter.toml").write_text(
        '[newsletter]\nname = "Bench"\nfrom = "b@example.org"\ntimezone = "Asia/Kabul"\n'
        f'store = "store.sqlite3"\n\n{feeds}',
        encoding="utf-8",
    )
    location: Location = folder / "store.sqlite3"
    with open_store(location) as store:
        batch = []
        for article in rows:
            assert article.published is not None
            when = article.published.strftime("%Y-%m-%dT%H:%M:%SZ")
            batch.append(
                {
                    "id": article.id,
                    "url": article.url,
                    "title": article.title,
                    "feed": article.feed,
                    "published": when,
                    "date_is_guess": int(article.date_is_guess),
                    "summary_html": article.summary_html,
                    "summary_text": article.summary_text,
                    "author": None,
                    "image_url": None,
                    "image_alt": None,
                    "image_width": None,
                    "image_height": None,
                    "lang": "en",
                    "categories": "[]",
                    "content_hash": f"{article.id:0>64}",
                    "first_seen": when,
                    "updated": when,
                }
            )
            if len(batch) == 10000:
                store.put_rows("articles", batch)
                batch = []
        if batch:
            store.put_rows("articles", batch)


def _timed(folder: Path, *args: str) -> float:
    """The median time of three runs of one command."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        done = subprocess.run([NEWSLETTER, *args], cwd=folder, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            sys.exit(f"{args} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def main() -> None:
    """Draw the rows both ways, then time the commands, and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS, help="articles in the week")
    args = parser.parse_args()
    rows = _articles(args.rows)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        _newsroom(folder, rows)
        settings = load_settings(folder / "newsletter.toml")
        day = date(2026, 11, 27)
        start, _ = week_bounds(day, settings.timezone)
        found = ArticlesResult(day, start, tuple(rows), store_empty=False)
        ours = _best(lambda: articles_text(found, settings, rows, width=WIDTH))
        piped = _best(lambda: articles_text(found, settings, rows))
        rich = _best(lambda: _rich_table(found, settings.timezone, rows))
        count = len(rows)
        print(f"{count:,} rows, {WIDTH} columns, best of three")
        print(
            f"baseline  rich Table:               {rich:6.2f} s  {rich / count * 1e6:6.1f} us a row"
        )
        print(
            f"ours      articles_text, cut:       {ours:6.2f} s  {ours / count * 1e6:6.1f} us a row"
            f"  {rich / ours:5.1f}x faster (target >= 10x)"
        )
        print(
            f"ours      articles_text, a pipe:    {piped:6.2f} s  "
            f"{piped / count * 1e6:6.1f} us a row  {rich / piped:5.1f}x faster"
        )
        week = ("articles", "--week", "2026-11-27")
        page, every, as_json = (
            _timed(folder, *week),
            _timed(folder, *week, "--all"),
            _timed(folder, *week, "--json"),
        )
        print("whole processes, the median of three")
        print(f"baseline  articles --json:          {as_json:6.2f} s")
        print(
            f"          articles --all:           {every:6.2f} s  {every / as_json:4.2f}x --json's"
        )
        print(f"          articles (first page):    {page:6.2f} s  {page / as_json:4.2f}x --json's")


if __name__ == "__main__":
    main()
