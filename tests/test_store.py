"""The store, in both backends (SQLite and PostgreSQL): migrations, one transaction per feed,
dedupe, updates in place, the claims of sends."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from newsletter.models import Article, Validators
from newsletter.store import Location, Store, open_store
from newsletter.store.schema import LATEST
from newsletter.urls import article_id, canonical_url


def _article(url: str, title: str = "T", feed: str = "a", day: int = 24) -> Article:
    return Article(
        id=article_id(url),
        url=canonical_url(url),
        title=title,
        feed=feed,
        published=datetime(2026, 11, day, 10, tzinfo=UTC),
        summary_html="<p>s</p>",
        summary_text="s",
    )


def _save(store: Store, feed: str, *articles: Article) -> tuple[int, int, int]:
    counts = store.save_feed(
        name=feed,
        url=f"https://example.org/{feed}",
        articles=articles,
        status=200,
        validators=Validators('"e"', None),
        problem=None,
    )
    return counts.new, counts.updated, counts.unchanged


def test_schema_version_and_wal(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite3") as store:
        assert store.schema_version == LATEST
    db = sqlite3.connect(tmp_path / "s.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_same_story_from_two_feeds_is_stored_once_and_updates_in_place(
    store_at: Callable[[], Location],
) -> None:
    with open_store(store_at()) as store:
        one = _article("https://example.org/x.html?utm_source=a")
        assert _save(store, "a", one, _article("https://example.org/y.html")) == (2, 0, 0)
        assert _save(store, "b", _article("https://EXAMPLE.org/x.html#frag", feed="b")) == (0, 0, 1)
        assert _save(store, "a", replace(one, title="T, updated")) == (0, 1, 0)
        assert store.count() == 2
        found = store.get("https://example.org/x.html")
        assert found is not None and found.title == "T, updated"
        assert store.feed_states()["a"].validators == Validators('"e"', None)


def test_week_query_filters_by_time_feed_and_text(store_at: Callable[[], Location]) -> None:
    with open_store(store_at()) as store:
        _save(
            store,
            "a",
            _article("https://e.org/1", "Flour prices", day=20),
            _article("https://e.org/2", "Dam talks", day=24),
        )
        _save(store, "b", _article("https://e.org/3", "Flour mills", feed="b", day=25))
        start = datetime(2026, 11, 21, tzinfo=UTC)
        end = datetime(2026, 11, 28, tzinfo=UTC)
        assert [a.title for a in store.articles_between(start, end)] == ["Flour mills", "Dam talks"]
        assert [a.title for a in store.articles_between(start, end, feed="a")] == ["Dam talks"]
        assert [a.title for a in store.articles_between(start, end, search="flour")] == [
            "Flour mills"
        ]


def test_a_store_of_schema_1_is_migrated_forward(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with open_store(path) as store:
        _save(store, "a", _article("https://e.org/kept"))
    db = sqlite3.connect(path)
    db.execute("DROP TABLE article_feeds")
    db.execute("DROP TABLE sends")
    db.execute("ALTER TABLE feeds DROP COLUMN moved_to")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with open_store(path) as store:
        assert store.schema_version == LATEST
        assert store.get("https://e.org/kept") is not None
        assert store.feed_states()["a"].moved_to is None


def test_a_feed_whose_address_changed_forgets_its_validators(
    store_at: Callable[[], Location],
) -> None:
    with open_store(store_at()) as store:
        _save(store, "a", _article("https://e.org/1"))
        store.save_feed(
            name="a",
            url="https://example.org/new",
            articles=(),
            status=200,
            validators=Validators(),
            problem=None,
        )
        state = store.feed_states()["a"]
        assert state.url == "https://example.org/new"
        assert state.validators == Validators()


def test_a_claimed_copy_stands_in_the_way_until_confirmed_or_released(
    store_at: Callable[[], Location],
) -> None:
    from newsletter.models import SentCopy

    copy = SentCopy("2026-11-27", 42, "smtp://m:25", "a@example.org", datetime.now(UTC), "d")
    location = store_at()
    with open_store(location) as one, open_store(location) as other:
        token = one.claim_send(copy)
        assert isinstance(token, int)
        blocked = other.claim_send(copy, again=True)  # even --again waits for an answer
        assert isinstance(blocked, SentCopy) and blocked.unsure and blocked.owner
        assert set(other.unsure_copies(copy.issue, copy.target)) == {"a@example.org"}
        one.confirm_send(token, datetime.now(UTC))
        assert isinstance(other.claim_send(copy), SentCopy)  # sent: not again without --again
        again = other.claim_send(copy, again=True)
        assert isinstance(again, int)
        other.release_send(again)
        assert len(one.sent_copies(copy.issue, copy.target)) == 1
        assert one.unsure_copies(copy.issue, copy.target) == {}


def test_the_hint_finds_a_misspelt_address_among_a_few_neighbours(
    store_at: Callable[[], Location],
) -> None:
    with open_store(store_at()) as store:
        _save(store, "a", *(_article(f"https://e.org/story-{n:03d}") for n in range(300)))
        near = store.similar("https://e.org/story-15O")
        assert "https://e.org/story-150" in {a.url for a in near}
        assert len(near) <= 75
        assert store.has_articles()


def test_a_search_for_wildcards_and_quotes_matches_them_as_text(
    store_at: Callable[[], Location],
) -> None:
    with open_store(store_at()) as store:
        _save(
            store,
            "a",
            _article("https://e.org/1", "Turnout 100%_ in O'Neill's \\ ward"),
            _article("https://e.org/2", "Turnout 1000 in the ward"),
        )
        start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
        for text in ("100%_", "O'Neill's \\", "'; DROP TABLE articles; --"):
            found = [a.url for a in store.articles_between(start, end, search=text)]
            assert found == (["https://e.org/1"] if "DROP" not in text else [])
        assert store.count() == 2


def test_the_link_checks_remembered_are_the_ones_since_the_time_asked(
    store_at: Callable[[], Location],
) -> None:
    from datetime import timedelta

    from newsletter.models import LinkCheck

    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    old = LinkCheck(
        "https://e.org/old", "ok", 200, "https://e.org/old", "HTTP 200", now - timedelta(hours=30)
    )
    new = LinkCheck("https://e.org/new?a=1&b='", "moved", 301, "https://e.org/n", "moved", now)
    location = store_at()
    with open_store(location) as store:
        store.save_link_checks([old, new])
        store.save_link_checks([replace(new, detail="moved again")])  # overwritten, not doubled
    with open_store(location) as store:
        found = store.link_checks(
            [old.url, new.url, "https://e.org/never"], now - timedelta(hours=24)
        )
        assert list(found) == [new.url]
        assert found[new.url] == replace(new, detail="moved again", cached=True)
        everything = store.link_checks([old.url, new.url], now - timedelta(days=2))
        assert set(everything) == {old.url, new.url}
        assert store.link_checks([f"https://e.org/{n}" for n in range(1200)], now) == {}
