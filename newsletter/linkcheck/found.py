"""Pre-send checks, the links of a finished email and where each was written.

Takes the rendered issue (its HTML and text as they are sent: campaign tags added, the mail
service's placeholders still in) and the settings; gives every distinct address once, in the
order a reader meets them, with the places it came from: the line and column of the issue
file that wrote it, else the item whose article it is (the feed wrote it), else newsletter.toml
or the theme. An address is matched to what was written with and without the campaign tags,
and with percent-escapes undone (Markdown escapes what the editor typed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from newsletter.config import Settings
from newsletter.errors import Span
from newsletter.models import RenderedIssue
from newsletter.render.links import campaign_tags, html_links, tag_url, text_links

# An address as an editor writes it in YAML, TOML or a template: up to a space, a quote or a
# bracket; Markdown's closing parenthesis and the sentence's punctuation are trimmed after.
_WRITTEN = re.compile(r"(?:https?://|mailto:)[^\s<>\"'`\[\]{}|\\^]+", re.IGNORECASE)
_TRAILING = ".,;:!?"
_THEME_FILES = (".jinja", ".mjml", ".html", ".txt", ".toml")


@dataclass(frozen=True, slots=True)
class Site:
    """Where a link was written: a place in a file (or a whole file, or neither: the theme's
    code), and what it is, in words, for messages."""

    span: Span | None
    path: Path | None
    what: str


@dataclass(frozen=True, slots=True)
class EmailLink:
    """One distinct address of an email and the places it was written, best first."""

    url: str
    sites: tuple[Site, ...]


def _trim(url: str) -> str:
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))):
        url = url[:-1]
    return url


def written_addresses(path: Path) -> Iterable[tuple[str, Span]]:
    """Every address written in a text file, with its line and column (none if unreadable)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _WRITTEN.finditer(line):
            url = _trim(match.group())
            yield url, Span(path, number, match.start() + 1, len(url))


def _key(url: str) -> str:
    return unquote(url.strip())


def email_links(
    rendered: RenderedIssue, settings: Settings, theme_folder: Path | None = None
) -> tuple[EmailLink, ...]:
    """The distinct links of the rendered email, each with where it was written."""
    issue = rendered.issue
    tags = campaign_tags(settings.campaign, issue) if settings.campaign else ()
    domains = settings.campaign.domains if settings.campaign else ()
    places: dict[str, list[tuple[int, Site]]] = {}

    def add(url: str, rank: int, site: Site) -> None:
        for form in {url, tag_url(url, tags, domains) if tags else url}:
            places.setdefault(_key(form), []).append((rank, site))

    for url, span in written_addresses(issue.source):
        add(url, 0, Site(span, None, "the issue file"))
    for section in issue.sections:
        for item in section.items:
            if item.article is not None:
                what = f"article {item.article.id} of feed {item.article.feed}"
                add(item.url, 1, Site(item.span, None, what))
            for link in item.see_also:
                add(link.url, 1, Site(item.span, None, f"a see-also link of {item.title!r}"))
    for url, span in written_addresses(settings.path):
        add(url, 2, Site(span, None, settings.path.name))
    if theme_folder is not None:
        for path in sorted(theme_folder.rglob("*")):
            if path.suffix in _THEME_FILES and path.is_file():
                for url, span in written_addresses(path):
                    add(url, 3, Site(span, None, "the theme"))
    seen: dict[str, None] = {}
    for url in (*html_links(rendered.html), *text_links(rendered.text)):
        if url and not url.startswith("#"):
            seen.setdefault(url, None)
    links = []
    for url in seen:
        found = sorted(places.get(_key(url), []), key=lambda pair: pair[0])
        if found:
            best = found[0][0]
            unique = dict.fromkeys(site for rank, site in found if rank == best)
            sites = tuple(unique) if best == 0 else tuple(unique)[:1]
        else:
            sites = (Site(None, theme_folder, "the theme"),)
        links.append(EmailLink(url, sites))
    return tuple(links)
