"""Entry point (preview), the workspace: what the preview shows, rebuilt when its inputs change.

Holds the issue being edited and its sibling editions (the issue files of the same date in the
same folder), the last good build of each, the problems of the latest attempt, and the panel's
figures. A rebuild calls what `build` calls (`prepare_build`) and writes nothing. It also says
which folders to watch and which changes in them matter. Synchronous and not thread-safe: the
server runs one rebuild at a time in a worker thread.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from newsletter.archive.images import local_files
from newsletter.commands.build import prepare_build
from newsletter.config import Settings, find_config, load_settings
from newsletter.dburl import DatabaseUrl
from newsletter.deliver.build import BuildFiles
from newsletter.errors import Problem, ProblemsError, has_errors
from newsletter.issue import earlier_uses, issues_folder, lock_path, number_and_date
from newsletter.models import RenderedIssue
from newsletter.preview.panel import Candidate, Summary, candidates_of, summarise
from newsletter.render.theme import Theme, default_theme, load_theme

log = logging.getLogger("newsletter.preview")

# Files an editor's tools leave beside the real ones: swap files, backups, our own temp files.
_SCRATCH = re.compile(r"(^\.|~$|\.swp$|\.swx$|\.tmp$|^#.*#$|^4913$)")


@dataclass(frozen=True, slots=True)
class Edition:
    """One edition as the preview shows it: its last good build (kept while the file is
    broken), the problems of the latest attempt, and when that good build was made."""

    path: Path
    slug: str
    files: BuildFiles | None = None
    summary: Summary | None = None
    problems: tuple[Problem, ...] = ()
    failed: bool = False
    built_at: datetime | None = None
    build_ms: float = 0.0
    # The issue's images that have a local copy: (address, file), in reading order.
    images: tuple[tuple[str, Path], ...] = ()
    # The good build's email before the mail-service placeholders are filled (the link
    # check's input: where each link was written).
    rendered: RenderedIssue | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the page shows at one moment; `version` grows with every rebuild."""

    version: int
    primary: Path
    editions: tuple[Edition, ...]
    candidates: tuple[Candidate, ...]
    week: tuple[date, date] | None
    store_note: str = ""

    def edition(self, slug: str) -> Edition | None:
        """The edition with this slug, if the preview shows it."""
        return next((e for e in self.editions if e.slug == slug), None)


@dataclass(slots=True)
class _Inputs:
    """The settings and theme in use, reloaded when their files change."""

    settings: Settings | None = None
    problems: tuple[Problem, ...] = ()
    theme: Theme | None = None
    theme_folder: Path | None = None
    candidates: tuple[Candidate, ...] = ()
    week: tuple[date, date] | None = None
    store_note: str = ""
    stale: set[str] = field(default_factory=lambda: {"settings", "theme", "store"})


class Workspace:
    """The preview's state: the issue file, its editions and their latest builds."""

    def __init__(self, issue_file: Path, config: Path | None = None) -> None:
        # As given, so that problems and report.json name it as `build` does.
        self.primary = issue_file
        self._config = config
        self._inputs = _Inputs()
        self._editions: dict[Path, Edition] = {}
        self._version = 0

    # --- what to watch -------------------------------------------------------------------

    def store_file(self) -> Path | None:
        """The store's file, watched with the other files; None for a store on a server."""
        settings = self._inputs.settings
        return settings.store if settings is not None and isinstance(settings.store, Path) else None

    def store_server(self) -> DatabaseUrl | None:
        """The store's server, whose change counter the preview polls; None for a file."""
        settings = self._inputs.settings
        store = settings.store if settings is not None else None
        return store if isinstance(store, DatabaseUrl) else None

    def watch_folders(self) -> tuple[Path, ...]:
        """The folders to watch (each without its subfolders): the issue's, the settings',
        the store's and the theme's with its subfolders. Only folders that exist; a missing
        one is watched for through its parent."""
        wanted = [self.primary.absolute().parent]
        config = self._config_path()
        if config is not None:
            wanted.append(config.parent)
        store = self.store_file()
        if store is not None:
            wanted.append(store.parent)
        theme = self._theme_folder()
        wanted.append(theme)
        if theme.is_dir():
            wanted.extend(p for p in sorted(theme.rglob("*")) if p.is_dir())
        folders: list[Path] = []
        for folder in wanted:
            while not folder.is_dir() and folder != folder.parent:
                folder = folder.parent
            if folder not in folders:
                folders.append(folder)
        return tuple(folders)

    def classify(self, path: Path, added_or_modified: bool, modified: bool) -> str | None:
        """What a change to `path` touches: "issue", "settings", "theme", "store", "folder"
        (a folder to watch appeared: the watch must start again) or None when it does not
        matter to the preview. `modified` is true for a write to an existing file,
        `added_or_modified` also for a new one."""
        if _SCRATCH.search(path.name):
            return None
        store = self.store_file()
        if store is not None and path.parent == store.parent:
            name = store.name
            # Reading the store (as every rebuild does) adds and deletes its -wal and -shm
            # files; only a writer modifies the database or its log.
            if (path.name == name and added_or_modified) or (
                path.name == f"{name}-wal" and modified
            ):
                return "store"
        if path == self._config_path():
            return "settings"
        if path.is_relative_to(self._theme_folder()) and path.suffix in {
            ".jinja",
            ".toml",
            ".mjml",
            ".html",
            ".txt",
            ".css",
        }:
            return "theme"
        if path.parent == self.primary.absolute().parent and (
            path.suffix == ".yaml" or path.name.endswith(".lock.json")
        ):
            return "issue"
        if added_or_modified and path.is_dir():
            theme = self._theme_folder()
            wanted = [theme] if store is None else [theme, store.parent]
            if path.is_relative_to(theme) or any(w.is_relative_to(path) for w in wanted):
                return "folder"
        return None

    # --- rebuilding ----------------------------------------------------------------------

    def plan(self, changes: Iterable[tuple[str, Path]]) -> list[Path]:
        """The editions to rebuild for these changes (kind, path), the edited issue first."""
        everything = False
        files: set[Path] = set()
        for kind, path in changes:
            if kind in {"settings", "theme", "store"}:
                self._inputs.stale.add(kind)
                everything = True
            elif kind == "issue":
                stem = path.name.removesuffix(".lock.json").removesuffix(".yaml")
                files.add(path.absolute().with_name(stem + ".yaml"))
            elif kind == "all":
                self._inputs.stale.update({"settings", "theme", "store"})
                everything = True
        editions = self.edition_paths()
        known = {p.absolute() for p in editions}
        # A file that is no longer (or not yet) an edition is dropped or added by the rebuild
        # of the edited issue, which recomputes the editions.
        if files - known or set(self._editions) - set(editions):
            files.add(self.primary.absolute())
        chosen = editions if everything else [p for p in editions if p.absolute() in files]
        return sorted(chosen, key=lambda p: p != self.primary)

    def edition_paths(self) -> list[Path]:
        """The edited issue file and its sibling editions: the issue files in its folder with
        the same `date:`, in name order, the edited one first."""
        _, day = number_and_date(self.primary)
        paths = [self.primary]
        if day is not None:
            for path in sorted(self.primary.parent.glob("*.yaml")):
                if path != self.primary and number_and_date(path)[1] == day:
                    paths.append(path)
        return paths

    def rebuild(self, path: Path) -> None:
        """Rebuild one edition (after reloading whatever settings and theme went stale);
        never raises for bad input: the problems are kept for the page."""
        started = time.perf_counter()
        self._refresh_inputs()
        old = self._editions.get(path) or Edition(path, _slug(path))
        inputs = self._inputs
        problems: tuple[Problem, ...]
        if inputs.settings is None:
            problems = inputs.problems
            self._editions[path] = _failed(old, problems)
        else:
            try:
                prepared = prepare_build(inputs.settings, path, theme=inputs.theme)
            except ProblemsError as exc:
                self._editions[path] = _failed(old, exc.problems)
            except Exception as exc:
                log.exception("preview: building %s failed", path)
                bug = Problem(
                    f"internal error: {type(exc).__name__}: {exc}",
                    path=path,
                    hint="this is a bug in newsletter; the terminal running the preview "
                    "shows the details",
                )
                self._editions[path] = _failed(old, (bug,))
            else:
                elapsed = (time.perf_counter() - started) * 1000
                self._editions[path] = Edition(
                    path,
                    prepared.files.slug,
                    prepared.files,
                    summarise(prepared.rendered, prepared.files, inputs.settings),
                    (*inputs.problems, *prepared.problems),
                    False,
                    datetime.now().astimezone(),
                    elapsed,
                    tuple(local_files(prepared.rendered.issue).items()),
                    prepared.rendered,
                )
        self._version += 1

    def snapshot(self) -> Snapshot:
        """The state to show now."""
        editions = tuple(
            self._editions.get(p) or Edition(p, _slug(p)) for p in self.edition_paths()
        )
        inputs = self._inputs
        return Snapshot(
            self._version,
            self.primary,
            editions,
            inputs.candidates,
            inputs.week,
            inputs.store_note,
        )

    @property
    def settings(self) -> Settings | None:
        """The settings of the latest build (None while newsletter.toml has an error)."""
        return self._inputs.settings

    def theme_folder(self) -> Path:
        """The theme's folder: where the email's own links are written."""
        return self._theme_folder()

    # --- inputs --------------------------------------------------------------------------

    def _config_path(self) -> Path | None:
        settings = self._inputs.settings
        if settings is not None:
            return settings.path
        try:
            return find_config(self._config).absolute()
        except Exception:
            return None

    def _theme_folder(self) -> Path:
        settings = self._inputs.settings
        folder = settings.theme if settings is not None else None
        return (folder or default_theme()).absolute()

    def _refresh_inputs(self) -> None:
        inputs = self._inputs
        if "settings" in inputs.stale:
            inputs.stale.discard("settings")
            try:
                settings = load_settings(find_config(self._config))
            except ProblemsError as exc:
                inputs.settings, inputs.problems = None, exc.problems
                inputs.stale.add("settings")
                return
            if inputs.settings is None or settings.theme != inputs.settings.theme:
                inputs.stale.add("theme")
            inputs.settings, inputs.problems = settings, ()
            inputs.stale.add("store")
        if "theme" in inputs.stale and inputs.settings is not None:
            inputs.stale.discard("theme")
            try:
                inputs.theme = load_theme(inputs.settings.theme)
            except ProblemsError:
                # The render reloads it and reports the theme's problem at its place.
                inputs.theme = None
                inputs.stale.add("theme")

    def refresh_candidates(self) -> None:
        """Find the week's stories of the edited issue's date again, each marked when this
        issue or an earlier one uses it (after a rebuild of the edited issue or a change of
        the store; apart from the rebuild, so that the email shows without waiting)."""
        from newsletter.commands.articles import list_articles

        inputs = self._inputs
        settings = inputs.settings
        inputs.stale.discard("store")
        self._version += 1
        edition = self._editions.get(self.primary)
        _, day = number_and_date(self.primary)
        if settings is None or day is None:
            inputs.candidates, inputs.week, inputs.store_note = (), None, ""
            return
        try:
            found = list_articles(settings, week=day)
        except ProblemsError as exc:
            inputs.candidates, inputs.week = (), None
            inputs.store_note = exc.problems[0].message if exc.problems else "no store"
            return
        used_here: set[str] = set()
        if edition is not None and edition.files is not None and edition.summary is not None:
            used_here = set(edition.summary.article_ids)
        earlier = earlier_uses(issues_folder(settings), day, lock_path(self.primary))
        inputs.candidates = candidates_of(found.articles, settings, used_here, earlier)
        inputs.week = (found.start.date(), day)
        inputs.store_note = (
            "the store is empty: run `newsletter fetch`" if found.store_empty else ""
        )


def _slug(path: Path) -> str:
    from newsletter.models import issue_slug

    return issue_slug(path.stem)


def _failed(old: Edition, problems: tuple[Problem, ...]) -> Edition:
    if not has_errors(problems):
        # Only warnings, yet no build: cannot happen with prepare_build, but never show an
        # error page without an error.
        problems = (*problems, Problem("the issue could not be built", path=old.path))
    return Edition(
        old.path,
        old.slug,
        old.files,
        old.summary,
        problems,
        True,
        old.built_at,
        old.build_ms,
        old.images,
        old.rendered,
    )
