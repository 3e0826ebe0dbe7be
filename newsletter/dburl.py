"""Leaf: a `store =` that names a PostgreSQL server (`postgresql://…`) rather than a file.

The URL is checked here, when newsletter.toml is read, so that a mistake in it is reported at
its line and column before any command connects. A password is never accepted in it: the
settings file is shared and committed, and libpq already reads passwords from `PGPASSWORD`,
`~/.pgpass` and service files (`PGSERVICE`), so nothing of ours ever holds one, and no message
can show one.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from newsletter.errors import Span

SCHEMES = ("postgresql://", "postgres://")
_PASSWORD_HINT = (
    "remove the password from the URL and give it to libpq instead: set PGPASSWORD, or "
    "add a line host:port:database:user:password to ~/.pgpass (chmod 600)"
)


class BadDatabaseUrl(ValueError):
    """A `postgresql://` URL that cannot be used, with what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """A PostgreSQL store: its URL as written (never with a password) and where it was
    written, so that a server that cannot be reached is reported at that spot."""

    url: str
    span: Span | None = None

    def __str__(self) -> str:
        return self.url

    @property
    def where(self) -> str:
        """The server and database, for messages: `db.example.org:5432/newsroom`."""
        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        port = ":" + parts.netloc.rpartition(":")[2] if _port(parts.netloc) else ""
        database = unquote(parts.path.lstrip("/")) or "(the default database)"
        return f"{host}{port}/{database}"


def _port(netloc: str) -> bool:
    hosts = netloc.rpartition("@")[2]
    return ":" in hosts.rpartition("]")[2]


def is_database_url(text: str) -> bool:
    """True when a `store =` value names a server rather than a file."""
    return text.strip().lower().startswith(SCHEMES)


def parse_database_url(text: str, span: Span | None = None) -> DatabaseUrl:
    """The store a `postgresql://` URL names; raises `BadDatabaseUrl` (whose message never
    repeats a password) for one written with a password or that libpq cannot read."""
    parts = urlsplit(text)
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        raise BadDatabaseUrl("the store's URL holds a password", _PASSWORD_HINT)
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise BadDatabaseUrl(
            "the store's URL has a query that cannot be read",
            "write parameters as ?name=value&name=value, e.g. ?sslmode=require",
        ) from None
    port = (userinfo and parts.netloc.rpartition("@")[2]) or parts.netloc
    port_text = port.rpartition("]")[2].rpartition(":")[2] if ":" in port.rpartition("]")[2] else ""
    if port_text and not all(p.isdigit() for p in port_text.split(",")):
        raise BadDatabaseUrl(
            f"the store's URL cannot be read (the port '{port_text}' is not a number)",
            "write it as postgresql://USER@HOST:PORT/DATABASE, e.g. "
            "postgresql://editor@db.example.org:5432/newsroom",
        )
    if any(name.lower() == "password" for name, _ in query):
        raise BadDatabaseUrl("the store's URL holds a password", _PASSWORD_HINT)
    # Imported here: psycopg is needed only by a newsroom whose store is on a server.
    import psycopg.conninfo

    try:
        params = psycopg.conninfo.conninfo_to_dict(text)
    except psycopg.ProgrammingError as exc:
        # libpq's words name the part it could not read (never a password: one was refused
        # above), e.g. `invalid integer value "x" for connection option "port"`.
        reason = " ".join(str(exc).split()).removeprefix("missing ")
        raise BadDatabaseUrl(
            f"the store's URL cannot be read ({reason})",
            "write it as postgresql://USER@HOST:PORT/DATABASE, e.g. "
            "postgresql://editor@db.example.org/newsroom?sslmode=require",
        ) from None
    if "password" in params:
        raise BadDatabaseUrl("the store's URL holds a password", _PASSWORD_HINT)
    return DatabaseUrl(text, span)
