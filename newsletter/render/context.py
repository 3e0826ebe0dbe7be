"""Stage 3 (renderer), the template context: an `Issue` + settings + labels → one plain mapping.

This is the only place the Jinja context is built, so the HTML and the plain-text templates see
exactly the same data. Section headings fall back to the theme's labels (the first feature is
"The Key Issue", a later one "What To Keep An Eye On", a list is the roundup).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newsletter.config import Settings
from newsletter.labels import fill_label
from newsletter.models import Image, Issue
from newsletter.placeholders import UNSUBSCRIBE, VIEW_IN_BROWSER
from newsletter.render.markdown import typeset
from newsletter.render.theme import RTL_LANGS

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True, slots=True)
class ContextItem:
    """One item as templates see it."""

    title: str
    url: str
    body_md: str
    notes: tuple[tuple[str, str], ...]  # (label, markdown)
    image: Image | None
    byline: str


@dataclass(frozen=True, slots=True)
class ContextSection:
    """One section as templates see it, with its heading resolved."""

    heading: str
    layout: str
    items: tuple[ContextItem, ...]


def subject_of(issue: Issue, settings: Settings) -> str:
    """The subject line: the issue's own, or "<newsletter name>: <title>"."""
    return issue.subject or f"{settings.name}: {issue.title}"


def long_date(issue: Issue) -> str:
    """The issue date as printed in the masthead, e.g. "November 27, 2026"."""
    if issue.lang.split("-")[0] == "en":
        return f"{_MONTHS[issue.date.month - 1]} {issue.date.day}, {issue.date.year}"
    return issue.date.isoformat()


def build_context(issue: Issue, settings: Settings, labels: dict[str, str]) -> dict[str, Any]:
    """Everything the templates may use, and nothing else. Headlines, headings and labels
    get the same typographic quotes as the Markdown body."""
    labels = {key: typeset(value) for key, value in labels.items()}
    sections = []
    features_seen = 0
    for section in issue.sections:
        heading = section.heading
        if not heading:
            if section.layout == "feature":
                heading = labels["key_issue"] if features_seen == 0 else labels["keep_an_eye_on"]
            else:
                heading = labels["roundup"]
        if section.layout == "feature":
            features_seen += 1
        items = tuple(
            ContextItem(
                title=typeset(item.title),
                url=item.url,
                body_md=item.body_md,
                notes=tuple((note.label, note.text_md) for note in item.notes),
                image=item.image,
                byline=(item.article.author or "") if item.article else "",
            )
            for item in section.items
        )
        sections.append(ContextSection(typeset(heading), section.layout, items))
    author = issue.author
    role = f"{labels.get('role_separator', ', ')}{author.role}" if author.role else ""
    lang = issue.lang.split("-")[0]
    return {
        "newsletter": {
            "name": settings.name,
            "organisation": settings.organisation,
            "accent": settings.accent,
            "subscribe_url": settings.subscribe_url,
            "archive_url": settings.archive_url,
            "reply_to": settings.reply_to or "",
        },
        "issue": {
            "number": issue.number,
            "date": long_date(issue),
            "title": typeset(issue.title),
            "preheader": issue.preheader,
            "lang": issue.lang,
            "dir": "rtl" if lang in RTL_LANGS else "ltr",
            "align": "right" if lang in RTL_LANGS else "left",
        },
        "subject": subject_of(issue, settings),
        "author": {
            "name": author.name,
            "role": author.role,
            "bio": author.bio,
            "line": fill_label(labels["author_line"], {"name": author.name, "role": role}),
        },
        "hero": issue.hero,
        "sections": tuple(sections),
        "signoff_md": issue.signoff_md,
        "labels": labels,
        "welcome": fill_label(labels["welcome"], {"name": settings.name}),
        "footer_why": fill_label(labels["footer_why"], {"name": settings.name}),
        "links": {"unsubscribe": UNSUBSCRIBE, "view_in_browser": VIEW_IN_BROWSER},
    }
