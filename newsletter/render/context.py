"""Stage 3 (renderer), the template context: an `Issue` + settings + labels → one plain mapping.

This is the only place the Jinja context is built, so the HTML and the plain-text templates see
exactly the same data. Section headings fall back to the theme's labels (the first feature is
"The Key Issue", a later one "What To Keep An Eye On", a list is the roundup).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from newsletter.config import Settings
from newsletter.labels import fill_label
from newsletter.models import Image, Issue
from newsletter.placeholders import UNSUBSCRIBE, VIEW_IN_BROWSER
from newsletter.render import locales
from newsletter.render.markdown import typeset
from newsletter.render.theme import RTL_LANGS

# Font stacks by script: Georgia and Arial have no Arabic letters, and a system's fallback for
# them is often a UI font; these name the faces Windows, Apple and Android systems ship.
_FONTS = {
    "latin": {
        "serif": "Georgia, 'Times New Roman', serif",
        "sans": "Arial, Helvetica, sans-serif",
    },
    "arabic": {
        "serif": "'Noto Naskh Arabic', 'Geeza Pro', 'Times New Roman', Tahoma, serif",
        "sans": "Tahoma, 'Segoe UI', 'Noto Sans Arabic', 'Geeza Pro', Arial, sans-serif",
    },
}
# Languages written in the Arabic script (the right-to-left ones other than Hebrew and Yiddish).
_ARABIC_SCRIPT = frozenset({"ar", "ckb", "fa", "prs", "ps", "sd", "ug", "ur"})


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
    """The subject line: the issue's own, or "<edition's name>: <title>"."""
    return issue.subject or f"{settings.edition(issue.lang).name}: {issue.title}"


def long_date(issue: Issue) -> str:
    """The issue date as printed in the masthead, in the issue's language: "November 27,
    2026", "۲۷ نوامبر ۲۰۲۶"."""
    return locales.long_date(issue.date, issue.lang)


def script_of(lang: str) -> str:
    """The script a language is written in, as far as the fonts care: arabic or latin."""
    return "arabic" if lang.split("-")[0] in _ARABIC_SCRIPT else "latin"


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
    edition = settings.edition(issue.lang)
    script = script_of(issue.lang)
    return {
        "newsletter": {
            "name": edition.name,
            "organisation": edition.organisation,
            "accent": settings.accent,
            "subscribe_url": settings.subscribe_url,
            "archive_url": settings.archive_url,
            "reply_to": settings.reply_to or "",
        },
        "issue": {
            "number": issue.number,
            "numbered": fill_label(
                labels["issue_number"], {"number": locales.local_number(issue.number, issue.lang)}
            ),
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
        # Markup: the stacks' quotes must reach the CSS unescaped.
        "fonts": {"script": script, **{key: Markup(v) for key, v in _FONTS[script].items()}},
        "welcome": fill_label(labels["welcome"], {"name": edition.name}),
        "footer_why": fill_label(labels["footer_why"], {"name": edition.name}),
        "links": {"unsubscribe": UNSUBSCRIBE, "view_in_browser": VIEW_IN_BROWSER},
    }
