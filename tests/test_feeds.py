"""The feed reader against a real HTTP server on 127.0.0.1 and against files on disk."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from newsletter.config import FeedSource
from newsletter.feeds import FeedResult, fetch_feeds, html_to_text, parse_feed, sanitise_html
from newsletter.models import Span, Validators
from tests.conftest import FeedServer, Route

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://example.org/</link>
<item><title>First &amp; Foremost</title><link>https://Example.org/a/1.html?utm_source=x#top</link>
<pubDate>Tue, 24 Nov 2026 10:00:00 +0000</pubDate>
<description>&lt;p onclick="x()"&gt;Hello &lt;script&gt;alert(1)&lt;/script&gt;&lt;a href="javascript:evil()"&gt;link&lt;/a&gt;&lt;img src="https://t.example.org/p.gif" width="1" height="1"&gt;&lt;/p&gt;</description>
</item>
<item><title>Undated</title><link>/relative/2.html</link></item>
<item><title>No link</title></item>
</channel></rss>"""

ATOM_RELATIVE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>x</id><updated>2026-11-24T00:00:00Z</updated>
<entry><title>Rel</title><id>e1</id><link href="stories/3.html"/><updated>2026-11-24T08:00:00Z</updated></entry>
</feed>"""


def _source(server: FeedServer, path: str, name: str = "feed") -> FeedSource:
    return FeedSource(name, server.url(path), Span(Path("newsletter.toml"), 1, 1))


def _fetch(
    *sources: FeedSource, validators: dict[str, Validators] | None = None
) -> list[FeedResult]:
    return asyncio.run(fetch_feeds(sources, validators or {}))


def test_parse_normalises_links_dates_and_sanitises_summaries() -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    articles, skipped, problem = parse_feed(
        RSS, feed_name="f", location="https://example.org/feeds/rss.xml", now=now
    )
    assert problem is None
    assert skipped == ("entry 3: no http(s) link",)
    first, undated = articles
    assert first.url == "https://example.org/a/1.html"
    assert first.title == "First & Foremost"
    assert first.published == datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert "script" not in first.summary_html and "onclick" not in first.summary_html
    assert "javascript:" not in first.summary_html and "<img" not in first.summary_html
    assert first.summary_text == "Hello link"
    assert undated.url == "https://example.org/relative/2.html"
    assert undated.date_is_guess and undated.published == now


def test_sanitise_keeps_real_images_and_drops_pixels() -> None:
    kept = sanitise_html('<img src="https://e.org/a.jpg" alt="A" width="600" height="400">')
    assert 'src="https://e.org/a.jpg"' in kept and 'alt="A"' in kept
    assert sanitise_html('<img src="https://e.org/p.gif" width="1" height="1">') == ""
    assert html_to_text("<p>a</p><p>b&amp;c</p>") == "a b&c"


def test_fetch_over_http_with_etag_round_trip(feed_server: FeedServer) -> None:
    feed_server.routes["/rss"] = Route(
        RSS, headers={"Content-Type": "application/rss+xml", "ETag": '"v1"'}
    )
    (first,) = _fetch(_source(feed_server, "/rss"))
    assert first.problem is None and first.status == 200
    assert len(first.articles) == 2
    assert first.articles[1].url == feed_server.url("/relative/2.html")
    assert first.validators.etag == '"v1"'
    (second,) = _fetch(_source(feed_server, "/rss"), validators={"feed": first.validators})
    assert second.not_modified and second.status == 304 and second.articles == ()
    assert feed_server.requests[-1][1]["if-none-match"] == '"v1"'
    assert feed_server.requests[-1][1]["user-agent"].startswith("newsletter/")


def test_relative_atom_links_resolve_against_the_final_url(feed_server: FeedServer) -> None:
    feed_server.routes["/old"] = Route(status=301, headers={"Location": "/news/atom.xml"})
    feed_server.routes["/news/atom.xml"] = Route(
        ATOM_RELATIVE, headers={"Content-Type": "application/atom+xml"}, gzip=True
    )
    (result,) = _fetch(_source(feed_server, "/old"))
    assert result.problem is None
    assert [a.url for a in result.articles] == [feed_server.url("/news/stories/3.html")]


def test_broken_feeds_are_reported_in_plain_words(feed_server: FeedServer) -> None:
    feed_server.routes["/html"] = Route(
        b"<!DOCTYPE html><html><body>Welcome</body></html>",
        headers={"Content-Type": "text/html"},
    )
    feed_server.routes["/500"] = Route(b"oops", status=500)
    feed_server.routes["/empty"] = Route(b"", headers={"Content-Type": "application/xml"})
    feed_server.routes["/good"] = Route(RSS, headers={"Content-Type": "application/rss+xml"})
    results = _fetch(
        _source(feed_server, "/missing", "a"),
        _source(feed_server, "/html", "b"),
        _source(feed_server, "/500", "c"),
        _source(feed_server, "/empty", "d"),
        _source(feed_server, "/good", "e"),
    )
    problems = [r.problem for r in results]
    assert problems == [
        "HTTP 404: the feed is not at this address any more; check the URL",
        "an HTML page, not a feed: check the address",
        "HTTP 500: the server failed; try again later",
        "the feed is empty",
        None,
    ]
    assert len(results[-1].articles) == 2


def test_a_refused_connection_is_named(feed_server: FeedServer) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = FeedSource("gone", f"http://127.0.0.1:{port}/feed", Span(Path("x"), 1, 1))
    (result,) = _fetch(source)
    assert result.problem == "the server refused the connection"


def test_a_missing_local_file_is_named(tmp_path: Path) -> None:
    source = FeedSource("local", str(tmp_path / "nope.xml"), Span(Path("x"), 1, 1))
    (result,) = _fetch(source)
    assert result.problem == f"no file at {tmp_path / 'nope.xml'}"
