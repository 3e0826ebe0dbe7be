"""Stage 1½, the article store in a SQLite file: the default, for a newsroom on one machine.

WAL mode, so that a killed fetch leaves the last committed feed and readers never wait for a
writer; write transactions begin IMMEDIATE, so they exclude each other from their start. The
schema version lives in `PRAGMA user_version`. The fetch lock is a file beside the store.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from newsletter.errors import Problem, ProblemsError
from newsletter.store import Cursor, Row, Store
from newsletter.store.schema import SQLITE_MIGRATIONS, newer_store


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


class SqliteStore(Store):
    """A store in a SQLite file."""

    driver_errors = (sqlite3.DatabaseError,)

    def __init__(self, path: Path, *, create: bool = True) -> None:
        """Open (and bring up to date) the store at `path`. With `create=False` a missing
        store is not made: the reader gets an empty one in memory (`check` and `articles`
        leave no file behind). Every way the file can fail to open is a `ProblemsError`."""
        self.location = self.path = path
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
            parent = path.parent
            blocked = next((p for p in (parent, *parent.parents) if p.is_file()), None)
            raise ProblemsError(
                [
                    Problem(
                        f"cannot make the store's folder: {blocked.name}/ is a file, not a folder"
                        if blocked is not None
                        else f"cannot make the store's folder ({exc.strerror})",
                        path=path.parent,
                        hint="check the folder's permissions, or point `store =` in "
                        "newsletter.toml at a folder you can write",
                    )
                ]
            ) from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db.cursor()
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def transaction(self, durable: bool = True) -> AbstractContextManager[Cursor]:
        """A write transaction, begun IMMEDIATE: it holds the file's write lock from the
        start (every commit is as durable as WAL with synchronous=NORMAL makes it)."""
        return self._transaction()

    def read(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """The rows of one query."""
        return list(self._db.execute(sql, params).fetchall())

    def stream(self, sql: str, params: Sequence[object] = ()) -> Iterator[Row]:
        """The rows of one query, as SQLite steps through them."""
        cursor = self._db.execute(sql, params)
        while batch := cursor.fetchmany(1000):
            yield from batch

    def known_rows(self, db: Cursor, ids: Sequence[str]) -> dict[str, Row]:
        """The stored rows of `ids`, asked for 500 at a time (SQLite's variable limit)."""
        known: dict[str, Row] = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            db.execute(
                "SELECT id, url, feed, content_hash, published, date_is_guess FROM articles "
                f"WHERE id IN ({marks})",
                part,
            )
            for row in db.fetchall():
                known[row["id"]] = row
        return known

    def fetch_lock(self) -> AbstractContextManager[None]:
        """The lock file beside the store (see `fetch_lock`)."""
        return fetch_lock(self.path)

    def problem(self, exc: Exception) -> Problem:
        """What SQLite's refusal means."""
        assert isinstance(exc, sqlite3.DatabaseError)
        return _store_problem(self.path, exc)

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(SQLITE_MIGRATIONS):
            raise ProblemsError([newer_store(version, path=self.path)])
        if version == len(SQLITE_MIGRATIONS):
            return
        with self._transaction() as db:
            # Read again under the write lock: another program may have migrated meanwhile.
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            for number in range(version, len(SQLITE_MIGRATIONS)):
                migration = SQLITE_MIGRATIONS[number]
                if callable(migration):
                    migration(self._db)
                else:
                    for statement in migration.split(";"):
                        if statement.strip():
                            db.execute(statement)
                # A PRAGMA takes no parameters; the number is ours, not a value from outside.
                db.execute(f"PRAGMA user_version = {number + 1:d}")

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the database file."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])


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
