"""Stage 3, the renderer: `Issue` + settings → `RenderedIssue` (email HTML and plain text).

The HTML goes Jinja2 (theme's `email.mjml.jinja`) → MJML → mjml-python → premailer; the plain
text is rendered from the same context by the theme's `email.txt.jinja`, not converted from
the HTML. The newsroom's own links get their campaign tags (`links`, when the settings ask
for them) in both. Mail-service links stay sentinels (see `placeholders`) until an exporter
fills them.
"""

from __future__ import annotations

from typing import Any

from newsletter.config import Settings
from newsletter.models import Issue, RenderedIssue
from newsletter.render.context import build_context, subject_of
from newsletter.render.links import tag_links
from newsletter.render.markdown import LinkRefs
from newsletter.render.theme import REFS, Theme, load_theme, template_problems

__all__ = ["render_issue"]


def _render(theme: Theme, name: str, context: dict[str, Any]) -> str:
    with template_problems(theme, name):
        return theme.env.get_template(name).render(context)


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
    refs = LinkRefs()
    body = _render(theme, "email.txt.jinja", {**context, REFS: refs})
    references = "\n".join(f"[{n}] {url}" for n, url in enumerate(refs.urls, start=1))
    text = body.rstrip() + "\n" + (references + "\n" if references else "")
    # After premailer and before the lint: the tags are in what is measured and sent.
    html, text = tag_links(html, text, settings.campaign, issue)
    checks, sizes = check_html(html)
    return RenderedIssue(
        issue, subject_of(issue, settings), issue.preheader, html, text, tuple(checks), sizes
    )
