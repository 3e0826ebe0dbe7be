"""Stage 1½, the article store: the only module that writes the SQLite database.

Takes the articles of one fetched feed at a time and saves them in one transaction (WAL mode,
so a killed fetch leaves the last committed state); gives back `Article`s by id, by URL or by
week. The schema version lives in `PRAGMA user_version` and moves forward by numbered
migrations.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsletter.errors import Problem, ProblemsError
from newsletter.migrations import MIGRATIONS
from newsletter.models import Article, FeedState, SentCopy, Validators
from newsletter.records import article_from_row, article_to_row, content_hash, utc_stamp
from newsletter.urls import article_id


@dataclass(frozen=True, slots=True)
class SaveCounts:
    """How one feed's articles changed the store."""

    new: int
    updated: int
    unchanged: int
    # Addresses not stored because their short id is another stored story's (the id is 40
    # bits of a hash: a collision is rare by chance, and can be made on purpose).
    clashes: tuple[str, ...] = ()


def _store_problem(path: Path, exc: sqlite3.DatabaseError) -> Problem:
    """What SQLite's refusal to open or update the store means, in plain words."""
    text = str(exc).lower()
    if "readonly" in text or "unable to open" in text or "read-only" in text:
        return Problem(
            "cannot write the store: the file or its folder is read-only",
            path=path,
            hint="check the permissions of the file and its folder, or point `store =` in "
            "newsletter.toml at a folder you can write",
        )
    if "locked" in text or "busy" in text:
        return Problem(
            "the store is busy: another program holds it",
            path=path,
            hint="wait for the other `newsletter` command to finish, then run this again",
        )
    return Problem(
        f"the store is damaged and cannot be read ({exc})",
        path=path,
        hint="move it aside (keep it for a bug report) and run `newsletter fetch`: the store "
        "is rebuilt from the feeds, and issues already built keep their lock files",
    )


class Store:
    """An open article store; use as a context manager so the connection is closed."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        """Open (and bring up to date) the store at `path`. With `create=False` a missing
        store is not made: the reader gets an empty one in memory (`check` and `articles`
        leave no file behind). Every way the file can fail to open is a `ProblemsError`."""
        self.path = path
        try:
            if not create and not path.exists():
                self._db = sqlite3.connect(":memory:", isolation_level=None)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise ProblemsError([_store_problem(path, exc)]) from None
        except OSError as exc:  # the folder cannot be made
            raise ProblemsError(
                [
                    Problem(
                        f"cannot make the store's folder ({exc.strerror})",
                        path=path.parent,
                        hint="check the folder's permissions, or point `store =` in "
                        "newsletter.toml at a folder you can write",
                    )
                ]
            ) from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise ProblemsError(
                [
                    Problem(
                        f"the store was written by a newer version of newsletter (schema "
                        f"{version}; this version reads up to {len(MIGRATIONS)})",
                        path=self.path,
                        hint="upgrade newsletter (pip install --upgrade newsletter), or move "
                        "the store aside and run `newsletter fetch` to start a new one",
                    )
                ]
            )
        for number in range(version, len(MIGRATIONS)):
            migration = MIGRATIONS[number]
            with self._transaction() as db:
                if callable(migration):
                    migration(db)
                else:
                    for statement in migration.split(";"):
                        if statement.strip():
                            db.execute(statement)
                db.execute(f"PRAGMA user_version = {number + 1}")

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the database file."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def feed_states(self) -> dict[str, FeedState]:
        """What the store remembers of each feed: validators, a permanent move, newest date."""
        rows = self._db.execute(
            """SELECT feeds.name, feeds.url, etag, last_modified, moved_to,
            (SELECT max(published) FROM articles WHERE articles.feed = feeds.name) AS newest
            FROM feeds"""
        ).fetchall()
        return {
            row["name"]: FeedState(
                row["url"],
                Validators(row["etag"], row["last_modified"]),
                row["moved_to"],
                datetime.fromisoformat(row["newest"]) if row["newest"] else None,
            )
            for row in rows
        }

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

        def outranks(owner: str) -> bool:
            return rank.get(name, len(rank)) < rank.get(owner, len(rank) + 1)

        unchanged = 0
        inserts: list[tuple[object, ...]] = []
        updates: list[tuple[object, ...]] = []
        with self._transaction() as db:
            known: dict[str, sqlite3.Row] = {}
            ids = [article.id for article in articles]
            for chunk in range(0, len(ids), 500):  # stay under SQLite's variable limit
                part = ids[chunk : chunk + 500]
                marks = ",".join("?" * len(part))
                for row in db.execute(
                    "SELECT id, url, feed, content_hash, published, date_is_guess FROM articles "
                    f"WHERE id IN ({marks})",
                    part,
                ):
                    known[row["id"]] = row
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
                    # An undated entry keeps the time we first saw it, not this fetch's time.
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
            new, updated = len(inserts), len(updates)
            db.executemany(
                """INSERT INTO articles (id, url, title, feed, published, date_is_guess,
                summary_html, summary_text, author, image_url, image_alt, image_width,
                image_height, lang, categories, content_hash, first_seen, updated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                inserts,
            )
            db.executemany(
                "INSERT OR IGNORE INTO article_feeds (article_id, feed) VALUES (?, ?)",
                [(article.id, name) for article in articles if article.url not in clashes],
            )
            db.executemany(
                """UPDATE articles SET feed = ?, title = ?, summary_html = ?, summary_text = ?,
                author = ?, image_url = ?, image_alt = ?, image_width = ?,
                image_height = ?, lang = ?, categories = ?, published = ?,
                date_is_guess = ?, content_hash = ?, updated = ? WHERE id = ?""",
                updates,
            )
            # A feed whose address changed in the settings starts afresh: the old validators
            # and redirect belong to the old address.
            db.execute("DELETE FROM feeds WHERE name = ? AND url != ?", (name, url))
            db.execute(
                """INSERT INTO feeds (name, url, etag, last_modified, last_status, last_fetched,
                last_new, last_problem, moved_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET
                etag = coalesce(excluded.etag, feeds.etag),
                last_modified = coalesce(excluded.last_modified, feeds.last_modified),
                last_status = excluded.last_status, last_fetched = excluded.last_fetched,
                last_new = coalesce(excluded.last_new, feeds.last_new),
                last_problem = excluded.last_problem,
                moved_to = coalesce(excluded.moved_to, feeds.moved_to)""",
                (
                    name,
                    url,
                    validators.etag,
                    validators.last_modified,
                    status,
                    stamp,
                    stamp if new else None,
                    problem,
                    moved_to,
                ),
            )
        return SaveCounts(new, updated, unchanged, tuple(clashes))

    def get(self, id_or_url: str) -> Article | None:
        """The article with this short id, or at this URL (any spelling of it)."""
        key = id_or_url.strip()
        if "://" in key:
            key = article_id(key)
        row = self._db.execute("SELECT * FROM articles WHERE id = ?", (key.lower(),)).fetchone()
        return article_from_row(row) if row else None

    def all_articles(self) -> list[Article]:
        """Every stored article, newest first."""
        rows = self._db.execute("SELECT * FROM articles ORDER BY published DESC, id").fetchall()
        return [article_from_row(row) for row in rows]

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
        params: list[object] = [
            utc_stamp(start),
            utc_stamp(end),
        ]
        if feed:
            query += " AND id IN (SELECT article_id FROM article_feeds WHERE feed = ?)"
            params.append(feed)
        if search:
            query += " AND (title LIKE ? ESCAPE '\\' OR summary_text LIKE ? ESCAPE '\\')"
            pattern = (
                "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            params += [pattern, pattern]
        query += " ORDER BY published DESC, id"
        return [article_from_row(row) for row in self._db.execute(query, params).fetchall()]

    def count(self) -> int:
        """How many articles the store holds."""
        return int(self._db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def record_sent(self, copy: SentCopy) -> None:
        """Record one delivered copy of an issue, in a transaction of its own."""
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO sends (issue, target, recipient, sent_at, number, digest) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        copy.issue,
                        copy.target,
                        copy.recipient,
                        utc_stamp(copy.sent_at),
                        copy.number,
                        copy.digest,
                    ),
                )
        except sqlite3.DatabaseError as exc:
            raise ProblemsError([_store_problem(self.path, exc)]) from None

    def sent_copies(self, issue: str, target: str) -> dict[str, SentCopy]:
        """The latest copy of an issue (by slug) each recipient got through a target."""
        rows = self._db.execute(
            "SELECT * FROM sends WHERE issue = ? AND target = ? ORDER BY sent_at, rowid",
            (issue, target),
        ).fetchall()
        return {
            row["recipient"]: SentCopy(
                issue=row["issue"],
                number=row["number"],
                target=row["target"],
                recipient=row["recipient"],
                sent_at=datetime.fromisoformat(row["sent_at"]),
                digest=row["digest"],
            )
            for row in rows
        }


@contextmanager
def fetch_lock(store: Path) -> Iterator[None]:
    """Hold the store's fetch lock; a second fetch stops at once with a clear message.

    SQLite would serialise the writes anyway, but two fetches interleaving would double every
    request and muddle the health table; the lock file says which process holds it.
    """
    # Imported here: there is no fcntl on Windows, where every other command must still run.
    import fcntl

    lock_path = store.with_name(store.name + ".lock")
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        parent = store.parent
        why = "is a file, not a folder" if parent.exists() and not parent.is_dir() else None
        raise ProblemsError(
            [
                Problem(
                    f"cannot write beside the store: {parent.name}/ {why}"
                    if why
                    else f"cannot write beside the store ({exc.strerror})",
                    path=lock_path,
                    hint="check the folder's permissions, or point `store =` in "
                    "newsletter.toml at a folder you can write",
                )
            ]
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "another process"
            raise ProblemsError(
                [
                    Problem(
                        f"another `newsletter fetch` (process {holder}) is writing this store",
                        path=store,
                        hint="wait for it to finish, then run the fetch again",
                    )
                ]
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock, also when the process is killed
