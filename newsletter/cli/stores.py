"""Entry point, `store`: the store itself. `store copy SRC DST` moves a newsroom's store
between a SQLite file and a PostgreSQL server (either way), through
`newsletter.commands.store_copy`, with a progress bar, and prints each table's check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsletter.cli.shared import echo_json, handle_errors
from newsletter.dburl import BadDatabaseUrl, DatabaseUrl, is_database_url, parse_database_url


def _location(ctx: click.Context, param: click.Parameter, value: str) -> Path | DatabaseUrl:
    if not is_database_url(value):
        return Path(value)
    try:
        return parse_database_url(value)
    except BadDatabaseUrl as bad:
        raise click.BadParameter(f"{bad.message}; {bad.hint}") from None


@click.group()
def store() -> None:
    """The article store: move it between a SQLite file and a PostgreSQL server."""


@store.command("copy")
@click.argument("source", metavar="SRC", callback=_location)
@click.argument("destination", metavar="DST", callback=_location)
@click.option("--json", "as_json", is_flag=True, help="Print each table's result as JSON.")
@handle_errors
def copy(source: Path | DatabaseUrl, destination: Path | DatabaseUrl, as_json: bool) -> None:
    """Copy every article, feed state and send record from SRC into DST, and verify.

    SRC and DST are each a SQLite file (data/articles.sqlite3) or a postgresql:// URL
    (the password from PGPASSWORD or ~/.pgpass, never in the URL). Rows DST already has are
    brought up to date, so running it again writes nothing. Afterwards each table must hold
    the same rows in both (count and SHA-256 of every row); exit 1 when one does not.

    \b
      newsletter store copy data/articles.sqlite3 postgresql://editor@db.example.org/newsroom
    """
    from newsletter.commands.store_copy import copy_store, total_rows
    from newsletter.present import progress_bar

    with progress_bar("copying", total_rows(source), enabled=not as_json) as advance:

        def on_rows(table: str, count: int) -> None:
            for _ in range(count):
                advance(table)

        report = copy_store(source, destination, on_rows=on_rows)
    if as_json:
        echo_json(
            {
                "source": report.source,
                "destination": report.destination,
                "ok": report.ok,
                "tables": [
                    {"table": t.table, "rows": t.rows, "written": t.written, "same": t.same}
                    for t in report.tables
                ],
            }
        )
    else:
        for table in report.tables:
            check = "same in both" if table.same else "DIFFERS"
            click.echo(
                f"{table.table:14} {table.rows:>9,} rows, {table.written:>9,} written, {check}"
            )
    if not report.ok:
        click.echo("error: the destination does not hold the same rows as the source", err=True)
        sys.exit(1)
