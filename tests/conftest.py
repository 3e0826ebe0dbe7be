"""Shared fixtures: a copy of the demo newsroom in a temporary folder, a CLI runner, a real
HTTP server on 127.0.0.1 that serves feeds with the status, headers and delays a test asks for,
and `newsletter preview` run in a child process.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from playwright.sync_api import Browser, sync_playwright

from newsletter.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, chromium tries to reach update and sync services outside the machine.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--update-golden` rewrites the golden files under tests/golden/ from the current output
    instead of comparing against them; without it a golden test never writes."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current output instead of comparing",
    )


@pytest.fixture(scope="session", autouse=True)
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user cache folder (compiled templates) in a temporary folder for the whole run,
    child processes included, so tests never write to the real one."""
    folder = tmp_path_factory.mktemp("cache-home")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was given --update-golden."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def newsroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo newsroom (settings, sample feeds, sample issue) copied to a temporary folder,
    which becomes the current folder."""
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    shutil.copytree(ROOT / "feeds", tmp_path / "feeds")
    shutil.copytree(ROOT / "issues", tmp_path / "issues")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    """Run the command line in-process and return its result (exit code, stdout, stderr);
    tables are laid out 200 columns wide so that no cell wraps."""
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo newsroom with its store filled, shared by every case of a module (the rule
    tables of the issue file and the lock file)."""
    folder = tmp_path_factory.mktemp("room")
    shutil.copy(ROOT / "newsletter.toml", folder / "newsletter.toml")
    shutil.copytree(ROOT / "feeds", folder / "feeds")
    (folder / "issues").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        assert run("fetch").exit_code == 0
    return folder


def one_story_feed(title: str, path: str) -> bytes:
    """An RSS feed with one dated story, linked at https://example.org + `path`."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        f"<link>https://example.org/</link><item><title>{title}</title>"
        f"<link>https://example.org{path}</link>"
        "<pubDate>Tue, 24 Nov 2026 10:00:00 +0000</pubDate></item></channel></rss>"
    ).encode()


@dataclass
class Route:
    """What the test server answers for one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    gzip: bool = False
    then: list[Route] = field(default_factory=list)  # answers for the following requests
    drip: float = 0.0  # send the body one byte per `drip` seconds (for at most 20 s)
    drip_headers: bool = False  # drip the status line and headers too


@dataclass
class FeedServer:
    """A real HTTP server on 127.0.0.1; set `routes[path]` and read `requests`."""

    base: str
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]]

    def url(self, path: str) -> str:
        """The full URL of `path` on this server."""
        return self.base + path


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """Serve `routes` over HTTP on a free loopback port for the duration of a test."""
    routes: dict[str, Route] = {}
    requests: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = routes.get(self.path)
            if route is not None and route.then:
                # Serve this answer once; the next request gets the next one.
                routes[self.path] = Route(**{**route.then[0].__dict__, "then": route.then[1:]})
            if route is None:
                self.send_response(404)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"not found")
                return
            if route.delay:
                time.sleep(route.delay)
            etag = route.headers.get("ETag")
            modified = route.headers.get("Last-Modified")
            if (etag and self.headers.get("If-None-Match") == etag) or (
                not etag and modified and self.headers.get("If-Modified-Since") == modified
            ):
                self.send_response(304)
                self.end_headers()
                return
            body = gzip.compress(route.body) if route.gzip else route.body
            if route.drip:
                self._drip(route, body)
                return
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.gzip:
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _drip(self, route: Route, body: bytes) -> None:
            head = f"HTTP/1.1 {route.status} OK\r\nContent-Length: {len(body)}\r\n"
            head += "".join(f"{name}: {value}\r\n" for name, value in route.headers.items())
            payload = body
            if route.drip_headers:
                payload = (head + "\r\n").encode() + body
            else:
                self.wfile.write((head + "\r\n").encode())
            self.close_connection = True
            stop = time.monotonic() + 20  # bounded: the server stops by itself
            for index in range(len(payload)):
                if time.monotonic() > stop:
                    return
                try:
                    self.wfile.write(payload[index : index + 1])
                    self.wfile.flush()
                except OSError:
                    return  # the client gave up, as it should
                time.sleep(route.drip)

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # the default 5 drops bursts of connections (1 s retries)

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # A client that gives up early (timeouts, size caps) breaks the pipe; that is expected.
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FeedServer(f"http://127.0.0.1:{server.server_port}", routes, requests)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class PreviewProcess:
    """`newsletter preview` running in a child process; `url` is where it listens."""

    process: subprocess.Popen[str]
    url: str
    port: int
    first_line: str

    def state(self) -> dict[str, Any]:
        """The preview's /state.json."""
        with urllib.request.urlopen(self.url + "state.json", timeout=10) as answer:
            return json.loads(answer.read())  # type: ignore[no-any-return]

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15
    ) -> dict[str, Any]:
        """Poll /state.json until `predicate` holds for it; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if predicate(state):
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"the preview never got there; last state: {state}")
            time.sleep(0.05)

    def stop(self) -> tuple[int, str, str]:
        """Ctrl-C the preview and return its exit code, stdout and stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=10)
        return self.process.returncode, self.first_line + out, err


@contextmanager
def preview_process(folder: Path, *args: str) -> Iterator[PreviewProcess]:
    """Start `newsletter preview ARGS` in `folder` and wait until it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "preview", *args],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            process.kill()
            _, err = process.communicate(timeout=10)
            raise AssertionError(f"the preview did not start: {line!r} {err}")
        yield PreviewProcess(process, found.group(0), int(found.group(1)), line)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium through Playwright, one per test module. Playwright's sync API keeps
    an event loop running in this thread meanwhile: run commands in a child process."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: `make test` installs it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


# --- a throwaway PostgreSQL server, for the store's tests against both backends -------------


@dataclass
class PostgresServer:
    """A PostgreSQL cluster on 127.0.0.1 started for this run; `database()` makes a new one,
    `stop()` and `start()` take the server away and bring it back (for the faults' tests)."""

    port: int
    user: str
    pg_ctl: str
    data: Path
    options: str
    run_as: dict[str, Any] = field(default_factory=dict)
    made: int = 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new, empty database, and its URL."""
        import psycopg

        self.made += 1
        name = f"store_{os.getpid()}_{self.made}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def emptied(self, url: str) -> str:
        """The database at `url` with every store table emptied (the schema kept): a fresh
        store for each example of a property test, without a new database each time."""
        import psycopg

        from newsletter.store import TABLES

        with psycopg.connect(url, autocommit=True) as conn:
            have = {
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            }
            tables = [name for name in (*TABLES, "changes", "link_checks") if name in have]
            if tables:
                conn.execute("TRUNCATE " + ", ".join(f'"{name}"' for name in tables))
        return url

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        log = str(self.data.parent / "log")
        subprocess.run(
            [self.pg_ctl, "-D", str(self.data), "-o", self.options, "-l", log, "-w", "start"],
            check=True,
            capture_output=True,
            timeout=60,
            **self.run_as,
        )

    def stop(self) -> None:
        """Stop the server at once, as a crash or a pulled cable would."""
        subprocess.run(
            [self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            **self.run_as,
        )


def _postgres_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


@contextmanager
def started_postgres() -> Iterator[PostgresServer]:
    """Start PostgreSQL (Debian's, which `make test` installs) as an unprivileged user on a
    free port of 127.0.0.1, with trust for that address only; skip, saying why, if it cannot
    be started here. Stopped and removed on the way out."""
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL is not installed (make test installs Debian's postgresql)")
    run_as: dict[str, Any] = {}
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        import pwd

        try:
            pwd.getpwnam("postgres")
            run_as = {"user": "postgres", "group": "postgres"}
        except KeyError:
            run_as = {"user": "nobody"}
    import tempfile

    # Not under pytest's own temporary folder, which only its owner may enter.
    folder = Path(tempfile.mkdtemp(prefix="newsletter-postgres-"))
    data = folder / "data"
    if run_as:
        shutil.chown(folder, run_as["user"])
    with socket_port() as port:
        pass
    user = "newsroom"
    options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off"
    server = PostgresServer(port, user, pg_ctl, data, options, run_as)
    try:
        subprocess.run(
            [initdb, "-D", str(data), "-U", user, "-A", "trust", "--no-sync", "-E", "UTF8"],
            check=True,
            capture_output=True,
            **run_as,
        )
        server.start()
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"PostgreSQL could not be started here: {exc} {detail.decode()[-300:]}")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole run (see `started_postgres`)."""
    with started_postgres() as server:
        yield server


@contextmanager
def socket_port() -> Iterator[int]:
    """A free TCP port on 127.0.0.1 (closed again before it is used)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(params=["sqlite", "postgres"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Any]:
    """Where a new store goes, in each backend in turn: a SQLite file, or a fresh database
    on the throwaway server; call it for the location (for `open_store`)."""
    return lambda: backend_store(request, tmp_path)


BACKENDS = ["sqlite", "postgres"]


def backend_store(request: pytest.FixtureRequest, folder: Path) -> Any:
    """A new store location in the backend `request.param` names: a SQLite file in `folder`,
    or a fresh database on the throwaway server (for fixtures of any scope)."""
    from newsletter.dburl import parse_database_url

    if request.param == "sqlite":
        return folder / f"s{len(list(folder.glob('s*.sqlite3')))}.sqlite3"
    server: PostgresServer = request.getfixturevalue("postgres")
    return parse_database_url(server.database())


@pytest.fixture(params=BACKENDS)
def empty_store_at(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Any]:
    """For property tests: call it for the location of an empty store, in each backend in
    turn; each call empties it again (a new SQLite file, or the same database truncated), so
    one fixture serves every example without leaking state between them."""
    from newsletter.dburl import parse_database_url

    if request.param == "sqlite":
        return lambda: backend_store(request, tmp_path)
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.database()
    return lambda: parse_database_url(server.emptied(url))


@pytest.fixture(params=BACKENDS)
def store_setting(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The `store = …` line of a newsroom's `[newsletter]` table, in each backend in turn:
    nothing (the default SQLite file), or a fresh database on the throwaway server."""
    if request.param == "sqlite":
        return ""
    return f'store = "{backend_store(request, tmp_path).url}"\n'
