"""Stage 1, the feed reader: feed sources → bytes (httpx or disk) → feedparser → `Article`s.

httpx fetches (async, timeouts, conditional GET, a size cap); feedparser only ever parses bytes
we hand it, with the response headers and the final URL as content-location so relative links
resolve. `FeedParserDict` never leaves this module: entries become frozen `Article`s with
sanitised summaries. Problems are reported per feed, in plain words, and never stop other feeds.
"""

from __future__ import annotations

import asyncio
import html
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import nh3

from newsletter import __version__
from newsletter.config import FeedSource
from newsletter.models import Article, Image, Validators
from newsletter.urls import article_id, canonical_url

USER_AGENT = f"newsletter/{__version__} (feed reader for a newsroom briefing)"
MAX_BYTES = 10 * 1024 * 1024
TIMEOUT = httpx.Timeout(20.0, connect=10.0)

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


@dataclass(frozen=True, slots=True)
class FeedResult:
    """The outcome of reading one feed: its articles, or a problem in plain words."""

    source: FeedSource
    articles: tuple[Article, ...]
    status: int | None  # HTTP status; None for local files and network failures
    not_modified: bool
    validators: Validators
    elapsed: float
    problem: str | None = None
    skipped: tuple[str, ...] = ()  # entries that yielded no article, with the reason


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
    text = nh3.clean(re.sub(r"</(p|li|br|div|h\d)>|<br\s*/?>", " ", fragment), tags=set())
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


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
    return number if number > 0 else None


def _image(entry: Mapping[str, Any], summary: str) -> Image | None:
    candidates: list[Mapping[str, Any]] = []
    candidates += [m for m in entry.get("media_content", []) or [] if isinstance(m, Mapping)]
    candidates += [m for m in entry.get("media_thumbnail", []) or [] if isinstance(m, Mapping)]
    alt = str(entry.get("media_description", "") or "")
    for media in candidates:
        url = str(media.get("url", ""))
        medium = str(media.get("medium", "") or media.get("type", "") or "image")
        if url.startswith(("http://", "https://")) and "image" in medium:
            return Image(url, alt, "", _int(media.get("width")), _int(media.get("height")))
    for link in entry.get("links", []) or []:
        if (
            isinstance(link, Mapping)
            and link.get("rel") == "enclosure"
            and str(link.get("type", "")).startswith("image/")
            and str(link.get("href", "")).startswith(("http://", "https://"))
        ):
            return Image(str(link["href"]), alt)
    match = _IMG.search(summary)
    if match:
        attrs = {k.lower(): v for k, v in _ATTR.findall(match.group(0))}
        src = html.unescape(attrs.get("src", ""))
        if src.startswith(("http://", "https://")):
            return Image(
                src,
                html.unescape(attrs.get("alt", "")),
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


def parse_feed(
    data: bytes,
    *,
    feed_name: str,
    location: str,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> tuple[tuple[Article, ...], tuple[str, ...], str | None]:
    """Parse feed bytes into articles; return (articles, skipped reasons, feed-level problem)."""
    now = now or datetime.now(UTC)
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers.setdefault("content-location", location)
    parsed = feedparser.parse(data, response_headers=response_headers, sanitize_html=False)
    entries = list(parsed.get("entries", []) or [])
    feed_info = parsed.get("feed", {}) or {}
    if not entries:
        head = data[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")):
            return (), (), "an HTML page, not a feed: check the address"
        if not data.strip():
            return (), (), "the feed is empty"
        if parsed.get("bozo") and not feed_info:
            reason = parsed.get("bozo_exception")
            return (), (), f"not a feed (the XML does not parse: {reason})"
        return (), (), None
    feed_lang = str(feed_info.get("language", "") or "") or None
    articles: dict[str, Article] = {}
    skipped: list[str] = []
    for number, entry in enumerate(entries, start=1):
        link = str(entry.get("link", "") or "").strip()
        if not link.startswith(("http://", "https://")):
            skipped.append(f"entry {number}: no http(s) link")
            continue
        title = html_to_text(str(entry.get("title", "") or "")) or "(untitled)"
        raw_summary = _summary(entry)
        summary_html = sanitise_html(raw_summary)
        published = _date(entry)
        tags = tuple(
            str(t.get("term", "")).strip()
            for t in entry.get("tags", []) or []
            if isinstance(t, Mapping) and str(t.get("term", "")).strip()
        )
        lang = None
        detail = entry.get("title_detail")
        if isinstance(detail, Mapping) and detail.get("language"):
            lang = str(detail["language"])
        article = Article(
            id=article_id(link),
            url=canonical_url(link),
            title=title,
            feed=feed_name,
            published=published or now,
            summary_html=summary_html,
            summary_text=html_to_text(summary_html),
            author=html_to_text(str(entry.get("author", "") or "")) or None,
            image=_image(entry, raw_summary),
            lang=lang or feed_lang,
            categories=tags,
            date_is_guess=published is None,
        )
        articles[article.id] = article  # a repeated link inside one feed: the last one wins
    return tuple(articles.values()), tuple(skipped), None


async def fetch_feed(
    client: httpx.AsyncClient, source: FeedSource, validators: Validators
) -> FeedResult:
    """Fetch and parse one feed; every failure becomes a `FeedResult.problem`, never an error."""
    started = time.perf_counter()

    def failed(problem: str, status: int | None = None) -> FeedResult:
        return FeedResult(
            source, (), status, False, validators, time.perf_counter() - started, problem
        )

    if not source.is_remote:
        try:
            data = await asyncio.to_thread(Path(source.url).read_bytes)
        except FileNotFoundError:
            return failed(f"no file at {source.url}")
        except OSError as exc:
            return failed(f"cannot read the file: {exc.strerror}")
        articles, skipped, problem = parse_feed(
            data, feed_name=source.name, location=Path(source.url).as_uri()
        )
        return FeedResult(
            source,
            articles,
            None,
            False,
            validators,
            time.perf_counter() - started,
            problem,
            skipped,
        )

    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    try:
        async with client.stream("GET", source.url, headers=headers) as response:
            if response.status_code == 304:
                return FeedResult(source, (), 304, True, validators, time.perf_counter() - started)
            if response.status_code >= 400:
                return failed(_http_problem(response.status_code), response.status_code)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    return failed(
                        f"the feed is larger than {MAX_BYTES // (1024 * 1024)} MB; not read",
                        response.status_code,
                    )
                chunks.append(chunk)
            data = b"".join(chunks)
            status = response.status_code
            final_url = str(response.url)
            response_headers = dict(response.headers)
    except httpx.ConnectTimeout:
        return failed("timed out connecting to the server")
    except httpx.TimeoutException:
        return failed("the server took too long to answer (timeout)")
    except httpx.TooManyRedirects:
        return failed("too many redirects (a redirect loop?)")
    except httpx.ConnectError as exc:
        return failed(_connect_problem(exc))
    except httpx.HTTPError as exc:
        return failed(f"network error: {exc}")
    response_headers.pop("content-encoding", None)  # httpx already decoded the body
    articles, skipped, problem = parse_feed(
        data, feed_name=source.name, location=final_url, headers=response_headers
    )
    new_validators = Validators(response_headers.get("etag"), response_headers.get("last-modified"))
    return FeedResult(
        source,
        articles,
        status,
        False,
        new_validators,
        time.perf_counter() - started,
        problem,
        skipped,
    )


def _connect_problem(exc: BaseException) -> str:
    """Name the cause of a failed connection: httpx wraps it, the chain still holds it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return "the host name does not exist (DNS lookup failed)"
        if isinstance(seen, ConnectionRefusedError):
            return "the server refused the connection"
        text = str(seen).lower()
        if "name or service not known" in text or "name resolution" in text:
            return "the host name does not exist (DNS lookup failed)"
        if "refused" in text:
            return "the server refused the connection"
        seen = seen.__cause__ or seen.__context__
    return f"cannot connect: {exc}"


def _http_problem(status: int) -> str:
    if status == 404:
        return "HTTP 404: the feed is not at this address any more; check the URL"
    if status in {401, 403}:
        return f"HTTP {status}: the server refuses to give the feed to us"
    if status == 429:
        return "HTTP 429: the server asks us to slow down; try again later"
    if status >= 500:
        return f"HTTP {status}: the server failed; try again later"
    return f"HTTP {status}"


async def fetch_feeds(
    sources: tuple[FeedSource, ...],
    validators: Mapping[str, Validators],
    on_done: Callable[[FeedResult], None] | None = None,
    *,
    concurrency: int = 8,
) -> list[FeedResult]:
    """Fetch every feed (a few at a time) and return their results in the sources' order."""
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(
        timeout=TIMEOUT,
        follow_redirects=True,
        max_redirects=5,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5",
        },
    ) as client:

        async def one(source: FeedSource) -> FeedResult:
            async with limit:
                result = await fetch_feed(client, source, validators.get(source.name, Validators()))
            if on_done is not None:
                on_done(result)
            return result

        return list(await asyncio.gather(*(one(source) for source in sources)))
