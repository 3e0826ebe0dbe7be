"""The shared store on a PostgreSQL server, end to end: two newsrooms (two clones) on one
database, the fetch lock across connections, the claims of sends, and every way the server
can refuse, each one line at the `store =` setting without a password in it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from newsletter.dburl import parse_database_url
from newsletter.store import open_store
from tests.conftest import ROOT, FeedServer, PostgresServer, run, started_postgres
from tests.test_commands import _one_line_error

NEWSLETTER = str(Path(sys.executable).with_name("newsletter"))


def _use(newsroom: Path, url: str) -> None:
    settings = newsroom / "newsletter.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace('store = "data/articles.sqlite3"', f'store = "{url}"'), encoding="utf-8"
    )


def test_two_clones_share_one_store_and_no_sqlite_file_appears(
    newsroom: Path, postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.database()
    _use(newsroom, url)
    other = tmp_path / "other-clone"
    shutil.copytree(newsroom, other)
    assert run("fetch", "--json").exit_code == 0
    # The second clone never fetched: it lists and builds from what the first stored.
    listed = subprocess.run(
        [NEWSLETTER, "articles", "--week", "2026-11-27"],
        cwd=other,
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) > 3
    built = subprocess.run(
        [NEWSLETTER, "build", "issues/2026-11-27.yaml"],
        cwd=other,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    assert (other / "build" / "2026-11-27" / "email.html").is_file()
    assert not list(newsroom.rglob("*.sqlite3*")) and not list(other.rglob("*.sqlite3*"))


def test_a_second_fetch_says_another_is_running(newsroom: Path, postgres: PostgresServer) -> None:
    url = postgres.database()
    _use(newsroom, url)
    with open_store(parse_database_url(url)) as holder, holder.fetch_lock():
        result = run("fetch")
    assert result.exit_code == 1
    line = _one_line_error(result.output)
    assert "newsletter.toml:" in line and "another `newsletter fetch` (newsletter on" in line
    assert run("fetch").exit_code == 0  # released with the connection


def test_a_password_in_the_url_is_refused_where_it_was_written(newsroom: Path) -> None:
    _use(newsroom, "postgresql://editor:s3cret-Word@db.example.org/newsroom")
    result = run("articles")
    assert result.exit_code == 1
    line = _one_line_error(result.output)
    assert line.startswith("newsletter.toml:9:9: error: ") or ":9:" in line
    assert "holds a password" in line
    assert "PGPASSWORD" in result.output and "~/.pgpass" in result.output
    assert "s3cret-Word" not in result.output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@127.0.0.1:notaport/db", "cannot be read"),
        ("postgresql://u@127.0.0.1/db?password=hunter2", "holds a password"),
        ("postgresql://u@127.0.0.1/db?nosuchoption=1", "cannot be read"),
    ],
)
def test_a_url_that_cannot_be_used_is_one_located_line(
    newsroom: Path, url: str, expected: str
) -> None:
    _use(newsroom, url)
    result = run("articles")
    assert result.exit_code == 1
    line = _one_line_error(result.output)
    assert "newsletter.toml:9:" in line and expected in line
    assert "hunter2" not in result.output


def test_a_server_that_is_down_is_tried_for_a_bounded_time_then_one_line(
    newsroom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import socket_port

    with socket_port() as port:
        pass
    monkeypatch.setenv("NEWSLETTER_STORE_WAIT", "0.5")
    _use(newsroom, f"postgresql://u@127.0.0.1:{port}/db")
    result = run("fetch")
    assert result.exit_code == 1
    line = _one_line_error(result.output)
    assert "newsletter.toml:9:" in line and "cannot reach the store's server" in line
    assert "tried for 0.5 s" in line


def test_a_refused_login_names_pgpassword_and_never_the_password(
    newsroom: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A role that must give a password, on a server that trusts only the others.
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS no_login_here")
        conn.execute("CREATE ROLE no_login_here LOGIN")
    _use(newsroom, f"postgresql://no_login_here@127.0.0.1:{postgres.port}/nosuchdb")
    monkeypatch.setenv("PGPASSWORD", "very-secret-value")
    result = run("articles")
    assert result.exit_code == 1
    line = _one_line_error(result.output)
    assert "newsletter.toml:9:" in line and "no such database" in line
    assert "very-secret-value" not in result.output


def test_a_store_newer_than_the_program_is_refused(
    newsroom: Path, postgres: PostgresServer
) -> None:
    url = postgres.database()
    _use(newsroom, url)
    with open_store(parse_database_url(url)):
        pass
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE newsletter_schema SET version = 99")
    result = run("articles")
    assert result.exit_code == 1
    assert "written by a newer version of newsletter (schema 99" in _one_line_error(result.output)


def test_two_programs_migrating_at_once_leave_one_whole_schema(postgres: PostgresServer) -> None:
    url = postgres.database()
    code = (
        "import sys; from newsletter.dburl import parse_database_url\n"
        "from newsletter.store import open_store\n"
        "from newsletter.errors import ProblemsError\n"
        f"try:\n    open_store(parse_database_url({url!r})).close()\n"
        "except ProblemsError as e:\n    sys.exit(str(e.problems))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT version FROM newsletter_schema").fetchall()
    from newsletter.store.schema import LATEST

    assert rows == [(LATEST,)]


def test_a_test_copy_sent_from_one_clone_is_not_sent_again_from_the_other(
    newsroom: Path, postgres: PostgresServer, tmp_path: Path
) -> None:
    from tests.mailserver import Inbox, mail_server

    url = postgres.database()
    _use(newsroom, url)
    other = tmp_path / "other-clone"
    shutil.copytree(newsroom, other)
    assert run("fetch").exit_code == 0
    inbox = Inbox()
    with mail_server(inbox) as port:
        target = f"smtp://127.0.0.1:{port}"
        args = ["send", "issues/2026-11-27.yaml", "--to", target, "--rcpt", "me@example.org"]
        # Both clones at the same moment: one copy goes out between them.
        procs = [
            subprocess.Popen(
                [NEWSLETTER, *args], cwd=where, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for where in (newsroom, other)
        ]
        outputs = [proc.communicate(timeout=120) for proc in procs]
        again = subprocess.run(
            [NEWSLETTER, *args], cwd=other, capture_output=True, text=True, timeout=120
        )
    assert inbox.recipients == ["me@example.org"], outputs
    assert sorted(proc.returncode for proc in procs) == [0, 1], outputs
    assert again.returncode == 1 and "already sent issue" in again.stderr


def test_store_copy_moves_a_newsroom_to_the_server_and_back_idempotently(
    newsroom: Path, postgres: PostgresServer
) -> None:
    import json

    assert run("fetch").exit_code == 0
    sqlite_store = newsroom / "data" / "articles.sqlite3"
    with open_store(sqlite_store) as store:
        from datetime import UTC, datetime

        from newsletter.models import SentCopy

        store.record_sent(
            SentCopy("2026-11-27", 42, "smtp://m:25", "a@example.org", datetime.now(UTC), "d")
        )
        articles = store.count()
    url = postgres.database()
    there = run("store", "copy", str(sqlite_store), url, "--json")
    assert there.exit_code == 0, there.output
    report = json.loads(there.stdout)
    assert (
        report["ok"] and {t["table"]: t["rows"] for t in report["tables"]}["articles"] == articles
    )
    assert all(t["written"] == t["rows"] for t in report["tables"])
    again = json.loads(run("store", "copy", str(sqlite_store), url, "--json").stdout)
    assert again["ok"] and all(t["written"] == 0 for t in again["tables"])
    back = newsroom / "back.sqlite3"
    home = run("store", "copy", url, str(back), "--json")
    assert home.exit_code == 0 and json.loads(home.stdout)["ok"]
    with open_store(back) as store:
        assert store.count() == articles
        assert set(store.sent_copies("2026-11-27", "smtp://m:25")) == {"a@example.org"}
    refused = run("store", "copy", str(sqlite_store), "postgresql://u:pw@127.0.0.1/x")
    assert refused.exit_code == 2 and "PGPASSWORD" in refused.output and "pw@" not in refused.output


def _slow_newsroom(folder: Path, feed_server: FeedServer, url: str) -> None:
    """A newsroom of forty slow feeds (a fetch of a few seconds) whose store is at `url`."""
    from tests.test_fetch_command import _settings, forty_slow_feeds

    _settings(folder, feed_server, forty_slow_feeds(feed_server))
    settings = folder / "newsletter.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            "[newsletter]\n", f'[newsletter]\nstore = "{url}"\n'
        ),
        encoding="utf-8",
    )


def _when_feeds_stored(url: str, at_least: int) -> None:
    """Wait (up to 20 s) until the fetch writing to `url` has stored `at_least` feeds."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT count(*) FROM feeds").fetchone()
                if row and row[0] >= at_least:
                    # The fetch commits without waiting for the disk (a lost feed is fetched
                    # again): a commit that does wait flushes the log up to here, so the
                    # feeds seen are the ones a crash keeps.
                    conn.execute("SELECT txid_current()")
                    conn.commit()
                    return
        except psycopg.Error:
            pass
        time.sleep(0.02)
    raise AssertionError(f"the fetch did not store {at_least} feeds in 20 s")


def _per_feed(url: str) -> tuple[list[str], dict[str, int]]:
    with psycopg.connect(url) as conn:
        stored = [name for (name,) in conn.execute("SELECT name FROM feeds")]
        per_feed = dict(conn.execute("SELECT feed, count(*) FROM articles GROUP BY feed"))
    return stored, per_feed


def test_a_fetch_killed_mid_way_leaves_every_finished_feed_and_lets_go_of_the_lock(
    tmp_path: Path, postgres: PostgresServer, feed_server: FeedServer
) -> None:
    url = postgres.database()
    _slow_newsroom(tmp_path, feed_server, url)
    child = subprocess.Popen([NEWSLETTER, "fetch"], cwd=tmp_path, stderr=subprocess.DEVNULL)
    _when_feeds_stored(url, 3)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    stored, per_feed = _per_feed(url)
    assert 0 < len(stored) < 40
    assert all(count == 30 for count in per_feed.values())  # no feed is half-stored
    time.sleep(0.5)  # the server notices the closed connection and drops its lock
    again = subprocess.run(
        [NEWSLETTER, "fetch", "--json"], cwd=tmp_path, capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["articles"] == 1200
    assert not list(tmp_path.rglob("*.sqlite3*"))


def test_a_read_only_server_is_one_located_line_and_loses_nothing(
    newsroom: Path, postgres: PostgresServer
) -> None:
    url = postgres.database()
    _use(newsroom, url)
    assert run("fetch").exit_code == 0
    listed = run("articles", "--week", "2026-11-27", "--json").output
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    refused = run("fetch", "--json")
    assert refused.exit_code == 1 and not refused.stdout
    line = _one_line_error(refused.output)
    assert "newsletter.toml:9:1: error:" in line and "is read-only" in line
    assert "0 of 3 feeds were stored before" in line
    assert "point `store =` at the primary server" in refused.output
    assert "nothing was written" in refused.output
    # What was stored is all there, and everything that only reads goes on working.
    assert run("articles", "--week", "2026-11-27", "--json").output == listed
    assert run("build", "issues/2026-11-27.yaml").exit_code == 0


def test_a_connection_cut_mid_fetch_is_opened_again_and_the_fetch_finishes(
    tmp_path: Path, postgres: PostgresServer, feed_server: FeedServer
) -> None:
    url = postgres.database()
    _slow_newsroom(tmp_path, feed_server, url)
    child = subprocess.Popen(
        [NEWSLETTER, "fetch", "--json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _when_feeds_stored(url, 3)
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        cut = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name LIKE 'newsletter on %%'",
            (url.rsplit("/", 1)[1],),
        ).fetchall()
    assert cut == [(True,)]
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert json.loads(out)["articles"] == 1200
    stored, per_feed = _per_feed(url)
    assert len(stored) == 40 and set(per_feed.values()) == {30}


def test_a_server_gone_mid_fetch_is_waited_for_then_one_line_and_the_finished_feeds_stay(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    with started_postgres() as server:  # its own server, to take away from under the fetch
        url = server.database()
        _slow_newsroom(tmp_path, feed_server, url)
        child = subprocess.Popen(
            [NEWSLETTER, "fetch", "--json"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NEWSLETTER_STORE_WAIT": "1"},
        )
        _when_feeds_stored(url, 3)
        server.stop()
        started = time.monotonic()
        out, err = child.communicate(timeout=60)
        assert time.monotonic() - started < 15  # a bounded wait, then it gives up
        assert child.returncode == 1 and not out
        line = _one_line_error(err)
        assert "newsletter.toml:" in line and "was lost" in line and "within 1 s" in line
        assert "feeds were stored before, the others were not" in line
        assert "Traceback" not in err and "nothing was written" not in err
        server.start()
        stored, per_feed = _per_feed(url)
        assert 3 <= len(stored) < 40
        assert all(count == 30 for count in per_feed.values())  # no feed is half-stored
        again = subprocess.run(
            [NEWSLETTER, "fetch", "--json"], cwd=tmp_path, capture_output=True, text=True
        )
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["articles"] == 1200
