"""Benchmark: `newsletter fetch` over 300 feeds of 30 items, each response delayed 100 ms.

The feeds are served on 30 loopback addresses (127.0.1.1 to 127.0.1.30, ten feeds each) so
that the per-host limit behaves as it would across a newsroom's many sources. Printed, each
measured in this same run:

- baseline: a sequential loop of `feedparser.parse(url)`, as a script would do it;
- cold: `newsletter fetch` into an empty store (target: at least 10x faster than baseline);
- warm: `newsletter fetch` again, every feed answering 304 (target: at least 5x faster
  than cold);
  each the median of three runs;
- peak memory of the whole cold fetch, workers included (target: under 300 MB).

Run from the repository root: `.venv/bin/python bench/fetch.py [FEEDS]`.
"""

from __future__ import annotations

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


class _Server:
    """Serves the feeds of one loopback address: HTTP/1.1 with keep-alive, ETag, 304.

    One event loop serves every address. http.server's thread per
    connection cost the bench process as much CPU as the client it measures; on two shared
    cores that CPU came out of the fetch being timed. A real feed server costs the reader
    nothing, so this one should cost it as little as possible.
    """

    def __init__(self, feeds: dict[str, bytes]) -> None:
        self.feeds = feeds
        self.etags = {
            path: '"' + hashlib.sha1(body).hexdigest()[:16] + '"' for path, body in feeds.items()
        }

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(DELAY)
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = self.feeds.get(path)
                if body is None:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                elif headers.get("if-none-match") == self.etags[path]:
                    writer.write(
                        f"HTTP/1.1 304 Not Modified\r\nETag: {self.etags[path]}\r\n\r\n".encode()
                    )
                else:
                    writer.write(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                        f"ETag: {self.etags[path]}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _serve_forever(count: int, ready: Connection) -> None:
    """In the server process: serve every feed, one server per loopback address."""

    async def main() -> None:
        feeds_by_host: list[dict[str, bytes]] = [{} for _ in range(HOSTS)]
        for number in range(count):
            feeds_by_host[number % HOSTS][f"/feed{number}.xml"] = _feed(number)
        bases = []
        for host, feeds in enumerate(feeds_by_host):
            server = await asyncio.start_server(
                _Server(feeds).handle, f"127.0.1.{host + 1}", 0, backlog=512
            )
            port = server.sockets[0].getsockname()[1]
            bases.append(f"http://127.0.1.{host + 1}:{port}")
        ready.send(bases)
        await asyncio.Event().wait()

    asyncio.run(main())


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
        peak = 0
        while child.poll() is None:
            peak = max(peak, _tree_rss(child.pid))
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            sys.exit(f"fetch failed: {err.read().decode()}")
        return elapsed, peak, json.loads(out.read()), cpu


def main() -> None:
    """Serve the feeds, run the three measurements and print them with their ratios."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    # An installed package has its bytecode compiled; an editable checkout under
    # PYTHONDONTWRITEBYTECODE would recompile every module on every run and time that.
    package = Path(__file__).resolve().parent.parent / "newsletter"
    compileall.compile_dir(package, quiet=1)
    bases, server = _serve(count)
    urls = [f"{bases[number % HOSTS]}/feed{number}.xml" for number in range(count)]

    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "newsletter.toml"
        feeds = "".join(f'[[feeds]]\nname = "f{n}"\nurl = "{url}"\n' for n, url in enumerate(urls))
        config.write_text(
            '[newsletter]\nname = "Bench"\nfrom = "b@example.org"\n'
            f'store = "store.sqlite3"\n\n{feeds}',
            encoding="utf-8",
        )
        colds, warms, peaks, warm_cpus = [], [], [], []
        for _ in range(ROUNDS):
            for leftover in Path(folder).glob("store.sqlite3*"):
                leftover.unlink()
            cold, peak, report, _ = _run_fetch(config)
            warm, _, again, warm_cpu = _run_fetch(config)
            warm_cpus.append(warm_cpu)
            colds.append(cold)
            warms.append(warm)
            peaks.append(peak)
        cold, warm, peak = statistics.median(colds), statistics.median(warms), max(peaks)
        started = time.perf_counter()
        entries = sum(len(feedparser.parse(url).entries) for url in urls)
        baseline = time.perf_counter() - started

    stored = report["articles"]
    not_modified = sum(1 for feed in again["feeds"] if feed["not_modified"])  # type: ignore[union-attr]
    print(
        f"{count} feeds x {ITEMS} items on {HOSTS} loopback hosts, {DELAY * 1000:.0f} ms "
        f"per response, {os.cpu_count()} cores"
    )
    print(f"baseline  sequential feedparser.parse(url): {baseline:6.2f} s  ({entries} entries)")
    print(
        f"cold      newsletter fetch:                 {cold:6.2f} s  "
        f"{baseline / cold:5.1f}x faster than baseline (target >= 10x), {stored} articles"
    )
    print(
        f"warm      newsletter fetch, all 304:        {warm:6.2f} s  "
        f"{cold / warm:5.1f}x faster than cold (target >= 5x), {not_modified} not modified, "
        f"{statistics.median(warm_cpus):.2f} s of CPU"
    )
    print(f"peak memory of the cold fetch (all processes): {peak / 2**20:.0f} MB (target < 300 MB)")
    server.terminate()


if __name__ == "__main__":
    main()
