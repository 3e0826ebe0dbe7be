"""The commands as a library, and the one error model: a damaged, newer or unwritable store
is one located problem and exit 1; reading commands leave no store behind."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from newsletter.commands.articles import list_articles
from newsletter.commands.build import build_issue
from newsletter.commands.check import check_issue
from newsletter.commands.fetch import fetch_all
from newsletter.config import load_settings
from newsletter.store.schema import LATEST
from newsletter.workers import FetchWorkers
from tests.conftest import run


def test_the_weekly_loop_runs_through_the_command_functions(newsroom: Path) -> None:
    settings = load_settings(newsroom / "newsletter.toml")
    report = fetch_all(settings)
    assert [feed.result.source.name for feed in report.feeds] == ["news", "analysis", "dari"]
    assert report.articles == 32 and not report.failed
    # Stored, then let go: the report keeps no feed's articles (a fetch's memory is bounded
    # by the feeds in flight).
    assert sum(feed.counts.new for feed in report.feeds) == 32
    assert all(feed.result.articles == () for feed in report.feeds)
    from datetime import date

    week = list_articles(settings, week=date(2026, 11, 27))
    assert len(week.articles) == 19 and not week.store_empty
    checked = check_issue(settings, newsroom / "issues" / "2026-11-27.yaml")
    assert checked.issue.number == 42
    built = build_issue(settings, newsroom / "issues" / "2026-11-27.yaml", output=newsroom / "b")
    assert built.folder == newsroom / "b" / "2026-11-27"
    # Measured before the mail-service links are filled in, as the lint sees the email.
    assert built.rendered.sizes.html_bytes == len(built.rendered.html.encode("utf-8"))
    assert abs(built.rendered.sizes.html_bytes - (built.folder / "email.html").stat().st_size) < 99
    report_json = json.loads(built.report.read_text(encoding="utf-8"))
    assert report_json["date"] == "2026-11-27" and report_json["slug"] == "2026-11-27"


def test_reading_commands_create_no_store(newsroom: Path) -> None:
    store = newsroom / "data" / "articles.sqlite3"
    assert run("articles", "--week", "2026-11-27").exit_code == 0
    assert run("check", "issues/2026-11-27.yaml").exit_code == 0  # from its lock file
    assert run("draft", "--date", "2026-12-04").exit_code == 0
    assert not store.exists() and not store.parent.exists()


def _one_line_error(output: str) -> str:
    lines = [line for line in output.splitlines() if ": error: " in line]
    assert len(lines) == 1, output
    assert "Traceback" not in output and "internal error" not in output
    return lines[0]


def test_a_damaged_store_is_one_clear_problem(newsroom: Path) -> None:
    store = newsroom / "data" / "articles.sqlite3"
    store.parent.mkdir()
    store.write_bytes(b"this is not a database, just some bytes " * 100)
    for args in (["fetch"], ["articles"], ["check", "issues/2026-11-27.yaml"]):
        result = run(*args)
        assert result.exit_code == 1, args
        line = _one_line_error(result.output)
        assert line.startswith(f"{store}: error: the store is damaged and cannot be read")
        assert "hint: move it aside" in result.output


def test_a_store_from_a_newer_version_is_one_clear_problem(newsroom: Path) -> None:
    assert run("fetch").exit_code == 0
    store = newsroom / "data" / "articles.sqlite3"
    with sqlite3.connect(store) as db:
        db.execute("PRAGMA user_version = 99")
    result = run("articles")
    assert result.exit_code == 1
    assert _one_line_error(result.output) == (
        f"{store}: error: the store was written by a newer version of newsletter (schema 99; "
        f"this version reads up to {LATEST})"
    )
    assert "hint: upgrade newsletter" in result.output


def test_a_data_folder_that_cannot_be_written_is_one_clear_problem(newsroom: Path) -> None:
    # A file where the folder should be: refused to root too, unlike permission bits.
    (newsroom / "data").write_text("not a folder", encoding="utf-8")
    fetched = run("fetch")
    assert fetched.exit_code == 1
    assert "cannot make the store's folder: data/ is a file, not a folder" in _one_line_error(
        fetched.output
    )
    assert "hint: check the folder's permissions" in fetched.output
    listed = run("articles")  # reads nothing, so it has nothing to complain about
    assert listed.exit_code == 0


def test_few_feeds_fork_no_workers() -> None:
    with FetchWorkers(feeds=3) as few:
        assert few.workers == []
    with FetchWorkers(feeds=40) as many:
        assert len(many.workers) == ((os.cpu_count() or 1) if (os.cpu_count() or 1) > 1 else 0)


def test_files_written_follow_the_umask_or_keep_their_mode(newsroom: Path) -> None:
    old = os.umask(0o027)
    try:
        assert run("build", "issues/2026-11-27.yaml").exit_code == 0
        lock = newsroom / "issues" / "2026-11-27.lock.json"
        assert (newsroom / "build" / "2026-11-27" / "email.html").stat().st_mode & 0o777 == 0o640
        lock.chmod(0o604)
        assert run("build", "issues/2026-11-27.yaml").exit_code == 0
        assert lock.stat().st_mode & 0o777 == 0o604
        assert run("draft", "--date", "2026-12-04").exit_code == 0
        assert (newsroom / "issues" / "2026-12-04.yaml").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_a_draft_of_a_busy_week_stays_small_enough_to_check(newsroom: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from newsletter.models import Article, Validators
    from newsletter.store import open_store

    settings = load_settings(newsroom / "newsletter.toml")
    start = datetime(2026, 11, 21, 12, tzinfo=UTC)
    wire = tuple(
        Article(
            id=f"w{n:07d}",
            url=f"https://example.org/wire/{n}",
            title=f"Wire Story Number {n} With A Headline Of Ordinary Length",
            feed="news",
            published=start + timedelta(seconds=n * 90),
            summary_html="",
            summary_text="",
        )
        for n in range(3_000)
    )
    with open_store(settings.store) as store:
        store.save_feed(
            name="news", url="u", articles=wire, status=200, validators=Validators(), problem=None
        )
    result = run("draft", "--date", "2026-11-27", "-o", "issues/busy.yaml")
    assert result.exit_code == 0, result.output
    draft = newsroom / "issues" / "busy.yaml"
    assert draft.stat().st_size < 64 * 1024
    assert "# 2960 older stories of the week are not listed here" in draft.read_text("utf-8")


def test_file_names_the_build_could_not_carry_are_refused_by_check(newsroom: Path) -> None:
    sample = (newsroom / "issues" / "2026-11-27.yaml").read_bytes()
    odd = newsroom / "issues" / os.fsdecode(b"\xff\xfe.yaml")
    odd.write_bytes(sample)
    result = run("check", str(odd))
    assert result.exit_code == 1
    assert "error: the file name is not UTF-8 text" in result.output
    long = newsroom / "issues" / ("x" * 240 + ".yaml")
    long.write_bytes(sample)
    result = run("build", str(long))
    assert result.exit_code == 1
    assert "error: the file name is 245 bytes long; at most 200 work" in result.output
    assert not (newsroom / "build").exists()


def test_a_lock_file_with_a_number_too_long_to_read_is_a_warning_not_a_crash(
    newsroom: Path,
) -> None:
    lock = newsroom / "issues" / "2026-11-27.lock.json"
    text = lock.read_text(encoding="utf-8")
    lock.write_text(text.replace('"issue": 42', '"issue": ' + "9" * 5000), encoding="utf-8")
    for issue in ("issues/2026-11-27.yaml", "issues/2026-11-27-fa.yaml"):
        result = run("check", issue)
        assert "internal error" not in result.output and "Traceback" not in result.output
    result = run("check", "issues/2026-11-27.yaml")
    assert "it holds a number too long to read" in result.output


def test_a_scalar_alias_is_refused_like_any_alias(newsroom: Path) -> None:
    issue = newsroom / "issues" / "2026-11-27.yaml"
    text = issue.read_text(encoding="utf-8")
    text = text.replace("title: ", "title: &t ", 1).replace("preheader: ", "preheader: *t #", 1)
    issue.write_text(text, encoding="utf-8")
    result = run("check", "issues/2026-11-27.yaml")
    assert result.exit_code == 1
    assert "YAML anchors and aliases (&name, *name) are not supported" in result.output


def test_check_given_a_lock_file_points_at_the_issue_file(newsroom: Path) -> None:
    result = run("check", "issues/2026-11-27.lock.json")
    assert result.exit_code == 1
    assert "error: this is an issue's lock file, which `build` writes; check the issue file" in (
        result.output
    )
    assert "hint: newsletter check issues/2026-11-27.yaml" in result.output


def test_numbers_and_dates_are_written_in_ascii_digits(newsroom: Path) -> None:
    issue = newsroom / "issues" / "2026-11-27.yaml"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace("number: 42", "number: \u0664\u0662", 1), encoding="utf-8")
    result = run("check", "issues/2026-11-27.yaml")
    assert result.exit_code == 1
    assert "number: expected a whole number, found '\u0664\u0662'" in result.output


@pytest.mark.parametrize("address", ["https://", "https://[::1", "http://example.org:99999/"])
def test_an_address_without_a_host_is_not_a_link(newsroom: Path, address: str) -> None:
    issue = newsroom / "issues" / "extra.yaml"
    issue.write_text(
        "number: 7\ndate: 2026-11-27\ntitle: A Title For The Week\n"
        "preheader: One sentence long enough for the inbox to show it after the subject.\n"
        "author: karimi\nsections:\n  - layout: list\n    items:\n"
        f"      - url: '{address}'\n        title: Nowhere\n        blurb: Words.\n",
        encoding="utf-8",
    )
    result = run("check", "issues/extra.yaml")
    assert result.exit_code == 1
    assert f"sections[0].items[0].url: expected an http(s) URL, found '{address}'" in (
        result.output
    )
    assert "internal error" not in result.output


def test_a_reader_that_goes_away_ends_the_command_quietly(newsroom: Path) -> None:
    # `newsletter build … --json | head -1`: the pipe closes before the command writes to it.
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "build", "issues/2026-11-27.yaml", "--json"],
        cwd=newsroom,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    error = process.stderr.read().decode()
    assert process.wait(timeout=30) == 1, error
    assert error == "", error


def test_a_build_folder_that_cannot_be_written_is_one_line(newsroom: Path) -> None:
    (newsroom / "occupied").write_text("a file where the build folder would go\n")
    lock = newsroom / "issues" / "2026-11-27.lock.json"
    before = lock.read_bytes()
    result = run("build", "issues/2026-11-27.yaml", "-o", "occupied/out")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot write the build to occupied/out/2026-11-27/")
    assert "internal error" not in result.output
    assert lock.read_bytes() == before
