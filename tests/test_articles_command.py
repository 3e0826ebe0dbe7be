"""`newsletter articles` over a busy week: the table's pages and what it says of the rows it
left out, JSON for scripts, titles cut to the terminal's width, feed text shown as data."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from rich.cells import cell_len

from newsletter.commands.articles import list_articles
from newsletter.config import load_settings
from newsletter.present import articles_text
from newsletter.untrusted import terminal_text
from tests.conftest import FeedServer, Route, run

STORIES = 250


def _busy_week(folder: Path, server: FeedServer) -> None:
    """A newsroom whose one feed has 250 stories in the week ending 2026-11-27, one a minute
    apart from 2026-11-26 00:00 UTC down, so that the newest-first order is known."""
    items = []
    for number in range(STORIES):
        hour, minute = divmod(24 * 60 - 1 - number, 60)
        items.append(
            f"<item><title>Story {number:03d} of a busy week in the provinces</title>"
            f"<link>https://example.org/s/{number}</link>"
            f"<pubDate>Wed, 25 Nov 2026 {hour:02d}:{minute:02d}:00 +0000</pubDate></item>"
        )
    server.routes["/busy"] = Route(
        (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
            "<link>https://example.org/</link>" + "".join(items) + "</channel></rss>"
        ).encode()
    )
    (folder / "newsletter.toml").write_text(
        '[newsletter]\nname = "Test Briefing"\nfrom = "t@example.org"\n'
        f'timezone = "Asia/Kabul"\n\n[[feeds]]\nname = "busy"\nurl = "{server.url("/busy")}"\n',
        encoding="utf-8",
    )
    assert run("fetch").exit_code == 0


def _rows(output: str) -> list[str]:
    return re.findall(r"Story (\d{3})", output)


def test_the_table_shows_a_page_and_says_how_to_see_the_rest(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _busy_week(tmp_path, feed_server)
    first = run("articles", "--week", "2026-11-27")
    assert first.exit_code == 0, first.output
    assert _rows(first.output) == [f"{n:03d}" for n in range(100)]
    assert "Articles 1 to 100 of 250, newest first." in first.output
    assert (
        "Next page: newsletter articles --week 2026-11-27 --page 2; every article: add --all."
        in first.output
    )
    last = run("articles", "--week", "2026-11-27", "--page", "3")
    assert _rows(last.output) == [f"{n:03d}" for n in range(200, 250)]
    assert "Articles 201 to 250 of 250" in last.output and "Next page" not in last.output
    small = run("articles", "--week", "2026-11-27", "--limit", "7", "--page", "2")
    assert _rows(small.output) == [f"{n:03d}" for n in range(7, 14)]
    assert "--limit 7 --page 3" in small.output
    beyond = run("articles", "--week", "2026-11-27", "--page", "4")
    assert beyond.exit_code == 0 and _rows(beyond.output) == []
    assert "No articles on this page: the week has 250." in beyond.output
    every = run("articles", "--week", "2026-11-27", "--all")
    assert _rows(every.output) == [f"{n:03d}" for n in range(STORIES)]
    assert every.output.rstrip().endswith("250 articles.")
    refused = run("articles", "--week", "2026-11-27", "--all", "--limit", "5")
    assert refused.exit_code == 2 and "--all shows every article" in refused.output


def test_json_gives_a_script_every_article_unless_it_asks_for_a_page(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _busy_week(tmp_path, feed_server)
    every = json.loads(run("articles", "--week", "2026-11-27", "--json").output)
    assert len(every) == STORIES
    page = json.loads(
        run("articles", "--week", "2026-11-27", "--json", "--limit", "10", "--page", "3").output
    )
    assert page == every[20:30]


def test_titles_are_cut_to_the_terminal_and_whole_in_a_pipe(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _busy_week(tmp_path, feed_server)
    settings = load_settings(tmp_path / "newsletter.toml")
    found = list_articles(settings, week=date(2026, 11, 27))
    cut = articles_text(found, settings, found.articles[:20], width=60).splitlines()
    assert all(cell_len(line) <= 60 for line in cut)
    assert cut[2].endswith("…") and cut[2].startswith(found.articles[0].id + "  busy")
    whole = articles_text(found, settings, found.articles[:20]).splitlines()
    assert whole[2].endswith("Story 000 of a busy week in the provinces")
    # Every row's columns start where the header's do.
    columns = [whole[1].index(name) for name in ("feed", "local time", "title")]
    assert all(line.index("busy") == columns[0] for line in whole[2:])
    assert all(line.index("Story") == columns[2] for line in whole[2:])


def test_joiners_are_letters_and_bidi_controls_are_shown_as_escapes() -> None:
    assert terminal_text("زمین\u200cلرزه") == "زمین\u200cلرزه"
    assert terminal_text("a\u200db") == "a\u200db"
    assert terminal_text("evil\u202egnp.exe") == "evil\\u202egnp.exe"
    assert terminal_text("bell\x07") == "bell\\x07"
