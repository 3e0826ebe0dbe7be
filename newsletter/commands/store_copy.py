"""Command `store copy`: every article, feed state and send record of one store written into
another (SQLite into PostgreSQL when a newsroom moves to a server, and back). Takes two store
locations; gives a `CopyReport` with, for each table, how many rows the source holds, how many
were new or changed in the destination, and whether the destination now holds the same rows
(the same count and the same SHA-256 over every row, read in key order from each).

Rows already in the destination are brought up to date by their key, so a second copy writes
nothing. Written a batch at a time, each batch one transaction, so a copy stopped half-way
leaves whole rows and the next copy finishes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from newsletter.errors import Problem, ProblemsError
from newsletter.store import COLUMNS, TABLES, Location, Store, open_store, row_digest

BATCH = 1000


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table's copy: rows in the source, rows written, and the check afterwards."""

    table: str
    rows: int
    written: int
    same: bool


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What a copy did, table by table."""

    source: str
    destination: str
    tables: tuple[TableCopy, ...]

    @property
    def ok(self) -> bool:
        """True when every table reads the same in both stores."""
        return all(table.same for table in self.tables)


def table_digest(store: Store, table: str) -> tuple[int, str]:
    """A table's row count and the SHA-256 of its rows in key order."""
    digest = hashlib.sha256()
    count = 0
    for row in store.rows(table):
        digest.update(row_digest(row, COLUMNS[table]))
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def copy_store(
    source: Location,
    destination: Location,
    *,
    on_rows: Callable[[str, int], None] | None = None,
) -> CopyReport:
    """Copy every row of `source` into `destination` and verify; `on_rows(table, n)` is
    called as each batch is written (for a progress bar)."""
    if str(source) == str(destination):
        raise ProblemsError(
            [Problem("the source and the destination are the same store", hint="name two")]
        )
    tables = []
    with open_store(source, create=False) as src, open_store(destination) as dst:
        for table in TABLES:
            written = 0
            batch = []
            for row in src.rows(table):
                batch.append(dict(row))
                if len(batch) == BATCH:
                    written += dst.put_rows(table, batch)
                    if on_rows:
                        on_rows(table, len(batch))
                    batch = []
            if batch:
                written += dst.put_rows(table, batch)
                if on_rows:
                    on_rows(table, len(batch))
            rows, theirs = table_digest(src, table)
            dst_rows, ours = table_digest(dst, table)
            tables.append(TableCopy(table, rows, written, rows == dst_rows and theirs == ours))
    return CopyReport(str(source), str(destination), tuple(tables))


def total_rows(source: Location) -> int:
    """How many rows a copy of `source` moves (for the progress bar's length)."""
    with open_store(source, create=False) as src:
        return sum(src.table_size(table) for table in TABLES)
