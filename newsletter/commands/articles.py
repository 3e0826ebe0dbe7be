"""Command `articles`: the stored articles of a week, newest first, optionally of one feed or
matching a text. Takes the settings; gives an `ArticlesResult`. Creates no store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from newsletter.config import DAYS, Settings
from newsletter.models import Article
from newsletter.store import open_store
from newsletter.week import week_bounds


@dataclass(frozen=True, slots=True)
class ArticlesResult:
    """The articles of the week ending on `day`; `start` is the week's first local midnight."""

    day: date
    start: datetime
    articles: tuple[Article, ...]
    store_empty: bool


def next_send_day(settings: Settings, today: date | None = None) -> date:
    """The next day the newsletter goes out (today when today is the send day)."""
    today = today or datetime.now(settings.timezone).date()
    ahead = (DAYS.index(settings.send_day) - today.weekday()) % 7
    return today + timedelta(days=ahead)


def list_articles(
    settings: Settings,
    *,
    week: date | None = None,
    feed: str | None = None,
    search: str | None = None,
) -> ArticlesResult:
    """The articles of the week ending on `week` (the next send day when None)."""
    day = week or next_send_day(settings)
    start, end = week_bounds(day, settings.timezone)
    with open_store(settings.store, create=False) as store:
        found = store.articles_between(start, end, feed=feed, search=search)
        empty = store.count() == 0
    return ArticlesResult(day, start, tuple(found), empty)
