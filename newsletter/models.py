"""Leaf: the frozen dataclasses that pass between stages.

Every stage takes and returns these and nothing else: feedparser's dictionaries, YAML nodes and
SQLite rows are converted at the edge of the module that meets them. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

# Span and Problem are defined with the error format, the lowest leaf; Span is re-exported
# here, with the other seam types.
from newsletter.errors import Problem
from newsletter.errors import Span as Span

_PLAIN_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_NOT_SLUG = re.compile(r"[^A-Za-z0-9_-]+")


def issue_slug(stem: str) -> str:
    """A name for an issue's build folder and Message-ID made from its file's stem: the stem
    itself when it is ASCII letters, digits, `-` and `_` (``2026-11-27``, ``2026-11-27-fa``),
    else an ASCII version of it plus a short hash of the original, so that two odd names never
    share a folder and none can be ``.``, ``..`` or hidden."""
    if _PLAIN_SLUG.fullmatch(stem):
        return stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    base = _NOT_SLUG.sub("-", ascii_stem).strip("-_")[:40].rstrip("-_") or "issue"
    digest = hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{base}-{digest}"


@dataclass(frozen=True, slots=True)
class Image:
    """An image reference with its alternative text and, when known, its pixel size; an
    issue file's image may also name its `credit` and a `file` on disk holding the same
    picture (the preview and the archive show that copy; the email keeps the address)."""

    url: str
    alt: str = ""
    caption: str = ""
    width: int | None = None
    height: int | None = None
    credit: str = ""
    file: Path | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """One feed entry, normalised; `id` is short and stable (derived from the canonical URL)."""

    id: str
    url: str
    title: str
    feed: str
    published: datetime | None  # aware, UTC
    summary_html: str  # sanitised
    summary_text: str
    author: str | None = None
    image: Image | None = None
    lang: str | None = None
    categories: tuple[str, ...] = ()
    date_is_guess: bool = False  # the feed gave no date; `published` is when we first saw it


@dataclass(frozen=True, slots=True)
class Validators:
    """What the last successful fetch of a feed told us, for a conditional GET next time."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the store remembers of a feed between fetches."""

    url: str  # the address in the settings when this was recorded
    validators: Validators = Validators()
    moved_to: str | None = None  # where a permanent redirect sent us last time
    newest: datetime | None = None  # the newest article's date


@dataclass(frozen=True, slots=True)
class SkippedEntry:
    """A feed entry that gave no article: its place in the feed (from 1) and why."""

    number: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.number}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What one feed's bytes gave: articles, entries that gave none (with why), a feed-level
    problem (the feed is unusable) and notes (it is usable, but the editor should know)."""

    articles: tuple[Article, ...]
    skipped: tuple[SkippedEntry, ...] = ()
    problem: str | None = None
    notes: tuple[str, ...] = ()
    entries: int = 0


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed to read: a short unique name and an http(s) URL or a local file."""

    name: str
    url: str
    span: Span

    @property
    def is_remote(self) -> bool:
        """True for http(s) feeds, False for files on disk (the offline demo)."""
        return self.url.startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """How hard `newsletter fetch` may press on servers, and how long it waits for them."""

    per_host: int = 8  # requests at once to one server: a browser makes 6, Scrapy 8
    concurrency: int = 256  # requests at once in all
    connect_timeout: float = 10.0  # seconds
    read_timeout: float = 20.0  # seconds
    # A whole feed's time, redirects and retries included, once its first request is sent:
    # a server that drips a byte every few seconds never trips the read timeout.
    deadline: float = 60.0  # seconds


@dataclass(frozen=True, slots=True)
class LinkLimits:
    """How the link check treats the email's links (`[links]` in the settings): how long a
    result is trusted before the address is tried again, and one link's whole time."""

    cache_hours: float = 24.0
    timeout: float = 15.0  # seconds, redirects included


@dataclass(frozen=True, slots=True)
class Campaign:
    """The campaign tags added to the newsroom's own links in an email (`[campaign]` in the
    settings): the three utm_ values, which may hold {number}, {date} and {lang}, and the
    domains counted as the newsroom's own (each with its subdomains)."""

    source: str
    medium: str
    name: str
    domains: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FeedResult:
    """The outcome of reading one feed: its articles, or a problem in plain words."""

    source: FeedSource
    articles: tuple[Article, ...]
    status: int | None  # the final HTTP status; None for local files and network failures
    not_modified: bool
    validators: Validators
    elapsed: float
    problem: str | None = None
    skipped: tuple[SkippedEntry, ...] = ()  # entries that yielded no article, and why
    notes: tuple[str, ...] = ()  # worth knowing, not failures (a permanent move, no dates)
    moved_to: str | None = None  # the new address after a permanent redirect
    attempts: int = 1
    debug: str | None = None  # the traceback of a bug met while reading it, for --debug


@dataclass(frozen=True, slots=True)
class Edition:
    """What one language's edition calls the newsletter, its publisher and its sender:
    `[editions.fa]`."""

    lang: str
    name: str
    organisation: str
    sender: str  # the From of its emails


@dataclass(frozen=True, slots=True)
class Author:
    """The person an issue is written by, with their role for the author line."""

    key: str
    name: str
    role: str = ""
    bio: str = ""


@dataclass(frozen=True, slots=True)
class Note:
    """A labelled run-in paragraph group of a feature item, e.g. "Why It's Important"."""

    label: str
    text_md: str


@dataclass(frozen=True, slots=True)
class Link:
    """A linked headline: a roundup item's "See also"."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a section: a stored article or an inline link, in the editor's words."""

    article: Article | None
    title: str
    url: str
    body_md: str
    notes: tuple[Note, ...]
    image: Image | None
    span: Span
    see_also: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    """A run of items under one heading, laid out as `feature` (long body) or `list` (roundup)."""

    heading: str
    layout: str
    items: tuple[Item, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Issue:
    """A whole issue as the editor wrote it, with every reference resolved."""

    number: int
    date: date
    lang: str
    title: str
    subject: str | None
    preheader: str
    author: Author
    hero: Image | None
    sections: tuple[Section, ...]
    signoff_md: str
    labels: tuple[tuple[str, str], ...]  # per-issue overrides of the theme's labels
    source: Path

    @property
    def slug(self) -> str:
        """The name of this issue's build folder and web page: the issue file's name without
        `.yaml`, e.g. ``2026-11-27`` (or ``2026-11-27-fa`` for a second edition that day);
        see `issue_slug` for other names."""
        return issue_slug(self.source.stem)

    @property
    def articles(self) -> tuple[Article, ...]:
        """Every stored article the issue uses, in reading order."""
        return tuple(
            item.article
            for section in self.sections
            for item in section.items
            if item.article is not None
        )


@dataclass(frozen=True, slots=True)
class Sizes:
    """The byte sizes inboxes care about: the whole HTML (Gmail clips past 102 KB) and its
    `<style>` blocks."""

    html_bytes: int
    style_bytes: int


@dataclass(frozen=True, slots=True)
class RenderedIssue:
    """What the renderer gives the exporters: the subject, preheader, HTML and plain text,
    with the email lint's findings and sizes (so no caller can forget to run the lint)."""

    issue: Issue
    subject: str
    preheader: str
    html: str
    text: str
    checks: tuple[Problem, ...] = ()
    sizes: Sizes = Sizes(0, 0)


@dataclass(frozen=True, slots=True)
class SentCopy:
    """One copy of an issue that `send` delivered: the issue (its slug and number), the
    target (`smtp://host:port`), the recipient, when (aware, UTC) and the message's SHA-256."""

    issue: str
    number: int
    target: str
    recipient: str
    sent_at: datetime
    digest: str
    # Who began the delivery: "host (process 123)"; None in records older than the field.
    owner: str | None = None
    # True while the delivery's answer is not recorded: begun, and maybe arrived.
    unsure: bool = False


@dataclass(frozen=True, slots=True)
class WebPage:
    """An issue as a page of the web archive: the whole page, and its article alone (with
    absolute links, for the archive's Atom feed), both with the placeholders filled in."""

    issue: Issue
    url: str  # where the page is published: the email's "read it in your browser" address
    html: str
    content: str
    dir: str  # the text direction of the issue's language, `ltr` or `rtl`
    edition: str  # the name of the issue's language edition, e.g. "In English"


@dataclass(frozen=True, slots=True)
class LinkCheck:
    """What trying one address of an email found: its `verdict` (`ok`; `moved`, a permanent
    redirect to `final_url`; `doubtful`, a server that would not say; `broken`; `refused`, not
    tried, as it points into a private network; `skipped`, not an address to try), the last
    HTTP status, where redirects ended, plain words on what happened, and when it was tried
    (aware, UTC). `cached`: the answer is a recent run's, from the store."""

    url: str
    verdict: str
    status: int | None
    final_url: str | None
    detail: str
    checked_at: datetime
    cached: bool = False
