"""Command `archive`: every issue file in `issues/` → a static web archive: one page per issue
at `<slug>/index.html` (the address the email's "read it in your browser" link points at), an
index of all issues grouped by language edition, newest first, and an Atom feed per edition.
Takes the settings and the site folder; gives an `ArchiveResult`.

Issues are read exactly as `check` reads them (lock files first, then the store) and no lock
file is written. An issue dated after `until` (by default today in the newsroom's time zone)
is left out, so a finished draft is not published before it is sent. An issue with an error
is skipped and reported, and the page an earlier run made of it stays as it was: next week's
half-written draft never blocks or empties the archive; with `strict`, any such issue fails
the whole archive and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.config import Settings
from newsletter.errors import Problem, ProblemsError

if TYPE_CHECKING:
    from newsletter.models import Issue


@dataclass(frozen=True, slots=True)
class ArchivedIssue:
    """An issue that has a page in the archive."""

    source: Path
    slug: str
    number: int
    date: date
    lang: str
    title: str
    url: str
    warnings: int


@dataclass(frozen=True, slots=True)
class SkippedIssue:
    """An issue file left out of the archive because it has errors, with every problem."""

    source: Path
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class ArchiveResult:
    """What `archive` did: the site folder, the issues archived (newest first), those skipped
    for errors, those dated after `until`, the feeds by language, and the site's files
    written, left as they were and removed (paths inside the site folder)."""

    output: Path
    until: date
    issues: tuple[ArchivedIssue, ...]
    skipped: tuple[SkippedIssue, ...]
    later: tuple[Path, ...]
    feeds: tuple[tuple[str, str], ...]  # (lang, file name)
    image_problems: tuple[Problem, ...]  # warnings: images that could not be copied
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def issue_files(folder: Path) -> list[Path]:
    """The issue files in `folder`, by name: `*.yaml`, leaving out lock files and hidden
    files (an editor's lock or backup such as `.#2026-11-27.yaml`)."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.glob("*.yaml")
        if not path.name.startswith(".") and not path.name.endswith(".lock.yaml")
    )


def archive_issues(
    settings: Settings,
    output: Path,
    *,
    until: date | None = None,
    strict: bool = False,
    copy_images: bool = True,
    on_issue: Callable[[str], None] | None = None,
) -> ArchiveResult:
    """Build the web archive of every issue in the newsroom's `issues/` folder into `output`;
    with `copy_images`, the images the issues show are copied into the site (see
    `newsletter.archive.images`); `on_issue` is called with each issue file's name once it
    is read (for a progress bar).
    Raises `ProblemsError` when `strict` and an issue has an error (nothing is written
    then), or when the theme or the site folder fails."""
    # Imported here, as `build` does: the renderer costs a fraction of a second to import.
    from newsletter.archive import (
        SiteFile,
        SiteImages,
        atom_feed,
        copy_site_images,
        feed_name,
        write_site,
    )
    from newsletter.models import WebPage
    from newsletter.render.theme import load_theme
    from newsletter.render.web import editions, render_index, render_page, web_theme

    until = until or datetime.now(settings.timezone).date()
    theme = web_theme(load_theme(settings.theme))
    base = settings.archive_url.rstrip("/") + "/"
    checked, skipped, later = _read_issues(settings, until, on_issue)
    if strict and skipped:
        raise ProblemsError([p for issue in skipped for p in issue.problems])
    issues = [issue for issue, _ in checked]
    images = copy_site_images(issues, output, settings.fetch) if copy_images else SiteImages()
    copies, files = images.copies, list(images.files)
    pages: list[WebPage] = [
        render_page(
            issue,
            settings,
            theme,
            url=f"{base}{issue.slug}/",
            feed=f"../{feed_name(issue.lang)}",
            images=copies.get(issue.slug),
        )
        for issue in issues
    ]
    groups = editions(pages)
    feeds = {lang: feed_name(lang) for lang, _ in groups}
    files += [
        SiteFile(f"{page.issue.slug}/index.html", page.html.encode("utf-8")) for page in pages
    ]
    files.append(
        SiteFile("index.html", render_index(pages, settings, theme, feeds=feeds).encode("utf-8"))
    )
    for lang, group in groups:
        title = f"{settings.edition(lang).name} ({group[0].edition})"
        feed = atom_feed(group, settings, lang=lang, url=base + feeds[lang], title=title)
        files.append(SiteFile(feeds[lang], feed))
    try:
        wrote = write_site(files, output, keep=_kept(skipped), images=copies)
    except OSError as exc:
        raise ProblemsError(
            [
                Problem(
                    f"cannot write the site: {exc.strerror or exc}",
                    path=Path(exc.filename) if exc.filename else output,
                    hint="check that the folder given with --output can be written",
                )
            ]
        ) from None
    warnings = {issue.slug: count for issue, count in checked}
    archived = tuple(
        ArchivedIssue(
            page.issue.source,
            page.issue.slug,
            page.issue.number,
            page.issue.date,
            page.issue.lang,
            page.issue.title,
            page.url,
            warnings[page.issue.slug],
        )
        for _, group in groups
        for page in group
    )
    return ArchiveResult(
        output,
        until,
        archived,
        tuple(skipped),
        tuple(later),
        tuple(feeds.items()),
        images.problems,
        wrote.written,
        wrote.unchanged,
        wrote.removed,
    )


def _read_issues(
    settings: Settings, until: date, on_issue: Callable[[str], None] | None
) -> tuple[list[tuple[Issue, int]], list[SkippedIssue], list[Path]]:
    """Check every issue file as `check` does: (issue, number of warnings) for those to
    archive, those with errors, and those dated after `until`."""
    from newsletter.commands.check import check_issue
    from newsletter.issue import issues_folder, remembered_locks
    from newsletter.issue.folder import one_run

    checked: list[tuple[Issue, int]] = []
    skipped: list[SkippedIssue] = []
    later: list[Path] = []
    with remembered_locks(), one_run():  # the folder read once, not once per issue
        for path in issue_files(issues_folder(settings)):
            try:
                found = check_issue(settings, path)
            except ProblemsError as exc:
                skipped.append(SkippedIssue(path, tuple(exc.problems)))
            else:
                if found.issue.date > until:
                    later.append(path)
                else:
                    checked.append((found.issue, len(found.warnings)))
            if on_issue is not None:
                on_issue(path.name)
    return checked, skipped, later


def _kept(skipped: list[SkippedIssue]) -> set[str]:
    """What an earlier run wrote that stays when issues were skipped: their pages, and the
    feeds, since a skipped issue's language is unknown and its edition's feed must not vanish
    from under its readers because of one broken file."""
    from newsletter.archive import FEED_PREFIX
    from newsletter.models import issue_slug

    if not skipped:
        return set()
    return {f"{issue_slug(s.source.stem)}/" for s in skipped} | {FEED_PREFIX}
