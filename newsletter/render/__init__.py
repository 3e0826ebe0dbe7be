"""Stage 3, the renderer: `Issue` + settings → `RenderedIssue` (email HTML and plain text).

The HTML goes Jinja2 (theme's `email.mjml.jinja`) → MJML → mjml-python → premailer; the plain
text is rendered from the same context by the theme's `email.txt.jinja`, not converted from
the HTML. The newsroom's own links get their campaign tags (`links`, when the settings ask
for them) in both. Mail-service links stay sentinels (see `placeholders`) until an exporter
fills them.
"""

from __future__ import annotations

import re
from typing import Any

from newsletter.config import Settings
from newsletter.errors import Problem, Span
from newsletter.models import Issue, RenderedIssue
from newsletter.render.context import build_context, subject_of
from newsletter.render.links import tag_links
from newsletter.render.locales import local_number
from newsletter.render.markdown import LinkRefs
from newsletter.render.theme import REFS, Theme, load_theme, template_problems

__all__ = ["TEXT_COLUMNS", "render_issue"]

# The plain text's longest line, a URL alone on its line excepted (RFC 5322 suggests 78).
TEXT_COLUMNS = 76


def _render(theme: Theme, name: str, context: dict[str, Any]) -> str:
    with template_problems(theme, name):
        return theme.env.get_template(name).render(context)


def _reference(number: str, url: str) -> str:
    """One line of the text's link list, "[n] URL"; a URL too long to share a line of
    `TEXT_COLUMNS` goes on the next line alone, where a mail reader can still follow it."""
    line = f"[{number}] {url}"
    return line if len(line) <= TEXT_COLUMNS else f"[{number}]\n{url}"


# The issue's top-level `lang:` line; the Issue keeps no positions of its top-level fields.
_LANG_LINE = re.compile(r"^lang:[ \t]*[\"']?([A-Za-z0-9-]+)", re.MULTILINE)


def _lang_span(issue: Issue) -> Span | None:
    try:
        source = issue.source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    found = _LANG_LINE.search(source)
    if found is None:
        return None
    line = source.count("\n", 0, found.start()) + 1
    column = found.start(1) - found.start() + 1
    return Span(issue.source, line, column, len(found.group(1)))


def edition_problems(issue: Issue, settings: Settings, theme: Theme) -> list[Problem]:
    """Warnings for an issue in a language other than English that the theme has no labels
    for (its fixed phrases would be English) or newsletter.toml no name for."""
    lang = issue.lang.split("-")[0]
    if lang == "en":
        return []
    span = _lang_span(issue)
    problems = []
    if lang not in theme.labels:
        problems.append(
            Problem(
                f"the theme has no labels in '{lang}': the email's headings and fixed "
                "phrases (the welcome line, the footer) are in English",
                span=span,
                key="lang",
                path=issue.source,
                severity="warning",
                hint=f"add [labels.{lang}] to the theme's theme.toml with every key of "
                "[labels.en], or give the issue its own `labels:`",
            )
        )
    if issue.lang not in settings.editions and lang not in settings.editions:
        problems.append(
            Problem(
                f"newsletter.toml names no '{lang}' edition: the masthead, the welcome line "
                f"and the subject call the newsletter '{settings.name}'",
                span=span,
                key="lang",
                path=issue.source,
                severity="warning",
                hint=f'add [editions.{lang}] with name = "…" in that language to newsletter.toml',
            )
        )
    return problems


def render_issue(issue: Issue, settings: Settings, theme: Theme | None = None) -> RenderedIssue:
    """Render an issue to email HTML and plain text with the settings' (or given) theme."""
    # Imported here: MRML, premailer and lxml take 0.2 s to import, which `check`, needing
    # only the theme's labels from this package, should not pay.
    from newsletter.render.checks import check_html
    from newsletter.render.html import compile_mjml, inline_css

    theme = theme or load_theme(settings.theme)
    labels = theme.labels_for(issue.lang, issue.labels)
    context = build_context(issue, settings, labels)
    mjml = _render(theme, "email.mjml.jinja", context)
    html = inline_css(compile_mjml(mjml, theme.folder))
    refs = LinkRefs(lambda number: local_number(number, issue.lang))
    body = _render(theme, "email.txt.jinja", {**context, REFS: refs})
    references = "\n".join(
        _reference(refs.numeral(n), url) for n, url in enumerate(refs.urls, start=1)
    )
    text = body.rstrip() + "\n" + (references + "\n" if references else "")
    # After premailer and before the lint: the tags are in what is measured and sent.
    html, text = tag_links(html, text, settings.campaign, issue)
    checks, sizes = check_html(html)
    checks = edition_problems(issue, settings, theme) + checks
    return RenderedIssue(
        issue, subject_of(issue, settings), issue.preheader, html, text, tuple(checks), sizes
    )
