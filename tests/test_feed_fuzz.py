"""Property: whatever entries a feed carries, parse → store → read back → render never raises,
every stored article reads back, and the next fetch of the same store succeeds, in SQLite and in
PostgreSQL alike.

Entries are generated with odd and extreme dates (year 1 to 9999, impossible days, garbage),
control and bidi characters (raw bytes, character references, lone surrogates), deep
nesting, huge fields, markup look-alikes and duplicate links.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.config import load_settings
from newsletter.entries import parse_feed
from newsletter.models import Article, Author, Issue, Item, Section, Span, Validators
from newsletter.render import render_issue
from newsletter.render.checks import check_html
from newsletter.store import Location, open_store
from tests.conftest import ROOT

SETTINGS = load_settings(ROOT / "newsletter.toml")
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
SPAN = Span(Path("issues/2026-11-27.yaml"), 1, 1)

NASTY = st.sampled_from(
    [
        "\x00",
        "\x01",
        "\x07",
        "\x0b",
        "\x1b[31m",
        "\x1b]8;;https://evil.example/\x1b\\",
        "\x7f",
        "\x85",
        "\x9b",
        "\u2028",
        "\u202e",
        "\u202c",
        "\u2066",
        "\u2069",
        "\ufeff",
        "\ufffe",
        "\ud800",
        "&#1;",
        "&#27;",
        "&#xD800;",
        "&#x110000;",
        "&#0;",
        "&amp;#1;",
        "[/b]",
        "[link=https://evil.example/]",
        "{name:>9}",
        "{{",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "]]>",
        "<![CDATA[",
        "</title>",
        "ِ",
        "خبر",
        "𝕏",
    ]
)
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=12)), max_size=8).map("".join)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@st.composite
def dates(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["rfc822", "iso", "garbage", "none"]))
    year = draw(st.one_of(st.integers(1, 9999), st.sampled_from([1, 999, 1970, 2026, 9999])))
    month, day = draw(st.integers(1, 13)), draw(st.integers(0, 32))
    hour, minute = draw(st.integers(0, 25)), draw(st.integers(0, 61))
    zone = draw(st.sampled_from(["+0000", "GMT", "-1200", "+1400", "EST", "+9999", ""]))
    if kind == "rfc822":
        return f"Tue, {day:02d} {MONTHS[(month - 1) % 12]} {year:04d} {hour:02d}:{minute:02d}:00 {zone}"
    if kind == "iso":
        return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00Z"
    if kind == "garbage":
        return draw(TEXT)
    return ""


@st.composite
def summaries(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["text", "nested", "huge", "pixel", "markup"]))
    if kind == "nested":
        depth = draw(st.integers(1, 3000))
        tag = draw(st.sampled_from(["blockquote", "div", "b", "ul><li", "p"]))
        return f"<{tag}>" * depth + draw(TEXT) + f"</{tag.split('><')[0]}>" * depth
    if kind == "huge":
        return "<p>" + "word " * draw(st.integers(10_000, 60_000)) + "</p>"
    if kind == "pixel":
        return '<p>x</p><img src="https://t.example/p.gif" style="width:1px">'
    if kind == "markup":
        return f"<p>{draw(TEXT)}</p><a href='javascript:{draw(TEXT)}'>{draw(TEXT)}</a>"
    return draw(TEXT)


@st.composite
def entries(draw: st.DrawFn) -> str:
    link = draw(
        st.sampled_from(
            [
                "https://example.org/a/1",
                "https://example.org/a/1?utm_source=x",
                "https://Example.org/a/1#top",
                "https://example.org/a/2",
                "/relative/3",
                "javascript:alert(1)",
                "https://example.org/a b",
                "https://example.org:99999/x",
                "",
            ]
        )
        | st.integers(0, 10_000).map(lambda n: f"https://example.org/n/{n}")
    )
    escape = draw(st.booleans())

    def put(value: str) -> str:
        # Either properly escaped, or raw as a careless feed writes it.
        return html.escape(value) if escape else value.replace("<", "&lt;")

    return (
        f"<item><title>{put(draw(TEXT))}</title><link>{put(link)}</link>"
        f"<pubDate>{put(draw(dates()))}</pubDate>"
        f"<description>{html.escape(draw(summaries()))}</description>"
        f"<author>{put(draw(TEXT))}</author><category>{put(draw(TEXT))}</category></item>"
    )


def _issue(articles: list[Article]) -> Issue:
    items = tuple(
        Item(
            article=article,
            title=article.title,
            url=article.url,
            body_md="A sentence in the editor's words.",
            notes=(),
            image=article.image,
            span=SPAN,
        )
        for article in articles[:20]
    )
    return Issue(
        number=1,
        date=date(2026, 11, 27),
        lang="en",
        title="A Week Of Generated Feeds",
        subject=None,
        preheader="Whatever the feeds carried, the briefing renders and the store stays sound.",
        author=Author("ed", "Ed"),
        hero=None,
        sections=(Section("Stories", "list", items, SPAN),),
        signoff_md="",
        labels=(),
        source=SPAN.path,
    )


# The fixture hands out a newly emptied store on each call, so sharing it between examples
# (what the health check guards against) leaks nothing from one example to the next.
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(entries(), min_size=1, max_size=6), st.booleans())
def test_generated_entries_are_stored_read_back_and_rendered(
    empty_store_at: Callable[[], Location], items: list[str], surrogatepass: bool
) -> None:
    document = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        "<link>https://example.org/</link>" + "".join(items) + "</channel></rss>"
    )
    data = document.encode("utf-8", "surrogatepass" if surrogatepass else "replace")
    parsed = parse_feed(data, feed_name="fuzz", location="https://example.org/feed", now=NOW)
    assert len(parsed.articles) + len(parsed.skipped) == parsed.entries or parsed.problem
    location = empty_store_at()
    for _ in range(2):  # the fetch, then the next fetch of the same store
        with open_store(location) as store:
            store.save_feed(
                name="fuzz",
                url="https://example.org/feed",
                articles=parsed.articles,
                status=200,
                validators=Validators(),
                problem=parsed.problem,
            )
            stored = store.all_articles()
    assert {a.id for a in stored} == {a.id for a in parsed.articles}
    for article in stored:
        assert article.published is not None
        assert datetime(1995, 1, 1, tzinfo=UTC) <= article.published <= NOW.replace(day=30)
    if stored:
        rendered = render_issue(_issue(stored), SETTINGS)
        check_html(rendered.html)
        for output in (rendered.html, rendered.text):
            assert not any(ord(c) < 32 and c not in "\t\n\r" for c in output)
