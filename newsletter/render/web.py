"""Stage 3 (renderer), web pages: an `Issue` → its page in the web archive (`WebPage`), and a
set of pages → the archive's index, through the theme's `web.html.jinja` and
`index.html.jinja`.

A page is rendered from the same context as the email (`context.build_context`), so it says
what the email says, but as a web page rather than email HTML: semantic markup, one small
inline stylesheet, no scripts, a Content-Security-Policy that would stop any. The mail-service
placeholders become the archive's links: view-in-browser is the page itself, unsubscribe the
newsroom's page. A theme made before the archive existed has no web templates: the default
theme's are used with the theme's own labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from newsletter.config import Settings
from newsletter.errors import Problem, ProblemsError
from newsletter.labels import fill_label
from newsletter.models import Image, Issue, WebPage
from newsletter.placeholders import fill_placeholders
from newsletter.render.context import build_context, long_date
from newsletter.render.locales import local_number
from newsletter.render.markdown import typeset
from newsletter.render.theme import RTL_LANGS, Theme, default_theme, load_theme, template_problems

WEB_PAGE = "web.html.jinja"
WEB_INDEX = "index.html.jinja"
CONTENT_BLOCK = "content"  # the block of WEB_PAGE that is the issue itself (the feed's content)


def web_theme(theme: Theme) -> Theme:
    """The theme to render web pages with: `theme`'s templates when it has both web
    templates, else the default theme's; `theme`'s labels, with the default theme's for those
    it lacks (a theme made before the archive has none of the archive's own)."""
    if theme.folder.resolve() == default_theme().resolve():
        return theme
    default = load_theme(default_theme())
    labels = {
        lang: {**default.labels.get(lang, {}), **theme.labels.get(lang, {})}
        for lang in sorted({*default.labels, *theme.labels})
    }
    if all((theme.folder / name).is_file() for name in (WEB_PAGE, WEB_INDEX)):
        return Theme(theme.folder, theme.env, labels)
    return Theme(default.folder, default.env, labels)


def text_direction(lang: str) -> str:
    """`rtl` for a right-to-left language (`fa`, `ps-AF`, …), else `ltr`."""
    return "rtl" if lang.split("-")[0] in RTL_LANGS else "ltr"


def _with_images(issue: Issue, images: Mapping[str, str]) -> Issue:
    """The issue with each image address found in `images` replaced by the address given."""

    def moved(image: Image | None) -> Image | None:
        if image is None or image.url not in images:
            return image
        return replace(image, url=images[image.url])

    sections = tuple(
        replace(
            section, items=tuple(replace(item, image=moved(item.image)) for item in section.items)
        )
        for section in issue.sections
    )
    return replace(issue, hero=moved(issue.hero), sections=sections)


def render_page(
    issue: Issue,
    settings: Settings,
    theme: Theme,
    *,
    url: str,
    feed: str,
    home: str = "../",
    images: Mapping[str, str] | None = None,
) -> WebPage:
    """An issue's web page, published at `url`; `feed` and `home` are the addresses of its
    edition's Atom feed and of the archive's index, relative to the page; `images` gives the
    address, relative to the page, of the site's copy of an image the issue shows."""
    shown = _with_images(issue, images) if images else issue
    labels = theme.labels_for(issue.lang, issue.labels)
    context: dict[str, Any] = build_context(shown, settings, labels)
    edition = _edition_name(theme, issue.lang)
    context["page"] = {
        "url": url,
        "home": home,
        "feed": feed,
        "date": issue.date.isoformat(),
        "edition": edition,
    }
    with template_problems(theme, WEB_PAGE):
        template = theme.env.get_template(WEB_PAGE)
        html = template.render(context)
        block = template.blocks.get(CONTENT_BLOCK)
        if block is None:
            raise ProblemsError(
                [
                    Problem(
                        f"the web page template has no {{% block {CONTENT_BLOCK} %}}",
                        path=theme.folder / WEB_PAGE,
                        hint="put the issue itself (not the site's header and footer) in "
                        f"{{% block {CONTENT_BLOCK} %}} … {{% endblock %}}: the Atom feed "
                        "carries it",
                    )
                ]
            )
        content = "".join(block(template.new_context(context))).strip() + "\n"
    links = {"unsubscribe": settings.unsubscribe_url, "view_in_browser": url}
    return WebPage(
        issue,
        url,
        fill_placeholders(html, **links),
        fill_placeholders(content, **links),
        text_direction(issue.lang),
        edition,
    )


@dataclass(frozen=True, slots=True)
class _Listed:
    """One issue as the index lists it."""

    href: str
    number: int
    numbered: str  # the number as the edition writes it: "#42", "شمارهٔ ۴۲"
    date: str
    iso_date: str
    title: str
    preheader: str


@dataclass(frozen=True, slots=True)
class _Edition:
    """One language's issues on the index, newest first."""

    lang: str
    dir: str
    name: str
    feed: str
    feed_label: str
    issues: tuple[_Listed, ...]


def newest_first(pages: Sequence[WebPage]) -> list[WebPage]:
    """Pages by issue date, newest first (then by number and slug, so the order is fixed)."""
    return sorted(pages, key=lambda p: (p.issue.date, p.issue.number, p.issue.slug), reverse=True)


def editions(pages: Sequence[WebPage]) -> list[tuple[str, list[WebPage]]]:
    """Pages grouped by language, each group newest first; the language with the most issues
    comes first (ties by language code)."""
    groups: dict[str, list[WebPage]] = {}
    for page in newest_first(pages):
        groups.setdefault(page.issue.lang, []).append(page)
    return sorted(groups.items(), key=lambda group: (-len(group[1]), group[0]))


def render_index(
    pages: Sequence[WebPage], settings: Settings, theme: Theme, *, feeds: Mapping[str, str]
) -> str:
    """The archive's index: every page, grouped by language edition, newest first; `feeds`
    gives each language's Atom feed address, relative to the index."""
    groups = editions(pages)
    listed = []
    for lang, group in groups:
        labels = theme.labels_for(lang, ())
        issues = tuple(
            _Listed(
                href=f"{page.issue.slug}/",
                number=page.issue.number,
                numbered=fill_label(
                    labels["issue_number"],
                    {"number": local_number(page.issue.number, page.issue.lang)},
                ),
                date=long_date(page.issue),
                iso_date=page.issue.date.isoformat(),
                title=typeset(page.issue.title),
                preheader=typeset(page.issue.preheader),
            )
            for page in group
        )
        name = _edition_name(theme, lang)
        listed.append(
            _Edition(lang, text_direction(lang), name, feeds[lang], labels["feed"], issues)
        )
    lang = groups[0][0] if groups else "en"
    context = {
        "newsletter": {
            "name": settings.name,
            "organisation": settings.organisation,
            "accent": settings.accent,
            "subscribe_url": settings.subscribe_url,
            "archive_url": settings.archive_url,
        },
        "lang": lang,
        "dir": text_direction(lang),
        "labels": {key: typeset(value) for key, value in theme.labels_for(lang, ()).items()},
        "editions": tuple(listed),
    }
    with template_problems(theme, WEB_INDEX):
        return theme.env.get_template(WEB_INDEX).render(context)


def _edition_name(theme: Theme, lang: str) -> str:
    """The name of a language's edition: the theme's `edition` label for that very language
    (not the English fallback, which would call a Pashto edition "In English"), else the
    language code."""
    own = theme.labels.get(lang.split("-")[0], {}).get("edition")
    return own or lang
