"""Stage 1, the feed reader: feed sources → bytes (`client`, or disk) → `entries.parse_feed`
→ a `FeedResult` per feed.

Feeds are fetched concurrently and each is parsed as soon as it arrives, in the same process;
`workers` spreads the feeds over one such process per core. Every failure becomes a
plain-words problem on that feed's `FeedResult`, an unexpected one too (reported as a bug,
with its traceback for `--debug`); one broken feed never stops the others.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from newsletter.client import Fetcher, FetchFailed, FetchOptions, http_problem
from newsletter.models import FeedResult, FeedSource, FeedState, ParsedFeed, Validators
from newsletter.untrusted import clean_text

__all__ = ["FeedResult", "FetchOptions", "fetch_feeds", "health_notes", "run_fetch"]


def _parse(
    data: bytes, source: FeedSource, location: str, headers: Mapping[str, str]
) -> ParsedFeed:
    # Imported on first use: feedparser and nh3 cost 0.1 s, which a run where every feed
    # answers 304 never needs.
    from newsletter.entries import parse_feed

    return parse_feed(data, feed_name=source.name, location=location, headers=headers)


async def _fetch_one(fetcher: Fetcher | None, source: FeedSource, state: FeedState) -> FeedResult:
    started = time.perf_counter()
    if state.url != source.url:
        state = FeedState(source.url)  # the address changed: old validators and moves are void

    def result(
        parsed: ParsedFeed,
        *,
        status: int | None = None,
        not_modified: bool = False,
        validators: Validators = state.validators,
        notes: tuple[str, ...] = (),
        moved_to: str | None = state.moved_to,
        attempts: int = 1,
    ) -> FeedResult:
        return FeedResult(
            source=source,
            articles=parsed.articles,
            status=status,
            not_modified=not_modified,
            validators=validators,
            elapsed=time.perf_counter() - started,
            problem=parsed.problem,
            skipped=parsed.skipped,
            notes=notes + parsed.notes,
            moved_to=moved_to,
            attempts=attempts,
        )

    if not source.is_remote:
        cap = (fetcher.options if fetcher else FetchOptions()).max_bytes
        try:
            data = await asyncio.to_thread(_read_capped, Path(source.url), cap)
        except FileNotFoundError:
            return result(ParsedFeed((), problem=f"no file at {source.url}"))
        except OSError as exc:
            return result(ParsedFeed((), problem=f"cannot read the file: {exc.strerror}"))
        if len(data) > cap:
            return result(ParsedFeed((), problem=f"the file is larger than {cap // 2**20} MB"))
        return result(_parse(data, source, Path(source.url).as_uri(), {}))

    assert fetcher is not None
    headers: dict[str, str] = {}
    etag, modified = _sendable(state.validators.etag), _sendable(state.validators.last_modified)
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    try:
        response = await fetcher.get(state.moved_to or source.url, headers)
    except FetchFailed as failure:
        return result(ParsedFeed((), problem=failure.problem), status=failure.status)
    moved = response.moved_to or state.moved_to
    notes = (f"moved permanently to {moved}; update newsletter.toml",) if moved else ()
    if response.status == 304:
        return result(
            ParsedFeed(()),
            status=304,
            not_modified=True,
            notes=notes,
            moved_to=moved,
            attempts=response.attempts,
        )
    if response.status != 200:
        return result(
            ParsedFeed((), problem=http_problem(response.status)),
            status=response.status,
            moved_to=moved,
            attempts=response.attempts,
        )
    parsed = _parse(response.body, source, response.url, response.headers)
    fresh = Validators(
        _sendable(response.headers.get("etag")), _sendable(response.headers.get("last-modified"))
    )
    return result(
        parsed,
        status=200,
        validators=state.validators if parsed.problem else fresh,
        notes=notes,
        moved_to=moved,
        attempts=response.attempts,
    )


def _sendable(validator: str | None) -> str | None:
    """A validator we can send back in a header: printable ASCII of a sane length. Anything
    else (an ETag such as W/"café") is dropped, or the feed would fail on every later run."""
    if validator and len(validator) <= 512 and validator.isascii() and validator.isprintable():
        return validator
    return None


def _read_capped(path: Path, cap: int) -> bytes:
    """At most `cap` + 1 bytes of a file: enough to tell that it is too big."""
    with path.open("rb") as handle:
        return handle.read(cap + 1)


def _bug(source: FeedSource, exc: Exception, elapsed: float) -> FeedResult:
    """The result of a feed whose reading met a bug: the feed is reported, the run goes on."""
    return FeedResult(
        source=source,
        articles=(),
        status=None,
        not_modified=False,
        validators=Validators(),
        elapsed=elapsed,
        problem=(
            f"not read because of a bug in newsletter ({type(exc).__name__}: "
            f"{clean_text(str(exc))[:200]}); `newsletter --debug fetch` shows the details"
        ),
        debug="".join(traceback.format_exception(exc)),
    )


def stored_nothing(result: FeedResult, exc: Exception) -> FeedResult:
    """`result` when its articles could not be stored: reported as a bug, with details."""
    return replace(
        result,
        problem=(
            f"read, but not stored because of a bug in newsletter ({type(exc).__name__}: "
            f"{clean_text(str(exc))[:200]}); `newsletter --debug fetch` shows the details"
        ),
        debug="".join(traceback.format_exception(exc)),
    )


def host_of(source: FeedSource, states: Mapping[str, FeedState]) -> str:
    """The host a feed will be fetched from (after a recorded move); "" for a local file."""
    state = states.get(source.name)
    url = state.moved_to if state and state.url == source.url and state.moved_to else source.url
    return urlsplit(url).netloc.lower() if source.is_remote else ""


async def fetch_feeds(
    sources: tuple[FeedSource, ...],
    states: Mapping[str, FeedState],
    on_done: Callable[[FeedResult], None] | None = None,
    options: FetchOptions | None = None,
) -> list[FeedResult]:
    """Fetch and parse every feed concurrently; return results in the sources' order.

    `on_done` is called (in the event loop's thread) as each feed finishes, so the caller can
    store it at once: a fetch killed half-way keeps every feed finished before the kill. The
    articles are then `on_done`'s alone: the results returned carry none, so that memory
    holds the feeds in flight, not every feed of the run.
    """
    options = options or FetchOptions()
    fetcher = Fetcher(options) if any(source.is_remote for source in sources) else None

    async def one(source: FeedSource) -> FeedResult:
        state = states.get(source.name, FeedState(source.url))
        started = time.perf_counter()
        try:
            done = await _fetch_one(fetcher, source, state)
        except Exception as exc:  # a bug met on one feed must not cost the others
            done = _bug(source, exc, time.perf_counter() - started)
        if on_done is None:
            return done
        on_done(done)
        return replace(done, articles=())

    try:
        return list(await asyncio.gather(*(one(source) for source in sources)))
    finally:
        if fetcher is not None:
            await fetcher.aclose()


def run_fetch(
    sources: tuple[FeedSource, ...],
    states: Mapping[str, FeedState],
    on_done: Callable[[FeedResult], None] | None = None,
    options: FetchOptions | None = None,
) -> list[FeedResult]:
    """`fetch_feeds` in an event loop of its own, on uvloop where it is installed.

    uvloop (every platform but Windows) takes a tenth off the CPU time of a fetch: with
    hundreds of feeds answering 304, that time is most of the fetch.
    """
    coroutine = fetch_feeds(sources, states, on_done, options)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def health_notes(
    result: FeedResult, newest: datetime | None, now: datetime, stale_days: int = 14
) -> tuple[str, ...]:
    """The result's notes plus "nothing new for N days" when the newest article is old."""
    notes = list(result.notes)
    if not result.problem and newest is not None:
        days = (now - newest).days
        if days >= stale_days:
            notes.append(f"nothing new for {days} days")
    return tuple(notes)
