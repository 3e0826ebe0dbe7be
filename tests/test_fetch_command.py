"""`newsletter fetch` and `newsletter articles` end to end: a real server, a real SQLite file,
concurrent runs, a fetch killed with SIGKILL, and weeks across a daylight-saving change."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsletter.store.sqlite import fetch_lock
from newsletter.week import week_bounds
from tests.conftest import FeedServer, Route, run


def _item(title: str, path: str, day: int, base: str = "https://example.org") -> str:
    return (
        f"<item><title>{title}</title><link>{base}{path}</link>"
        f"<pubDate>{['Sat', 'Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri'][(day + 1) % 7]}, "
        f"{day:02d} Nov 2026 10:00:00 +0000</pubDate></item>"
    )


def _rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        "<link>https://example.org/</link>" + "".join(items) + "</channel></rss>"
    ).encode()


def _settings(
    folder: Path, server: FeedServer, paths: dict[str, str], timezone: str = "Asia/Kabul"
) -> None:
    feeds = "".join(
        f'[[feeds]]\nname = "{name}"\nurl = "{server.url(path)}"\n' for name, path in paths.items()
    )
    (folder / "newsletter.toml").write_text(
        f'[newsletter]\nname = "Test Briefing"\nfrom = "t@example.org"\n'
        f'timezone = "{timezone}"\n\n{feeds}',
        encoding="utf-8",
    )


def test_health_table_names_every_problem_and_strict_fails(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    feed_server.routes["/ok"] = Route(
        _rss(_item("Flour Prices Rise", "/a/1", 24)), headers={"ETag": '"1"'}
    )
    feed_server.routes["/page"] = Route(b"<html><body>hi</body></html>")
    _settings(tmp_path, feed_server, {"healthy": "/ok", "broken": "/page", "gone": "/404"})
    result = run("fetch")
    assert result.exit_code == 0
    assert "an HTML page, not a feed: check the address" in result.output
    assert "HTTP 404: the feed is not at this address any more" in result.output
    assert "1 articles in the store; 1 of 3 feeds read, 2 failed." in result.output
    assert run("fetch", "--strict").exit_code == 1
    report = json.loads(run("fetch", "--json").output)
    assert [(f["name"], f["status"], f["not_modified"]) for f in report["feeds"]] == [
        ("healthy", 304, True),
        ("broken", 200, False),
        ("gone", 404, False),
    ]


def test_a_fetch_shared_by_worker_processes_reports_and_stores_like_one(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    paths = {}
    for number in range(8):
        feed_server.routes[f"/n{number}"] = Route(
            _rss(_item(f"Story {number}", f"/n/{number}", 20 + number % 7)),
            headers={"ETag": f'"{number}"'},
        )
        paths[f"n{number}"] = f"/n{number}"
    # One story in two feeds (dealt to different workers), an HTML page and a missing feed.
    feed_server.routes["/again"] = Route(_rss(_item("Story 0", "/n/0?utm_source=again", 20)))
    feed_server.routes["/page"] = Route(b"<html><body>hi</body></html>")
    paths.update({"again": "/again", "page": "/page", "gone": "/404"})
    _settings(tmp_path, feed_server, paths)
    report = json.loads(run("fetch", "--json").output)
    assert [f["name"] for f in report["feeds"]] == list(paths)  # the settings' order
    assert report["articles"] == 8  # the story carried twice is stored once
    problems = {f["name"]: f["problem"] for f in report["feeds"] if f["problem"]}
    assert problems == {
        "page": "an HTML page, not a feed: check the address",
        "gone": "HTTP 404: the feed is not at this address any more; check the URL",
    }
    again = json.loads(run("fetch", "--json").output)
    assert [f["name"] for f in again["feeds"] if f["not_modified"]] == [f"n{n}" for n in range(8)]


def test_the_fetch_limits_in_the_settings_apply(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    feed_server.routes["/slow"] = Route(_rss(_item("Late", "/late", 24)), delay=1.5)
    _settings(tmp_path, feed_server, {"slow": "/slow"})
    with (tmp_path / "newsletter.toml").open("a", encoding="utf-8") as settings:
        settings.write("[fetch]\nread_timeout = 0.3\n")
    report = json.loads(run("fetch", "--json").output)
    assert report["feeds"][0]["problem"] == "the server took too long to answer (timeout)"
    assert report["feeds"][0]["seconds"] < 1.0


def test_the_same_story_in_two_feeds_is_listed_once(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    feed_server.routes["/one"] = Route(_rss(_item("Dam Talks Open", "/s/1?utm_source=one", 24)))
    feed_server.routes["/two"] = Route(
        _rss(_item("Dam Talks Open", "/s/1#x", 24), _item("Other", "/s/2", 25))
    )
    _settings(tmp_path, feed_server, {"one": "/one", "two": "/two"})
    assert run("fetch").exit_code == 0
    listed = json.loads(run("articles", "--week", "2026-11-27", "--json").output)
    assert sorted(a["title"] for a in listed) == ["Dam Talks Open", "Other"]
    only_one = json.loads(run("articles", "--week", "2026-11-27", "--feed", "one", "--json").output)
    assert [a["title"] for a in only_one] == ["Dam Talks Open"]
    in_two = json.loads(run("articles", "--week", "2026-11-27", "--feed", "two", "--json").output)
    assert [a["title"] for a in in_two] == ["Other", "Dam Talks Open"]
    found = json.loads(run("articles", "--week", "2026-11-27", "--search", "dam", "--json").output)
    assert [a["url"] for a in found] == ["https://example.org/s/1"]


def test_a_second_fetch_stops_with_a_clear_message(tmp_path: Path) -> None:
    store = tmp_path / "data" / "articles.sqlite3"
    with fetch_lock(store):
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from newsletter.store.sqlite import fetch_lock\n"
                "from newsletter.errors import ProblemsError\n"
                f"try:\n    with fetch_lock(Path({str(store)!r})): pass\n"
                "except ProblemsError as e:\n    print(e.problems[0].message); sys.exit(1)",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    assert probe.returncode == 1
    assert probe.stdout.strip() == (
        f"another `newsletter fetch` (process {os.getpid()}) is writing this store"
    )
    with fetch_lock(store):  # released when the holder let go
        pass


def forty_slow_feeds(feed_server: FeedServer) -> dict[str, str]:
    """Forty feeds of 30 stories, answering after up to 0.35 s: a fetch long enough to kill."""
    paths = {}
    for number in range(40):
        items = [_item(f"Story {number}-{i}", f"/k/{number}/{i}", 20 + i % 7) for i in range(30)]
        feed_server.routes[f"/k{number}"] = Route(_rss(*items), delay=0.05 * (number % 8))
        paths[f"k{number}"] = f"/k{number}"
    return paths


def test_a_fetch_killed_mid_way_leaves_a_sound_store(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    _settings(tmp_path, feed_server, forty_slow_feeds(feed_server))
    child = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "fetch"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    store = tmp_path / "data" / "articles.sqlite3"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if store.exists():
            try:
                with sqlite3.connect(store, timeout=1) as db:
                    if db.execute("SELECT count(*) FROM feeds").fetchone()[0] >= 3:
                        break
            except sqlite3.OperationalError:
                pass
        time.sleep(0.02)
    workers = [pid for pid in _processes_in(tmp_path) if pid != child.pid]
    cores = os.cpu_count() or 1
    assert len(workers) == (cores if cores > 1 else 0)  # the fetch's worker processes
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    # Its worker processes notice and exit instead of lingering.
    deadline = time.monotonic() + 5
    while _processes_in(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_in(tmp_path) == []
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        per_feed = dict(db.execute("SELECT feed, count(*) FROM articles GROUP BY feed"))
        stored = [name for (name,) in db.execute("SELECT name FROM feeds")]
    assert 0 < len(stored) < 40
    assert all(count == 30 for count in per_feed.values())  # no feed is half-stored
    again = subprocess.run(
        [sys.executable, "-m", "newsletter", "fetch", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["articles"] == 1200


def _processes_in(folder: Path) -> list[int]:
    """The processes (other than this one) whose current folder is `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if (entry / "cwd").resolve() == folder.resolve():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_week_across_a_daylight_saving_change_has_its_real_length() -> None:
    prague = ZoneInfo("Europe/Prague")
    start, end = week_bounds(date(2026, 10, 30), prague)  # clocks go back on October 25
    # Subtract in UTC: Python subtracts datetimes of the same zone as wall-clock times.
    assert (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == 7 * 24 * 3600 + 3600
    assert start.isoformat() == "2026-10-24T00:00:00+02:00"
    assert end.isoformat() == "2026-10-31T00:00:00+01:00"
    spring_start, spring_end = week_bounds(date(2026, 4, 2), prague)  # forward on March 29
    length = spring_end.astimezone(UTC) - spring_start.astimezone(UTC)
    assert length.total_seconds() == 7 * 24 * 3600 - 3600


def test_articles_lists_the_week_in_local_time(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    feed_server.routes["/w"] = Route(
        _rss(_item("Inside", "/w/1", 26), _item("Too Old", "/w/2", 13), _item("After", "/w/3", 28))
    )
    _settings(tmp_path, feed_server, {"w": "/w"})
    run("fetch")
    listed = run("articles", "--week", "2026-11-27")
    assert "Inside" in listed.output and "2026-11-26 14:30" in listed.output
    assert "Too Old" not in listed.output and "After" not in listed.output
    bad = run("articles", "--week", "27/11/2026")
    assert bad.exit_code == 2
    assert "expected a date as YYYY-MM-DD, found '27/11/2026'" in bad.output


def test_a_moved_feed_is_fetched_at_its_new_address_next_time(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    feed_server.routes["/old"] = Route(status=308, headers={"Location": "/new"})
    feed_server.routes["/new"] = Route(_rss(_item("Moved", "/m/1", 24)), headers={"ETag": '"m"'})
    _settings(tmp_path, feed_server, {"moving": "/old"})
    first = json.loads(run("fetch", "--json").output)["feeds"][0]
    assert first["moved_to"] == feed_server.url("/new")
    assert first["notes"] == [
        f"moved permanently to {feed_server.url('/new')}; update newsletter.toml"
    ]
    feed_server.requests.clear()
    second = json.loads(run("fetch", "--json").output)["feeds"][0]
    assert second["not_modified"] is True
    assert [path for path, _ in feed_server.requests] == ["/new"]


def test_a_feed_with_nothing_new_for_weeks_is_flagged(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    old = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><link>https://e.org/</link>'
        b"<item><title>Old</title><link>https://e.org/o/1</link>"
        b"<pubDate>Mon, 05 Jan 2026 10:00:00 +0000</pubDate></item></channel></rss>"
    )
    feed_server.routes["/old"] = Route(old)
    _settings(tmp_path, feed_server, {"quiet": "/old"})
    notes = json.loads(run("fetch", "--json").output)["feeds"][0]["notes"]
    assert (
        len(notes) == 1 and notes[0].startswith("nothing new for ") and notes[0].endswith(" days")
    )


def test_a_second_fetch_command_while_one_runs_stops_cleanly(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.routes["/slow"] = Route(_rss(_item("Slow", "/s/1", 24)), delay=3.0)
    _settings(tmp_path, feed_server, {"slow": "/slow"})
    first = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "fetch"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not feed_server.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.run(
            [sys.executable, "-m", "newsletter", "fetch"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        assert first.wait(timeout=30) == 0
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    assert f"error: another `newsletter fetch` (process {first.pid}) is writing this store" in (
        second.stderr
    )
    assert "hint: wait for it to finish, then run the fetch again" in second.stderr
