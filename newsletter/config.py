"""Leaf: `newsletter.toml` → `Settings`, the newsroom's name, sender, timezone, authors and feeds.

Every option of the file is described once, in `SECTIONS` below; the generic walker in
`options.py` reads the file against that table and collects every mistake as a `Problem` at the
line and column where it was written (`_toml.py` finds them, as tomllib keeps no positions).
What a field of the table cannot say (an email address, a time zone, a colour, a feed's address)
is a small validator here. Paths are resolved relative to the settings file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from newsletter._toml import KeySpans, load_toml, locate_keys
from newsletter.dburl import BadDatabaseUrl, DatabaseUrl, is_database_url, parse_database_url
from newsletter.errors import Problem, ProblemsError, Span
from newsletter.models import Author, Campaign, Edition, FeedSource, FetchLimits, LinkLimits
from newsletter.options import Entry, Invalid, Option, Section, did_you_mean, walk
from newsletter.suggest import did_you_mean as suggest

# FeedSource and FetchLimits live with the other seam types; importing them from here works too.
__all__ = ["DAYS", "FeedSource", "FetchLimits", "Settings", "find_config", "load_settings"]

CONFIG_NAME = "newsletter.toml"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FEED_NAME = "a short feed name (a-z, 0-9, '-', '_')"
_FEED_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# A language code as an issue's `lang:` is written: fa, ps, fa-AF.
_LANG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")


@dataclass(frozen=True, slots=True)
class Settings:
    """The newsroom's settings, validated; paths are absolute."""

    path: Path
    name: str
    timezone: ZoneInfo
    send_day: str
    sender: str
    reply_to: str | None
    # A SQLite file, or a PostgreSQL server (`postgresql://…`).
    store: Path | DatabaseUrl
    theme: Path | None
    accent: str
    organisation: str
    subscribe_url: str
    unsubscribe_url: str
    archive_url: str
    # Where List-Unsubscribe's mailto goes; None: the sender's address.
    unsubscribe_mailto: str | None = None
    authors: dict[str, Author] = field(default_factory=dict)
    # The editions in other languages, by language code: `[editions.fa]`.
    editions: dict[str, Edition] = field(default_factory=dict)
    feeds: tuple[FeedSource, ...] = ()
    fetch: FetchLimits = field(default_factory=FetchLimits)
    links: LinkLimits = field(default_factory=LinkLimits)
    # The email links newsletter.toml leaves out, so their placeholder default is used:
    # `check` warns about each before the email goes out with an example address in it.
    unset_links: tuple[str, ...] = ()
    # The campaign tags of the newsroom's own links; None (no [campaign] table): no tagging.
    campaign: Campaign | None = None

    @property
    def root(self) -> Path:
        """The folder holding newsletter.toml; relative paths start here."""
        return self.path.parent

    def edition(self, lang: str) -> Edition:
        """The name and publisher line of the edition in `lang`: its `[editions.LANG]` table
        (`fa-AF` falls back to `fa`), else the `[newsletter]` name, organisation and from."""
        for code in (lang, lang.split("-")[0]):
            if code in self.editions:
                return self.editions[code]
        return Edition(lang, self.name, self.organisation, self.sender)


def time_zone(name: str, root: Path) -> ZoneInfo:
    """An IANA time zone by name."""
    try:
        return ZoneInfo(name)
    # OSError: a folder of the database, such as "Asia", is found but cannot be read as a zone.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(
            f"unknown time zone '{name}'",
            f"{did_you_mean(name, available_timezones())}"
            "use an IANA name such as Asia/Kabul or Europe/Prague",
        ) from None


def language_code(text: str, root: Path) -> str:
    """A language code, as an issue's `lang:` is written."""
    if not _LANG.fullmatch(text):
        raise Invalid(
            f"expected a language code, found '{text}'",
            "write the code an issue's `lang:` uses, e.g. [editions.fa] or [editions.ps]",
        )
    return text


def email_address(text: str, root: Path) -> str:
    """A sender, bare (`a@example.org`) or with a name (`Name <a@example.org>`)."""
    if "@" not in text:
        raise Invalid(
            f"expected an email address, found '{text}'", 'write it as "Name <address@example.org>"'
        )
    return text


def bare_address(text: str, root: Path) -> str:
    """An email address without a name: `unsubscribe@example.org`."""
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain or re.search(r"[\s<>(),;:\"\[\]\\]", text):
        raise Invalid(f"expected a bare email address, found '{text}'")
    return text


def web_address(text: str, root: Path) -> str:
    """An http(s) URL."""
    if not text.startswith(("http://", "https://")):
        raise Invalid(f"expected an http(s) URL, found '{text}'")
    return text


def colour(text: str, root: Path) -> str:
    """A colour written as #rrggbb."""
    if not _COLOUR.fullmatch(text):
        raise Invalid(f"expected a colour as #rrggbb, found '{text}'")
    return text


def store_location(text: str, root: Path) -> Path | DatabaseUrl:
    """The store: a SQLite file (a path, relative to the settings file's folder unless
    absolute) or a PostgreSQL server (a `postgresql://` URL, never with a password)."""
    if not is_database_url(text):
        return root / text
    try:
        return parse_database_url(text.strip())
    except BadDatabaseUrl as bad:
        raise Invalid(bad.message, bad.hint) from None


def theme_folder(text: str, root: Path) -> Path:
    """A theme: a folder, relative to the settings file's folder unless absolute."""
    folder = root / text
    try:
        found = folder.is_dir()
    except OSError:  # a folder we may not look into is no theme we can use
        found = False
    if not found:
        raise Invalid(
            f"no theme folder at '{text}'",
            "give a folder relative to newsletter.toml, or remove the key to use the default theme",
        )
    return folder


def feed_name(text: str, root: Path) -> str:
    """A feed's short name, shown in health tables and drafts."""
    if not _FEED_NAME.fullmatch(text):
        raise Invalid(f"expected {FEED_NAME}, found {text!r}")
    return text


def feed_address(text: str, root: Path) -> str:
    """A feed's http(s) URL, or the absolute path of a feed file given relative to `root`."""
    if any(char.isspace() for char in text):
        raise Invalid(
            "the address contains a space",
            "write the address exactly as a browser shows it",
        )
    if text.startswith(("http://", "https://")):
        return text
    if "://" in text:
        raise Invalid(
            f"unsupported address '{text}'", "use an http(s) URL or a path to a local file"
        )
    try:
        return str((root / text).resolve())
    except (OSError, RuntimeError):  # a symlink loop: `fetch` reports the file, for this feed only
        return str(root / text)


# -- [campaign]: the tags added to the newsroom's own links in an email ----------------------

CAMPAIGN_PLACEHOLDERS = ("number", "date", "lang")
_BRACED = re.compile(r"\{([^{}]*)\}|[{}]")
_DOMAIN = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_][\w-]{0,61}")


def campaign_value(text: str, root: Path) -> str:
    """A utm_ value, which may hold {number}, {date} and {lang}: the issue's."""
    for match in _BRACED.finditer(text):
        name = match.group(1)
        if name in CAMPAIGN_PLACEHOLDERS:
            continue
        allowed = ", ".join("{" + known + "}" for known in CAMPAIGN_PLACEHOLDERS)
        close = suggest(name, CAMPAIGN_PLACEHOLDERS) if name else None
        mean = f"did you mean {{{close}}}? " if close else ""
        found = match.group() if len(match.group()) <= 40 else match.group()[:37] + "...}"
        raise Invalid(
            f"unknown placeholder {found}" if name is not None else "a stray { or }",
            f'{mean}the value may use {allowed}, e.g. utm_campaign = "issue-{{number}}"',
        )
    return text


def domain(text: str, root: Path) -> str:
    """A domain of the newsroom's own, such as example.org; its subdomains count too."""
    name = text.lower().rstrip(".")
    if not _DOMAIN.fullmatch(name):
        raise Invalid(
            f"expected a domain such as example.org, found '{text}'",
            "write the domain alone, without https:// or a path: example.org also covers "
            "www.example.org and every other subdomain",
        )
    return name


def own_domains(*urls: str) -> tuple[str, ...]:
    """The domains of the newsroom's own addresses (its archive and subscribe pages), less
    a leading www., so that www.example.org/briefing/ makes every example.org link its own."""
    found: list[str] = []
    for url in urls:
        host = (urlsplit(url).hostname or "").rstrip(".")
        host = host.removeprefix("www.")
        if host and host not in found:
            found.append(host)
    return tuple(found)


_LIMITS = FetchLimits()
_LINKS = LinkLimits()
_FULL_URL = "write the full address, starting with https://"

SECTIONS = (
    Section(
        "newsletter",
        required=True,
        hint='start the file with [newsletter] and name = "…"',
        options=(
            Option("name", required=True),
            Option("timezone", default="UTC", what="a time zone name", check=time_zone),
            Option("send_day", default="friday", what="a day of the week", choices=DAYS),
            Option("from", required=True, what="an email address", check=email_address),
            Option(
                "reply_to",
                what="an email address",
                hint='for example reply_to = "tips@example.org"',
                check=email_address,
            ),
            Option(
                "store",
                default="data/articles.sqlite3",
                what="a path or a postgresql:// URL",
                hint='a file relative to newsletter.toml, e.g. store = "data/articles.sqlite3", '
                'or a server, e.g. store = "postgresql://editor@db.example.org/newsroom"',
                check=store_location,
            ),
            Option("theme", what="a folder", check=theme_folder),
            Option(
                "accent",
                default="#c2410c",
                what="a colour",
                hint='for example accent = "#c2410c"',
                check=colour,
            ),
            Option(
                "organisation",
                hint='the publisher, for the footer, e.g. organisation = "Meridian Radio"',
            ),
            Option(
                "subscribe_url",
                default="https://example.org/subscribe",
                what="a URL",
                hint=_FULL_URL,
                check=web_address,
            ),
            Option(
                "archive_url",
                default="https://example.org/briefing/",
                what="a URL",
                hint=_FULL_URL,
                check=web_address,
            ),
        ),
    ),
    Section(
        "authors",
        shape="keyed",
        entry="a table with name and role",
        hint='write [authors.KEY] with name = "…" and role = "…"',
        options=(
            Option("name", required=True),
            Option("role", hint='for example role = "senior correspondent"'),
            Option("bio", one_line=False, hint="a few sentences about the author"),
        ),
    ),
    Section(
        "editions",
        shape="keyed",
        entry="a table with name",
        hint='write [editions.LANG] with name = "…" in that language, e.g. [editions.fa]',
        key_check=language_code,
        options=(
            Option(
                "name",
                required=True,
                hint="the newsletter's name in the edition's language, for the masthead, "
                "the welcome line and the subject",
            ),
            Option(
                "organisation",
                hint="the publisher's footer line in the edition's language; "
                "the [newsletter] organisation when left out",
            ),
            Option(
                "from",
                what="an email address",
                hint="the sender as the edition's inboxes show it, "
                'e.g. from = "خبرنامهٔ دروانه <briefing@example.org>"',
                check=email_address,
            ),
        ),
    ),
    Section(
        "feeds",
        shape="array",
        entry="a table with name and url",
        noun="feed",
        hint='write each feed as [[feeds]] with name = "…" and url = "…"',
        options=(
            Option(
                "name",
                required=True,
                what=FEED_NAME,
                hint='give each feed a short name, e.g. name = "world-news"',
                check=feed_name,
                unique=True,
            ),
            Option(
                "url",
                required=True,
                what="the feed's URL or a path to a feed file",
                hint='for example url = "https://example.org/feed.xml"',
                check=feed_address,
            ),
        ),
    ),
    Section(
        "delivery",
        options=(
            Option(
                "unsubscribe_url",
                default="https://example.org/unsubscribe",
                what="a URL",
                hint=_FULL_URL,
                check=web_address,
            ),
            Option(
                "unsubscribe_mailto",
                what="an email address",
                hint="a bare address that handles unsubscribe requests, e.g. "
                'unsubscribe_mailto = "unsubscribe@example.org"',
                check=bare_address,
            ),
        ),
    ),
    Section(
        "fetch",
        options=(
            Option("per_host", "whole", default=_LIMITS.per_host, top=64),
            Option("concurrency", "whole", default=_LIMITS.concurrency, top=1024),
            Option("connect_timeout", "seconds", default=_LIMITS.connect_timeout, top=300),
            Option("read_timeout", "seconds", default=_LIMITS.read_timeout, top=300),
            Option("deadline", "seconds", default=_LIMITS.deadline, top=3600),
        ),
    ),
    Section(
        "links",
        options=(
            Option(
                "cache_hours",
                "seconds",
                default=_LINKS.cache_hours,
                top=24 * 366,
                what="a number of hours",
                hint="how long a link check's answer is trusted, e.g. cache_hours = 24",
            ),
            Option("timeout", "seconds", default=_LINKS.timeout, top=300),
        ),
    ),
    # Optional: without the table, no link is tagged.
    Section(
        "campaign",
        options=(
            Option(
                "utm_source",
                default="newsletter",
                what="a campaign source",
                hint='for example utm_source = "darvana-briefing"',
                check=campaign_value,
            ),
            Option(
                "utm_medium",
                default="email",
                what="a campaign medium",
                hint='for example utm_medium = "email"',
                check=campaign_value,
            ),
            Option(
                "utm_campaign",
                default="issue-{number}",
                what="a campaign name",
                hint='for example utm_campaign = "issue-{number}" or "briefing-{date}"',
                check=campaign_value,
            ),
            Option(
                "domains",
                "texts",
                what="a list of domains",
                hint='for example domains = ["example.org", "example.net"]',
                check=domain,
            ),
        ),
    ),
)


def find_config(explicit: Path | None, cwd: Path | None = None) -> Path:
    """The settings file: the one given, else newsletter.toml in the current folder."""
    if explicit is not None:
        return explicit
    return (cwd or Path.cwd()) / CONFIG_NAME


def load_settings(path: Path) -> Settings:
    """Read and validate a settings file; raise `ProblemsError` listing every mistake."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad starts files with a BOM
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
    data, problems = load_toml(path, text)
    if data is None:
        raise ProblemsError(problems)
    path = path.resolve()
    spans = locate_keys(path, text)
    checked, problems = walk(data, SECTIONS, spans, path.parent)
    if problems:
        raise ProblemsError(problems)
    settings = _settings(path, checked, spans)
    written = {
        "subscribe_url": "subscribe_url" in data.get("newsletter", {}),
        "archive_url": "archive_url" in data.get("newsletter", {}),
        "unsubscribe_url": "unsubscribe_url" in data.get("delivery", {}),
    }
    unset = tuple(key for key, given in written.items() if not given)
    return replace(settings, unset_links=unset, campaign=_campaign(checked, settings, data))


def _campaign(
    checked: Mapping[str, tuple[Entry, ...]], settings: Settings, data: Mapping[str, object]
) -> Campaign | None:
    """The campaign tags when newsletter.toml has a [campaign] table, else None."""
    if "campaign" not in data:
        return None
    table = checked["campaign"][0]
    domains = table.maybe("domains", tuple) or own_domains(
        settings.archive_url, settings.subscribe_url
    )
    return Campaign(
        source=table.get("utm_source", str),
        medium=table.get("utm_medium", str),
        name=table.get("utm_campaign", str),
        domains=tuple(str(name) for name in domains),
    )


def _located(store: object, span: Span) -> Path | DatabaseUrl:
    """The store, a server's URL with the place it was written (for its connection errors)."""
    if isinstance(store, DatabaseUrl):
        return replace(store, span=span)
    assert isinstance(store, Path)
    return store


def _settings(path: Path, checked: Mapping[str, tuple[Entry, ...]], spans: KeySpans) -> Settings:
    news = checked["newsletter"][0]
    limits = checked["fetch"][0]
    name = news.get("name", str)
    return Settings(
        path=path,
        name=name,
        timezone=news.get("timezone", ZoneInfo),
        send_day=news.get("send_day", str),
        sender=news.get("from", str),
        reply_to=news.maybe("reply_to", str),
        store=_located(news.get("store", object), spans.find("newsletter", "store")),
        theme=news.maybe("theme", Path),
        accent=news.get("accent", str),
        organisation=news.maybe("organisation", str) or name,
        subscribe_url=news.get("subscribe_url", str),
        unsubscribe_url=checked["delivery"][0].get("unsubscribe_url", str),
        unsubscribe_mailto=checked["delivery"][0].maybe("unsubscribe_mailto", str),
        archive_url=news.get("archive_url", str),
        authors={
            str(author.keys[-1]): Author(
                key=str(author.keys[-1]),
                name=author.get("name", str),
                role=author.maybe("role", str) or "",
                bio=author.maybe("bio", str) or "",
            )
            for author in checked["authors"]
        },
        editions={
            str(edition.keys[-1]): Edition(
                lang=str(edition.keys[-1]),
                name=edition.get("name", str),
                organisation=edition.maybe("organisation", str)
                or news.maybe("organisation", str)
                or edition.get("name", str),
                sender=edition.maybe("from", str) or news.get("from", str),
            )
            for edition in checked["editions"]
        },
        feeds=tuple(
            FeedSource(feed.get("name", str), feed.get("url", str), spans.find(*feed.keys, "url"))
            for feed in checked["feeds"]
        ),
        fetch=FetchLimits(
            per_host=limits.get("per_host", int),
            concurrency=limits.get("concurrency", int),
            connect_timeout=limits.get("connect_timeout", float),
            read_timeout=limits.get("read_timeout", float),
            deadline=limits.get("deadline", float),
        ),
        links=LinkLimits(
            cache_hours=checked["links"][0].get("cache_hours", float),
            timeout=checked["links"][0].get("timeout", float),
        ),
    )
