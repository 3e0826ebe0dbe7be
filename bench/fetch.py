"""Benchmark: `newsletter fetch` over 300 feeds (or the sizes given) of 30 items, each response
delayed 100 ms.

The feeds are served on 30 loopback addresses (127.0.1.1 to 127.0.1.30, ten feeds each) so
that the per-host limit behaves as it would across a newsroom's many sources. Printed, each
measured in this same run:

- baseline: a sequential loop of `feedparser.parse(url)`, as a script would do it;
- cold: `newsletter fetch` into an empty store (target: at least 10x faster than baseline);
- warm: `newsletter fetch` again, every feed answering 304 (target: at least 5x faster
  than cold);
  each the median of three runs;
- peak memory of the whole cold fetch, workers included (target: under 300 MB);
- with `--postgres URL` (an empty database the bench may fill and empty), cold fetches into
  that PostgreSQL store, alternating with SQLite's (target: within 1.3x of SQLite's time).

Given several sizes (`bench/fetch.py 100 1000 6000`), each is measured in turn, and the cold
time a feed is compared with the first size's (linear growth: about 1x).

Run from the repository root: `.venv/bin/python bench/fetch.py [FEEDS ...] [--rounds N]
[--no-baseline] [--postgres postgresql://USER@HOST:PORT/DATABASE]`.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import hashlib
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from pathlib import Path

import feedparser

HOSTS = 30
ROUNDS = 3  # cold and warm are each the median of this many runs: the machines are noisy
DELAY = 0.1
ITEMS = 30
WORDS = [
    "council",
    "ministry",
    "talks",
    "border",
    "water",
    "prices",
    "winter",
    "returnees",
    "province",
    "teachers",
    "radio",
    "licence",
    "delegation",
    "harvest",
    "drought",
    "earthquake",
    "villagers",
    "market",
    "officials",
    "reporters",
]


def _feed(number: int) -> bytes:
    base = datetime(2026, 11, 27, 12, tzinfo=UTC)
    items = []
    for item in range(ITEMS):
        words = " ".join(WORDS[(number * 7 + item * 3 + k) % len(WORDS)] for k in range(40))
        when = format_datetime(base - timedelta(hours=number + item * 5))
        items.append(
            f"<item><title>Story {number}-{item}: {words[:60]}</title>"
            f"<link>https://example.org/feed{number}/story{item}.html?utm_source=rss</link>"
            f"<guid>f{number}-{item}</guid><pubDate>{when}</pubDate>"
            f"<description>&lt;p&gt;{words}.&lt;/p&gt;&lt;p&gt;{words[::-1]}.&lt;/p&gt;"
            f"&lt;img src=&quot;https://example.org/i/{number}-{item}.jpg&quot; "
            f"alt=&quot;A photo&quot;&gt;</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {number}</title><link>https://example.org/feed{number}/</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


class _Feeds(asyncio.Protocol):
    """One connection to the feed server: HTTP/1.1 with keep-alive, ETag and 304.

    A real feed server costs the reader nothing; this one shares the reader's two cores, so
    it is built to cost as little as it can (a protocol, not streams; every answer made in
    advance), or the bench would time the server as much as the fetch. http.server, with a
    thread per connection, took as much CPU as the client it was measuring.
    """

    def __init__(self, answers: dict[str, tuple[bytes, bytes, bytes]]) -> None:
        self.answers = answers  # path -> (ETag, 200 answer, 304 answer)
        self.buffer = b""
        self.transport: asyncio.WriteTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            asyncio.get_running_loop().call_later(DELAY, self.answer, head)

    def answer(self, head: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        lines = head.split(b"\r\n")
        found = self.answers.get(lines[0].split(b" ")[1].decode("latin-1"))
        if found is None:
            self.transport.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            return
        etag, full, not_modified = found
        asked = [line for line in lines if line.lower().startswith(b"if-none-match:")]
        fresh = bool(asked) and asked[0].split(b":", 1)[1].strip() == etag
        self.transport.write(not_modified if fresh else full)


def _answers(feeds: dict[str, bytes]) -> dict[str, tuple[bytes, bytes, bytes]]:
    answers = {}
    for path, body in feeds.items():
        etag = b'"' + hashlib.sha1(body).hexdigest()[:16].encode() + b'"'
        full = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
            b"ETag: " + etag + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        ) + body
        answers[path] = (etag, full, b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\n\r\n")
    return answers


def _serve_forever(count: int, ready: Connection) -> None:
    """In the server process: serve every feed, one server per loopback address."""

    async def main() -> None:
        feeds_by_host: list[dict[str, bytes]] = [{} for _ in range(HOSTS)]
        for number in range(count):
            feeds_by_host[number % HOSTS][f"/feed{number}.xml"] = _feed(number)
        bases = []
        loop = asyncio.get_running_loop()
        for host, feeds in enumerate(feeds_by_host):
            answers = _answers(feeds)
            server = await loop.create_server(
                lambda answers=answers: _Feeds(answers), f"127.0.1.{host + 1}", 0, backlog=512
            )
            port = server.sockets[0].getsockname()[1]
            bases.append(f"http://127.0.1.{host + 1}:{port}")
        ready.send(bases)
        await asyncio.Event().wait()

    try:
        import uvloop
    except ImportError:  # Windows
        asyncio.run(main())
    else:
        uvloop.run(main())


def _serve(count: int) -> tuple[list[str], multiprocessing.Process]:
    """Start the feed server in a process of its own (as a real one would be, off this
    process's GIL, where it would slow the memory sampling); return the address bases."""
    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=_serve_forever, args=(count, send), daemon=True)
    server.start()
    return receive.recv(), server


def _tree_rss(root: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (read from /proc,
    walking only the process's own children so that sampling stays cheap)."""
    total = 0
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        pending.extend(int(child) for child in children)
    return total


def _run_fetch(config: Path) -> tuple[float, int, dict[str, object], float]:
    # Output to a file, not a pipe: the JSON report outgrows a pipe's buffer.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "newsletter", "fetch", "--json", "--config", str(config)],
            stdout=out,
            stderr=err,
        )
        # Memory is sampled beside the wait, not between polls: a polling loop would see the
        # exit up to one sampling interval late and add that to the time.
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(child.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        child.wait()
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            sys.exit(f"fetch failed: {err.read().decode()}")
        return elapsed, peak, json.loads(out.read()), cpu


def _newsroom(folder: Path, urls: list[str]) -> Path:
    """A newsroom whose settings list every feed, with a SQLite store beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "newsletter.toml"
    feeds = "".join(f'[[feeds]]\nname = "f{n}"\nurl = "{url}"\n' for n, url in enumerate(urls))
    config.write_text(
        f'[newsletter]\nname = "Bench"\nfrom = "b@example.org"\nstore = "store.sqlite3"\n\n{feeds}',
        encoding="utf-8",
    )
    return config


def _empty_sqlite(config: Path) -> None:
    for leftover in config.parent.glob("store.sqlite3*"):
        leftover.unlink()


def _measure(count: int, rounds: int, postgres: str | None, baseline: bool) -> dict[str, float]:
    """Serve `count` feeds and time fetches of them; the figures of one size."""
    bases, server = _serve(count)
    urls = [f"{bases[number % HOSTS]}/feed{number}.xml" for number in range(count)]
    figures: dict[str, float] = {"feeds": count}
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = _newsroom(Path(folder), urls)
            colds, warms, peaks, warm_cpus = [], [], [], []
            for _ in range(rounds):
                _empty_sqlite(config)
                cold, peak, report, _ = _run_fetch(config)
                warm, _, again, warm_cpu = _run_fetch(config)
                warm_cpus.append(warm_cpu)
                colds.append(cold)
                warms.append(warm)
                peaks.append(peak)
            figures["cold"] = statistics.median(colds)
            figures["warm"] = statistics.median(warms)
            figures["peak"] = max(peaks)
            figures["warm_cpu"] = statistics.median(warm_cpus)
            figures["stored"] = report["articles"]  # type: ignore[assignment]
            problems = [
                feed["problem"]
                for feed in report["feeds"]  # type: ignore[union-attr]
                if feed["problem"]
            ]
            figures["failed"] = len(problems)
            if problems:
                print(f"  {len(problems)} feeds failed in the last cold run: {problems[0]}")
            figures["not_modified"] = sum(
                1
                for feed in again["feeds"]  # type: ignore[union-attr]
                if feed["not_modified"]
            )
            print(
                f"  {count} feeds, each run: cold "
                + " ".join(f"{t:.2f}" for t in colds)
                + "; warm "
                + " ".join(f"{t:.2f}" for t in warms),
                flush=True,
            )
            if postgres:
                pg_config = _newsroom(Path(folder) / "pg", urls)
                pg_config.write_text(
                    pg_config.read_text(encoding="utf-8").replace(
                        'store = "store.sqlite3"', f'store = "{postgres}"'
                    ),
                    encoding="utf-8",
                )
                pg_colds, sqlite_colds = [], []
                for _ in range(rounds):  # alternated, so that the machine's noise is shared
                    _empty_postgres(postgres)
                    pg_colds.append(_run_fetch(pg_config)[0])
                    _empty_sqlite(config)
                    sqlite_colds.append(_run_fetch(config)[0])
                figures["pg_cold"] = statistics.median(pg_colds)
                figures["pg_sqlite_cold"] = statistics.median(sqlite_colds)
        if baseline:
            started = time.perf_counter()
            figures["entries"] = sum(len(feedparser.parse(u).entries) for u in urls)
            figures["baseline"] = time.perf_counter() - started
    finally:
        server.terminate()
    return figures


def main() -> None:
    """Serve the feeds, run the measurements at each size and print them with their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "feeds",
        nargs="*",
        type=int,
        default=[300],
        help="numbers of feeds, one measurement each (the baseline at the first)",
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="runs of cold and warm each")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the 35 s baseline (while iterating)"
    )
    parser.add_argument(
        "--postgres", metavar="URL", help="also time cold fetches into this PostgreSQL database"
    )
    args = parser.parse_args()
    # An installed package has its bytecode compiled; an editable checkout under
    # PYTHONDONTWRITEBYTECODE would recompile every module on every run and time that.
    package = Path(__file__).resolve().parent.parent / "newsletter"
    compileall.compile_dir(package, quiet=1)
    sizes = [
        _measure(count, args.rounds, args.postgres, not args.no_baseline and index == 0)
        for index, count in enumerate(args.feeds)
    ]

    print(
        f"feeds of {ITEMS} items on {HOSTS} loopback hosts, {DELAY * 1000:.0f} ms "
        f"per response, {os.cpu_count()} cores; cold and warm each the median of {args.rounds}"
    )
    first = sizes[0]
    if "baseline" in first:
        print(
            f"baseline  sequential feedparser.parse(url) of {first['feeds']:.0f} feeds: "
            f"{first['baseline']:6.2f} s  ({first['entries']:.0f} entries)"
        )
    for size in sizes:
        count = size["feeds"]
        per_feed = size["cold"] / count
        growth = per_feed / (first["cold"] / first["feeds"])
        print(f"{count:.0f} feeds")
        against = (
            f"{first['baseline'] / size['cold']:5.1f}x faster than baseline (target >= 10x), "
            if size is first and "baseline" in first
            else ""
        )
        print(
            f"  cold   newsletter fetch:           {size['cold']:6.2f} s  "
            f"{per_feed * 1000:.2f} ms a feed, {growth:4.2f}x the first size's "
            f"(linear: about 1x); {against}{size['stored']:.0f} articles, "
            f"{size['failed']:.0f} feeds failed"
        )
        print(
            f"  warm   newsletter fetch, all 304:  {size['warm']:6.2f} s  "
            f"{size['cold'] / size['warm']:5.1f}x faster than cold (target >= 5x), "
            f"{size['not_modified']:.0f} not modified, {size['warm_cpu']:.2f} s of CPU"
        )
        print(
            f"  peak memory of the cold fetch (all processes): {size['peak'] / 2**20:.0f} MB "
            "(target < 300 MB)"
        )
        if "pg_cold" in size:
            pg, lite = size["pg_cold"], size["pg_sqlite_cold"]
            print(
                f"  cold   into PostgreSQL: {pg:6.2f} s, into SQLite: {lite:6.2f} s  "
                f"{pg / lite:4.2f}x SQLite's time (target <= 1.3x)"
            )


def _empty_postgres(url: str) -> None:
    """Drop the store's tables, so the next fetch is a cold one into a new schema."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in (
            "article_feeds",
            "articles",
            "feeds",
            "sends",
            "changes",
            "newsletter_schema",
        ):
            conn.execute(
                psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(psycopg.sql.Identifier(table))
            )


if __name__ == "__main__":
    main()
