"""Benchmark: the link check of an issue with 200 links over 20 far-away hosts.

Twenty web servers on loopback addresses 127.0.0.2 to 127.0.0.21 (in a child process, so
that they do not share this one's interpreter) each wait 100 ms before every answer (the
environment variable LATENCY, in seconds, changes it); the issue links to 10 pages on each.
With the per-host limit of 8 requests at once, no checker can take less than two rounds of
100 ms: the ideal is 0.2 s. Timed in this process, each the best of three: the link check
itself (a fresh store each time: every link asked), a baseline (bare httpx HEAD requests
under the same per-host limit, nothing else), and a second check answered from the store's
cache. Printed: each time, and the ratios of the check to the ideal (target: at most 1.5x)
and to the baseline; the cached run's time (target: under 0.5 s).

Run from the repository root: `.venv/bin/python bench/linkcheck.py`.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsletter._httpx import httpx  # noqa: E402
from newsletter.linkcheck import check_links  # noqa: E402
from newsletter.models import FetchLimits, LinkLimits  # noqa: E402
from newsletter.store import open_store  # noqa: E402

HOSTS, PAGES, LATENCY = 20, 10, float(os.environ.get("LATENCY", "0.1"))
LIMITS = FetchLimits()


async def _baseline(urls: list[str]) -> None:
    """HEAD every address with httpx alone, at most per_host at once to each host."""
    hosts = {url.split("/")[2] for url in urls}
    clients = {  # verify=False: plain http needs no authorities, and loading them is slow
        host: httpx.AsyncClient(limits=httpx.Limits(max_connections=LIMITS.per_host), verify=False)
        for host in hosts
    }
    slots = {host: asyncio.Semaphore(LIMITS.per_host) for host in hosts}

    async def one(url: str) -> None:
        host = url.split("/")[2]
        async with slots[host]:
            (await clients[host].head(url)).raise_for_status()

    await asyncio.gather(*(one(url) for url in urls))
    await asyncio.gather(*(client.aclose() for client in clients.values()))


def _best(run: object, times: int = 3) -> float:
    best = math.inf
    for _ in range(times):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best


async def _far_host(host: str, asked: list[int]) -> asyncio.Server:
    """A server on `host` that answers every request 200, after LATENCY: asyncio, and as
    cheap as a server can be, because a far-away host's work is not done on this machine."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = b"<!doctype html><title>page</title><p>A page.</p>\n"
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                asked.append(1)
                await asyncio.sleep(LATENCY)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                    b"Content-Length: %d\r\n\r\n"
                    % len(body)
                    + (b"" if head.startswith(b"HEAD ") else body)
                )
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(answer, host, 0, backlog=256)


async def _serve() -> None:
    asked: list[int] = []
    servers = [await _far_host(f"127.0.0.{n + 2}", asked) for n in range(HOSTS)]
    print(json.dumps([server.sockets[0].getsockname()[1] for server in servers]), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    print(json.dumps(len(asked)), flush=True)


def serve() -> None:
    """The child process: start the servers, print their ports, serve until stdin closes,
    then print how many requests they answered."""
    asyncio.run(_serve())


def main() -> None:
    """Run the benchmark and print its figures."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    ports = json.loads(child.stdout.readline())
    urls = [
        f"http://127.0.0.{n + 2}:{port}/story/{page}"
        for n, port in enumerate(ports)
        for page in range(PAGES)
    ]
    with tempfile.TemporaryDirectory() as folder:
        stores = iter(range(1000))

        def cold() -> None:
            with open_store(Path(folder) / f"cold{next(stores)}.sqlite3") as store:
                found = check_links(
                    urls, store, limits=LinkLimits(), fetch=LIMITS, allow_private=True
                )
            assert all(result.verdict == "ok" for result in found.values()), found

        check = _best(cold)
        baseline = _best(lambda: asyncio.run(_baseline(urls)))
        warm_store = Path(folder) / "warm.sqlite3"
        with open_store(warm_store) as store:
            check_links(urls, store, limits=LinkLimits(), fetch=LIMITS, allow_private=True)

        def warm() -> None:
            with open_store(warm_store) as store:
                found = check_links(
                    urls, store, limits=LinkLimits(), fetch=LIMITS, allow_private=True
                )
            assert all(result.cached for result in found.values())

        cached = _best(warm)
    child.stdin.close()
    asked = json.loads(child.stdout.readline())
    child.wait()
    # Three cold checks, three baselines and one check to fill the cache; the cache asked no one.
    assert asked == 7 * len(urls), asked
    ideal = max(math.ceil(PAGES / LIMITS.per_host) * LATENCY, 1e-9)
    print(f"{len(urls)} links, {HOSTS} hosts, {LATENCY * 1000:.0f} ms, per_host {LIMITS.per_host}")
    print(f"ideal (rounds x latency)  {ideal:.3f} s")
    print(f"baseline (bare httpx)     {baseline:.3f} s  ({baseline / ideal:.2f}x ideal)")
    print(
        f"link check, cold          {check:.3f} s  ({check / ideal:.2f}x ideal, target <= 1.5x; "
        f"{check / baseline:.2f}x baseline)"
    )
    print(f"link check, from cache    {cached:.3f} s  (target < 0.5 s)")


if __name__ == "__main__":
    serve() if "--serve" in sys.argv else main()
