"""Entry point (preview), the editor's panel: the figures beside the email.

Takes a build (the rendered issue and its files) and gives the `Summary` the panel and the
inbox view show: sizes against Gmail's and the `<style>` budget, word count and reading time,
the sender, subject and the inbox snippet; and takes the week's stored articles and gives the
`Candidate` stories with a ready YAML item each.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr

from lxml import html as lxml_html

from newsletter.config import Settings
from newsletter.deliver.build import BuildFiles
from newsletter.issue import candidate_item
from newsletter.models import Article, RenderedIssue
from newsletter.render.checks import HTML_BUDGET, STYLE_BUDGET
from newsletter.untrusted import clean_text
from newsletter.week import local_time

# Silent reading of news prose runs at about 230 words a minute for adults.
WORDS_PER_MINUTE = 230
# Inboxes take their snippet from the first text of the body; more than any of them shows.
SNIPPET_CHARS = 300
_REFERENCE = re.compile(r"^\[\d+\] \S+$")
_WORD = re.compile(r"\w+(?:['’.-]\w+)*")


@dataclass(frozen=True, slots=True)
class Summary:
    """What the panel and the inbox view show about one build."""

    number: int
    date: date
    lang: str
    subject: str
    preheader: str
    sender_name: str
    sender_address: str
    snippet: str
    html_bytes: int
    style_bytes: int
    text_bytes: int
    words: int
    minutes: int
    article_ids: tuple[str, ...]
    html_budget: int = HTML_BUDGET
    style_budget: int = STYLE_BUDGET


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of the week's stored stories, as the panel lists it; `used` says which issue has
    it already ("" when none), `item` is the YAML to paste under a section's `items:`."""

    id: str
    feed: str
    when: str
    title: str
    used: str
    item: str


def summarise(rendered: RenderedIssue, files: BuildFiles, settings: Settings) -> Summary:
    """The panel's figures for one build, from the exact files the build would write."""
    text = files["email.txt"].decode("utf-8")
    prose = "\n".join(line for line in text.splitlines() if not _REFERENCE.match(line))
    words = len(_WORD.findall(prose))
    issue = rendered.issue
    name, address = parseaddr(settings.edition(issue.lang).sender)
    return Summary(
        number=issue.number,
        date=issue.date,
        lang=issue.lang,
        subject=rendered.subject,
        preheader=rendered.preheader,
        sender_name=name or address,
        sender_address=address,
        snippet=inbox_snippet(files["email.html"]),
        html_bytes=len(files["email.html"]),
        style_bytes=rendered.sizes.style_bytes,
        text_bytes=len(files["email.txt"]),
        words=words,
        minutes=max(1, math.ceil(words / WORDS_PER_MINUTE)),
        article_ids=tuple(article.id for article in issue.articles),
    )


def inbox_snippet(html: bytes) -> str:
    """The text an inbox shows after the subject: the body's first text, hidden preheader
    included, as Gmail and Apple Mail take it (styles and scripts left out)."""
    body = lxml_html.document_fromstring(html).find("body")
    if body is None:
        return ""
    for name in ("style", "script", "title"):
        for node in list(body.iter(name)):
            node.getparent().remove(node)  # type: ignore[union-attr]
    # Block by block, as inboxes join them: a space between the texts of elements.
    text = " ".join(" ".join(str(part) for part in body.itertext()).split())
    # Preheader padding (zero-width joiners and non-breaking spaces) shows as nothing.
    text = re.sub(r"[\u200b-\u200d\u034f\u00ad\ufeff]+", "", text)
    return " ".join(text.split())[:SNIPPET_CHARS]


def candidates_of(
    articles: Sequence[Article],
    settings: Settings,
    used_here: set[str],
    earlier: Mapping[str, tuple[int, date]],
) -> tuple[Candidate, ...]:
    """The week's stories, newest first, each with the issue that already used it."""
    found = []
    for article in articles:
        if article.id in used_here:
            used = "this issue"
        elif article.id in earlier:
            used = f"issue {earlier[article.id][0]}"
        else:
            used = ""
        when = local_time(article.published, settings.timezone) if article.published else ""
        found.append(
            Candidate(
                article.id,
                article.feed,
                when,
                " ".join(clean_text(article.title).split()),
                used,
                candidate_item(article.id),
            )
        )
    return tuple(found)
