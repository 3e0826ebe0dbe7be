"""Leaf of the store: its schema, as numbered migrations, the same numbers in both backends
(a SQLite file's `PRAGMA user_version`, a server's `newsletter_schema` table, count how many a
store has had). Each backend runs the ones a store lacks in one transaction, under its write
lock. A migration is SQL, or a function for what SQL cannot say (the repair of migration 4).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from newsletter.errors import Problem, Span
from newsletter.records import article_from_row, content_hash
from newsletter.untrusted import clean_text

# Stored dates earlier than this are what old versions kept of a feed's "no date" (year 1,
# 999, 1970): the repair below makes them undated.
EARLIEST_STORED = "1995-01-01T00:00:00Z"
_TEXT_COLUMNS = ("title", "summary_html", "summary_text", "author", "image_alt", "categories")


def _repair_values(db: sqlite3.Connection) -> None:
    """Migration 4: mend what versions before it stored from hostile feeds.

    A date before 1995 (year 1 is many CMSs' "no date"), or one written as `999-01-01...`
    that cannot be read back, becomes "undated, first seen then"; control characters and
    unbalanced bidi controls are cleaned out of the text. The content hash is recomputed,
    so the next fetch does not count the repaired articles as updated."""
    rows = db.execute("SELECT * FROM articles").fetchall()
    for row in rows:
        published = row["published"]
        guess = bool(row["date_is_guess"])
        try:
            readable = datetime.fromisoformat(published).year >= 1
        except (TypeError, ValueError):
            readable = False
        if not readable or published < EARLIEST_STORED or published[:1] == "-":
            published, guess = row["first_seen"], True
        texts = {column: row[column] for column in _TEXT_COLUMNS}
        cleaned = {
            column: clean_text(value) if isinstance(value, str) else value
            for column, value in texts.items()
        }
        same_date = published == row["published"] and guess == bool(row["date_is_guess"])
        if same_date and cleaned == texts:
            continue
        values = dict(row) | cleaned | {"published": published, "date_is_guess": int(guess)}
        article = article_from_row(values)
        db.execute(
            """UPDATE articles SET title = ?, summary_html = ?, summary_text = ?, author = ?,
            image_alt = ?, categories = ?, published = ?, date_is_guess = ?, content_hash = ?
            WHERE id = ?""",
            (
                *(cleaned[column] for column in _TEXT_COLUMNS),
                published,
                int(guess),
                content_hash(article),
                row["id"],
            ),
        )


def _claims(db: sqlite3.Connection) -> None:
    """Migration 6, as a function: a store whose version was set back by hand may have the
    columns already (SQLite has no ADD COLUMN IF NOT EXISTS)."""
    have = {row[1] for row in db.execute("PRAGMA table_info(sends)")}
    if "state" not in have:
        db.execute("ALTER TABLE sends ADD COLUMN state TEXT NOT NULL DEFAULT 'sent'")
    if "owner" not in have:
        db.execute("ALTER TABLE sends ADD COLUMN owner TEXT")
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS sends_claimed ON sends (issue, target, recipient) "
        "WHERE state = 'sending'"
    )
    db.execute("CREATE TABLE IF NOT EXISTS changes (counter INTEGER NOT NULL)")
    db.execute("INSERT INTO changes (counter) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM changes)")


_Migration = str | Callable[[sqlite3.Connection], None]
SQLITE_MIGRATIONS: tuple[_Migration, ...] = (
    # 1: feeds with their validators and health, and the articles.
    """
    CREATE TABLE feeds (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_status INTEGER,
        last_fetched TEXT,
        last_new TEXT,
        last_problem TEXT
    );
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        feed TEXT NOT NULL,
        published TEXT NOT NULL,
        date_is_guess INTEGER NOT NULL DEFAULT 0,
        summary_html TEXT NOT NULL,
        summary_text TEXT NOT NULL,
        author TEXT,
        image_url TEXT,
        image_alt TEXT,
        image_width INTEGER,
        image_height INTEGER,
        lang TEXT,
        categories TEXT NOT NULL DEFAULT '[]',
        content_hash TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE INDEX articles_published ON articles (published);
    CREATE INDEX articles_feed ON articles (feed, published);
    """,
    # 2: where a permanent redirect sent a feed, used on the next fetch.
    """
    ALTER TABLE feeds ADD COLUMN moved_to TEXT;
    """,
    # 3: every feed that carried an article (the story is stored once, under the feed that
    # brought it first, but `articles --feed` must find it in each).
    """
    CREATE TABLE article_feeds (
        article_id TEXT NOT NULL,
        feed TEXT NOT NULL,
        PRIMARY KEY (article_id, feed)
    ) WITHOUT ROWID;
    CREATE INDEX article_feeds_feed ON article_feeds (feed);
    INSERT INTO article_feeds (article_id, feed) SELECT id, feed FROM articles;
    """,
    # 4: repair dates that cannot be read back, and text with control characters.
    _repair_values,
    # 5: every copy of an issue `send` delivered: by issue (its slug), target and recipient,
    # so that a second send to the same address needs --again. One row per copy, kept.
    # IF NOT EXISTS: a store whose version was set back by hand keeps the sends it recorded.
    """
    CREATE TABLE IF NOT EXISTS sends (
        issue TEXT NOT NULL,
        target TEXT NOT NULL,
        recipient TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        number INTEGER NOT NULL,
        digest TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sends_issue ON sends (issue, target, recipient, sent_at);
    """,
    # 6: a send records its intent before delivery ('sending'), then the server's answer
    # ('sent'); a copy left 'sending' by a send that was killed is unsure. At most one claim
    # per recipient at a time. And a counter of changes, for a preview that follows the store.
    _claims,
    # 7: what the last link check found of each address, so a second check within the
    # settings' [links] cache_hours asks no server again.
    """
    CREATE TABLE IF NOT EXISTS link_checks (
        url TEXT PRIMARY KEY,
        checked_at TEXT NOT NULL,
        verdict TEXT NOT NULL,
        status INTEGER,
        final_url TEXT,
        detail TEXT NOT NULL
    );
    """,
)

# The same schema on a PostgreSQL server, migration for migration. Keys and dates are text
# compared byte for byte (COLLATE "C"), as SQLite compares them, so that a store's order, and
# `store copy`'s digests, do not depend on the server's locale.
POSTGRES_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE feeds (
        name TEXT COLLATE "C" PRIMARY KEY,
        url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_status INTEGER,
        last_fetched TEXT,
        last_new TEXT,
        last_problem TEXT
    );
    CREATE TABLE articles (
        id TEXT COLLATE "C" PRIMARY KEY,
        url TEXT COLLATE "C" NOT NULL UNIQUE,
        title TEXT NOT NULL,
        feed TEXT COLLATE "C" NOT NULL,
        published TEXT COLLATE "C" NOT NULL,
        date_is_guess INTEGER NOT NULL DEFAULT 0,
        summary_html TEXT NOT NULL,
        summary_text TEXT NOT NULL,
        author TEXT,
        image_url TEXT,
        image_alt TEXT,
        image_width INTEGER,
        image_height INTEGER,
        lang TEXT,
        categories TEXT NOT NULL DEFAULT '[]',
        content_hash TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE INDEX articles_published ON articles (published);
    CREATE INDEX articles_feed ON articles (feed, published);
    """,
    """
    ALTER TABLE feeds ADD COLUMN moved_to TEXT;
    """,
    """
    CREATE TABLE article_feeds (
        article_id TEXT COLLATE "C" NOT NULL,
        feed TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (article_id, feed)
    );
    CREATE INDEX article_feeds_feed ON article_feeds (feed);
    INSERT INTO article_feeds (article_id, feed) SELECT id, feed FROM articles;
    """,
    # 4 mends values older versions stored in SQLite; no PostgreSQL store predates it, and
    # every value reaches one already cleaned.
    "",
    """
    CREATE TABLE sends (
        id BIGSERIAL PRIMARY KEY,
        issue TEXT COLLATE "C" NOT NULL,
        target TEXT COLLATE "C" NOT NULL,
        recipient TEXT COLLATE "C" NOT NULL,
        sent_at TEXT COLLATE "C" NOT NULL,
        number INTEGER NOT NULL,
        digest TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX sends_issue ON sends (issue, target, recipient, sent_at);
    """,
    """
    ALTER TABLE sends ADD COLUMN state TEXT COLLATE "C" NOT NULL DEFAULT 'sent';
    ALTER TABLE sends ADD COLUMN owner TEXT;
    CREATE UNIQUE INDEX sends_claimed ON sends (issue, target, recipient)
        WHERE state = 'sending';
    CREATE TABLE changes (counter BIGINT NOT NULL);
    INSERT INTO changes (counter) VALUES (0);
    """,
    """
    CREATE TABLE link_checks (
        url TEXT COLLATE "C" PRIMARY KEY,
        checked_at TEXT COLLATE "C" NOT NULL,
        verdict TEXT NOT NULL,
        status INTEGER,
        final_url TEXT,
        detail TEXT NOT NULL
    );
    """,
)
assert len(POSTGRES_MIGRATIONS) == len(SQLITE_MIGRATIONS)
LATEST = len(SQLITE_MIGRATIONS)


def newer_store(version: int, *, path: Path | None = None, span: Span | None = None) -> Problem:
    """The one-line refusal of a store written by a newer version of newsletter."""
    return Problem(
        f"the store was written by a newer version of newsletter (schema {version}; this "
        f"version reads up to {LATEST})",
        path=path,
        span=span,
        key="newsletter.store" if span else "",
        hint="upgrade newsletter (pip install --upgrade newsletter), or point `store =` at "
        "another store",
    )
