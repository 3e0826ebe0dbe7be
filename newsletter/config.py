"""Leaf: `newsletter.toml` → `Settings`, the newsroom's name, sender, timezone, authors and feeds.

Read with the standard library's tomllib, then checked key by key so that every mistake is a
`Problem` at the line where the key was written (tomllib keeps no positions, so we find the
line ourselves from the table and key names). Paths are resolved relative to the settings file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from newsletter.errors import Problem, ProblemsError
from newsletter.models import Author, Span

CONFIG_NAME = "newsletter.toml"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_FEED_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f]")
# Line breaks as Python's email headers and YAML see them: the newsletter's name goes into
# every Subject, where a line break would end the header.
_LINE_BREAK = re.compile("[\n\r\x85\u2028\u2029]")


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
class Settings:
    """The newsroom's settings, validated; paths are absolute."""

    path: Path
    name: str
    timezone: ZoneInfo
    send_day: str
    sender: str
    reply_to: str | None
    store: Path
    theme: Path | None
    accent: str
    organisation: str
    subscribe_url: str
    unsubscribe_url: str
    archive_url: str
    authors: dict[str, Author] = field(default_factory=dict)
    feeds: tuple[FeedSource, ...] = ()
    fetch: FetchLimits = field(default_factory=FetchLimits)

    @property
    def root(self) -> Path:
        """The folder holding newsletter.toml; relative paths start here."""
        return self.path.parent


_KNOWN = {
    "newsletter": {
        "name",
        "timezone",
        "send_day",
        "from",
        "reply_to",
        "store",
        "theme",
        "accent",
        "organisation",
        "subscribe_url",
        "archive_url",
    },
    "authors": None,  # free keys, each a table
    "feeds": None,
    "delivery": {"unsubscribe_url"},
    "fetch": {"per_host", "concurrency", "connect_timeout", "read_timeout", "deadline"},
}
_AUTHOR_KEYS = {"name", "role", "bio"}
_FEED_KEYS = {"name", "url"}


class _Locator:
    """Finds the line where `[table]` / `[[table]]` number n / `key` was written.

    The file is indexed once, so locating every key of a settings file with hundreds of
    feeds stays linear.
    """

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.headers: dict[tuple[str | None, int], Span] = {}
        self.keys: dict[tuple[str | None, int, str], Span] = {}
        counts: dict[str, int] = {}
        current: tuple[str | None, int] = (None, 0)
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", line)
            if header:
                table = header.group(1)
                index = counts.get(table, 0)
                counts[table] = index + 1
                current = (table, index)
                self.headers[current] = Span(path, number, 1, len(raw.rstrip()) or 1)
                continue
            key = re.match(r'^(\s*)("?)([A-Za-z0-9_-]+)\2\s*=', raw)
            if key:
                span = Span(
                    path, number, len(key.group(1)) + 1, len(key.group(3)) + 2 * len(key.group(2))
                )
                self.keys.setdefault((current[0], current[1], key.group(3)), span)

    def find(self, table: str | None, key: str | None = None, index: int = 0) -> Span:
        """The key's span, else its table's header, else the file's first line."""
        if key is not None and (table, index, key) in self.keys:
            return self.keys[(table, index, key)]
        if table is not None and (table, index) in self.headers:
            return self.headers[(table, index)]
        return Span(self.path, 1, 1, 1)


def _close_matches(word: str, choices: set[str] | list[str]) -> list[str]:
    # Imported here: every command reads the settings, few of them have a typo to suggest for.
    import difflib

    return difflib.get_close_matches(word, sorted(choices), n=1)


def _suggest(word: str, choices: set[str] | list[str]) -> str:
    close = _close_matches(word, choices)
    return f"did you mean '{close[0]}'? " if close else ""


def find_config(explicit: Path | None, cwd: Path | None = None) -> Path:
    """The settings file: the one given, else newsletter.toml in the current folder."""
    if explicit is not None:
        return explicit
    return (cwd or Path.cwd()) / CONFIG_NAME


def load_settings(path: Path) -> Settings:
    """Read and validate a settings file; raise `ProblemsError` listing every mistake."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProblemsError(
            [
                Problem(
                    "no settings file here",
                    path=path,
                    hint=f"run the command in the folder that holds {CONFIG_NAME}, "
                    "or pass --config PATH",
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemsError([Problem(f"cannot read the settings file: {exc}", path=path)]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        span = Span(path, int(match.group(1)), int(match.group(2))) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise ProblemsError(
            [
                Problem(
                    f"TOML syntax: {message}",
                    span=span,
                    path=path,
                    hint='strings need double quotes, e.g. name = "The Briefing"',
                )
            ]
        ) from None
    return _Checker(path.resolve(), text, data).settings()


class _Checker:
    def __init__(self, path: Path, text: str, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self.where = _Locator(path, text)
        self.problems: list[Problem] = []

    def error(self, message: str, span: Span, key: str, hint: str = "") -> None:
        self.problems.append(Problem(message, span=span, key=key, hint=hint))

    def string(
        self,
        table: dict[str, Any],
        tname: str,
        key: str,
        *,
        required: bool,
        default: str = "",
        one_line: bool = True,
    ) -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.error(
                    f"missing required key '{key}'",
                    self.where.find(tname),
                    tname,
                    hint=f'add {key} = "…" under [{tname}]',
                )
            return default
        if not isinstance(value, str) or not value.strip():
            found = type(value).__name__ if not isinstance(value, str) else "an empty string"
            self.error(
                f"expected a non-empty string, found {found}",
                self.where.find(tname, key),
                f"{tname}.{key}",
            )
            return default
        if _CONTROL.search(value):
            self.error(
                "the value contains a control character",
                self.where.find(tname, key),
                f"{tname}.{key}",
                hint="remove escapes such as \\u0000 from the string",
            )
            return default
        if one_line and _LINE_BREAK.search(value.strip()):
            self.error(
                "expected one line, found a line break",
                self.where.find(tname, key),
                f"{tname}.{key}",
                hint="write it on one line, without \\n or a multi-line string",
            )
            return default
        return value.strip()

    def url(self, table: dict[str, Any], tname: str, key: str, default: str) -> str:
        value = self.string(table, tname, key, required=False, default=default)
        if not value.startswith(("http://", "https://")):
            self.error(
                f"expected an http(s) URL, found '{value}'",
                self.where.find(tname, key),
                f"{tname}.{key}",
                hint="write the full address, starting with https://",
            )
        return value

    def number(
        self, table: dict[str, Any], tname: str, key: str, default: float, *, top: int, whole: bool
    ) -> float:
        value = table.get(key)
        if value is None:
            return default
        kind = "a whole number" if whole else "a number of seconds"
        usable = isinstance(value, int) or (isinstance(value, float) and not whole)
        if isinstance(value, bool) or not usable or not 0 < value <= top:
            self.error(
                f"expected {kind} above 0 and at most {top}, found {value!r}",
                self.where.find(tname, key),
                f"{tname}.{key}",
                hint=f"the default is {default:g}",
            )
            return default
        return float(value)

    def limits(self) -> FetchLimits:
        table = self.data.get("fetch", {})
        defaults = FetchLimits()
        if not isinstance(table, dict):
            self.error("[fetch] must be a table", self.where.find("fetch"), "fetch")
            return defaults
        known = _KNOWN["fetch"]
        assert known is not None
        self.unknown(table, "fetch", known)
        return FetchLimits(
            per_host=int(
                self.number(table, "fetch", "per_host", defaults.per_host, top=64, whole=True)
            ),
            concurrency=int(
                self.number(
                    table, "fetch", "concurrency", defaults.concurrency, top=1024, whole=True
                )
            ),
            connect_timeout=self.number(
                table, "fetch", "connect_timeout", defaults.connect_timeout, top=300, whole=False
            ),
            read_timeout=self.number(
                table, "fetch", "read_timeout", defaults.read_timeout, top=300, whole=False
            ),
            deadline=self.number(
                table, "fetch", "deadline", defaults.deadline, top=3600, whole=False
            ),
        )

    def unknown(self, table: dict[str, Any], tname: str, known: set[str], index: int = 0) -> None:
        for key in table:
            if key not in known:
                self.error(
                    f"unknown key '{key}'",
                    self.where.find(tname, key, index),
                    tname,
                    hint=f"{_suggest(key, known)}known keys: {', '.join(sorted(known))}",
                )

    def settings(self) -> Settings:
        for key in self.data:
            if key not in _KNOWN:
                self.error(
                    f"unknown table [{key}]",
                    self.where.find(key),
                    key,
                    hint=f"{_suggest(key, list(_KNOWN))}known tables: {', '.join(_KNOWN)}",
                )
        news = self.data.get("newsletter")
        if not isinstance(news, dict):
            self.error(
                "missing the [newsletter] table",
                Span(self.path, 1, 1),
                "newsletter",
                hint='start the file with [newsletter] and name = "…"',
            )
            news = {}
        known = _KNOWN["newsletter"]
        assert known is not None
        self.unknown(news, "newsletter", known)
        name = self.string(news, "newsletter", "name", required=True)
        tz_name = self.string(news, "newsletter", "timezone", required=False, default="UTC")
        try:
            timezone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            close = _close_matches(tz_name, available_timezones())
            self.error(
                f"unknown time zone '{tz_name}'",
                self.where.find("newsletter", "timezone"),
                "newsletter.timezone",
                hint=(f"did you mean '{close[0]}'? " if close else "")
                + "use an IANA name such as Asia/Kabul or Europe/Prague",
            )
            timezone = ZoneInfo("UTC")
        send_day = self.string(news, "newsletter", "send_day", required=False, default="friday")
        if send_day.lower() not in DAYS:
            self.error(
                f"expected a day of the week, found '{send_day}'",
                self.where.find("newsletter", "send_day"),
                "newsletter.send_day",
                hint=f"one of: {', '.join(DAYS)}",
            )
        sender = self.string(news, "newsletter", "from", required=True)
        if sender and "@" not in sender:
            self.error(
                f"expected an email address, found '{sender}'",
                self.where.find("newsletter", "from"),
                "newsletter.from",
                hint='write it as "Name <address@example.org>"',
            )
        reply_to = self.string(news, "newsletter", "reply_to", required=False) or None
        store = self.path.parent / self.string(
            news, "newsletter", "store", required=False, default="data/articles.sqlite3"
        )
        theme_value = self.string(news, "newsletter", "theme", required=False)
        theme = (self.path.parent / theme_value) if theme_value else None
        if theme is not None and not theme.is_dir():
            self.error(
                f"no theme folder at '{theme_value}'",
                self.where.find("newsletter", "theme"),
                "newsletter.theme",
                hint="give a folder relative to newsletter.toml, or remove the key "
                "to use the default theme",
            )
        accent = self.string(news, "newsletter", "accent", required=False, default="#c2410c")
        if not _COLOUR.match(accent):
            self.error(
                f"expected a colour as #rrggbb, found '{accent}'",
                self.where.find("newsletter", "accent"),
                "newsletter.accent",
            )
            accent = "#c2410c"
        organisation = self.string(news, "newsletter", "organisation", required=False) or name
        subscribe = self.url(news, "newsletter", "subscribe_url", "https://example.org/subscribe")
        archive = self.url(news, "newsletter", "archive_url", "https://example.org/briefing/")

        delivery = self.data.get("delivery", {})
        unsubscribe = "https://example.org/unsubscribe"
        if isinstance(delivery, dict):
            known_delivery = _KNOWN["delivery"]
            assert known_delivery is not None
            self.unknown(delivery, "delivery", known_delivery)
            unsubscribe = self.url(delivery, "delivery", "unsubscribe_url", unsubscribe)

        settings = Settings(
            path=self.path,
            name=name,
            timezone=timezone,
            send_day=send_day.lower(),
            sender=sender,
            reply_to=reply_to,
            store=store,
            theme=theme,
            accent=accent,
            organisation=organisation,
            subscribe_url=subscribe,
            unsubscribe_url=unsubscribe,
            archive_url=archive,
            authors=self.authors(),
            feeds=self.feeds(),
            fetch=self.limits(),
        )
        if self.problems:
            raise ProblemsError(self.problems)
        return settings

    def authors(self) -> dict[str, Author]:
        table = self.data.get("authors", {})
        authors: dict[str, Author] = {}
        if not isinstance(table, dict):
            self.error("expected [authors.KEY] tables", self.where.find("authors"), "authors")
            return authors
        for key, value in table.items():
            tname = f"authors.{key}"
            if not isinstance(value, dict):
                self.error(
                    "expected a table with name and role",
                    self.where.find("authors", key),
                    tname,
                    hint=f'write [authors.{key}] with name = "…" and role = "…"',
                )
                continue
            self.unknown(value, tname, _AUTHOR_KEYS)
            authors[key] = Author(
                key=key,
                name=self.string(value, tname, "name", required=True),
                role=self.string(value, tname, "role", required=False),
                bio=self.string(value, tname, "bio", required=False, one_line=False),
            )
        return authors

    def feeds(self) -> tuple[FeedSource, ...]:
        entries = self.data.get("feeds", [])
        if not isinstance(entries, list):
            self.error(
                "expected [[feeds]] entries",
                self.where.find("feeds"),
                "feeds",
                hint='write each feed as [[feeds]] with name = "…" and url = "…"',
            )
            return ()
        feeds: list[FeedSource] = []
        names: set[str] = set()
        for index, entry in enumerate(entries):
            tname = "feeds"
            key = f"feeds[{index}]"
            span = self.where.find("feeds", None, index)
            if not isinstance(entry, dict):
                self.error("expected a table with name and url", span, key)
                continue
            for extra in entry:
                if extra not in _FEED_KEYS:
                    self.error(
                        f"unknown key '{extra}'",
                        self.where.find(tname, extra, index),
                        key,
                        hint=f"{_suggest(extra, _FEED_KEYS)}known keys: name, url",
                    )
            name = entry.get("name")
            url = entry.get("url")
            if name is None:
                if not any(_close_matches(k, ["name"]) for k in entry):
                    self.error(
                        "missing required key 'name'",
                        span,
                        key,
                        hint='give each feed a short name, e.g. name = "world-news"',
                    )
                continue
            if not isinstance(name, str) or not _FEED_NAME.match(name):
                self.error(
                    f"expected a short feed name (a-z, 0-9, '-', '_'), found {name!r}",
                    self.where.find(tname, "name", index),
                    f"{key}.name",
                    hint='for example name = "world-news"',
                )
                continue
            if name in names:
                self.error(
                    f"feed name '{name}' is used twice",
                    self.where.find(tname, "name", index),
                    f"{key}.name",
                    hint="give each feed its own name",
                )
            names.add(name)
            if not isinstance(url, str) or not url.strip():
                self.error(
                    "expected the feed's URL or a path to a feed file",
                    self.where.find(tname, "url", index) if url is not None else span,
                    f"{key}.url",
                    hint='for example url = "https://example.org/feed.xml"',
                )
                continue
            url = url.strip()
            if _CONTROL.search(url) or any(c.isspace() for c in url):
                self.error(
                    "the address contains spaces or control characters",
                    self.where.find(tname, "url", index),
                    f"{key}.url",
                    hint="write the address exactly as a browser shows it",
                )
                continue
            if not url.startswith(("http://", "https://")):
                if "://" in url:
                    self.error(
                        f"unsupported address '{url}'",
                        self.where.find(tname, "url", index),
                        f"{key}.url",
                        hint="use an http(s) URL or a path to a local file",
                    )
                    continue
                url = str((self.path.parent / url).resolve())
            feeds.append(FeedSource(name, url, self.where.find(tname, "url", index)))
        return tuple(feeds)
