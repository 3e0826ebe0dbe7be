"""The preview without a browser: the workspace (what it builds, what it watches, what it
never writes), every route of the app in-process, and the server as a child process (its
port, its live rebuilds, its stop)."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from newsletter.commands.build import build_issue
from newsletter.config import find_config, load_settings
from newsletter.errors import NewsletterError
from newsletter.preview.app import Hub, allowed_hosts, create_app
from newsletter.preview.server import bind
from newsletter.preview.workspace import Workspace
from newsletter.render.theme import default_theme
from tests.conftest import BACKENDS, PostgresServer, preview_process, run

ISSUE = Path("issues/2026-11-27.yaml")
DARI = Path("issues/2026-11-27-fa.yaml")


def save(path: Path, text: str) -> None:
    """Save as editors do: a temporary file renamed over the old one."""
    temp = path.with_name(f".{path.name}.swp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)


def built_workspace() -> Workspace:
    workspace = Workspace(ISSUE)
    for path in workspace.plan({("all", Path())}):
        workspace.rebuild(path)
    workspace.refresh_candidates()
    return workspace


def tree(folder: Path) -> dict[str, float]:
    return {
        str(p.relative_to(folder)): p.stat().st_mtime
        for p in folder.rglob("*")
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    }


# --- the workspace -----------------------------------------------------------------------


def test_the_preview_builds_exactly_what_build_writes_and_writes_nothing(newsroom: Path) -> None:
    assert run("fetch").exit_code == 0
    before = tree(newsroom)
    snapshot = built_workspace().snapshot()
    assert tree(newsroom) == before, "the preview wrote a file"
    assert not (newsroom / "build").exists()
    assert [e.slug for e in snapshot.editions] == ["2026-11-27", "2026-11-27-fa"]
    settings = load_settings(find_config(None))
    for edition, source in zip(snapshot.editions, (ISSUE, DARI), strict=True):
        assert edition.files is not None and not edition.failed
        folder = build_issue(settings, source, output=newsroom / "out").folder
        for name, data in edition.files.files:
            assert data == (folder / name).read_bytes(), name


def test_a_broken_issue_keeps_the_last_good_build_and_recovers(newsroom: Path) -> None:
    workspace = built_workspace()
    good = workspace.snapshot().editions[0]
    text = ISSUE.read_text(encoding="utf-8")
    save(ISSUE, text.replace("lang: en\n", "langg: en\n", 1))
    for path in workspace.plan({("issue", ISSUE.absolute())}):
        workspace.rebuild(path)
    broken = workspace.snapshot().editions[0]
    assert broken.failed and broken.files == good.files
    errors = [p for p in broken.problems if p.severity == "error"]
    assert errors and errors[0].span is not None and errors[0].span.line == 5
    assert "lang" in errors[0].message
    save(ISSUE, text.replace("Off The Air", "Off The Air Today", 1))
    workspace.rebuild(ISSUE)
    fixed = workspace.snapshot().editions[0]
    assert not fixed.failed and fixed.summary is not None
    assert fixed.summary.subject.endswith("Off The Air Today")


def test_a_bug_in_a_build_is_one_line_in_the_page_not_a_traceback(newsroom: Path) -> None:
    workspace = built_workspace()
    # A theme whose template divides by zero: not an editor's mistake the renderer knows.
    theme = newsroom / "theme"
    shutil.copytree(default_theme(), theme)
    (theme / "email.mjml.jinja").write_text(
        "{{ 1 // (issue.number - issue.number) }}", encoding="utf-8"
    )
    settings = (newsroom / "newsletter.toml").read_text(encoding="utf-8")
    (newsroom / "newsletter.toml").write_text(
        settings.replace("[newsletter]\n", '[newsletter]\ntheme = "theme"\n', 1), encoding="utf-8"
    )
    for path in workspace.plan({("settings", newsroom / "newsletter.toml")}):
        workspace.rebuild(path)
    edition = workspace.snapshot().editions[0]
    assert edition.failed and edition.files is not None
    (problem,) = edition.problems
    assert problem.message.startswith("internal error: ZeroDivisionError")
    assert "Traceback" not in problem.message


def test_what_the_preview_watches_and_what_it_ignores(newsroom: Path) -> None:
    assert run("fetch").exit_code == 0
    workspace = built_workspace()
    store = newsroom / "data" / "articles.sqlite3"
    theme = Path(workspace.watch_folders()[-1])
    assert newsroom / "issues" in workspace.watch_folders()
    assert newsroom / "data" in workspace.watch_folders()
    cases = {
        (newsroom / "issues" / "2026-11-27.yaml", True, True): "issue",
        (newsroom / "issues" / "2026-11-27.lock.json", True, True): "issue",
        (newsroom / "issues" / ".2026-11-27.yaml.swp", True, True): None,
        (newsroom / "issues" / "2026-11-27.yaml~", True, True): None,
        (newsroom / "newsletter.toml", True, True): "settings",
        (theme / "email.mjml.jinja", True, True): "theme",
        (theme / "theme.toml", True, True): "theme",
        (store, True, True): "store",
        # Every read of the store adds and removes these; only a writer modifies them.
        (store.with_name("articles.sqlite3-wal"), True, False): None,
        (store.with_name("articles.sqlite3-shm"), True, True): None,
        (store.with_name("articles.sqlite3-wal"), True, True): "store",
        (newsroom / "build" / "2026-11-27" / "email.html", True, True): None,
    }
    for (path, added_or_modified, modified), kind in cases.items():
        assert workspace.classify(path, added_or_modified, modified) == kind, path


def test_an_edit_rebuilds_its_edition_and_settings_rebuild_all_edited_first(
    newsroom: Path,
) -> None:
    workspace = built_workspace()
    main, dari = ISSUE, DARI
    assert workspace.plan({("issue", dari.absolute())}) == [dari]
    lock = main.absolute().with_name("2026-11-27.lock.json")
    assert workspace.plan({("issue", lock)}) == [main]
    assert workspace.plan({("settings", Path("newsletter.toml"))}) == [main, dari]
    assert workspace.plan({("store", Path("x")), ("issue", dari.absolute())}) == [main, dari]
    # An edition that appears is built and shown; one that goes is dropped.
    third = main.with_name("2026-11-27-ps.yaml")
    save(third, DARI.read_text(encoding="utf-8"))
    assert workspace.plan({("issue", third.absolute())}) == [third]
    workspace.rebuild(third)
    assert [e.path for e in workspace.snapshot().editions] == [main, dari, third]
    third.unlink()
    assert workspace.plan({("issue", third.absolute())}) == [main]
    assert [e.path for e in workspace.snapshot().editions] == [main, dari]


def test_candidates_are_the_weeks_stories_marked_when_used(newsroom: Path) -> None:
    workspace = built_workspace()
    assert workspace.snapshot().candidates == ()
    assert "run `newsletter fetch`" in workspace.snapshot().store_note or (
        "store" in workspace.snapshot().store_note
    )
    assert run("fetch").exit_code == 0
    for path in workspace.plan({("store", Path())}):
        workspace.rebuild(path)
    workspace.refresh_candidates()
    snapshot = workspace.snapshot()
    assert snapshot.week is not None and snapshot.week[1].isoformat() == "2026-11-27"
    used = {c.id: c.used for c in snapshot.candidates}
    assert used["ylvapjd3"] == "this issue"
    assert sum(1 for u in used.values() if u == "") >= 1
    item = next(c.item for c in snapshot.candidates if c.id == "ylvapjd3")
    assert item == (
        "      - article: ylvapjd3\n        blurb: TODO One or two sentences in your own words.\n"
    )


# --- the app, in-process -----------------------------------------------------------------


def request(workspace: Workspace, path: str, host: str = "127.0.0.1:8000") -> httpx.Response:
    async def go() -> httpx.Response:
        app = create_app(Hub(workspace.snapshot()), allowed_hosts("127.0.0.1", 8000))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
            return await client.get(path, headers={"Host": host})

    return asyncio.run(go())


def test_every_route(newsroom: Path) -> None:
    workspace = built_workspace()
    files = workspace.snapshot().editions[0].files
    assert files is not None
    page = request(workspace, "/")
    assert page.status_code == 200 and "<title>newsletter preview</title>" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    script = request(workspace, "/static/preview.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert request(workspace, "/static/preview.css").status_code == 200
    state = request(workspace, "/state.json").json()
    assert [e["slug"] for e in state["editions"]] == ["2026-11-27", "2026-11-27-fa"]
    assert state["editions"][0]["summary"]["html_budget"] == 102 * 1024
    for name, data in files.files:
        answer = request(workspace, f"/edition/2026-11-27/{name}")
        assert answer.status_code == 200 and answer.content == data, name
    email = request(workspace, "/edition/2026-11-27/email.html")
    assert "default-src 'none'" in email.headers["content-security-policy"]
    assert email.headers["content-type"] == "text/html; charset=utf-8"
    assert (
        request(workspace, "/edition/2026-11-27/email.eml")
        .headers["content-disposition"]
        .startswith("attachment")
    )


@pytest.mark.parametrize(
    "path",
    [
        "/static/shell.js",
        "/static/..%2F..%2Fnewsletter.toml",
        "/edition/2026-11-27/newsletter.toml",
        "/edition/2026-11-27/..%2F..%2F..%2Fnewsletter.toml",
        "/edition/..%2Fissues/email.html",
        "/edition/nope/email.html",
        "/issues/2026-11-27.yaml",
        "/newsletter.toml",
        "/edition/",
        "/edition/2026-11-27/image/1",
        "/edition/2026-11-27/image/-1",
        "/edition/2026-11-27/image/..%2F..%2Fnewsletter.toml",
        "/edition/2026-11-27/image/..%2Fissues%2Fimages%2Fradio-mast.png",
        "/edition/2026-11-27/image/radio-mast.png",
        "/edition/2026-11-27/image",
        "/edition/2026-11-27-fa/image/0",
        "/edition/nope/image/0",
    ],
)
def test_no_path_reaches_a_file_it_does_not_name(newsroom: Path, path: str) -> None:
    answer = request(built_workspace(), path)
    assert answer.status_code == 404
    assert b"[newsletter]" not in answer.content
    assert not answer.content.startswith(b"\x89PNG")


def test_the_issues_own_image_is_served_from_its_local_copy(newsroom: Path) -> None:
    workspace = built_workspace()
    state = request(workspace, "/state.json").json()
    english, dari = state["editions"]
    assert english["images"] == [
        {
            "url": "https://example.org/briefing/images/radio-mast.png",
            "src": "/edition/2026-11-27/image/0",
        }
    ]
    assert dari["images"] == []
    image = request(workspace, "/edition/2026-11-27/image/0")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content == (newsroom / "issues" / "images" / "radio-mast.png").read_bytes()
    # The email keeps the https address; only the page swaps in the local copy.
    email = request(workspace, "/edition/2026-11-27/email.html").text
    assert 'src="https://example.org/briefing/images/radio-mast.png"' in email
    # A file that is no longer an image (replaced by text after the build) is not served.
    (newsroom / "issues" / "images" / "radio-mast.png").write_text("[newsletter]\n")
    assert request(workspace, "/edition/2026-11-27/image/0").status_code == 404


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:8000", 200),
        ("localhost:8000", 200),
        ("[::1]:8000", 200),
        ("LOCALHOST:8000", 200),
        ("evil.example:8000", 403),
        ("127.0.0.1.evil.example:8000", 403),
        ("127.0.0.1:8001", 403),
        ("127.0.0.1", 403),
        ("", 403),
    ],
)
def test_a_foreign_host_header_is_refused(newsroom: Path, host: str, status: int) -> None:
    assert request(built_workspace(), "/state.json", host=host).status_code == status


def test_the_event_stream_announces_the_current_build_then_each_new_one(newsroom: Path) -> None:
    workspace = built_workspace()

    async def go() -> tuple[list[str], dict[bytes, bytes]]:
        # Called as ASGI directly: httpx's in-process transport waits for the whole body.
        hub = Hub(workspace.snapshot())
        app = create_app(hub, allowed_hosts("127.0.0.1", 8000))
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/events",
            "raw_path": b"/events",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1:8000")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        gone = asyncio.Event()
        events: list[str] = []
        headers: dict[bytes, bytes] = {}

        async def receive() -> dict[str, object]:
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                headers.update(message["headers"])  # type: ignore[arg-type]
            body = message.get("body", b"")
            assert isinstance(body, bytes)
            events.extend(line for line in body.decode().splitlines() if line.startswith("data:"))
            if len(events) == 1 and b"data:" in body:
                await asyncio.to_thread(workspace.rebuild, ISSUE)
                hub.publish(workspace.snapshot())
            elif len(events) == 2 and b"data:" in body:
                hub.closing.set()

        await asyncio.wait_for(app(scope, receive, send), timeout=20)
        gone.set()
        return events, headers

    first = workspace.snapshot().version
    events, headers = asyncio.run(go())
    assert headers[b"content-type"].startswith(b"text/event-stream")
    states = [json.loads(event.removeprefix("data: ")) for event in events]
    assert [state["version"] for state in states] == [first, first + 1]
    assert states[1]["editions"][0]["summary"]["subject"].startswith("The Darvana Briefing")


def test_waiting_for_a_newer_build_ends_on_a_build_a_close_or_a_timeout(newsroom: Path) -> None:
    snapshot = built_workspace().snapshot()

    async def go() -> tuple[bool, bool, bool]:
        hub = Hub(snapshot)
        timed_out = await hub.wait_newer(snapshot.version, 0.05)
        later = asyncio.get_running_loop().call_later(0.05, hub.publish, replace_version(snapshot))
        newer = await hub.wait_newer(snapshot.version, 5)
        later.cancel()
        asyncio.get_running_loop().call_later(0.05, hub.closing.set)
        closed = await hub.wait_newer(snapshot.version + 1, 5)
        return timed_out, newer, closed

    assert asyncio.run(go()) == (False, True, False)


def replace_version(snapshot: object) -> object:
    from dataclasses import replace

    return replace(snapshot, version=snapshot.version + 1)  # type: ignore[attr-defined, type-var]


# --- the port ----------------------------------------------------------------------------


def test_a_taken_port_moves_to_the_next_free_one() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        sock, listening = bind("127.0.0.1", port)
        sock.close()
        assert listening.port > port and listening.wanted == port
        assert listening.url == f"http://127.0.0.1:{listening.port}/"
    finally:
        taken.close()


def test_every_port_taken_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("newsletter.preview.server.PORTS_TRIED", 1)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(NewsletterError, match="all taken; try --port"):
            bind("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()


# --- the server, as a child process ------------------------------------------------------


def test_the_server_rebuilds_on_save_and_stops_on_ctrl_c_at_once(
    newsroom: Path,
) -> None:
    with preview_process(newsroom, str(ISSUE), "--port", "0") as preview:
        first = preview.state()
        assert first["editions"][0]["summary"]["subject"].endswith("Off The Air")
        text = ISSUE.read_text(encoding="utf-8")
        save(ISSUE, text.replace("Off The Air", "Off The Air Tonight", 1))
        state = preview.wait_for(
            lambda s: s["editions"][0]["summary"]["subject"].endswith("Tonight")
        )
        assert not state["editions"][0]["failed"]
        # The event stream is open, as a page keeps it, when Ctrl-C comes.
        stream = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=5)
        stream.request("GET", "/events")
        assert stream.getresponse().status == 200
        started = time.monotonic()
        code, out, err = preview.stop()
        # Within a second on a quiet machine (bench/preview.py measures it); the bound here
        # only catches a server that waits for its open event streams to end.
        assert time.monotonic() - started < 3.0
        assert code == 0 and "preview stopped" in out
        assert "Traceback" not in err
    assert not (newsroom / "build").exists()
    assert (newsroom / "issues" / "2026-11-27.lock.json").read_text() != ""


def test_rapid_saves_coalesce_into_few_builds_ending_on_the_last(newsroom: Path) -> None:
    with preview_process(newsroom, str(ISSUE), "--port", "0") as preview:
        start = preview.state()["version"]
        text = ISSUE.read_text(encoding="utf-8")
        for n in range(30):
            save(ISSUE, text.replace("Off The Air", f"Off The Air {n}", 1))
            time.sleep(0.005)
        state = preview.wait_for(
            lambda s: s["editions"][0]["summary"]["subject"].endswith("Off The Air 29")
        )
        time.sleep(0.5)
        builds = preview.state()["version"] - start
        assert 1 <= builds < 15, builds
        assert not state["editions"][0]["failed"]
        preview.stop()


def test_a_taken_port_is_said_and_the_next_one_used(newsroom: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with preview_process(newsroom, str(ISSUE), "--port", str(port)) as preview:
            assert preview.port != port
            _, _, err = preview.stop()
            assert f"port {port} is taken; using {preview.port}" in err
    finally:
        taken.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_fetch_that_changes_the_store_refreshes_the_stories(
    newsroom: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    if backend == "postgres":  # no file to watch: the preview asks the server what changed
        server: PostgresServer = request.getfixturevalue("postgres")
        settings = newsroom / "newsletter.toml"
        settings.write_text(
            settings.read_text(encoding="utf-8").replace(
                'store = "data/articles.sqlite3"', f'store = "{server.database()}"'
            ),
            encoding="utf-8",
        )
    with preview_process(newsroom, str(ISSUE), "--port", "0") as preview:
        assert preview.state()["candidates"] == []
        fetched = subprocess.run(
            [sys.executable, "-m", "newsletter", "fetch"],
            cwd=newsroom,
            capture_output=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert fetched.returncode == 0, fetched.stderr
        state = preview.wait_for(lambda s: len(s["candidates"]) > 0)
        assert any(c["used"] == "this issue" for c in state["candidates"])
        preview.stop()
    assert (backend == "sqlite") == (newsroom / "data" / "articles.sqlite3").exists()


def test_a_missing_issue_file_is_a_usage_error(newsroom: Path) -> None:
    result = run("preview", "issues/nope.yaml")
    assert result.exit_code == 2 and "no such file" in result.output


def test_saving_the_theme_or_the_settings_rebuilds(newsroom: Path) -> None:
    shutil.copytree(default_theme(), newsroom / "theme")
    settings = newsroom / "newsletter.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace("[newsletter]\n", '[newsletter]\ntheme = "theme"\n', 1), encoding="utf-8"
    )
    with preview_process(newsroom, str(ISSUE), "--port", "0") as preview:
        first = preview.state()["editions"][0]
        labels = newsroom / "theme" / "theme.toml"
        good = labels.read_text(encoding="utf-8")
        save(labels, good + "\n[labels.en\n")
        broken = preview.wait_for(lambda s: s["editions"][0]["failed"])
        assert broken["editions"][0]["problems"][0]["file"].endswith("theme.toml")
        save(labels, good)
        second = preview.wait_for(lambda s: not s["editions"][0]["failed"])
        assert second["editions"][0]["hash"] == first["hash"]
        template = newsroom / "theme" / "email.txt.jinja"
        save(template, template.read_text(encoding="utf-8") + "\nA line from the theme.\n")
        preview.wait_for(
            lambda s: s["editions"][0]["summary"]["text_bytes"] > first["summary"]["text_bytes"]
        )
        save(
            settings,
            settings.read_text(encoding="utf-8").replace(
                'name = "The Darvana Briefing"', 'name = "The Darvana Weekly"', 1
            ),
        )
        third = preview.wait_for(
            lambda s: s["editions"][0]["summary"]["subject"].startswith("The Darvana Weekly")
        )
        assert third["editions"][0]["hash"] != second["editions"][0]["hash"]
        # A mistake in the settings shows in place, at its line, and the fix brings it back.
        save(settings, settings.read_text(encoding="utf-8").replace("send_day = ", "sendday = ", 1))
        broken = preview.wait_for(lambda s: s["editions"][0]["failed"])
        (problem,) = broken["editions"][0]["problems"]
        assert problem["file"].endswith("newsletter.toml") and problem["line"] and problem["hint"]
        save(settings, settings.read_text(encoding="utf-8").replace("sendday = ", "send_day = ", 1))
        preview.wait_for(lambda s: not s["editions"][0]["failed"])
        preview.stop()


def test_open_hands_the_address_to_the_browser(newsroom: Path, tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    command = f"{sys.executable} -c \"import sys; open(r'{opened}', 'w').write(sys.argv[1])\" %s"
    os.environ["BROWSER"] = command
    try:
        with preview_process(newsroom, str(ISSUE), "--port", "0", "--open") as preview:
            deadline = time.monotonic() + 10
            while not opened.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert opened.read_text() == preview.url
            preview.stop()
    finally:
        del os.environ["BROWSER"]


def test_the_listening_socket_says_it_is_tcp_and_sends_at_once() -> None:
    # asyncio turns Nagle off only on sockets that name TCP; with it on, each answer on a
    # kept-alive connection waited 40 ms for the browser's delayed acknowledgement.
    sock, _ = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        sock.close()
