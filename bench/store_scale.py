"""Benchmark: the editor's commands against a store of many articles, in either backend.

The demo newsroom's feeds are fetched, then the store is filled with filler articles dated
in the years before the sample week, to SMALL and then LARGE articles in all. Timed, as whole
processes, the median of three runs each: `articles --week`, `draft` (to a scratch file),
`check` and `build` of the sample issue. Printed: each command's time at both sizes and the
ratio (target: at most 2x at 1,000,000 against 10,000: every query goes through an index,
and nothing reads every article, the did-you-mean hint included).

Run from the repository root: `.venv/bin/python bench/store_scale.py [--large N]
[--postgres postgresql://USER@HOST:PORT/DATABASE]` (an empty database the bench may fill).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsletter.dburl import parse_database_url  # noqa: E402
from newsletter.store import Location, open_store  # noqa: E402

NEWSLETTER = str(Path(sys.executable).with_name("newsletter"))
COMMANDS = {
    "articles --week": ["articles", "--week", "2026-11-27"],
    "draft": ["draft", "--date", "2026-11-27", "--output", "scratch.yaml", "--force"],
    "check": ["check", "issues/2026-11-27.yaml"],
    "build": ["build", "issues/2026-11-27.yaml"],
}


def fill(location: Location, total: int) -> None:
    """Add filler articles until the store holds `total`."""
    with open_store(location) as store:
        have = store.count()
        start = datetime(2024, 1, 1, tzinfo=UTC)
        batch = []
        for n in range(have, total):
            when = (start - timedelta(minutes=7 * n)).strftime("%Y-%m-%dT%H:%M:%SZ")
            batch.append(
                {
                    "id": f"f{n:09d}",
                    "url": f"https://filler.example.org/{n // 1000}/story-{n}.html",
                    "title": f"Filler story {n}",
                    "feed": "filler",
                    "published": when,
                    "date_is_guess": 0,
                    "summary_html": "<p>An older story.</p>",
                    "summary_text": "An older story.",
                    "author": None,
                    "image_url": None,
                    "image_alt": None,
                    "image_width": None,
                    "image_height": None,
                    "lang": "en",
                    "categories": "[]",
                    "content_hash": f"{n:064x}",
                    "first_seen": when,
                    "updated": when,
                }
            )
            if len(batch) == 10000:
                store.put_rows("articles", batch)
                batch = []
        if batch:
            store.put_rows("articles", batch)


def timed(folder: Path, args: list[str]) -> float:
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
    """Fetch, fill to each size, time each command, print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL store instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "newsroom"
        shutil.copytree(ROOT / "feeds", folder / "feeds")
        shutil.copytree(ROOT / "issues", folder / "issues")
        settings = (ROOT / "newsletter.toml").read_text(encoding="utf-8")
        location: Location = folder / "data" / "articles.sqlite3"
        if args.postgres:
            settings = settings.replace(
                'store = "data/articles.sqlite3"', f'store = "{args.postgres}"'
            )
            location = parse_database_url(args.postgres)
        (folder / "newsletter.toml").write_text(settings, encoding="utf-8")
        subprocess.run([NEWSLETTER, "fetch"], cwd=folder, capture_output=True, check=True)
        results: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for size in (args.small, args.large):
            started = time.perf_counter()
            fill(location, size)
            print(f"filled to {size:,} articles in {time.perf_counter() - started:.1f} s")
            for name, command in COMMANDS.items():
                results[name].append(timed(folder, command))
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}: {args.small:,} against {args.large:,} articles (target: at most 2x)")
    for name, (small, large) in results.items():
        print(f"  {name:16} {small:6.2f} s  {large:6.2f} s  {large / small:4.2f}x")


if __name__ == "__main__":
    main()
