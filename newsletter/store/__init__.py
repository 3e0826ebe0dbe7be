"""Stage 1½, the article store: the only package that reads or writes the database, a SQLite
file (the default, `store.sqlite`) or a PostgreSQL server that a newsroom's machines share
(`store.postgres`).

Takes the articles of one fetched feed at a time and saves them in one transaction; gives back
`Article`s by id, by URL or by week, what each feed answered last, and the record of the copies
`send` delivered. `open_store` picks the backend from the settings' `store`; the commands see
only `Store`, whose queries are written once here, with `?` for every value (sent to the
server as parameters, never formatted into the SQL). The backends supply the connection, the
transactions, the locks and the words for what their database refused.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from newsletter.dburl import DatabaseUrl
from newsletter.errors import Problem, ProblemsError
from newsletter.models import Article, FeedState, LinkCheck, SentCopy, Validators
from newsletter.records import (
    ROW_COLUMNS,
    article_from_row,
    article_to_row,
    content_hash,
    utc_stamp,
)
from newsletter.urls import article_id

Location = Path | DatabaseUrl
Row = Mapping[str, Any]
P = ParamSpec("P")
T = TypeVar("T")
S = TypeVar("S", bound="Store")

# The tables a store holds, with the columns that identify a row, in the order `store copy`
# moves them and `digest` reads them (sends have no key: every column is the row).
TABLES: dict[str, tuple[str, ...]] = {
    "feeds": ("name",),
    "articles": ("id",),
    "article_feeds": ("article_id", "feed"),
    "sends": ("issue", "target", "recipient", "sent_at", "number", "digest", "state"),
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "feeds": (
        "name",
        "url",
        "etag",
        "last_modified",
        "last_status",
        "last_fetched",
        "last_new",
        "last_problem",
        "moved_to",
    ),
    "articles": (*ROW_COLUMNS, "content_hash", "first_seen", "updated"),
    "article_feeds": ("article_id", "feed"),
    "sends": ("issue", "target", "recipient", "sent_at", "number", "digest", "state", "owner"),
}


@dataclass(frozen=True, slots=True)
class SaveCounts:
    """How one feed's articles changed the store."""

    new: int
    updated: int
    unchanged: int
    # Addresses not stored because their short id is another stored story's (the id is 40
    # bits of a hash: a collision is rare by chance, and can be made on purpose).
    clashes: tuple[str, ...] = ()


class Cursor(Protocol):
    """What the shared queries need of a backend's cursor (sqlite3's and psycopg's both)."""

    def execute(self, sql: Any, params: Any = ..., /) -> Any:
        """Run one statement."""
        ...

    def executemany(self, sql: Any, params: Any, /) -> Any:
        """Run one statement for each set of values."""
        ...

    def fetchone(self) -> Any:
        """The next row, or None."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        ...

    @property
    def rowcount(self) -> int:
        """How many rows the last statement (all of an `executemany`) wrote."""
        ...


class StoreLost(ProblemsError):
    """The store's server went away and did not come back within the time allowed."""


def guarded(method: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
    """Turn what the database refuses inside `method` into a `ProblemsError` in plain words."""

    @functools.wraps(method)
    def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(self, *args, **kwargs)
        except self.driver_errors as exc:
            raise ProblemsError([self.problem(exc)]) from None

    return wrapper


def owner() -> str:
    """Who holds a send's claim, for the message of the next run that finds it unfinished."""
    return f"{socket.gethostname()} (process {os.getpid()})"


def recipient_lock_key(issue: str, target: str, recipient: str) -> int:
    """A signed 64-bit number for one (issue, target, recipient), for a server's lock."""
    digest = hashlib.sha256(f"send\0{issue}\0{target}\0{recipient}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Store(ABC):
    """An open article store; use as a context manager so the connection is closed."""

    location: Location
    # What the backend's driver raises when its database refuses something.
    driver_errors: tuple[type[Exception], ...] = ()
    # The backend's spelling of a few things the shared SQL cannot say the same way.
    like = "LIKE"  # case-insensitive text match
    row_order = "rowid"  # the order rows were written in

    # --- what each backend provides -------------------------------------------------------

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    @abstractmethod
    def transaction(self, durable: bool = True) -> AbstractContextManager[Cursor]:
        """A write transaction; one not `durable` may be lost (never half-kept) if the
        database's machine crashes right after it."""

    @abstractmethod
    def read(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """The rows of one query, outside any transaction."""

    @abstractmethod
    def stream(self, sql: str, params: Sequence[object] = ()) -> Iterator[Row]:
        """The rows of one query, a batch at a time (never all of them in memory)."""

    @abstractmethod
    def known_rows(self, db: Cursor, ids: Sequence[str]) -> dict[str, Row]:
        """The stored rows (id, url, feed, content_hash, published, date_is_guess) of `ids`."""

    @abstractmethod
    def fetch_lock(self) -> AbstractContextManager[None]:
        """Hold the store's fetch lock; a second fetch stops at once with a clear message."""

    @abstractmethod
    def problem(self, exc: Exception) -> Problem:
        """What the database's refusal means, in plain words, at the `store =` setting."""

    @property
    @abstractmethod
    def schema_version(self) -> int:
        """How many of the numbered migrations the store has had."""

    def lock_recipient(self, db: Cursor, key: int) -> None:
        """Serialise claims on one recipient inside `db`'s transaction (a backend whose
        write transactions already exclude each other has nothing to do)."""
        return

    def retrying(self, write: Callable[[], T]) -> T:
        """Run one whole write transaction; a backend that can lose its connection runs it
        again on a new one (the first was rolled back, or committed: both read the same)."""
        return write()

    # --- shared --------------------------------------------------------------------------

    def __enter__(self: S) -> S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @guarded
    def feed_states(self) -> dict[str, FeedState]:
        """What the store remembers of each feed: validators, a permanent move, newest date."""
        rows = self.read(
            """SELECT feeds.name, feeds.url, etag, last_modified, moved_to,
            (SELECT max(published) FROM articles WHERE articles.feed = feeds.name) AS newest
            FROM feeds"""
        )
        return {
            row["name"]: FeedState(
                row["url"],
                Validators(row["etag"], row["last_modified"]),
                row["moved_to"],
                datetime.fromisoformat(row["newest"]) if row["newest"] else None,
            )
            for row in rows
        }

    @guarded
    def save_feed(
        self,
        *,
        name: str,
        url: str,
        articles: tuple[Article, ...],
        status: int | None,
        validators: Validators,
        problem: str | None,
        moved_to: str | None = None,
        now: datetime | None = None,
        feed_order: Sequence[str] = (),
    ) -> SaveCounts:
        """Store one feed's articles and health in a single transaction; count the changes.

        A story carried by several feeds is stored once, in the version of the feed that
        comes first in `feed_order` (the settings' order); a feed later in the order only
        records that it carries the story. A feed no longer in the order gives way to any
        feed that is. So the stored version never depends on which feed answered first."""
        stamp = utc_stamp(now)
        rank = {feed: index for index, feed in enumerate(feed_order)}

        def outranks(holder: str) -> bool:
            return rank.get(name, len(rank)) < rank.get(holder, len(rank) + 1)

        def write() -> SaveCounts:
            unchanged = 0
            inserts: list[tuple[object, ...]] = []
            updates: list[tuple[object, ...]] = []
            with self.transaction(durable=False) as db:
                known = self.known_rows(db, [article.id for article in articles])
                clashes: list[str] = []
                for article in articles:
                    digest = content_hash(article)
                    row = known.get(article.id)
                    if row is not None and row["url"] != article.url:
                        clashes.append(article.url)
                        continue
                    values = article_to_row(article)
                    if row is None:
                        inserts.append((*values, digest, stamp, stamp))
                    elif row["content_hash"] == digest or (
                        row["feed"] != name and not outranks(row["feed"])
                    ):
                        unchanged += 1
                    else:
                        published = article.published
                        # An undated entry keeps the time we first saw it, not this fetch's.
                        if article.date_is_guess and row["date_is_guess"]:
                            published = datetime.fromisoformat(row["published"])
                        updates.append(
                            (
                                name,
                                article.title,
                                *values[6:15],
                                utc_stamp(published),
                                int(article.date_is_guess),
                                digest,
                                stamp,
                                article.id,
                            )
                        )
                if inserts:
                    db.executemany(
                        self.sql(
                            """INSERT INTO articles (id, url, title, feed, published,
                            date_is_guess, summary_html, summary_text, author, image_url,
                            image_alt, image_width, image_height, lang, categories,
                            content_hash, first_seen, updated)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
                        ),
                        inserts,
                    )
                carried = [(a.id, name) for a in articles if a.url not in clashes]
                if carried:
                    db.executemany(
                        self.sql(
                            "INSERT INTO article_feeds (article_id, feed) VALUES (?, ?) "
                            "ON CONFLICT DO NOTHING"
                        ),
                        carried,
                    )
                if updates:
                    db.executemany(
                        self.sql(
                            """UPDATE articles SET feed = ?, title = ?, summary_html = ?,
                            summary_text = ?, author = ?, image_url = ?, image_alt = ?,
                            image_width = ?, image_height = ?, lang = ?, categories = ?,
                            published = ?, date_is_guess = ?, content_hash = ?, updated = ?
                            WHERE id = ?"""
                        ),
                        updates,
                    )
                # A feed whose address changed in the settings starts afresh: the old
                # validators and redirect belong to the old address.
                db.execute(self.sql("DELETE FROM feeds WHERE name = ? AND url != ?"), (name, url))
                db.execute(
                    self.sql(
                        """INSERT INTO feeds (name, url, etag, last_modified, last_status,
                        last_fetched, last_new, last_problem, moved_to)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (name) DO UPDATE SET
                        etag = coalesce(excluded.etag, feeds.etag),
                        last_modified = coalesce(excluded.last_modified, feeds.last_modified),
                        last_status = excluded.last_status,
                        last_fetched = excluded.last_fetched,
                        last_new = coalesce(excluded.last_new, feeds.last_new),
                        last_problem = excluded.last_problem,
                        moved_to = coalesce(excluded.moved_to, feeds.moved_to)"""
                    ),
                    (
                        name,
                        url,
                        validators.etag,
                        validators.last_modified,
                        status,
                        stamp,
                        stamp if inserts else None,
                        problem,
                        moved_to,
                    ),
                )
                if inserts or updates:
                    self.changed(db)
            return SaveCounts(len(inserts), len(updates), unchanged, tuple(clashes))

        return self.retrying(write)

    def changed(self, db: Cursor) -> None:
        """Count one change of the articles, for a preview that follows the store."""
        db.execute("UPDATE changes SET counter = counter + 1")

    @guarded
    def change_counter(self) -> int:
        """A number that grows each time a fetch changes the articles."""
        rows = self.read("SELECT counter FROM changes")
        return int(rows[0]["counter"]) if rows else 0

    @guarded
    def get(self, id_or_url: str) -> Article | None:
        """The article with this short id, or at this URL (any spelling of it)."""
        key = id_or_url.strip()
        if "://" in key:
            key = article_id(key)
        rows = self.read(self.sql("SELECT * FROM articles WHERE id = ?"), (key.lower(),))
        return article_from_row(rows[0]) if rows else None

    @guarded
    def all_articles(self) -> list[Article]:
        """Every stored article, newest first (for small stores: the commands never ask)."""
        rows = self.read("SELECT * FROM articles ORDER BY published DESC, id")
        return [article_from_row(row) for row in rows]

    @guarded
    def similar(self, ref: str, around: int = 25) -> list[Article]:
        """Stored articles whose URL (or id, for a reference without `://`) is spelled like
        `ref`: the neighbours of `ref` in the index's order on each side, and those ending
        the same way. A few dozen at most, whatever the store's size."""
        column = "url" if "://" in ref else "id"
        key = ref.strip() if column == "url" else ref.strip().lower()
        tail = key.rstrip("/").rsplit("/", 1)[-1][-12:] if column == "url" else key[-4:]
        pattern = "%" + tail.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        queries = (
            (f"SELECT * FROM articles WHERE {column} >= ? ORDER BY {column} LIMIT ?", key),
            (f"SELECT * FROM articles WHERE {column} < ? ORDER BY {column} DESC LIMIT ?", key),
            (
                f"SELECT * FROM articles WHERE {column} LIKE ? ESCAPE '\\' "
                f"ORDER BY {column} LIMIT ?",
                pattern,
            ),
        )
        found: dict[str, Article] = {}
        for query, value in queries:
            if value == "%":
                continue
            for row in self.read(self.sql(query), (value, around)):
                found.setdefault(row["id"], article_from_row(row))
        return list(found.values())

    @guarded
    def articles_between(
        self,
        start: datetime,
        end: datetime,
        *,
        feed: str | None = None,
        search: str | None = None,
    ) -> list[Article]:
        """Articles published in [start, end), newest first, optionally of one feed or matching
        a text (in the title or summary, case-insensitive)."""
        query = "SELECT * FROM articles WHERE published >= ? AND published < ?"
        params: list[object] = [utc_stamp(start), utc_stamp(end)]
        if feed:
            query += " AND id IN (SELECT article_id FROM article_feeds WHERE feed = ?)"
            params.append(feed)
        if search:
            like = self.like
            query += f" AND (title {like} ? ESCAPE '\\' OR summary_text {like} ? ESCAPE '\\')"
            pattern = (
                "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            params += [pattern, pattern]
        query += " ORDER BY published DESC, id"
        return [article_from_row(row) for row in self.read(self.sql(query), params)]

    @guarded
    def count(self) -> int:
        """How many articles the store holds."""
        return int(self.read("SELECT count(*) AS n FROM articles")[0]["n"])

    @guarded
    def has_articles(self) -> bool:
        """True when the store holds at least one article (without counting them all)."""
        return bool(self.read("SELECT 1 AS one FROM articles LIMIT 1"))

    # --- the record of sends -------------------------------------------------------------

    def _copies(self, issue: str, target: str, state: str) -> dict[str, SentCopy]:
        rows = self.read(
            self.sql(
                "SELECT * FROM sends WHERE issue = ? AND target = ? AND state = ? "
                f"ORDER BY sent_at, {self.row_order}"
            ),
            (issue, target, state),
        )
        return {row["recipient"]: _sent_copy(row) for row in rows}

    @guarded
    def sent_copies(self, issue: str, target: str) -> dict[str, SentCopy]:
        """The latest copy of an issue (by slug) each recipient got through a target."""
        return self._copies(issue, target, "sent")

    @guarded
    def unsure_copies(self, issue: str, target: str) -> dict[str, SentCopy]:
        """The copies a send began to deliver and never recorded the answer of (it was
        killed, or lost its connection mid-message, or is delivering right now): each may have
        arrived. `sent_at` is when the delivery began; `owner` who began it."""
        return self._copies(issue, target, "sending")

    @guarded
    def claim_send(self, copy: SentCopy, *, again: bool = False) -> int | SentCopy:
        """Record, before delivery, that `copy` is about to go out: the claim's token, or the
        copy that stands in the way (one delivered already, unless `again`, or one whose
        delivery another send began). Claims on the same recipient are serialised, so two
        machines sending at the same moment deliver one copy between them."""
        issue, target, recipient = copy.issue, copy.target, copy.recipient

        def write() -> int | SentCopy:
            with self.transaction() as db:
                self.lock_recipient(db, recipient_lock_key(issue, target, recipient))
                db.execute(
                    self.sql(
                        "SELECT * FROM sends WHERE issue = ? AND target = ? AND recipient = ? "
                        f"AND state IN ('sending', 'sent') ORDER BY sent_at DESC, "
                        f"{self.row_order} DESC"
                    ),
                    (issue, target, recipient),
                )
                rows = db.fetchall()
                for row in rows:
                    if row["state"] == "sending" or not again:
                        return _sent_copy(row)
                db.execute(
                    self.sql(
                        "INSERT INTO sends (issue, target, recipient, sent_at, number, digest, "
                        f"state, owner) VALUES (?, ?, ?, ?, ?, ?, 'sending', ?) "
                        f"RETURNING {self.row_order} AS token"
                    ),
                    (
                        issue,
                        target,
                        recipient,
                        utc_stamp(copy.sent_at),
                        copy.number,
                        copy.digest,
                        owner(),
                    ),
                )
                return int(db.fetchone()["token"])

        return self.retrying(write)

    @guarded
    def confirm_send(self, token: int, sent_at: datetime) -> None:
        """The server accepted the claimed copy: it counts as sent from now on."""
        with self.transaction() as db:
            db.execute(
                self.sql(
                    f"UPDATE sends SET state = 'sent', sent_at = ? WHERE {self.row_order} = ?"
                ),
                (utc_stamp(sent_at), token),
            )

    @guarded
    def release_send(self, token: int) -> None:
        """The claimed copy certainly did not go out (the server refused it): forget it."""
        with self.transaction() as db:
            db.execute(
                self.sql(f"DELETE FROM sends WHERE {self.row_order} = ? AND state = 'sending'"),
                (token,),
            )

    @guarded
    def settle_unsure(self, issue: str, target: str, recipient: str) -> None:
        """The editor sends again to a recipient whose earlier copy is unsure: that copy is
        kept as `unsure` in the record, and no longer stands in the way."""
        with self.transaction() as db:
            self.lock_recipient(db, recipient_lock_key(issue, target, recipient))
            db.execute(
                self.sql(
                    "UPDATE sends SET state = 'unsure' WHERE issue = ? AND target = ? "
                    "AND recipient = ? AND state = 'sending'"
                ),
                (issue, target, recipient),
            )

    def record_sent(self, copy: SentCopy) -> None:
        """Record one delivered copy of an issue, in a transaction of its own."""
        token = self.claim_send(copy, again=True)
        if isinstance(token, int):
            self.confirm_send(token, copy.sent_at)

    # --- the link check's memory -----------------------------------------------------------

    @guarded
    def link_checks(self, urls: Sequence[str], since: datetime) -> dict[str, LinkCheck]:
        """The checks of `urls` made at `since` or later, by address (marked `cached`)."""
        found: dict[str, LinkCheck] = {}
        wanted = sorted(set(urls))
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            marks = ", ".join("?" for _ in batch)
            rows = self.read(
                self.sql(f"SELECT * FROM link_checks WHERE url IN ({marks}) AND checked_at >= ?"),
                (*batch, utc_stamp(since)),
            )
            for row in rows:
                found[row["url"]] = LinkCheck(
                    url=row["url"],
                    verdict=row["verdict"],
                    status=row["status"],
                    final_url=row["final_url"],
                    detail=row["detail"],
                    checked_at=datetime.fromisoformat(row["checked_at"]),
                    cached=True,
                )
        return found

    @guarded
    def save_link_checks(self, checks: Sequence[LinkCheck]) -> None:
        """Remember what a link check found (an address checked before is overwritten)."""
        if not checks:
            return
        sql = (
            "INSERT INTO link_checks (url, checked_at, verdict, status, final_url, detail) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
            "checked_at = excluded.checked_at, verdict = excluded.verdict, "
            "status = excluded.status, final_url = excluded.final_url, detail = excluded.detail"
        )
        values = [
            (c.url, utc_stamp(c.checked_at), c.verdict, c.status, c.final_url, c.detail)
            for c in checks
        ]
        with self.transaction(durable=False) as db:
            db.executemany(self.sql(sql), values)

    # --- moving a store --------------------------------------------------------------------

    def rows(self, table: str) -> Iterator[Row]:
        """Every row of one of `TABLES`, in the order of its key, a batch at a time."""
        columns = ", ".join(COLUMNS[table])
        order = ", ".join(TABLES[table])
        yield from self.stream(f"SELECT {columns} FROM {table} ORDER BY {order}")

    @guarded
    def table_size(self, table: str) -> int:
        """How many rows one of `TABLES` holds."""
        return int(self.read(f"SELECT count(*) AS n FROM {table}")[0]["n"])

    @guarded
    def put_rows(self, table: str, rows: Sequence[Row]) -> int:
        """Write rows of one of `TABLES` that the store lacks (a row already there by its key
        is brought up to date), in one transaction; how many were new or changed."""
        columns = COLUMNS[table]
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        values = [tuple(row[column] for column in columns) for row in rows]
        if table == "sends":
            match = " AND ".join(f"{c} = ?" for c in TABLES["sends"])
            sql = (
                f"INSERT INTO sends ({names}) SELECT {marks} WHERE NOT EXISTS "
                f"(SELECT 1 FROM sends WHERE {match})"
            )
            values = [(*value, *value[: len(TABLES["sends"])]) for value in values]
        else:
            key = ", ".join(TABLES[table])
            rest = [c for c in columns if c not in TABLES[table]]
            if rest:
                sets = ", ".join(f"{c} = excluded.{c}" for c in rest)
                differs = " OR ".join(f"{table}.{c} IS DISTINCT FROM excluded.{c}" for c in rest)
                sql = (
                    f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({key}) "
                    f"DO UPDATE SET {sets} WHERE {differs}"
                )
            else:
                sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING"
        if not values:
            return 0
        with self.transaction() as db:
            db.executemany(self.sql(sql), values)
            written = max(0, db.rowcount)
            if table == "articles" and written:
                self.changed(db)
        return written

    # --- helpers -------------------------------------------------------------------------

    def sql(self, text: str) -> str:
        """A shared query in the backend's placeholder style (`?`, SQLite's, as written)."""
        return text


def _sent_copy(row: Row) -> SentCopy:
    return SentCopy(
        issue=row["issue"],
        number=row["number"],
        target=row["target"],
        recipient=row["recipient"],
        sent_at=datetime.fromisoformat(row["sent_at"]),
        digest=row["digest"],
        owner=row["owner"],
        unsure=row["state"] == "sending",
    )


def row_digest(row: Row, columns: Sequence[str]) -> bytes:
    """A row's values as canonical bytes, the same from either backend (for `store copy`)."""
    return json.dumps([row[column] for column in columns], ensure_ascii=False).encode()


def open_store(location: Location, *, create: bool = True) -> Store:
    """Open (and bring up to date) the store a `store =` setting names. With `create=False`
    a missing SQLite file is not made (the reader gets an empty store in memory). Every way
    it can fail is a `ProblemsError`."""
    if isinstance(location, DatabaseUrl):
        from newsletter.store.postgres import PostgresStore

        return PostgresStore(location, create=create)
    from newsletter.store.sqlite import SqliteStore

    return SqliteStore(location, create=create)
