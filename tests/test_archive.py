"""The web archive (`newsletter archive`): the site's files, its Atom feeds read back by
feedparser, the same bytes from two builds, a changed issue rewriting only its own files,
right-to-left editions, no scripts, the mail-service placeholders replaced, feed text escaped,
broken and future issues, and the pages as Chromium shows them on a 375 px phone."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest
from lxml import etree, html

from newsletter.issue import Lock, folder, lockfile, read_lock, remembered_locks
from tests.conftest import ROOT, FeedServer, Route, run

UNTIL = "2026-11-30"  # the sample issues are of 2026-11-27; tests never depend on the clock
PAGES = ("2026-11-27/index.html", "2026-11-27-fa/index.html")
# The sample issue's hero, copied into the site from the file the issue names (no download).
HERO_BYTES = (ROOT / "issues" / "images" / "radio-mast.png").read_bytes()
HERO = f"2026-11-27/img-{hashlib.sha256(HERO_BYTES).hexdigest()[:16]}.png"
SITE_FILES = {
    ".newsletter-archive.json",
    HERO,
    "index.html",
    "feed-en.xml",
    "feed-fa.xml",
    *PAGES,
}
ATOM = "{http://www.w3.org/2005/Atom}"


def png(width: int, height: int) -> bytes:
    """A grey PNG of the given size, made here so that no image file is needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


LONG_WORD = "Sarvan" * 20  # a word longer than a phone's width, as a pasted address can be


def archive(*args: str) -> dict[str, object]:
    result = run("archive", "--until", UNTIL, "--json", *args)
    assert result.exit_code == 0, result.output + result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def files_of(site: Path) -> dict[str, Path]:
    return {path.relative_to(site).as_posix(): path for path in site.rglob("*") if path.is_file()}


def snapshot(site: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        name: (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino)
        for name, path in files_of(site).items()
    }


def add_issue(newsroom: Path, day: str, number: int) -> None:
    """Another English issue, a copy of the sample's with its own date, number and lock."""
    issues = newsroom / "issues"
    text = (issues / "2026-11-27.yaml").read_text()
    text = text.replace("number: 42", f"number: {number}").replace(
        "date: 2026-11-27", f"date: {day}"
    )
    (issues / f"{day}.yaml").write_text(text)
    lock = json.loads((issues / "2026-11-27.lock.json").read_text())
    lock.update(issue=number, date=day)
    (issues / f"{day}.lock.json").write_text(json.dumps(lock))


def test_the_site_has_a_page_per_issue_an_index_and_a_feed_per_edition(newsroom: Path) -> None:
    result = run("archive", "--until", UNTIL)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "archived 2 issues in site: 6 files written, 0 unchanged, 0 removed\n"
        "  index: site/index.html\n  feed:  site/feed-en.xml\n  feed:  site/feed-fa.xml\n"
    )
    assert set(files_of(newsroom / "site")) == SITE_FILES
    index = html.fromstring((newsroom / "site" / "index.html").read_bytes())
    sections = index.xpath("//section[@lang]")
    assert [s.get("lang") for s in sections] == ["en", "fa"]
    assert [s.xpath(".//ol/li/a/@href") for s in sections] == [["2026-11-27/"], ["2026-11-27-fa/"]]
    feeds = index.xpath('//head/link[@rel="alternate"][@type="application/atom+xml"]/@href')
    assert feeds == ["feed-en.xml", "feed-fa.xml"]
    page = html.fromstring((newsroom / "site" / PAGES[0]).read_bytes())
    assert page.xpath('//link[@rel="alternate"]/@href') == ["../feed-en.xml"]
    assert page.xpath('//link[@rel="canonical"]/@href') == [
        "https://example.org/briefing/2026-11-27/"
    ]
    assert page.xpath("//h2/text()") == [
        "The Key Issue",
        "What To Keep An Eye On",
        "Stories You Might Have Missed",
    ]


def test_no_lock_file_is_written(newsroom: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "newsletter", "fetch"],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    (newsroom / "issues" / "2026-11-27.lock.json").unlink()
    before = sorted(p.name for p in (newsroom / "issues").iterdir())
    archive()
    assert sorted(p.name for p in (newsroom / "issues").iterdir()) == before


def test_each_lock_file_is_read_once_while_it_is_unchanged(newsroom: Path) -> None:
    lock = newsroom / "issues" / "2026-11-27.lock.json"
    assert read_lock(lock) is not read_lock(lock)  # outside the block, read every time
    with remembered_locks():
        first = read_lock(lock)
        assert read_lock(lock) is first
        data = json.loads(lock.read_text())
        data["issue"] = 43
        lock.write_text(json.dumps(data))
        changed = read_lock(lock)
        assert changed is not first and changed.number == 43
    # 30 issues: checking each reads every other one's lock; without the memo, 900 reads.
    for number in range(1, 30):
        add_issue(newsroom, str(date(2026, 11, 20) - timedelta(days=7 * number)), 41 - number)
    reads: list[Path] = []
    original = lockfile._read_lock

    def counted(path: Path) -> Lock:
        reads.append(path)
        return original(path)

    lockfile._read_lock = counted  # type: ignore[assignment]
    try:
        assert len(archive()["issues"]) == 31  # type: ignore[arg-type]
    finally:
        lockfile._read_lock = original  # type: ignore[assignment]
    assert len(reads) == len(set(reads)) == 31


def test_check_and_archive_read_the_folder_once_however_many_issues(
    newsroom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each issue's check asks about every other (numbers, stories already featured): asked
    # of the folder afresh each time, 30 issues would read it 30 times, and N issues N².
    for number in range(1, 30):
        add_issue(newsroom, str(date(2026, 11, 20) - timedelta(days=7 * number)), 41 - number)
    readings: list[Path] = []
    original = folder.read_folder

    def counted(path: Path) -> folder.FolderFacts:
        readings.append(path)
        return original(path)

    monkeypatch.setattr(folder, "read_folder", counted)
    files = sorted(str(p.relative_to(newsroom)) for p in (newsroom / "issues").glob("*.yaml"))
    assert len(files) == 31
    result = run("check", *files)
    assert "31 files checked, 0 with errors" in result.stderr
    assert "was already in issue 40 of 2026-11-13" in result.stderr  # the facts, and right
    assert len(readings) == 1
    readings.clear()
    assert len(archive()["issues"]) == 31  # type: ignore[arg-type]
    assert len(readings) == 1


def test_the_feeds_read_back_with_stable_unique_ids_and_the_whole_issue(newsroom: Path) -> None:
    archive()
    first = {
        name: feedparser.parse(newsroom / "site" / name) for name in ("feed-en.xml", "feed-fa.xml")
    }
    for name, feed in first.items():
        assert feed.bozo == 0, (name, feed.get("bozo_exception"))
        assert len(feed.entries) == 1
    english, dari = first["feed-en.xml"], first["feed-fa.xml"]
    assert english.feed.title == "The Darvana Briefing (In English)"
    entry = english.entries[0]
    assert entry.id == "https://example.org/briefing/2026-11-27/"
    assert entry.link == entry.id
    assert entry.title == "Darvana's Council Takes Five Radio Stations Off The Air"
    assert entry.updated == "2026-11-27T00:00:00+04:30"  # the issue's day in Asia/Kabul
    content = entry.content[0]
    assert content.type == "text/html"
    assert "Darvana’s Provisional Council on November 26 ordered" in content.value
    assert "Stories You Might Have Missed" in content.value
    assert "Until next time," in content.value
    assert dari.entries[0].id == "https://example.org/briefing/2026-11-27-fa/"
    assert dari.feed.language == "fa"
    # Ids stay the same when the archive is built again, elsewhere and after an edit.
    issue = newsroom / "issues" / "2026-11-27.yaml"
    issue.write_text(issue.read_text().replace("Five Radio", "Six Radio"))
    archive("-o", "again")
    again = feedparser.parse(newsroom / "again" / "feed-en.xml")
    assert again.entries[0].title == "Darvana's Council Takes Six Radio Stations Off The Air"
    assert [e.id for e in again.entries] == [e.id for e in english.entries]
    ids = [e.id for feed in first.values() for e in feed.entries]
    assert len(ids) == len(set(ids))


def test_a_feed_lists_the_newest_issue_first(newsroom: Path) -> None:
    add_issue(newsroom, "2026-11-20", 41)
    archive()
    feed = feedparser.parse(newsroom / "site" / "feed-en.xml")
    assert feed.bozo == 0
    assert [e.id.rsplit("/", 2)[1] for e in feed.entries] == ["2026-11-27", "2026-11-20"]
    assert feed.feed.updated == "2026-11-27T00:00:00+04:30"
    index = html.fromstring((newsroom / "site" / "index.html").read_bytes())
    assert index.xpath('//section[@lang="en"]//li/a/@href') == ["2026-11-27/", "2026-11-20/"]


def test_building_twice_gives_the_same_bytes_and_touches_nothing(newsroom: Path) -> None:
    archive()
    before = snapshot(newsroom / "site")
    second = archive()
    assert second["written"] == []
    assert len(second["unchanged"]) == 6  # type: ignore[arg-type]
    assert snapshot(newsroom / "site") == before
    archive("-o", "elsewhere")
    elsewhere = {name: data for name, (data, _, _) in snapshot(newsroom / "elsewhere").items()}
    assert elsewhere == {name: data for name, (data, _, _) in before.items()}


class _Counted:
    """Counts the issues checked and the pages rendered by the archive run in this process."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from newsletter.commands import check
        from newsletter.render import web

        self.checked: list[str] = []
        self.rendered: list[str] = []
        check_issue, render_page = check.check_issue, web.render_page

        def counted_check(settings: Any, path: Path, **options: Any) -> Any:
            self.checked.append(path.name)
            return check_issue(settings, path, **options)

        def counted_render(issue: Any, *args: Any, **options: Any) -> Any:
            self.rendered.append(issue.slug)
            return render_page(issue, *args, **options)

        monkeypatch.setattr(check, "check_issue", counted_check)
        monkeypatch.setattr(web, "render_page", counted_render)

    def clear(self) -> None:
        self.checked.clear()
        self.rendered.clear()


def _site_bytes(site: Path) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in files_of(site).items()}


def _cold(newsroom: Path, name: str) -> dict[str, bytes]:
    """The site a run without any memory makes (its own folder: a memory of its own)."""
    archive("-o", name)
    return _site_bytes(newsroom / name)


def test_a_run_with_nothing_changed_checks_and_renders_nothing(
    newsroom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(1, 6):
        add_issue(newsroom, str(date(2026, 11, 20) - timedelta(days=7 * number)), 41 - number)
    from newsletter.archive import memory
    from newsletter.config import find_config, load_settings

    counted = _Counted(monkeypatch)
    archive()
    assert len(counted.checked) == len(counted.rendered) == 7
    remembered = memory.memory_file(load_settings(find_config(None)), Path("site"))
    assert remembered is not None
    kept = remembered.stat()
    counted.clear()
    again = archive()
    assert counted.checked == counted.rendered == []
    assert again["written"] == [] and len(again["issues"]) == 7  # type: ignore[arg-type]
    # Nothing learnt, nothing written: the memory file is the one the first run wrote.
    assert (remembered.stat().st_ino, remembered.stat().st_mtime_ns) == (
        kept.st_ino,
        kept.st_mtime_ns,
    )
    assert _site_bytes(newsroom / "site") == _cold(newsroom, "cold-1")

    # One issue changed: its page alone is made again, and the site is a cold run's.
    counted.clear()
    changed = newsroom / "issues" / "2026-10-30.yaml"
    changed.write_text(
        changed.read_text().replace("signoff: |\n", "signoff: |\n  A new line.\n"),
        encoding="utf-8",
    )
    result = archive()
    assert counted.checked == ["2026-10-30.yaml"] and counted.rendered == ["2026-10-30"]
    # The sign-off is not on the index: the index is made again but not rewritten.
    assert set(result["written"]) == {"2026-10-30/index.html", "feed-en.xml"}  # type: ignore[arg-type]
    assert _site_bytes(newsroom / "site") == _cold(newsroom, "cold-2")
    # What that run learnt was kept: the next run has nothing to do.
    assert remembered.stat().st_ino != kept.st_ino
    counted.clear()
    assert archive()["written"] == []
    assert counted.checked == counted.rendered == []


@pytest.mark.parametrize("change", ["theme", "settings", "program", "store", "another issue"])
def test_the_memory_is_not_believed_when_an_input_changes(
    newsroom: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    from newsletter.archive import memory

    add_issue(newsroom, "2026-11-20", 41)
    if change == "store":
        assert run("fetch").exit_code == 0
    counted = _Counted(monkeypatch)
    archive()
    counted.clear()
    if change == "theme":
        theme = newsroom / "theme"
        shutil.copytree(ROOT / "templates", theme)
        page = theme / "web.html.jinja"
        page.write_text(page.read_text().replace("<main", '<main data-x="1"'))
        settings = newsroom / "newsletter.toml"
        settings.write_text(
            settings.read_text().replace("[newsletter]\n", '[newsletter]\ntheme = "theme"\n')
        )
        archive()
        counted.clear()
        page.write_text(page.read_text().replace('data-x="1"', 'data-x="2"'))
    elif change == "settings":
        settings = newsroom / "newsletter.toml"
        settings.write_text(settings.read_text() + "\n# a comment\n")
    elif change == "program":
        monkeypatch.setattr(memory, "program_digest", lambda: "a newer version")
    elif change == "store":  # a story of the issue edited at its source, fetched again
        for feed in (newsroom / "feeds").iterdir():
            text = feed.read_text(encoding="utf-8")
            feed.write_text(text.replace("Council Orders Five", "Council Orders 5"))
        assert run("fetch").exit_code == 0
    else:  # a number clash with the sample issue: its check finds a new warning
        other = newsroom / "issues" / "2026-11-20.yaml"
        other.write_text(other.read_text().replace("number: 41", "number: 42"))
    result = archive()
    assert "2026-11-27.yaml" in counted.checked, change
    if change in ("another issue", "store"):  # a clash; the store's copy changed
        (sample,) = [i for i in result["issues"] if i["slug"] == "2026-11-27"]  # type: ignore[union-attr]
        assert sample["warnings"] >= 1
    if change in ("theme", "program", "settings"):
        assert "2026-11-27" in counted.rendered
    assert _site_bytes(newsroom / "site") == _cold(newsroom, "cold")


def test_a_damaged_memory_is_a_cold_run(newsroom: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.archive import memory
    from newsletter.config import find_config, load_settings

    archive()
    settings = load_settings(find_config(None))
    remembered = memory.memory_file(settings, Path("site"))
    assert remembered is not None and remembered.is_file()
    remembered.write_bytes(b"not a pickle")
    counted = _Counted(monkeypatch)
    assert archive()["written"] == []
    assert len(counted.checked) == 2


def test_a_changed_issue_rewrites_only_its_own_page_the_index_and_its_feed(
    newsroom: Path,
) -> None:
    archive()
    before = snapshot(newsroom / "site")
    issue = newsroom / "issues" / "2026-11-27-fa.yaml"
    issue.write_text(issue.read_text().replace("شورای موقت پنج", "شورای موقت شش"))
    result = archive()
    assert result["written"] == ["2026-11-27-fa/index.html", "feed-fa.xml", "index.html"]
    after = snapshot(newsroom / "site")
    for name in ("2026-11-27/index.html", "feed-en.xml", ".newsletter-archive.json"):
        assert after[name] == before[name], name  # same bytes, same mtime, same inode
    for name in result["written"]:  # type: ignore[attr-defined]
        assert after[name][0] != before[name][0]
    assert "شورای موقت شش" in (newsroom / "site" / PAGES[1]).read_text()


def test_a_deleted_issue_loses_its_page_and_other_files_are_left_alone(newsroom: Path) -> None:
    archive()
    (newsroom / "site" / "about.html").write_text("<p>About us</p>")
    (newsroom / "issues" / "2026-11-27-fa.yaml").unlink()
    result = archive()
    assert result["removed"] == ["2026-11-27-fa/index.html", "feed-fa.xml"]
    assert not (newsroom / "site" / "2026-11-27-fa").exists()
    assert set(files_of(newsroom / "site")) == (
        SITE_FILES - {"2026-11-27-fa/index.html", "feed-fa.xml"}
    ) | {"about.html"}
    assert "feed-fa.xml" not in (newsroom / "site" / "index.html").read_text()


def test_a_manifest_cannot_make_the_archive_remove_files_outside_the_site(
    newsroom: Path,
) -> None:
    archive()
    precious = newsroom / "precious.txt"
    precious.write_text("keep me")
    manifest = newsroom / "site" / ".newsletter-archive.json"
    manifest.write_text(json.dumps({"version": 1, "files": ["../precious.txt", "/etc/hosts"]}))
    assert archive()["removed"] == []
    assert precious.read_text() == "keep me"


def test_a_right_to_left_edition_renders_right_to_left(newsroom: Path) -> None:
    archive()
    site = newsroom / "site"
    dari = html.fromstring((site / PAGES[1]).read_bytes())
    assert (dari.get("lang"), dari.get("dir")) == ("fa", "rtl")
    english = html.fromstring((site / PAGES[0]).read_bytes())
    assert (english.get("lang"), english.get("dir")) == ("en", "ltr")
    index = html.fromstring((site / "index.html").read_bytes())
    assert index.xpath('//section[@lang="fa"]/@dir') == ["rtl"]
    assert index.xpath('//section[@lang="fa"]/h2/text()') == ["به دری"]
    content = etree.parse(site / "feed-fa.xml").find(f"{ATOM}entry/{ATOM}content")
    assert content is not None and content.text is not None
    assert content.text.startswith('<div lang="fa" dir="rtl">')


def test_no_scripts_and_nothing_loaded_from_elsewhere(newsroom: Path) -> None:
    archive()
    for name, path in files_of(newsroom / "site").items():
        if name == HERO:
            continue
        text = path.read_text(encoding="utf-8").lower()
        assert "<script" not in text and "&lt;script" not in text, name
        if name.endswith(".html"):
            page = html.fromstring(path.read_bytes())
            assert page.xpath("//link[@rel='stylesheet'] | //iframe | //object | //@style") == []
            assert "@import" not in text and "url(" not in text and "@font-face" not in text
            policy = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
            assert policy and policy[0].startswith("default-src 'none';"), name


def test_the_placeholders_become_the_archive_links(newsroom: Path) -> None:
    issue = newsroom / "issues" / "2026-11-27.yaml"
    issue.write_text(
        issue.read_text().replace(
            "Thank you for reading.",
            "Thank you for [reading](https://newsletter.invalid/__view_in_browser__).",
        )
    )
    archive()
    for name, path in files_of(newsroom / "site").items():
        assert b"newsletter.invalid" not in path.read_bytes(), name
    page = html.fromstring((newsroom / "site" / PAGES[0]).read_bytes())
    hrefs = page.xpath("//a/@href")
    assert "https://example.org/briefing/unsubscribe" in hrefs
    assert hrefs.count("https://example.org/briefing/2026-11-27/") == 2  # the number, "reading"


def test_a_hostile_feed_title_is_escaped_in_the_page_and_the_feed(newsroom: Path) -> None:
    lock = newsroom / "issues" / "2026-11-27.lock.json"
    data = json.loads(lock.read_text())
    hostile = '</bdi><script>alert(1)</script><img src=x onerror="alert(2)"> & \u202eevil'
    for article in data["articles"]:
        if article["id"] == "ylvapjd3":
            article["title"] = hostile
    lock.write_text(json.dumps(data))
    archive()
    text = (newsroom / "site" / PAGES[0]).read_text()
    assert "<script" not in text and "<img src=x" not in text
    assert (
        "<bdi>&lt;/bdi&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x "
        "onerror=“alert(2)”&gt; &amp; ‮evil‬</bdi>" in text
    )  # escaped, and the stray override closed inside the isolate
    content = etree.parse(newsroom / "site" / "feed-en.xml").find(f"{ATOM}entry/{ATOM}content")
    assert content is not None and content.text is not None
    assert "<script" not in content.text and "&lt;script&gt;alert(1)" in content.text


def add_hero(issue: Path, url: str, caption: str = "The mast above Sarvan.") -> None:
    """Give the issue this hero, in place of the one it has (the sample's is the file's
    last key, with a comment above it)."""
    text = re.sub(r"(?m)^(#[^\n]*\n)?hero:\n(  [^\n]*\n)*", "", issue.read_text())
    issue.write_text(
        re.sub(
            r"(?m)^author: (.*)$",
            rf"author: \1\nhero: {{url: {url}, alt: A radio mast, caption: {caption},"
            " width: 1200, height: 675}",
            text,
            count=1,
        )
    )


def test_images_are_copied_beside_their_page_and_never_fetched_twice(
    newsroom: Path, feed_server: FeedServer
) -> None:
    photo = png(160, 90)
    feed_server.routes["/mast.png"] = Route(photo, headers={"Content-Type": "image/png"})
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    feed_server.routes["/drawing.svg"] = Route(svg, headers={"Content-Type": "image/svg+xml"})
    add_hero(newsroom / "issues" / "2026-11-27.yaml", feed_server.url("/mast.png"))
    add_hero(newsroom / "issues" / "2026-11-27-fa.yaml", feed_server.url("/drawing.svg"))
    result = run("archive", "--until", UNTIL)
    assert result.exit_code == 0, result.stderr
    name = f"img-{hashlib.sha256(photo).hexdigest()[:16]}.png"
    copy = newsroom / "site" / "2026-11-27" / name
    assert copy.read_bytes() == photo
    page = html.fromstring((newsroom / "site" / PAGES[0]).read_bytes())
    (image,) = page.xpath("//figure/img")
    assert dict(image.attrib) == {
        "src": name,
        "alt": "A radio mast",
        "width": "1200",
        "height": "675",
        "decoding": "async",
    }
    assert page.xpath("//figure/figcaption/text()") == ["The mast above Sarvan."]
    # A feed reader finds the copy from the entry's base address.
    entry = feedparser.parse(newsroom / "site" / "feed-en.xml").entries[0]
    assert f'src="https://example.org/briefing/2026-11-27/{name}"' in entry.content[0].value
    # An SVG is not copied (it can carry script): the page shows it from where it is.
    assert (
        "2026-11-27-fa.yaml: warning: hero: the image was not copied into the site: it is "
        "not a JPEG, PNG, GIF, WebP or AVIF image" in result.stderr
    )
    dari = html.fromstring((newsroom / "site" / PAGES[1]).read_bytes())
    assert dari.xpath("//figure/img/@src") == [feed_server.url("/drawing.svg")]
    assert set(files_of(newsroom / "site")) == SITE_FILES - {HERO} | {f"2026-11-27/{name}"}
    # Built again, the copy is taken from the site, not downloaded: no request, same bytes.
    before = snapshot(newsroom / "site")
    asked = len(feed_server.requests)
    again = archive()
    assert again["written"] == []
    assert [p["message"][:5] for p in again["image_problems"]] == ["hero:"]  # type: ignore[index]
    assert [path for path, _ in feed_server.requests[asked:]] == ["/drawing.svg"]
    assert snapshot(newsroom / "site") == before
    # Left on their servers, the copy goes.
    remote = archive("--remote-images")
    assert remote["removed"] == [f"2026-11-27/{name}"]
    page = html.fromstring((newsroom / "site" / PAGES[0]).read_bytes())
    assert page.xpath("//figure/img/@src") == [feed_server.url("/mast.png")]


def test_an_image_that_cannot_be_fetched_is_a_warning(
    newsroom: Path, feed_server: FeedServer
) -> None:
    add_hero(newsroom / "issues" / "2026-11-27.yaml", feed_server.url("/gone.jpg"))
    data = archive()
    (problem,) = data["image_problems"]  # type: ignore[misc]
    assert problem["severity"] == "warning"
    assert problem["message"] == (
        "hero: the image was not copied into the site: the server answered HTTP 404"
    )
    assert problem["hint"] == (
        f"the page shows it from {feed_server.url('/gone.jpg')}; archive again once it loads"
    )


def test_a_broken_issue_is_reported_and_skipped_and_its_page_stays(newsroom: Path) -> None:
    archive()
    page = newsroom / "site" / PAGES[1]
    before = page.stat().st_ino, page.stat().st_mtime_ns
    issue = newsroom / "issues" / "2026-11-27-fa.yaml"
    issue.write_text(issue.read_text().replace("number: 42", "number: many"))
    result = run("archive", "--until", UNTIL)
    assert result.exit_code == 0
    assert "issues/2026-11-27-fa.yaml:3:9: error: number: expected" in result.stderr
    assert "skipped " in result.stderr and "2026-11-27-fa.yaml: it has errors" in result.stderr
    assert result.stdout.startswith("archived 1 issue in site: 1 file written, 3 unchanged, 0")
    assert (newsroom / "site" / "feed-fa.xml").exists()  # its readers keep their feed
    assert (page.stat().st_ino, page.stat().st_mtime_ns) == before
    assert "2026-11-27-fa/" not in (newsroom / "site" / "index.html").read_text()
    shown = json.loads(run("archive", "--until", UNTIL, "--json").stdout)
    assert [Path(s["file"]).name for s in shown["skipped"]] == ["2026-11-27-fa.yaml"]
    assert shown["skipped"][0]["problems"][0]["line"] == 3


def test_strict_fails_on_a_broken_issue_and_writes_nothing(newsroom: Path) -> None:
    issue = newsroom / "issues" / "2026-11-27-fa.yaml"
    issue.write_text(issue.read_text().replace("number: 42", "number: many"))
    result = run("archive", "--until", UNTIL, "--strict")
    assert result.exit_code == 1
    assert "2026-11-27-fa.yaml:3:9: error: number:" in result.stderr
    assert "nothing was written" in result.stderr
    assert not (newsroom / "site").exists()
    shown = run("archive", "--until", UNTIL, "--strict", "--json")
    assert shown.exit_code == 1
    data = json.loads(shown.stdout)
    assert data["ok"] is False and data["problems"][0]["line"] == 3


def test_an_issue_dated_after_today_is_left_out(newsroom: Path) -> None:
    today = datetime.now(ZoneInfo("Asia/Kabul")).date()
    upcoming = today + timedelta(days=7)
    add_issue(newsroom, str(upcoming), 99)
    result = run("archive")
    assert result.exit_code == 0, result.stderr
    assert f"left out, dated after {today} (use --until): issues/{upcoming}.yaml" in (
        result.stderr.replace(str(newsroom) + "/", "")
    )
    assert not (newsroom / "site" / str(upcoming)).exists()
    assert (newsroom / "site" / str(upcoming) / "index.html").exists() is False
    run("archive", "--until", str(upcoming))
    assert (newsroom / "site" / str(upcoming) / "index.html").exists()


def test_the_command_line(newsroom: Path) -> None:
    shown = run("archive", "--help")
    assert shown.exit_code == 0
    assert "Build the web archive of every issue" in shown.output
    data = archive("-o", "public")
    assert data["ok"] is True and data["until"] == UNTIL
    assert [i["slug"] for i in data["issues"]] == ["2026-11-27", "2026-11-27-fa"]  # type: ignore[index]
    first = data["issues"][0]  # type: ignore[index]
    assert first["url"] == "https://example.org/briefing/2026-11-27/"
    assert first["page"] == "public/2026-11-27/index.html"
    assert data["feeds"] == {"en": "public/feed-en.xml", "fa": "public/feed-fa.xml"}
    bad = run("archive", "--until", "soon")
    assert bad.exit_code == 2 and "expected a date as YYYY-MM-DD" in bad.output
    (newsroom / "a-file").write_text("")
    blocked = run("archive", "--until", UNTIL, "-o", "a-file/site")
    assert blocked.exit_code == 1
    assert "error: cannot write the site" in blocked.stderr
    assert "Traceback" not in blocked.stderr


def test_a_theme_without_web_templates_uses_the_default_ones_with_its_labels(
    newsroom: Path,
) -> None:
    # A theme copied before the archive existed: no web templates, none of their labels.
    theme = newsroom / "mytheme"
    shutil.copytree(ROOT / "templates", theme)
    for name in ("web.html.jinja", "index.html.jinja", "web.css.jinja"):
        (theme / name).unlink()
    labels = theme / "theme.toml"
    text = re.sub(r"(?m)^(edition|all_issues|feed) = .*\n", "", labels.read_text())
    labels.write_text(text.replace('read_more = "Read the full story"', 'read_more = "Read on"'))
    settings = newsroom / "newsletter.toml"
    settings.write_text(settings.read_text().replace("accent = ", 'theme = "mytheme"\naccent = '))
    archive()
    page = html.fromstring((newsroom / "site" / PAGES[0]).read_bytes())
    assert page.xpath("//nav/a/text()") == ["All issues", "Atom feed"]
    assert page.xpath("//p[@class='more']/a/text()")[0] == "Read on: "


def test_a_web_template_without_the_content_block_is_a_clear_problem(newsroom: Path) -> None:
    theme = newsroom / "mytheme"
    shutil.copytree(ROOT / "templates", theme)
    page = theme / "web.html.jinja"
    page.write_text(re.sub(r"\{% (end)?block[^%]*%\}", "", page.read_text()))
    settings = newsroom / "newsletter.toml"
    settings.write_text(settings.read_text().replace("accent = ", 'theme = "mytheme"\naccent = '))
    result = run("archive", "--until", UNTIL)
    assert result.exit_code == 1
    assert f"{page}: error: the web page template has no {{% block content %}}" in result.stderr


# In the browser last: Playwright's sync API keeps an event loop running in this thread.


@pytest.fixture
def site(newsroom: Path, feed_server: FeedServer) -> Path:
    feed_server.routes["/mast.png"] = Route(png(160, 90), headers={"Content-Type": "image/png"})
    add_hero(newsroom / "issues" / "2026-11-27.yaml", feed_server.url("/mast.png"), LONG_WORD)
    subprocess.run(
        [sys.executable, "-m", "newsletter", "archive", "--until", UNTIL],
        cwd=newsroom,
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return newsroom / "site"


@pytest.mark.parametrize("name", ["index.html", *PAGES])
def test_nothing_scrolls_sideways_on_a_phone(site: Path, name: str) -> None:
    from playwright.sync_api import sync_playwright

    from tests.conftest import ARGS, CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: `make test` installs it")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800})
            page.route(re.compile(r"^https?://"), lambda route: route.abort())
            page.goto((site / name).as_uri())
            page.wait_for_load_state("load")
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
            if name == PAGES[0]:
                # The site's copy of the photo loaded, and shrank to the screen.
                assert page.evaluate("document.querySelector('figure img').naturalWidth") == 160
                box = page.locator("figure img").bounding_box()
                assert box is not None and 300 <= box["width"] <= 340
                assert abs(box["height"] - box["width"] * 675 / 1200) < 2
            page.screenshot(path=str(site.parent / f"{name.replace('/', '-')}.png"), full_page=True)
        finally:
            browser.close()


def test_the_page_credits_the_photo_as_the_email_does(newsroom: Path) -> None:
    archive()
    page = (newsroom / "site" / "2026-11-27" / "index.html").read_text(encoding="utf-8")
    assert '<span class="credit">Illustration for The Darvana Briefing</span></figcaption>' in page
