"""Benchmark: what the worst feeds cost, each as a ratio against a baseline run in this process.

- A 7 MB entry of 200,000 nested `<blockquote>` (it took 566 s before its depth was bounded):
  `parse_feed` against `feedparser.parse` alone on the same bytes. Target: our own work adds
  little to what feedparser must spend reading the bytes (ratio near 1), and the sanitiser's
  share stays under a second.
- A compression bomb, 1 GiB of zeros gzipped twice (a body of about 2 KB): the memory that
  decoding it takes, against the 10 MB cap. Target: the peak stays within a few chunks of
  the cap, never near the gigabyte.

Run from the repository root: `.venv/bin/python bench/hostile.py`.
"""

from __future__ import annotations

import html
import statistics
import time
import tracemalloc
import zlib

import feedparser

from newsletter.client import FetchFailed as _Failed
from newsletter.client import _Decoder
from newsletter.entries import parse_feed
from newsletter.markup import sanitise_html

DEPTH = 200_000
CAP = 10 * 1024 * 1024


def _median(run: object, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _bomb() -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    inner = b"".join(packer.compress(zeros) for _ in range(1024)) + packer.flush()
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return packer.compress(inner) + packer.flush()


def main() -> None:
    """Print each measurement and its ratio."""
    nested = "<blockquote>" * DEPTH + "deep" + "</blockquote>" * DEPTH
    data = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>T</title>'
        f"<link>https://example.org/a</link><description>{html.escape(nested)}</description>"
        "</item></channel></rss>"
    ).encode()
    # The options parse_feed gives feedparser, so the ratio is what our own work adds.
    options = {"sanitize_html": False, "resolve_relative_uris": False}
    baseline = _median(lambda: feedparser.parse(data, **options))
    ours = _median(lambda: parse_feed(data, feed_name="f", location="https://example.org/"))
    sanitise = _median(lambda: sanitise_html(nested))
    print(f"nested entry, {len(data) / 1e6:.1f} MB, depth {DEPTH:,}:")
    print(f"  baseline feedparser.parse alone   {baseline:7.3f} s")
    print(f"  parse_feed (ours, all included)   {ours:7.3f} s  = {ours / baseline:.2f}x baseline")
    print(f"  sanitise_html on the fragment     {sanitise:7.3f} s  (target < 1 s)")

    body = _bomb()
    tracemalloc.start()
    decoder = _Decoder("gzip, gzip", CAP, "too big")
    stopped = "no"
    try:
        for start in range(0, len(body), 16_384):
            decoder.feed(body[start : start + 16_384])
    except _Failed:
        stopped = "yes"
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"compression bomb, {len(body):,} bytes gzipped twice, 1 GiB inside:")
    print(f"  stopped at the cap: {stopped}; decoded {decoder.size / 2**20:.1f} MB")
    print(f"  peak memory while decoding {peak / 2**20:6.1f} MB = {peak / CAP:.2f}x the cap")


if __name__ == "__main__":
    main()
