"""Stage 4 (delivery), the archive's Atom feed: the web pages of one language edition → an
Atom 1.0 document (RFC 4287), built with lxml, never by joining strings.

Each entry's id is its page's address (the archive URL and the issue's slug), so it stays the
same from one build to the next; its dates are the issue's date at midnight in the newsroom's
time zone, never the clock, so building twice gives the same bytes; its content is the whole
issue, the page's article as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time
from html import escape

from lxml import etree

from newsletter.config import Settings
from newsletter.models import WebPage, issue_slug

ATOM = "http://www.w3.org/2005/Atom"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
# What XML 1.0 cannot carry at all; feed text is cleaned of most of it long before, but the
# feed must not fail on what an editor's file might still hold.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


FEED_PREFIX = "feed-"


def feed_name(lang: str) -> str:
    """The file name of a language edition's feed: `feed-en.xml`, `feed-fa.xml`, …"""
    return f"{FEED_PREFIX}{issue_slug(lang)}.xml"


def _moment(page: WebPage, settings: Settings) -> str:
    """The issue's date as an RFC 3339 time: midnight in the newsroom's time zone."""
    return datetime.combine(page.issue.date, time(0), tzinfo=settings.timezone).isoformat()


def _add(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM}}}{tag}")
    for key, value in attrs.items():
        element.set(key, _NOT_XML.sub("", value))
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def atom_feed(
    pages: Sequence[WebPage], settings: Settings, *, lang: str, url: str, title: str
) -> bytes:
    """The Atom feed of one edition's pages (newest first), published at `url`."""
    ordered = sorted(
        pages, key=lambda p: (p.issue.date, p.issue.number, p.issue.slug), reverse=True
    )
    # None is lxml's key for the default namespace, which lxml-stubs does not know.
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})  # type: ignore[dict-item]
    feed.set(_XML_LANG, lang)
    _add(feed, "id", url)
    _add(feed, "title", title)
    _add(feed, "link", rel="self", type="application/atom+xml", href=url)
    _add(feed, "link", rel="alternate", type="text/html", href=settings.archive_url)
    if ordered:
        _add(feed, "updated", _moment(ordered[0], settings))
    else:  # a valid feed needs a date; an empty edition has none of its own
        _add(feed, "updated", "1970-01-01T00:00:00Z")
    author = _add(feed, "author")
    _add(author, "name", settings.edition(lang).name)
    for page in ordered:
        issue = page.issue
        entry = _add(feed, "entry")
        _add(entry, "id", page.url)
        _add(entry, "title", issue.title)
        _add(entry, "link", rel="alternate", type="text/html", href=page.url)
        _add(entry, "published", _moment(page, settings))
        _add(entry, "updated", _moment(page, settings))
        entry_author = _add(entry, "author")
        _add(entry_author, "name", issue.author.name)
        _add(entry, "summary", issue.preheader)
        # The wrapper keeps a right-to-left edition right to left in a feed reader.
        body = f'<div lang="{escape(issue.lang)}" dir="{page.dir}">\n{page.content}</div>'
        content = _add(entry, "content", body, type="html")
        content.set(_XML_LANG, issue.lang)
        # The page's images are beside it, named relative to it; readers resolve them here.
        content.set(_XML_BASE, page.url)
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True))
