"""Command `fetch`: every feed of the settings read into the store, one transaction per feed
as each finishes. Takes the settings; gives a `FetchReport` with a row per feed (its result,
what it changed in the store, what the editor should know), in the settings' order.

With enough feeds to need them, worker processes fetch and parse shares of the feeds; they
are forked before the fetch lock and the store are opened, so they hold neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from newsletter.config import Settings
from newsletter.errors import Problem, ProblemsError
from newsletter.feeds import FeedResult, FetchOptions, health_notes, stored_nothing
from newsletter.store import Location, SaveCounts, open_store
from newsletter.workers import FetchWorkers


@dataclass(frozen=True, slots=True)
class FeedReport:
    """One feed's line of the health table."""

    result: FeedResult
    counts: SaveCounts
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FetchReport:
    """What a fetch did: every feed's report in the settings' order, and the store's size."""

    store: Location
    articles: int
    feeds: tuple[FeedReport, ...]

    @property
    def failed(self) -> tuple[FeedReport, ...]:
        """The feeds that could not be read."""
        return tuple(feed for feed in self.feeds if feed.result.problem)


def fetch_all(
    settings: Settings,
    *,
    on_feed: Callable[[str], None] | None = None,
    options: FetchOptions | None = None,
) -> FetchReport:
    """Fetch every feed into the store; `on_feed` is called with each feed's name as it is
    stored (for a progress bar)."""
    if not settings.feeds:
        raise ProblemsError(
            [
                Problem(
                    "no feeds to read",
                    path=settings.path,
                    hint='add [[feeds]] with name = "…" and url = "…"',
                )
            ]
        )
    options = options or FetchOptions.of(settings.fetch)
    order = tuple(source.name for source in settings.feeds)
    # What each feed's report needs, without its articles: those are stored and let go, so
    # that memory holds the feeds in flight, not the whole run's articles.
    saved: dict[str, tuple[FeedResult, SaveCounts]] = {}
    now = datetime.now(UTC)
    with (
        FetchWorkers(options, feeds=len(settings.feeds)) as workers,
        open_store(settings.store) as store,
        store.fetch_lock(),
    ):
        states = store.feed_states()
        # The store refused or went away: not one feed's trouble, so the fetch stops there.
        lost: list[ProblemsError] = []
        stored_names: set[str] = set()

        def done(result: FeedResult) -> None:
            if lost:  # the feeds still coming in are not stored
                saved[result.source.name] = (replace(result, articles=()), SaveCounts(0, 0, 0))
                if on_feed is not None:
                    on_feed(result.source.name)
                return
            try:
                counts = store.save_feed(
                    name=result.source.name,
                    url=result.source.url,
                    articles=result.articles,
                    status=result.status,
                    validators=result.validators,
                    problem=result.problem,
                    moved_to=result.moved_to,
                    feed_order=order,
                )
            except ProblemsError as exc:
                lost.append(exc)
                counts = SaveCounts(0, 0, 0)
            except Exception as exc:  # this feed's articles are lost, not the others'
                result = stored_nothing(result, exc)
                counts = SaveCounts(0, 0, 0)
            if not lost:
                stored_names.add(result.source.name)
            saved[result.source.name] = (replace(result, articles=()), counts)
            if on_feed is not None:
                on_feed(result.source.name)

        workers.fetch(settings.feeds, states, done, options)
        if lost:
            problem = lost[0].problems[0]
            kept = len(stored_names)
            raise type(lost[0])(
                [
                    replace(
                        problem,
                        message=f"{problem.message}: {kept} of {len(settings.feeds)} feeds "
                        "were stored before, the others were not",
                    )
                ],
                wrote_nothing=not kept,
            )
        states = store.feed_states()
        total = store.count()
    reports = []
    for name in order:
        result, counts = saved[name]
        state = states.get(name)
        notes = health_notes(result, state.newest if state else None, now)
        if counts.clashes:
            notes += (
                f"not stored: {', '.join(counts.clashes[:3])}, whose short id is another "
                "stored story's",
            )
        reports.append(FeedReport(result, counts, notes))
    return FetchReport(settings.store, total, tuple(reports))
