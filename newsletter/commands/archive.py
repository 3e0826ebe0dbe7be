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
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.config import Settings
from newsletter.errors import Problem, ProblemsError

if TYPE_CHECKING:
    from newsletter.archive.memory import Memory
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
    remember: bool = True,
) -> ArchiveResult:
    """Build the web archive of every issue in the newsroom's `issues/` folder into `output`;
    with `copy_images`, the images the issues show are copied into the site (see
    `newsletter.archive.images`); `on_issue` is called with each issue file's name once it
    is read (for a progress bar); with `remember`, what this run learnt is kept for the next
    (`newsletter.archive.memory`), which then reads and renders only what changed.
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
    from newsletter.archive.memory import inputs_digest, load_memory, memory_file, save_memory
    from newsletter.models import WebPage
    from newsletter.render.theme import load_theme
    from newsletter.render.web import editions, render_index, render_page, web_theme

    until = until or datetime.now(settings.timezone).date()
    theme = web_theme(load_theme(settings.theme))
    base = settings.archive_url.rstrip("/") + "/"
    where = memory_file(settings, output) if remember else None
    memory = load_memory(where, inputs_digest(settings, _store_counter(settings)))
    checked, skipped, later = _read_issues(settings, until, on_issue, memory)
    if strict and skipped:
        raise ProblemsError([p for issue in skipped for p in issue.problems])
    issues = [issue for issue, _ in checked]
    images = copy_site_images(issues, output, settings.fetch) if copy_images else SiteImages()
    copies, files = images.copies, list(images.files)
    by_issue = {
        entry.issue.source: (name, entry) for name, entry in memory.issues.items() if entry.issue
    }
    pages: list[WebPage] = []
    page_keys: dict[str, str] = {}
    for issue in issues:
        url, feed = f"{base}{issue.slug}/", f"../{feed_name(issue.lang)}"
        page_key = repr((url, feed, sorted(copies.get(issue.slug, {}).items())))
        name, entry = by_issue[issue.source]
        if entry.page is None or entry.page_key != page_key or entry.page.issue != issue:
            page = render_page(
                issue, settings, theme, url=url, feed=feed, images=copies.get(issue.slug)
            )
            entry = replace(entry, page=page, page_key=page_key)
            memory.issues[name] = entry
        assert entry.page is not None
        pages.append(entry.page)
        page_keys[issue.slug] = f"{entry.key}/{page_key}"
    groups = editions(pages)
    feeds = {lang: feed_name(lang) for lang, _ in groups}
    files += [
        SiteFile(f"{page.issue.slug}/index.html", page.html.encode("utf-8")) for page in pages
    ]
    outputs: dict[str, tuple[str, bytes]] = {}

    def made(name: str, key: str, make: Callable[[], bytes]) -> bytes:
        """The file's bytes: remembered while what made them is unchanged."""
        known = memory.outputs.get(name)
        if known is None or known[0] != key:
            known = (key, make())
        outputs[name] = known
        return known[1]

    everything = repr((sorted(feeds.items()), [page_keys[p.issue.slug] for p in pages]))
    files.append(
        SiteFile(
            "index.html",
            made(
                "index.html",
                everything,
                lambda: render_index(pages, settings, theme, feeds=feeds).encode("utf-8"),
            ),
        )
    )
    for lang, group in groups:
        title = f"{settings.edition(lang).name} ({group[0].edition})"
        key = repr((lang, title, [page_keys[p.issue.slug] for p in group]))

        def make_feed(group: list[WebPage] = group, lang: str = lang, title: str = title) -> bytes:
            return atom_feed(group, settings, lang=lang, url=base + feeds[lang], title=title)

        files.append(SiteFile(feeds[lang], made(feeds[lang], key, make_feed)))
    memory.outputs = outputs
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
    save_memory(where, memory)
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


def _store_counter(settings: Settings) -> str:
    """The store's change counter, or why there is none (the memory's key, not a check)."""
    from newsletter.errors import NewsletterError
    from newsletter.store import open_store

    try:
        with open_store(settings.store, create=False) as store:
            return str(store.change_counter())
    except NewsletterError as exc:
        return f"none: {type(exc).__name__}"


def _read_issues(
    settings: Settings,
    until: date,
    on_issue: Callable[[str], None] | None,
    memory: Memory,
) -> tuple[list[tuple[Issue, int]], list[SkippedIssue], list[Path]]:
    """Check every issue file as `check` does: (issue, number of warnings) for those to
    archive, those with errors, and those dated after `until`. An issue whose inputs are
    what `memory` remembers them as is not read again; `memory` learns the rest."""
    from newsletter.archive.memory import Remembered, issue_context, issue_key
    from newsletter.commands.check import check_issue
    from newsletter.issue import (
        issues_folder,
        lock_path,
        number_and_date,
        read_lock,
        remembered_locks,
    )
    from newsletter.issue.folder import folder_facts, one_run
    from newsletter.issue.lockfile import remembered_entries
    from newsletter.issue.numbers import remembered_fields

    checked: list[tuple[Issue, int]] = []
    skipped: list[SkippedIssue] = []
    later: list[Path] = []
    entries: dict[str, Remembered] = {}
    with remembered_locks(), one_run():  # the folder read once, not once per issue
        locks, numbers = remembered_entries(), remembered_fields()
        assert locks is not None and numbers is not None
        # Entries are checked against their file's identity when used: a stale one is read
        # again, never believed.
        locks.update(memory.locks)
        numbers.update(memory.numbers)
        folder = issues_folder(settings)
        facts = folder_facts(folder)
        paths = issue_files(folder)
        for path in paths:
            number, day = number_and_date(path)
            lock = read_lock(lock_path(path))
            context = issue_context(path, facts, number, day, tuple(lock.articles))
            key = issue_key(path, lock_path(path), context)
            entry = memory.issues.get(str(path))
            if entry is None or entry.key != key:
                try:
                    found = check_issue(settings, path)
                except ProblemsError as exc:
                    entry = Remembered(key, None, problems=tuple(exc.problems))
                else:
                    # Stories the lock file does not hold come from the store, which can
                    # change under them: such an issue is checked again next time.
                    locked = all(article.id in lock.articles for article in found.issue.articles)
                    entry = Remembered(key if locked else "", found.issue, len(found.warnings))
            entries[str(path)] = entry
            if entry.issue is None:
                skipped.append(SkippedIssue(path, entry.problems))
            elif entry.issue.date > until:
                later.append(path)
            else:
                checked.append((entry.issue, entry.warnings))
            if on_issue is not None:
                on_issue(path.name)
        kept = {*paths, *(lock_path(path) for path in paths)}
        memory.locks = {p: found for p, found in locks.items() if p in kept}
        memory.numbers = {p: found for p, found in numbers.items() if p in kept}
    memory.issues = entries
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
