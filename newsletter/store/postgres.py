"""Stage 1½, the article store on a PostgreSQL server: one store for every editor's machine
and a scheduled fetch.

psycopg 3, every value sent as a server-side parameter. libpq finds the password the usual
way (PGPASSWORD, ~/.pgpass, a PGSERVICE entry), so the URL never holds one. The connection is
in autocommit for reads; each write is a transaction of its own. Cross-machine exclusion is
by advisory locks on the server: one for a fetch (held by the session, so a killed fetch lets
go of it at once), one for migrations, one per recipient while a send claims a copy. A lost
connection is opened again, with backoff, for a bounded time (NEWSLETTER_STORE_WAIT seconds).
"""

from __future__ import annotations

import functools
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from itertools import count
from typing import TypeVar

import psycopg
from psycopg.rows import DictRow, dict_row

from newsletter.dburl import DatabaseUrl
from newsletter.errors import Problem, ProblemsError
from newsletter.store import Cursor, Row, Store, StoreLost
from newsletter.store.schema import LATEST, POSTGRES_MIGRATIONS, newer_store

T = TypeVar("T")
WAIT_VARIABLE = "NEWSLETTER_STORE_WAIT"
DEFAULT_WAIT = 10.0
# Advisory locks are (namespace, lock) pairs; the namespace is "news" in ASCII.
_NAMESPACE = 0x6E657773
_FETCH, _MIGRATE = 1, 2
_CURSORS = count()
# libpq's words for a server that is not (yet) there, worth trying again.
_TRANSIENT = (
    "connection refused",
    "could not connect",
    "timeout expired",
    "starting up",
    "shutting down",
    "server closed the connection",
    "no route to host",
    "network is unreachable",
    "too many clients",
    "could not receive data",
    "could not send data",
    "connection reset",
)


def store_wait(environ: dict[str, str] | None = None) -> float:
    """How long to keep trying to reach the server, in seconds (NEWSLETTER_STORE_WAIT)."""
    text = (os.environ if environ is None else environ).get(WAIT_VARIABLE, "")
    try:
        return max(0.0, float(text)) if text else DEFAULT_WAIT
    except ValueError:
        return DEFAULT_WAIT


@functools.lru_cache(maxsize=256)
def _placeholders(sql: str) -> str:
    # The shared queries hold no `%` of their own (patterns travel as parameters).
    assert "%" not in sql, sql
    return sql.replace("?", "%s")


def _reason(exc: BaseException) -> str:
    """libpq's message, on one line, without its "connection to server … failed:" preamble
    and its second-line advice, never with a password (libpq names none; PGPASSWORD's value
    is scrubbed all the same)."""
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = next((line for line in lines if not line.lower().startswith("is the server")), text)
    if "failed:" in first:
        first = first.rsplit("failed:", 1)[1].strip()
    first = first.removeprefix("FATAL:").strip()
    password = os.environ.get("PGPASSWORD")
    if password:
        first = first.replace(password, "***")
    return first.rstrip(".") or type(exc).__name__


def _transient(exc: psycopg.Error) -> bool:
    if exc.sqlstate in {"57P03", "53300"}:  # starting up; too many connections
        return True
    text = str(exc).lower()
    if any(word in text for word in ("password", "ssl", "certificate", "does not exist")):
        return False
    return exc.sqlstate is None and any(words in text for words in _TRANSIENT)


class PostgresStore(Store):
    """A store in a PostgreSQL database."""

    driver_errors = (psycopg.Error,)
    like = "ILIKE"
    row_order = "id"

    def __init__(self, url: DatabaseUrl, *, create: bool = True) -> None:
        """Connect (trying again for a while if the server is not there), and bring the
        schema up to date under the migration lock. Every failure is a `ProblemsError` at
        the `store =` setting."""
        self.location = self.url = url
        self.wait = store_wait()
        self._holds_fetch_lock = False
        self._conn = self._connect()
        try:
            self._migrate()
        except psycopg.Error as exc:
            self._conn.close()
            raise ProblemsError([self.problem(exc)]) from None
        except ProblemsError:
            self._conn.close()
            raise

    # --- the connection ------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[DictRow]:
        deadline = time.monotonic() + self.wait
        delay = 0.1
        while True:
            try:
                return psycopg.connect(
                    self.url.url,
                    autocommit=True,
                    row_factory=dict_row,
                    connect_timeout=max(2, min(10, int(self.wait) or 2)),
                    # Seen in pg_stat_activity, and named when this one holds the fetch lock.
                    application_name=f"newsletter on {socket.gethostname()}"[:40]
                    + f" ({os.getpid()})",
                )
            except psycopg.Error as exc:
                if not _transient(exc) or time.monotonic() + delay > deadline:
                    raise ProblemsError([self.problem(exc)]) from None
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def close(self) -> None:
        """Close the connection (which lets go of every lock it held)."""
        self._conn.close()

    def _lost(self) -> bool:
        # Also asked while connecting, before there is a connection to have lost.
        conn = getattr(self, "_conn", None)
        return conn is not None and (conn.closed or conn.broken)

    def retrying(self, write: Callable[[], T]) -> T:
        """Run the write; if the connection was lost, connect again and run it once more."""
        try:
            return write()
        except psycopg.OperationalError as exc:
            if not self._lost():
                raise
            first = exc
        try:
            self._conn = self._connect()
        except ProblemsError:
            raise StoreLost([self._lost_problem(first)]) from None
        if self._holds_fetch_lock and not self._try_lock(_FETCH):
            raise StoreLost(
                [
                    self._at(
                        "the connection to the store's server was lost, and another fetch "
                        "took the store meanwhile",
                        "the other fetch goes on; this one stops here",
                    )
                ]
            )
        return write()

    def _lost_problem(self, exc: BaseException) -> Problem:
        return self._at(
            f"the connection to the store's server {self.url.where} was lost "
            f"({_reason(exc)}) and did not come back within {self.wait:g} s",
            "what was stored before stays; run the command again once the server is back "
            f"({WAIT_VARIABLE} sets how long to wait for it)",
        )

    # --- what Store needs ----------------------------------------------------------------

    @contextmanager
    def _transaction(self, durable: bool) -> Iterator[psycopg.Cursor[DictRow]]:
        with self._conn.transaction(), self._conn.cursor() as cursor:
            if not durable:
                cursor.execute("SET LOCAL synchronous_commit = off")
            yield cursor

    def transaction(self, durable: bool = True) -> AbstractContextManager[Cursor]:
        """A write transaction. Not `durable`: the commit does not wait for the server's
        disk (a crash of the server may lose the last moments, never corrupt: fetch's own
        feeds, which the next fetch reads again)."""
        return self._transaction(durable)

    def read(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """The rows of one query."""
        return list(self._conn.execute(sql, params).fetchall())

    def stream(self, sql: str, params: Sequence[object] = ()) -> Iterator[Row]:
        """The rows of one query through a server-side cursor, 1,000 at a time."""
        with (
            self._conn.transaction(),
            self._conn.cursor(name=f"newsletter_{next(_CURSORS)}") as cursor,
        ):
            cursor.itersize = 1000
            cursor.execute(sql, params)
            yield from cursor

    def known_rows(self, db: Cursor, ids: Sequence[str]) -> dict[str, Row]:
        """The stored rows of `ids`, in one query (the ids travel as one array)."""
        if not ids:
            return {}
        db.execute(
            "SELECT id, url, feed, content_hash, published, date_is_guess FROM articles "
            "WHERE id = ANY(%s)",
            (list(ids),),
        )
        return {row["id"]: row for row in db.fetchall()}

    def sql(self, text: str) -> str:
        """A shared query with psycopg's placeholders."""
        return _placeholders(text)

    def lock_recipient(self, db: Cursor, key: int) -> None:
        """Two machines claiming the same recipient take turns."""
        db.execute("SELECT pg_advisory_xact_lock(%s)", (key,))

    def _try_lock(self, lock: int) -> bool:
        row = self._conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s) AS got", (_NAMESPACE, lock)
        ).fetchone()
        return bool(row and row["got"])

    @contextmanager
    def _fetch_lock(self) -> Iterator[None]:
        try:
            got = self._try_lock(_FETCH)
            holder = None if got else self._holder(_FETCH)
        except psycopg.Error as exc:
            raise ProblemsError([self.problem(exc)]) from None
        if not got:
            raise ProblemsError(
                [
                    self._at(
                        f"another `newsletter fetch` ({holder or 'on another machine'}) is "
                        f"writing the store {self.url.where}",
                        "wait for it to finish, then run the fetch again",
                    )
                ]
            )
        self._holds_fetch_lock = True
        try:
            yield
        finally:
            self._holds_fetch_lock = False
            if not self._lost():
                self._conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_NAMESPACE, _FETCH))

    def _holder(self, lock: int) -> str | None:
        row = self._conn.execute(
            """SELECT activity.application_name AS name FROM pg_locks
            JOIN pg_stat_activity AS activity USING (pid)
            WHERE locktype = 'advisory' AND granted AND database = (
                SELECT oid FROM pg_database WHERE datname = current_database())
            AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 2""",
            (_NAMESPACE, lock),
        ).fetchone()
        return str(row["name"]) if row and row["name"] else None

    def fetch_lock(self) -> AbstractContextManager[None]:
        """The fetch lock: an advisory lock of the session, so it holds across machines and
        ends with the connection, also when the process is killed."""
        return self._fetch_lock()

    def _at(self, message: str, hint: str) -> Problem:
        span = self.url.span
        return Problem(message, span=span, key="newsletter.store" if span else "", hint=hint)

    def problem(self, exc: Exception) -> Problem:
        """What the server's refusal means, at the `store =` setting."""
        reason = _reason(exc)
        state = getattr(exc, "sqlstate", None)
        text = str(exc).lower()
        where = self.url.where
        if state in {"28P01", "28000"} or "password" in text or "authentication" in text:
            return self._at(
                f"the server {where} refused the login ({reason})",
                "give the password to libpq, never in newsletter.toml: set PGPASSWORD, or add "
                "host:port:database:user:password to ~/.pgpass (chmod 600); check the user "
                "name in `store =`",
            )
        if state == "3D000" or ("database" in text and "does not exist" in text):
            return self._at(
                f"the server has no such database ({reason})",
                "create it (createdb NAME, as a user who may) or correct the name in `store =`",
            )
        if state == "25006":
            return self._at(
                f"the store's server {where} is read-only ({reason})",
                "point `store =` at the primary server, not a standby, or ask for a user "
                "who may write",
            )
        if state == "42501":
            return self._at(
                f"the database user may not use the store's tables ({reason})",
                "ask the database's owner to GRANT this user SELECT, INSERT, UPDATE and "
                "DELETE on the store's tables (or run the first command as the owner)",
            )
        if state is None and isinstance(exc, psycopg.OperationalError):
            if self._lost():
                return self._lost_problem(exc)
            return self._at(
                f"cannot reach the store's server {where} ({reason}); tried for {self.wait:g} s",
                "is PostgreSQL running there and listening on that address? `pg_isready` "
                f"tells; {WAIT_VARIABLE} sets how long to keep trying",
            )
        return self._at(f"the store's server {where} refused: {reason}", "")

    # --- the schema ----------------------------------------------------------------------

    def _version(self, cursor: psycopg.Cursor[DictRow] | psycopg.Connection[DictRow]) -> int:
        row = cursor.execute("SELECT to_regclass('newsletter_schema') AS found").fetchone()
        if not row or row["found"] is None:
            return 0
        row = cursor.execute("SELECT max(version) AS version FROM newsletter_schema").fetchone()
        return int(row["version"]) if row and row["version"] is not None else 0

    def _migrate(self) -> None:
        version = self._version(self._conn)
        if version > LATEST:
            raise ProblemsError([newer_store(version, span=self.url.span)])
        if version == LATEST:
            return
        # Two programs migrating at once take turns; the second finds the work done. The
        # lock is the session's, taken before the transaction begins: a transaction begun
        # after it sees the tables the first program made (the catalogue is read afresh at
        # a transaction's start, not when an advisory lock is granted).
        self._conn.execute("SELECT pg_advisory_lock(%s, %s)", (_NAMESPACE, _MIGRATE))
        try:
            with self._conn.transaction(), self._conn.cursor() as db:
                version = self._version(db)
                if version > LATEST:
                    raise ProblemsError([newer_store(version, span=self.url.span)])
                if version == 0:
                    db.execute("CREATE TABLE IF NOT EXISTS newsletter_schema (version INTEGER)")
                for number in range(version, LATEST):
                    for statement in POSTGRES_MIGRATIONS[number].split(";"):
                        if statement.strip():
                            db.execute(statement)
                db.execute("DELETE FROM newsletter_schema")
                db.execute("INSERT INTO newsletter_schema (version) VALUES (%s)", (LATEST,))
        finally:
            if not self._lost():
                self._conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_NAMESPACE, _MIGRATE))

    @property
    def schema_version(self) -> int:
        """The schema version recorded on the server."""
        return self._version(self._conn)
