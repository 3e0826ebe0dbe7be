"""`newsletter init`: a newsroom that is not the demo, from nothing to a built first issue
against feeds on the loopback server; and an existing newsroom is never overwritten."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsletter.config import load_settings
from tests.conftest import FeedServer, Route, run
from tests.test_hostile_feeds import _item, _rss


def test_init_then_fetch_draft_check_and_build_a_first_issue(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_server.routes["/wire.xml"] = Route(
        _rss(
            _item("Valley Council Approves New Bridge", "/v/1", description="A bridge."),
            _item("Flood Warnings Lifted In Lower Valley", "/v/2", description="Water falls."),
        )
    )
    monkeypatch.chdir(tmp_path)
    made = run(
        "init",
        "valley",
        "--name",
        "The Valley Briefing",
        "--from",
        "Valley Desk <desk@example.org>",
        "--timezone",
        "Europe/Prague",
        "--author",
        "Ana Ruiz",
        "--feed",
        f"wire={feed_server.url('/wire.xml')}",
        "--theme",
    )
    assert made.exit_code == 0, made.output
    assert made.output.splitlines()[-4:] == [
        "  cd valley",
        "  newsletter fetch",
        "  newsletter articles",
        "  newsletter draft",
    ]
    settings = load_settings(tmp_path / "valley" / "newsletter.toml")
    assert settings.name == "The Valley Briefing" and settings.timezone.key == "Europe/Prague"
    assert [feed.name for feed in settings.feeds] == ["wire"]
    assert settings.theme == tmp_path / "valley" / "theme"
    assert (tmp_path / "valley" / "theme" / "email.mjml.jinja").is_file()

    monkeypatch.chdir(tmp_path / "valley")
    assert run("fetch", "--strict").exit_code == 0
    assert run("draft", "--date", "2026-11-27").exit_code == 0
    draft = tmp_path / "valley" / "issues" / "2026-11-27.yaml"
    text = draft.read_text(encoding="utf-8")
    assert "author: ruiz" in text
    # The editor's work: words for every TODO, and the first candidate uncommented.
    text = re.sub(r"TODO ", "", text)
    text = re.sub(
        r"(?m)^      # - article: (\w+).*\n      #   blurb: (.*)$",
        r"      - article: \1\n        blurb: \2",
        text,
        count=1,
    )
    text = text.replace(
        "title: The Key Issue As A News Sentence In Title Case",
        "title: Valley Council Approves A Bridge",
    )
    draft.write_text(text, encoding="utf-8")
    checked = run("check", "issues/2026-11-27.yaml")
    assert checked.exit_code == 0, checked.output
    built = run("build", "issues/2026-11-27.yaml")
    assert built.exit_code == 0, built.output
    email = (tmp_path / "valley" / "build" / "2026-11-27" / "email.html").read_text("utf-8")
    assert "The Valley Briefing" in email
    # The draft's first candidate is the key issue, linked by "Read the full story".
    assert 'href="https://example.org/v/2"' in email


def test_init_never_overwrites_a_newsroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("init", "--name", "One", "--from", "a@example.org").exit_code == 0
    before = (tmp_path / "newsletter.toml").read_text(encoding="utf-8")
    again = run("init", "--name", "Two", "--from", "b@example.org", "--theme")
    assert again.exit_code == 1
    assert "newsletter.toml: error: already exists; nothing was written" in again.output
    assert (tmp_path / "newsletter.toml").read_text(encoding="utf-8") == before
    assert not (tmp_path / "theme").exists()
    assert (
        "  # add your feeds under [[feeds]] in newsletter.toml, then:"
        in run("init", "fresh", "--name", "F", "--from", "f@example.org").output
    )


def test_init_reports_every_bad_option_at_once(tmp_path: Path) -> None:
    result = run(
        "init",
        str(tmp_path / "x"),
        "--name",
        "N",
        "--from",
        "nobody",
        "--timezone",
        "Mars/Olympus",
        "--feed",
        "ftp://example.org/feed",
    )
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if "error:" in line]
    assert errors == [
        "error: --from: expected an email address, found 'nobody'",
        "error: --timezone: no time zone 'Mars/Olympus'",
        "error: --feed: expected an http(s) address for feed 'example', found "
        "'ftp://example.org/feed'",
    ]
    assert not (tmp_path / "x").exists()


def test_init_checks_feed_names_before_writing_anything(tmp_path: Path) -> None:
    target = tmp_path / "dup"
    result = run(
        "init",
        str(target),
        "--name",
        "D",
        "--from",
        "d@example.org",
        "--feed",
        "a=https://example.org/1.xml",
        "--feed",
        "a=https://example.org/2.xml",
        "--feed",
        "Fancy Name=https://example.org/3.xml",
    )
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if "error:" in line]
    assert errors[0] == "error: --feed: two feeds are named 'a'"
    assert errors[1].startswith("error: --feed: feed 'Fancy Name': expected a short feed name")
    assert not target.exists()


def test_links_left_at_their_example_address_are_flagged_until_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        run("init", "--name", "Links", "--from", "l@example.org", "--author", "Li Wu").exit_code
        == 0
    )
    (tmp_path / "issues" / "2026-11-27.yaml").write_text(
        "number: 1\ndate: 2026-11-27\ntitle: A Quiet Week In The Valley\n"
        "preheader: Nothing much happened, and here is why that matters to the valley today.\n"
        "author: wu\nsections:\n  - layout: feature\n    items:\n"
        "      - url: https://example.org/a\n        title: A Story\n        body: Words.\n",
        encoding="utf-8",
    )
    checked = run("check", "issues/2026-11-27.yaml")
    assert checked.exit_code == 0, checked.output
    for key, words in (
        ("subscribe_url", "Subscribe here"),
        ("archive_url", "Read it in your browser"),
        ("unsubscribe_url", "Unsubscribe"),
    ):
        said = f'warning: newsletter.toml gives no {key}: the email\'s "{words}" link'
        assert said in checked.output
    settings = (tmp_path / "newsletter.toml").read_text(encoding="utf-8")
    settings = settings.replace("# subscribe_url", "subscribe_url").replace(
        "# archive_url", "archive_url"
    )
    settings = settings.replace("# unsubscribe_url", "unsubscribe_url")
    (tmp_path / "newsletter.toml").write_text(settings, encoding="utf-8")
    assert "0 warnings" in run("check", "issues/2026-11-27.yaml").output


def test_a_feed_at_an_ip_address_is_named_feed(tmp_path: Path) -> None:
    made = run(
        "init",
        str(tmp_path / "ip"),
        "--name",
        "I",
        "--from",
        "i@example.org",
        "--feed",
        "http://127.0.0.1:8777/a.xml",
        "--feed",
        "http://127.0.0.1:8777/b.xml",
    )
    assert made.exit_code == 0, made.output
    settings = load_settings(tmp_path / "ip" / "newsletter.toml")
    assert [feed.name for feed in settings.feeds] == ["feed", "feed-2"]
