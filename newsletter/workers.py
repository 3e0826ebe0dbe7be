"""Stage 1, the feed reader spread over the cores: one worker process per core fetches and
parses a share of the feeds (`feeds.run_fetch`, in an event loop of its own) and sends back
each `FeedResult` the moment it is finished; the calling process only stores them.

Parsing feeds is CPU-bound, and with hundreds of feeds so is HTTP in Python: one process can
use one core. Workers are forked before the fetch takes its lock or opens the store, so they
hold neither; they exit when the fetch that forked them is gone (killed with SIGKILL, say).
A worker that dies leaves its unfinished feeds to be fetched here, so nothing is lost. Each
host's feeds are dealt out across the workers with the per-host limit divided among them, so
the limit a server sees stays what `FetchOptions` says.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from types import TracebackType

from newsletter.config import FeedSource
from newsletter.feeds import FeedResult, FetchOptions, host_of, run_fetch
from newsletter.models import FeedState

MIN_FEEDS = 8  # fewer feeds than this are fetched faster in one process than shared out
_Job = tuple[tuple[FeedSource, ...], dict[str, FeedState], FetchOptions]


def _exit_with(parent: int) -> None:
    """In a worker: exit as soon as the process that forked us is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _warm_up() -> None:
    """Load what the first request would (httpcore, anyio's asyncio backend: 35 ms) while the
    fetch that forked us is still reading its settings and store."""
    import anyio
    import httpcore  # noqa: F401  # httpx imports it on first use

    asyncio.run(anyio.sleep(0))


def _work(conn: Connection, parent: int) -> None:
    """A worker's life: receive a share of the feeds, send back each result, then None."""
    _exit_with(parent)
    try:
        _warm_up()
        job: _Job | None = conn.recv()
        if job is not None:
            sources, states, options = job
            run_fetch(sources, states, conn.send, options)
        conn.send(None)
    except BaseException:
        # Stopped (the fetch is gone, or was interrupted and says so itself), or a bug (the
        # fetch then redoes these feeds in its own process and reports the error the way it
        # reports any): either way leave quietly, not with a worker's traceback on stderr.
        pass


def shares(
    sources: tuple[FeedSource, ...], states: Mapping[str, FeedState], count: int, per_host: int
) -> tuple[list[list[FeedSource]], int]:
    """Deal the feeds out to `count` workers; return the shares and each worker's per-host limit.

    When the limit can be divided, each host's feeds go round all workers (so a newsroom whose
    feeds all live on one server still parses on every core), each worker allowed its part of
    the limit; otherwise each host goes whole to one worker, with the whole limit.
    """
    by_host: dict[str, list[FeedSource]] = {}
    for source in sources:
        by_host.setdefault(host_of(source, states), []).append(source)
    dealt: list[list[FeedSource]] = [[] for _ in range(count)]
    if per_host >= count:
        by_host_order = (source for feeds in by_host.values() for source in feeds)
        for turn, source in enumerate(by_host_order):
            dealt[turn % count].append(source)
        return dealt, per_host // count
    for feeds in sorted(by_host.values(), key=len, reverse=True):
        min(dealt, key=len).extend(feeds)
    return dealt, per_host


class FetchWorkers:
    """Worker processes for one fetch (one call of `fetch`); use as a context manager around
    the whole command, so that they are stopped however it ends."""

    def __init__(self, options: FetchOptions | None = None, *, feeds: int | None = None) -> None:
        """Fork the workers now (on Linux, with more than one core), before the fetch opens
        its lock and its store, unless `feeds` says there are too few feeds to share out."""
        self.options = options or FetchOptions()
        self.workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        self._busy: set[Connection] = set()  # the workers that were given feeds
        if self.options.workers < 2 or sys.platform != "linux":
            return  # elsewhere fork is unsafe or absent, and forkserver costs more than it saves
        if feeds is not None and feeds < MIN_FEEDS:
            return  # one process fetches a few feeds faster than it forks
        context = multiprocessing.get_context("fork")
        sys.stdout.flush()  # a forked child would otherwise write our buffered output again
        sys.stderr.flush()
        # Everything loaded so far lives as long as the process: out of the collector's sight,
        # it is neither copied into each worker by the collector's writes nor walked again by
        # every full collection, nor at exit (20 ms). As Python's documentation advises
        # before a fork.
        gc.freeze()
        for _ in range(self.options.workers):
            ours, theirs = context.Pipe()
            process = context.Process(target=_work, args=(theirs, os.getpid()), daemon=True)
            process.start()
            theirs.close()  # so that a dead worker reads as end-of-file here
            self.workers.append((process, ours))

    def __enter__(self) -> FetchWorkers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker: one that was given feeds has finished them or is told to stop;
        one that was given none is stopped at once (it may still be loading the HTTP stack)."""
        for process, conn in self.workers:
            if conn not in self._busy:
                process.kill()
            elif process.is_alive():
                with contextlib.suppress(OSError):  # it died meanwhile
                    conn.send(None)
            conn.close()
        for process, _ in self.workers:
            process.join(timeout=1)
            if process.is_alive():
                process.kill()
                process.join()
        self.workers = []

    def fetch(
        self,
        sources: tuple[FeedSource, ...],
        states: Mapping[str, FeedState],
        on_done: Callable[[FeedResult], None] | None = None,
        options: FetchOptions | None = None,
    ) -> list[FeedResult]:
        """Fetch and parse every feed; `on_done` runs here as each one finishes.

        `options` (the settings' limits, say) replace those the workers were made with; the
        number of workers stays. Results come back in the sources' order, as from
        `feeds.run_fetch`: without their articles when `on_done` was given them.
        """
        options = replace(options or self.options, workers=self.options.workers)
        if len(self.workers) < 2 or len(sources) < MIN_FEEDS:
            return run_fetch(sources, states, on_done, options)
        limits = options.limits
        dealt, per_host = shares(sources, states, len(self.workers), limits.per_host)
        share_options = replace(
            options,
            limits=replace(
                limits,
                per_host=per_host,
                concurrency=max(1, limits.concurrency // len(self.workers)),
            ),
        )
        pending: dict[Connection, list[FeedSource]] = {}
        orphans: list[FeedSource] = []
        for (_, conn), share in zip(self.workers, dealt, strict=True):
            names = {source.name for source in share}
            mine = {name: state for name, state in states.items() if name in names}
            try:
                conn.send((tuple(share), mine, share_options))
            except OSError:  # the worker is already gone
                orphans += share
                continue
            self._busy.add(conn)
            pending[conn] = share
        results: dict[str, FeedResult] = {}
        while pending:
            for ready in wait(list(pending)):
                assert isinstance(ready, Connection)
                try:
                    message: FeedResult | None = ready.recv()
                except (EOFError, OSError):
                    # The worker died (killed, out of memory): its unfinished feeds come here.
                    orphans += [s for s in pending.pop(ready) if s.name not in results]
                    continue
                if message is None:
                    del pending[ready]
                    continue
                if on_done is None:
                    results[message.source.name] = message
                    continue
                on_done(message)
                results[message.source.name] = replace(message, articles=())
        if orphans:
            for result in run_fetch(tuple(orphans), states, on_done, options):
                results[result.source.name] = result
        return [results[source.name] for source in sources]
