"""Stage 1 (feed reader), parsing: feed bytes → feedparser → normalised, sanitised `Article`s.

feedparser only ever sees bytes we hand it, with the response headers and the final URL as
content-location so relative links resolve; it never does I/O of its own. Before it does,
the bytes are scrubbed of what no XML may hold and cut to the first `MAX_ENTRIES` entries;
summaries go through `markup`, every string through `untrusted`. `FeedParserDict` never
leaves this module. Every entry yields an article or a recorded reason; no exception
from a hostile or broken feed escapes `parse_feed`. Runs in the fetch's worker processes, so
everything it returns pickles.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
from feedparser import mixin as _mixin
from feedparser.namespaces import mediarss as _mediarss

from newsletter.markup import (
    ATTR,
    IMG,
    absolute_links,
    html_to_text,
    is_tracking_pixel,
    safe_html_to_text,
    sanitise_html,
)
from newsletter.models import Article, Image, ParsedFeed, SkippedEntry
from newsletter.untrusted import clean_text
from newsletter.urls import canonical_url, id_of_canonical

# Bounds on what one entry may cost (the HTML's own are in `markup`).
MAX_TITLE_CHARS = 1_000
MAX_FIELD_CHARS = 500  # author, image alt, a category
MAX_CATEGORIES = 30
# A week of a busy wire is a few hundred entries; feedparser spends some 0.15 ms of CPU on
# each, and 255,000 tiny ones fit in 10 MB.
MAX_ENTRIES = 2_000
# Dates a feed may give: CMSs write year 1 for "no date", and a story from next month is a
# typo. Outside the window an entry counts as undated.
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=2)


def _start_media_description(parser: Any, attrs: dict[str, str]) -> None:
    parser.push("media_description", 1)


def _end_media_description(parser: Any) -> None:
    parser.pop("media_description")


# feedparser files <media:description> (the caption of a photo) as the entry's description,
# so a feed with a captioned photo loses its real summary to the caption. Keep it apart, as
# `media_description`, which is what it is; this changes nothing else in feedparser.
_mediarss.Namespace._start_media_description = _start_media_description
_mediarss.Namespace._end_media_description = _end_media_description

# feedparser re-resolves xml:base against the current base at every start tag, the same
# (base, base) join thousands of times per feed: a fifth of its parsing time. The function is
# pure, so remembering recent answers changes no result.
_mixin.make_safe_absolute_uri = functools.lru_cache(maxsize=256)(_mixin.make_safe_absolute_uri)

_SINGLE_BYTE = re.compile(r"^(iso-8859-\d+|latin-?1|windows-125\d|cp125\d|us-ascii|ascii)$", re.I)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _date(entry: Mapping[str, Any], now: datetime) -> tuple[datetime | None, str]:
    """The entry's date, or None with the implausible date it gave ("" when it gave none)."""
    refused = ""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                year, month, day, hour, minute, second = (int(v) for v in value[:6])
                when = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
            except (TypeError, ValueError, OverflowError):
                continue
            if EARLIEST <= when <= now + AHEAD:
                return when, ""
            refused = refused or f"{year:04d}-{month:02d}-{day:02d}"
    return None, refused


def _int(value: object) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 100_000 else None


def _http(url: object) -> str:
    text = clean_text(str(url or "")).strip()
    return text if len(text) <= 2_000 and text.startswith(("http://", "https://")) else ""


def _image(entry: Mapping[str, Any], summary_html: str) -> Image | None:
    alt = _cut(html_to_text(str(entry.get("media_description", "") or "")), MAX_FIELD_CHARS)
    for key in ("media_content", "media_thumbnail"):
        for media in entry.get(key, []) or []:
            if not isinstance(media, Mapping) or is_tracking_pixel(
                {"width": str(media.get("width", "")), "height": str(media.get("height", ""))}
            ):
                continue
            url = _http(media.get("url"))
            kind = str(media.get("medium", "") or media.get("type", "") or "image")
            if url and "image" in kind:
                return Image(url, alt, "", _int(media.get("width")), _int(media.get("height")))
    for link in entry.get("links", []) or []:
        if (
            isinstance(link, Mapping)
            and link.get("rel") == "enclosure"
            and str(link.get("type", "")).startswith("image/")
            and _http(link.get("href"))
        ):
            return Image(_http(link.get("href")), alt)
    for match in IMG.finditer(summary_html):
        attrs = {k.lower(): html.unescape(v) for k, v in ATTR.findall(match.group(0))}
        if _http(attrs.get("src")):
            return Image(
                _http(attrs.get("src")),
                _cut(attrs.get("alt", ""), MAX_FIELD_CHARS) or alt,
                "",
                _int(attrs.get("width")),
                _int(attrs.get("height")),
            )
    return None


def _summary(entry: Mapping[str, Any]) -> str:
    for item in entry.get("content", []) or []:
        if isinstance(item, Mapping) and item.get("value"):
            return str(item["value"])
    return str(entry.get("summary", "") or entry.get("description", "") or "")


_CONTROL_BYTES = bytes([0, *range(1, 9), 11, 12, *range(14, 32)])
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


def _forbidden_in_xml(code: int) -> bool:
    return (
        (code < 32 and code not in (9, 10, 13))
        or 0xD800 <= code <= 0xDFFF
        or code in (0xFFFE, 0xFFFF)
        or code > 0x10FFFF
    )


def _scrub(data: bytes) -> bytes:
    """Remove what no XML may hold, before feedparser sees it: raw control bytes, and
    references to characters XML forbids (`&#1;`, `&#xD800;`). feedparser's strict parser
    gives up on either and its loose one crashes on a surrogate, costing the whole feed.

    Only for encodings where a byte below 0x20 is always a control character (UTF-8, the
    ISO and Windows code pages, the CJK double-byte sets). UTF-16 and UTF-32 put a NUL in
    their first four bytes (or start with a byte order mark); they are left to feedparser."""
    if b"\x00" in data[:4] or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data

    def drop(match: re.Match[bytes]) -> bytes:
        hexa, decimal = match.groups()
        digits = (hexa or decimal).lstrip(b"0") or b"0"
        if len(digits) > 8:  # past any code point, however it is padded
            return b""
        code = int(digits, 16) if hexa else int(digits)
        return b"" if _forbidden_in_xml(code) else match.group(0)

    cleaned = data.translate(None, _CONTROL_BYTES)
    return _CHAR_REF.sub(drop, cleaned) if b"&#" in cleaned else cleaned


_ENTRY_START = re.compile(rb"<(item|entry)[\s>/]")
_CLOSERS = {b"item": b"</channel></rss>", b"entry": b"</feed>"}


def _first_entries(data: bytes, limit: int) -> tuple[bytes, int]:
    """The feed cut after its first `limit` entries, and how many entries were cut off.

    feedparser reads the whole document whatever we keep of it, so a feed of a quarter of a
    million tiny entries would hold the fetch for half a minute; cut here, its root closed
    again, the strict parser still reads it."""
    if data.count(b"<item") + data.count(b"<entry") <= limit:
        return data, 0
    starts = list(_ENTRY_START.finditer(data))
    if len(starts) <= limit:
        return data, 0
    cut = starts[limit]
    closer = _CLOSERS[cut.group(1)]
    if b"<rdf:RDF" in data[:2048]:
        closer = b"</rdf:RDF>"
    return data[: cut.start()] + closer, len(starts) - limit


def _fix_charset(data: bytes, headers: dict[str, str]) -> None:
    """Servers often label UTF-8 feeds as Latin-1; feedparser would believe them and garble
    every accented letter. When the bytes are valid UTF-8 with non-ASCII text in them, a
    single-byte label cannot be right, so drop it and let the XML declaration speak."""
    content_type = headers.get("content-type", "")
    match = re.search(r";\s*charset=\"?([\w.:-]+)\"?", content_type, re.I)
    if not match or not _SINGLE_BYTE.match(match.group(1)):
        return
    if data.isascii():
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return
    headers["content-type"] = content_type[: match.start()].strip() or "application/xml"


_LANG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


def _lang(value: object) -> str | None:
    text = str(value or "").strip()
    return text if _LANG.fullmatch(text) else None


def _article(
    entry: Mapping[str, Any], feed_name: str, feed_lang: str | None, now: datetime
) -> tuple[Article | str, str]:
    """The entry as an article (or why it gives none), and an implausible date it gave."""
    link = _http(entry.get("link"))
    if not link:
        return "no http(s) link", ""
    title = _cut(
        html_to_text(str(entry.get("title", "") or ""), 8 * MAX_TITLE_CHARS), MAX_TITLE_CHARS
    )
    summary_html = absolute_links(sanitise_html(_summary(entry)), link)
    published, refused = _date(entry, now)
    tags = tuple(
        dict.fromkeys(
            _cut(" ".join(clean_text(str(t.get("term", "") or "")).split()), MAX_FIELD_CHARS)
            for t in (entry.get("tags", []) or [])[: 4 * MAX_CATEGORIES]
            if isinstance(t, Mapping) and str(t.get("term", "") or "").strip()
        )
    )[:MAX_CATEGORIES]
    lang = None
    detail = entry.get("title_detail")
    if isinstance(detail, Mapping):
        lang = _lang(detail.get("language"))
    url = canonical_url(link)
    author = _cut(
        html_to_text(str(entry.get("author", "") or ""), 8 * MAX_FIELD_CHARS), MAX_FIELD_CHARS
    )
    article = Article(
        id=id_of_canonical(url),
        url=url,
        title=title or "(untitled)",
        feed=feed_name,
        published=published or now,
        summary_html=summary_html,
        summary_text=safe_html_to_text(summary_html),
        author=author or None,
        image=_image(entry, summary_html),
        lang=lang or feed_lang,
        categories=tags,
        date_is_guess=published is None,
    )
    return article, refused


def parse_feed(
    data: bytes,
    *,
    feed_name: str,
    location: str,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse feed bytes into articles; never raises for bad input."""
    now = now or datetime.now(UTC)
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers["content-location"] = location
    response_headers.pop("content-encoding", None)  # the body is already decoded
    data, cut = _first_entries(_scrub(data), MAX_ENTRIES)
    _fix_charset(data, response_headers)
    try:
        parsed = feedparser.parse(
            data,
            response_headers=response_headers,
            sanitize_html=False,  # nh3 does it, faster and stricter
            resolve_relative_uris=False,  # _absolute_links does it for what we keep
        )
    except Exception as exc:  # feedparser is robust, but a hostile feed must not stop a fetch
        return ParsedFeed((), problem=f"not a feed (the parser gave up: {type(exc).__name__})")
    entries = list(parsed.get("entries", []) or [])
    feed_info = parsed.get("feed", {}) or {}
    if not entries:
        head = data[:1024].lstrip().lower()
        if not data.strip():
            return ParsedFeed((), problem="the feed is empty")
        if head.startswith((b"<!doctype html", b"<html")) or (
            b"<html" in head and b"<rss" not in head and b"<feed" not in head
        ):
            return ParsedFeed((), problem="an HTML page, not a feed: check the address")
        if parsed.get("bozo") and not feed_info:
            reason = parsed.get("bozo_exception")
            return ParsedFeed((), problem=f"not a feed: the XML does not parse ({reason})")
        if not feed_info:
            return ParsedFeed((), problem="not a feed: no RSS or Atom found")
        return ParsedFeed((), notes=("the feed has no entries",))
    feed_lang = _lang(feed_info.get("language"))
    articles: dict[str, Article] = {}
    first_seen_at: dict[str, int] = {}
    skipped: list[SkippedEntry] = []
    implausible: list[str] = []
    for number, entry in enumerate(entries, start=1):
        try:
            result, refused = _article(entry, feed_name, feed_lang, now)
        except Exception as exc:  # one broken entry must not cost the rest of the feed
            detail = clean_text(str(exc))[:200]
            skipped.append(
                SkippedEntry(number, f"could not be read ({type(exc).__name__}: {detail})")
            )
            continue
        if refused and not isinstance(result, str):
            implausible.append(f"{refused} (entry {number})")
        if isinstance(result, str):
            skipped.append(SkippedEntry(number, result))
            continue
        if result.id in articles:
            same = articles[result.id].url == result.url
            what = "same link as" if same else "a different link with the same short id as"
            skipped.append(SkippedEntry(number, f"{what} entry {first_seen_at[result.id]}"))
            continue
        first_seen_at[result.id] = number
        articles[result.id] = result
    notes = []
    if cut:
        notes.append(
            f"the feed has {MAX_ENTRIES + cut:,} entries; the first {MAX_ENTRIES:,} were read"
        )
    if implausible:
        shown = ", ".join(implausible[:3]) + (", …" if len(implausible) > 3 else "")
        gives = "entry gives a date" if len(implausible) == 1 else "entries give dates"
        notes.append(
            f"{len(implausible)} {gives} before {EARLIEST.year} or in the future: {shown}; "
            "treated as undated"
        )
    if articles and all(a.date_is_guess for a in articles.values()) and not implausible:
        notes.append("the feed gives no dates; articles are dated when first seen")
    return ParsedFeed(tuple(articles.values()), tuple(skipped), None, tuple(notes), len(entries))
