"""Fetching over worker processes: the same results as in one process, every feed reported
once and in order, a dead worker's feeds not lost, each host's limit divided, not multiplied."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from pathlib import Path

from newsletter.config import FeedSource
from newsletter.feeds import FeedResult, FetchOptions, run_fetch
from newsletter.models import FetchLimits, Span
from newsletter.workers import MIN_FEEDS, FetchWorkers, shares
from tests.conftest import FeedServer, Route, one_story_feed

OPTIONS = FetchOptions(FetchLimits(read_timeout=2.0, connect_timeout=2.0), workers=2, backoff=0.05)


def _sources(server: FeedServer, count: int) -> tuple[FeedSource, ...]:
    """`count` feeds, alternately on 127.0.0.1 and on localhost (two hosts, one server)."""
    sources = []
    for number in range(count):
        server.routes[f"/w{number}"] = Route(one_story_feed(f"Story {number}", f"/s/{number}"))
        base = server.base if number % 2 else server.base.replace("127.0.0.1", "localhost")
        sources.append(FeedSource(f"w{number}", f"{base}/w{number}", Span(Path("x"), 1, 1)))
    return tuple(sources)


def test_workers_give_what_one_process_gives_in_the_same_order(
    feed_server: FeedServer,
) -> None:
    sources = _sources(feed_server, 12)
    alone = run_fetch(sources, {}, options=OPTIONS)
    seen: list[FeedResult] = []
    with FetchWorkers(OPTIONS) as workers:
        assert len(workers.workers) == 2
        pids = {process.pid for process, _ in workers.workers}
        assert all(process.is_alive() for process, _ in workers.workers)
        shared = workers.fetch(sources, {}, seen.append)
    assert [r.source.name for r in shared] == [s.name for s in sources]
    assert sorted(r.source.name for r in seen) == sorted(s.name for s in sources)  # once each
    by_name = {r.source.name: r for r in seen}
    assert [by_name[s.name].articles for s in sources] == [r.articles for r in alone]
    assert [by_name[s.name].articles[0].title for s in sources] == [f"Story {n}" for n in range(12)]
    # The articles were on_done's: the results returned hold none (memory stays bounded).
    assert all(r.articles == () for r in shared)
    assert [replace(r, articles=(), elapsed=0) for r in shared] == [
        replace(by_name[r.source.name], articles=(), elapsed=0) for r in shared
    ]
    # Closed: the workers have exited.
    assert all(not Path(f"/proc/{pid}").exists() for pid in pids if pid is not None)


def test_a_dead_worker_leaves_its_feeds_to_the_fetch(feed_server: FeedServer) -> None:
    sources = _sources(feed_server, 10)
    with FetchWorkers(OPTIONS) as workers:
        process, _ = workers.workers[0]
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        process.join()
        results = workers.fetch(sources, {})
    assert [r.articles[0].title for r in results] == [f"Story {n}" for n in range(10)]


def test_few_feeds_are_fetched_here(feed_server: FeedServer) -> None:
    sources = _sources(feed_server, MIN_FEEDS - 1)
    with FetchWorkers(OPTIONS) as workers:
        results = workers.fetch(sources, {})
        # Given no work, the workers are still waiting for some.
        assert all(process.is_alive() for process, _ in workers.workers)
    assert [r.articles[0].title for r in results] == [f"Story {n}" for n in range(MIN_FEEDS - 1)]


def _feed(name: str, url: str) -> FeedSource:
    return FeedSource(name, url, Span(Path("x"), 1, 1))


def test_each_hosts_feeds_and_limit_are_divided_among_the_workers() -> None:
    busy = [_feed(f"a{n}", f"https://a.example/{n}") for n in range(10)]
    quiet = [_feed("b", "https://b.example/feed")]
    dealt, per_host = shares((*busy, *quiet), {}, 2, 8)
    assert per_host == 4  # two workers with four connections each: still eight to a.example
    assert [len(share) for share in dealt] == [6, 5]
    assert {s.name for share in dealt for s in share} == {s.name for s in (*busy, *quiet)}
    for share in dealt:
        assert sum(1 for s in share if s.name.startswith("a")) == 5


def test_a_limit_too_small_to_divide_keeps_each_host_on_one_worker() -> None:
    sources = [_feed(f"a{n}", f"https://a.example/{n}") for n in range(3)]
    sources += [_feed(f"b{n}", f"https://B.example/{n}") for n in range(2)]
    dealt, per_host = shares(tuple(sources), {}, 2, 1)
    assert per_host == 1
    assert sorted(sorted(s.name for s in share) for share in dealt) == [
        ["a0", "a1", "a2"],
        ["b0", "b1"],
    ]


def test_one_process_lets_go_of_the_articles_it_handed_on(feed_server: FeedServer) -> None:
    sources = _sources(feed_server, 3)
    seen: list[FeedResult] = []
    results = run_fetch(sources, {}, seen.append, OPTIONS)
    assert [r.articles[0].title for r in sorted(seen, key=lambda r: r.source.name)] == [
        "Story 0",
        "Story 1",
        "Story 2",
    ]
    assert [r.source.name for r in results] == ["w0", "w1", "w2"]
    assert all(r.articles == () for r in results)
