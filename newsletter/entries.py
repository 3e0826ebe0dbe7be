"""Stage 1 (feed reader), parsing: feed bytes → feedparser → normalised, sanitised `Article`s.

feedparser only ever sees bytes we hand it, with the response headers and the final URL as
content-location so relative links resolve; it never does I/O of its own. `FeedParserDict`
never leaves this module. Every entry yields an article or a recorded reason; no exception
from a hostile or broken feed escapes `parse_feed`. Runs in the fetch's worker processes, so
everything it returns pickles.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
import nh3
from feedparser import mixin as _mixin
from feedparser.namespaces import mediarss as _mediarss

from newsletter.models import Article, Image, ParsedFeed
from newsletter.urls import canonical_url, id_of_canonical


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

_SUMMARY_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "em",
    "figcaption",
    "figure",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "strong",
    "ul",
}
_SUMMARY_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}}
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'\b(src|alt|width|height)\s*=\s*"([^"]*)"', re.IGNORECASE)
_BLOCK_END = re.compile(r"</(p|li|div|h\d|blockquote)>|<br\s*/?>", re.IGNORECASE)
_SINGLE_BYTE = re.compile(r"^(iso-8859-\d+|latin-?1|windows-125\d|cp125\d|us-ascii|ascii)$", re.I)


def _is_tracking_pixel(attributes: Mapping[str, str]) -> bool:
    return attributes.get("width") in {"0", "1"} or attributes.get("height") in {"0", "1"}


def sanitise_html(fragment: str) -> str:
    """Untrusted HTML from a feed → a small safe subset (no script, style, events, iframes,
    javascript:/data: URLs, tracking pixels)."""
    cleaned = nh3.clean(
        fragment,
        tags=_SUMMARY_TAGS,
        attributes=_SUMMARY_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )

    # nh3 has normalised every attribute to double quotes, so this pattern is reliable here.
    def drop_pixels(match: re.Match[str]) -> str:
        attrs = {k.lower(): v for k, v in _ATTR.findall(match.group(0))}
        return "" if _is_tracking_pixel(attrs) or "src" not in attrs else match.group(0)

    return _IMG.sub(drop_pixels, cleaned).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags removed, entities decoded, whitespace collapsed."""
    if "<" not in fragment and "&" not in fragment:  # most titles: skip the sanitiser
        return " ".join(fragment.split())
    spaced = _BLOCK_END.sub(" ", fragment)
    return " ".join(html.unescape(nh3.clean(spaced, tags=set())).split())


def _date(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                year, month, day, hour, minute, second = (int(v) for v in value[:6])
                return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


def _int(value: object) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 100_000 else None


def _http(url: object) -> str:
    text = str(url or "").strip()
    return text if text.startswith(("http://", "https://")) else ""


def _image(entry: Mapping[str, Any], summary_html: str) -> Image | None:
    alt = html_to_text(str(entry.get("media_description", "") or ""))
    for key in ("media_content", "media_thumbnail"):
        for media in entry.get(key, []) or []:
            if not isinstance(media, Mapping):
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
    for match in _IMG.finditer(summary_html):
        attrs = {k.lower(): html.unescape(v) for k, v in _ATTR.findall(match.group(0))}
        if _http(attrs.get("src")):
            return Image(
                _http(attrs.get("src")),
                attrs.get("alt", "") or alt,
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


_RELATIVE = re.compile(r'\b(href|src)="(?!https?:|mailto:)([^"]*)"')


def _absolute_links(fragment: str, base: str) -> str:
    """Resolve relative href/src in sanitised HTML (nh3 has double-quoted every attribute).

    feedparser could do this, but its resolver walks the markup a second time and costs a
    fifth of a fetch's parsing time; we only need it for the few attributes we keep."""
    if '="' not in fragment:
        return fragment

    def resolve(match: re.Match[str]) -> str:
        target = urljoin(base, html.unescape(match.group(2)))
        if not target.startswith(("http://", "https://")):
            return ""  # nothing that is not http(s) survives, relative or not
        return f'{match.group(1)}="{html.escape(target, quote=True)}"'

    return _RELATIVE.sub(resolve, fragment)


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


def _article(
    entry: Mapping[str, Any], feed_name: str, feed_lang: str | None, now: datetime
) -> Article | str:
    link = _http(entry.get("link"))
    if not link:
        return "no http(s) link"
    title = html_to_text(str(entry.get("title", "") or "")) or "(untitled)"
    summary_html = _absolute_links(sanitise_html(_summary(entry)), link)
    published = _date(entry)
    tags = tuple(
        dict.fromkeys(
            str(t.get("term", "")).strip()
            for t in entry.get("tags", []) or []
            if isinstance(t, Mapping) and str(t.get("term", "") or "").strip()
        )
    )
    lang = None
    detail = entry.get("title_detail")
    if isinstance(detail, Mapping) and detail.get("language"):
        lang = str(detail["language"])
    url = canonical_url(link)
    return Article(
        id=id_of_canonical(url),
        url=url,
        title=title,
        feed=feed_name,
        published=published or now,
        summary_html=summary_html,
        summary_text=html_to_text(summary_html),
        author=html_to_text(str(entry.get("author", "") or "")) or None,
        image=_image(entry, summary_html),
        lang=lang or feed_lang,
        categories=tags,
        date_is_guess=published is None,
    )


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
    feed_lang = str(feed_info.get("language", "") or "") or None
    articles: dict[str, Article] = {}
    first_seen_at: dict[str, int] = {}
    skipped: list[str] = []
    for number, entry in enumerate(entries, start=1):
        try:
            result = _article(entry, feed_name, feed_lang, now)
        except Exception as exc:  # one broken entry must not cost the rest of the feed
            skipped.append(f"entry {number}: could not be read ({type(exc).__name__}: {exc})")
            continue
        if isinstance(result, str):
            skipped.append(f"entry {number}: {result}")
            continue
        if result.id in articles:
            skipped.append(f"entry {number}: same link as entry {first_seen_at[result.id]}")
            continue
        first_seen_at[result.id] = number
        articles[result.id] = result
    notes = []
    if articles and all(a.date_is_guess for a in articles.values()):
        notes.append("the feed gives no dates; articles are dated when first seen")
    return ParsedFeed(tuple(articles.values()), tuple(skipped), None, tuple(notes), len(entries))
