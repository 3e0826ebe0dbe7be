"""Each reach into a library's private internals, guarded: when an upgrade changes what we rely
on, these fail loudly and name the library, instead of a feature quietly degrading."""

from __future__ import annotations

import subprocess
import sys

from feedparser import mixin
from feedparser.namespaces import mediarss

from newsletter import entries
from newsletter.entries import parse_feed
from tests.conftest import FeedServer, Route
from tests.test_hostile_feeds import HEALTHY, _fetch, _source

CAPTIONED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>x</title>
<item><title>T</title><link>https://example.org/a</link><description>The real summary.</description>
<media:content url="https://example.org/p.jpg" medium="image" width="1200" height="800">
<media:description>What the photo shows.</media:description></media:content></item>
<item xml:base="https://example.org/b/"><title>U</title><link>one.html</link></item>
<item xml:base="https://example.org/b/"><title>V</title><link>two.html</link></item>
</channel></rss>"""


def test_feedparser_media_description_handlers_are_ours() -> None:
    assert mediarss.Namespace._start_media_description is entries._start_media_description, (
        "feedparser's media:description handler is no longer where newsletter replaces it "
        "(feedparser.namespaces.mediarss.Namespace._start_media_description)"
    )
    first = parse_feed(CAPTIONED, feed_name="f", location="https://example.org/feed").articles[0]
    assert first.summary_text == "The real summary.", (
        "feedparser again files <media:description> as the entry's summary: "
        "newsletter's override in entries.py no longer takes effect"
    )
    assert first.image is not None and first.image.alt == "What the photo shows."


def test_feedparser_base_uri_join_is_memoised() -> None:
    cached = mixin.make_safe_absolute_uri
    assert hasattr(cached, "cache_info"), (
        "feedparser.mixin.make_safe_absolute_uri is no longer the memoised one newsletter installs"
    )
    before = cached.cache_info().hits
    parsed = parse_feed(CAPTIONED, feed_name="f", location="https://example.org/feed")
    assert [a.url for a in parsed.articles][1:] == [
        "https://example.org/b/one.html",
        "https://example.org/b/two.html",
    ]
    assert cached.cache_info().hits > before, (
        "feedparser's mixin no longer calls make_safe_absolute_uri through its module: "
        "the memo in entries.py saves nothing"
    )


def test_httpx_loads_without_its_command_line() -> None:
    script = (
        "import sys; import newsletter._httpx as h; "
        "assert h.httpx.AsyncClient; "
        "print(sorted(m for m in ('click', 'rich', 'pygments', 'httpx._main') "
        "if sys.modules.get(m) is not None))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]", (
        f"importing httpx through newsletter._httpx loaded {loaded}: httpx's command-line "
        "module is no longer httpx._main, or httpx imports it another way"
    )


def test_httpx_runs_response_hooks_before_it_reads_a_redirects_location(
    feed_server: FeedServer,
) -> None:
    feed_server.routes["/moved"] = Route(status=302, headers={"Location": "javascript:alert(1)"})
    feed_server.routes["/ok"] = Route(HEALTHY)
    results = _fetch(_source(feed_server, "/moved", "moved"), _source(feed_server, "/ok", "ok"))
    assert results["moved"].problem == (
        "redirected to an address that is not http(s): javascript:alert(1)"
    ), (
        "httpx no longer runs response hooks before it parses a redirect's Location: "
        "client._vet_redirect cannot name the address any more"
    )
