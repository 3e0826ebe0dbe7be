"""The feed reader against a real HTTP server on 127.0.0.1 and against files on disk."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from newsletter.client import _connect_problem
from newsletter.config import FeedSource
from newsletter.entries import parse_feed
from newsletter.feeds import FeedResult, FetchOptions, fetch_feeds
from newsletter.markup import html_to_text, sanitise_html
from newsletter.models import FeedState, FetchLimits, SkippedEntry, Span, Validators
from tests.conftest import FeedServer, Route, one_story_feed

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://example.org/</link>
<item><title>First &amp; Foremost</title><link>https://Example.org/a/1.html?utm_source=x#top</link>
<pubDate>Tue, 24 Nov 2026 10:00:00 +0000</pubDate>
<description>&lt;p onclick="x()"&gt;Hello &lt;script&gt;alert(1)&lt;/script&gt;&lt;a href="javascript:evil()"&gt;link&lt;/a&gt;&lt;img src="https://t.example.org/p.gif" width="1" height="1"&gt;&lt;/p&gt;</description>
</item>
<item><title>Undated</title><link>/relative/2.html</link></item>
<item><title>No link</title></item>
<item><title>Again</title><link>https://example.org/a/1.html</link></item>
</channel></rss>"""

ATOM_RELATIVE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>x</id><updated>2026-11-24T00:00:00Z</updated>
<entry><title>Rel</title><id>e1</id><link href="stories/3.html"/><updated>2026-11-24T08:00:00Z</updated></entry>
</feed>"""

UNDATED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>U</title><link>https://example.org/</link>
<item><title>One</title><link>https://example.org/u/1</link></item>
<item><title>Two</title><link>https://example.org/u/2</link></item>
</channel></rss>"""

FAST = FetchOptions(FetchLimits(read_timeout=1.0, connect_timeout=1.0), backoff=0.05, workers=1)


def _source(server: FeedServer, path: str, name: str = "feed") -> FeedSource:
    return FeedSource(name, server.url(path), Span(Path("newsletter.toml"), 1, 1))


def _fetch(
    *sources: FeedSource,
    states: dict[str, FeedState] | None = None,
    options: FetchOptions = FAST,
) -> list[FeedResult]:
    return asyncio.run(fetch_feeds(sources, states or {}, options=options))


def test_parse_normalises_links_dates_and_sanitises_summaries() -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    parsed = parse_feed(RSS, feed_name="f", location="https://example.org/feeds/rss.xml", now=now)
    assert parsed.problem is None
    assert parsed.skipped == (
        SkippedEntry(3, "no http(s) link"),
        SkippedEntry(4, "same link as entry 1"),
    )
    assert str(parsed.skipped[0]) == "entry 3: no http(s) link"
    first, undated = parsed.articles
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
    assert sanitise_html("<img src='https://e.org/p.gif' width=1 height=1>") == ""
    assert sanitise_html('<iframe src="https://e.org"></iframe><style>p{}</style>x') == "x"
    assert sanitise_html('<a href="data:text/html,x">y</a>') == '<a rel="noopener noreferrer">y</a>'
    assert html_to_text("<p>a</p><p>b&amp;c</p>") == "a b&c"


def test_images_come_from_media_enclosures_or_the_first_img() -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
    <channel><title>i</title><link>https://e.org/</link>
    <item><title>m</title><link>https://e.org/1</link><media:thumbnail url="https://e.org/t.jpg" width="640" height="360"/></item>
    <item><title>e</title><link>https://e.org/2</link><enclosure url="https://e.org/e.png" type="image/png" length="1"/></item>
    <item><title>i</title><link>https://e.org/3</link><description>&lt;img src="https://e.org/i.jpg" alt="A boat"&gt;</description></item>
    </channel></rss>"""
    images = [a.image for a in parse_feed(feed, feed_name="f", location="https://e.org/").articles]
    assert [(i.url, i.alt, i.width) for i in images if i] == [
        ("https://e.org/t.jpg", "", 640),
        ("https://e.org/e.png", "", None),
        ("https://e.org/i.jpg", "A boat", None),
    ]


def test_conditional_get_with_both_validators(feed_server: FeedServer) -> None:
    feed_server.routes["/etag"] = Route(
        RSS, headers={"Content-Type": "application/rss+xml", "ETag": '"v1"'}
    )
    feed_server.routes["/lm"] = Route(
        RSS, headers={"Last-Modified": "Tue, 24 Nov 2026 10:00:00 GMT"}
    )
    sources = (_source(feed_server, "/etag", "a"), _source(feed_server, "/lm", "b"))
    first = _fetch(*sources)
    assert [r.status for r in first] == [200, 200]
    assert first[0].validators == Validators('"v1"', None)
    assert first[1].validators == Validators(None, "Tue, 24 Nov 2026 10:00:00 GMT")
    states = {r.source.name: FeedState(r.source.url, r.validators) for r in first}
    second = _fetch(*sources, states=states)
    assert [(r.status, r.not_modified, r.articles) for r in second] == [
        (304, True, ()),
        (304, True, ()),
    ]
    sent = dict(feed_server.requests[-2:])
    assert sent["/etag"]["if-none-match"] == '"v1"'
    assert sent["/lm"]["if-modified-since"] == "Tue, 24 Nov 2026 10:00:00 GMT"
    assert sent["/lm"]["user-agent"].startswith("newsletter/")


def test_a_permanent_redirect_is_recorded_and_used_next_time(feed_server: FeedServer) -> None:
    feed_server.routes["/old"] = Route(status=301, headers={"Location": "/news/atom.xml"})
    feed_server.routes["/news/atom.xml"] = Route(
        ATOM_RELATIVE, headers={"Content-Type": "application/atom+xml"}, gzip=True
    )
    (result,) = _fetch(_source(feed_server, "/old"))
    assert result.problem is None
    assert result.moved_to == feed_server.url("/news/atom.xml")
    assert result.notes == (f"moved permanently to {result.moved_to}; update newsletter.toml",)
    # Relative links resolve against the final address, not the one in the settings.
    assert [a.url for a in result.articles] == [feed_server.url("/news/stories/3.html")]
    feed_server.requests.clear()
    state = FeedState(feed_server.url("/old"), moved_to=result.moved_to)
    (again,) = _fetch(_source(feed_server, "/old"), states={"feed": state})
    assert again.problem is None
    assert [path for path, _ in feed_server.requests] == ["/news/atom.xml"]


def test_a_temporary_redirect_is_followed_but_not_recorded(feed_server: FeedServer) -> None:
    feed_server.routes["/tmp"] = Route(status=302, headers={"Location": "/real"})
    feed_server.routes["/real"] = Route(RSS)
    (result,) = _fetch(_source(feed_server, "/tmp"))
    assert result.problem is None and result.moved_to is None


def test_redirect_loops_and_chains_are_stopped(feed_server: FeedServer) -> None:
    feed_server.routes["/a"] = Route(status=301, headers={"Location": "/b"})
    feed_server.routes["/b"] = Route(status=302, headers={"Location": "/a"})
    for hop in range(8):
        feed_server.routes[f"/c{hop}"] = Route(status=302, headers={"Location": f"/c{hop + 1}"})
    loop, chain = _fetch(_source(feed_server, "/a", "loop"), _source(feed_server, "/c0", "chain"))
    assert loop.problem == "the server redirects in a loop"
    assert chain.problem == "more than 5 redirects; not followed"


def test_429_with_retry_after_is_honoured(feed_server: FeedServer) -> None:
    feed_server.routes["/busy"] = Route(
        b"slow down", status=429, headers={"Retry-After": "1"}, then=[Route(RSS)]
    )
    started = time.perf_counter()
    (result,) = _fetch(_source(feed_server, "/busy"))
    assert result.problem is None and result.attempts == 2
    assert time.perf_counter() - started >= 1.0


def test_5xx_is_retried_with_backoff_then_reported(feed_server: FeedServer) -> None:
    feed_server.routes["/flaky"] = Route(b"", status=503, then=[Route(RSS)])
    feed_server.routes["/down"] = Route(b"oops", status=500, then=[Route(b"", status=500)] * 3)
    flaky, down = _fetch(_source(feed_server, "/flaky", "a"), _source(feed_server, "/down", "b"))
    assert flaky.problem is None and flaky.attempts == 2
    assert down.problem == "HTTP 500: the server failed; try again later"
    assert down.attempts == 1 and down.status == 500
    assert sum(1 for path, _ in feed_server.requests if path == "/down") == 3


def test_a_long_retry_after_fails_the_feed_for_now(feed_server: FeedServer) -> None:
    feed_server.routes["/later"] = Route(b"", status=429, headers={"Retry-After": "3600"})
    (result,) = _fetch(_source(feed_server, "/later"))
    assert result.problem == (
        "HTTP 429: the server asks us to slow down; try again later (it asks us to wait 3600 s)"
    )


def test_a_slow_server_hits_the_timeout_without_holding_up_others(
    feed_server: FeedServer,
) -> None:
    feed_server.routes["/slow"] = Route(RSS, delay=3.0)
    feed_server.routes["/fast"] = Route(RSS)
    started = time.perf_counter()
    slow, fast = _fetch(_source(feed_server, "/slow", "a"), _source(feed_server, "/fast", "b"))
    assert slow.problem == "the server took too long to answer (timeout)"
    assert fast.problem is None
    assert time.perf_counter() - started < 2.5


def test_a_body_over_the_cap_is_not_read(feed_server: FeedServer) -> None:
    huge = RSS + b"<!--" + b"x" * 300_000 + b"-->"
    feed_server.routes["/huge"] = Route(huge)
    feed_server.routes["/declared"] = Route(huge, headers={"Content-Length": str(len(huge))})
    options = FetchOptions(max_bytes=100 * 1024, backoff=0.05, workers=1)
    streamed, _ = _fetch(
        _source(feed_server, "/huge", "a"), _source(feed_server, "/declared", "b"), options=options
    )
    assert streamed.problem == (
        "the feed is larger than 100 KB; not read (a feed this big is probably wrong)"
    )
    assert streamed.articles == ()


def test_a_wrong_charset_header_does_not_garble_the_text(feed_server: FeedServer) -> None:
    body = one_story_feed("Kabul’s Café Reopens — زمستان", "/c/1")
    feed_server.routes["/latin"] = Route(
        body, headers={"Content-Type": "application/rss+xml; charset=ISO-8859-1"}
    )
    feed_server.routes["/cp1252"] = Route(
        one_story_feed("Café", "/c/2")
        .replace(b"utf-8", b"windows-1252")
        .replace("é".encode(), b"\xe9"),
        headers={"Content-Type": "text/xml"},
    )
    latin, legacy = _fetch(
        _source(feed_server, "/latin", "a"), _source(feed_server, "/cp1252", "b")
    )
    assert latin.articles[0].title == "Kabul’s Café Reopens — زمستان"
    assert legacy.articles[0].title == "Café"


def test_feeds_without_dates_are_dated_when_first_seen(feed_server: FeedServer) -> None:
    feed_server.routes["/undated"] = Route(UNDATED)
    (result,) = _fetch(_source(feed_server, "/undated"))
    assert all(a.date_is_guess for a in result.articles)
    assert result.notes == ("the feed gives no dates; articles are dated when first seen",)


def test_broken_feeds_are_reported_in_plain_words(feed_server: FeedServer) -> None:
    feed_server.routes["/html"] = Route(
        b"<!DOCTYPE html><html><body>Welcome</body></html>", headers={"Content-Type": "text/html"}
    )
    feed_server.routes["/500"] = Route(b"oops", status=500)
    feed_server.routes["/empty"] = Route(b"", headers={"Content-Type": "application/xml"})
    feed_server.routes["/notxml"] = Route(b"just some text, not xml", headers={})
    feed_server.routes["/good"] = Route(RSS, headers={"Content-Type": "application/rss+xml"})
    results = _fetch(
        _source(feed_server, "/missing", "a"),
        _source(feed_server, "/html", "b"),
        _source(feed_server, "/500", "c"),
        _source(feed_server, "/empty", "d"),
        _source(feed_server, "/notxml", "e"),
        _source(feed_server, "/good", "f"),
    )
    problems = [r.problem for r in results]
    assert problems[:4] == [
        "HTTP 404: the feed is not at this address any more; check the URL",
        "an HTML page, not a feed: check the address",
        "HTTP 500: the server failed; try again later",
        "the feed is empty",
    ]
    assert problems[4] is not None and problems[4].startswith("not a feed")
    assert problems[5] is None and len(results[5].articles) == 2


def test_a_refused_connection_is_named() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = FeedSource("gone", f"http://127.0.0.1:{port}/feed", Span(Path("x"), 1, 1))
    (result,) = _fetch(refused)
    assert result.problem == "the server refused the connection"


def test_a_failed_name_lookup_is_named() -> None:
    # Built by hand: a real lookup would send a query past the loopback address.
    wrapped = httpx.ConnectError("All connection attempts failed")
    wrapped.__cause__ = socket.gaierror(-2, "Name or service not known")
    assert _connect_problem(wrapped) == "the host name does not exist (DNS lookup failed)"


def test_a_missing_local_file_is_named(tmp_path: Path) -> None:
    source = FeedSource("local", str(tmp_path / "nope.xml"), Span(Path("x"), 1, 1))
    (result,) = _fetch(source)
    assert result.problem == f"no file at {tmp_path / 'nope.xml'}"


def test_a_feed_waiting_for_its_busy_host_does_not_hold_up_other_hosts(
    feed_server: FeedServer,
) -> None:
    for number in range(3):
        feed_server.routes[f"/slow{number}"] = Route(
            one_story_feed("Slow", f"/slow/{number}"), delay=0.5
        )
    feed_server.routes["/quick"] = Route(one_story_feed("Quick", "/quick"))
    slow = [_source(feed_server, f"/slow{n}", f"slow{n}") for n in range(3)]
    # The same server under another name: a second host, with slots of its own.
    quick = FeedSource(
        "quick", feed_server.url("/quick").replace("127.0.0.1", "localhost"), slow[0].span
    )
    options = FetchOptions(FetchLimits(concurrency=2, per_host=1), workers=1)
    *_, result = _fetch(*slow, quick, options=options)
    assert result.articles[0].title == "Quick"
    assert result.elapsed < 0.4  # not queued behind the first slow feed


def test_a_photo_caption_does_not_replace_the_summary() -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
    <channel><title>c</title><link>https://e.org/</link>
    <item><title>t</title><link>https://e.org/1</link><description>The real summary.</description>
    <media:content url="https://e.org/p.jpg" medium="image" width="800" height="600">
    <media:description>Boats on the river at dawn.</media:description></media:content></item>
    </channel></rss>"""
    (article,) = parse_feed(feed, feed_name="f", location="https://e.org/").articles
    assert article.summary_text == "The real summary."
    assert article.image is not None
    assert (article.image.alt, article.image.width) == ("Boats on the river at dawn.", 800)
