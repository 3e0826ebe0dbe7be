"""Command `check`: an issue file read against the settings, the store, its lock file and the
theme's labels. Takes the settings and the file; gives the `CheckedIssue` (the issue and its
warnings) or raises `ProblemsError` with every problem. Creates no store and writes nothing.
`check_issues` does the same for several files, each on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.config import Settings
from newsletter.errors import Problem, ProblemsError
from newsletter.issue import CheckedIssue, read_issue
from newsletter.store import open_store

if TYPE_CHECKING:
    from newsletter.render.theme import Theme

# File systems allow 255 bytes; the lock file's name and its temporary copy add to it.
MAX_NAME_BYTES = 200


def check_issue(
    settings: Settings,
    issue_file: Path,
    *,
    refresh: bool = False,
    strict: bool = False,
    theme: Theme | None = None,
) -> CheckedIssue:
    """Read and check an issue file; `refresh` takes articles from the store, not the lock;
    with `strict`, warnings are errors. The house style's labels come from `theme`, or the
    settings' theme when None."""
    # Imported here: the renderer's package is costly to import, and only the theme's labels
    # are needed from it.
    from newsletter.render.theme import load_theme

    _check_file_name(issue_file)
    labels = (theme or load_theme(settings.theme)).labels_for
    with open_store(settings.store, create=False) as store:
        checked = read_issue(issue_file, settings, store, refresh=refresh, theme_labels=labels)
    if settings.unset_links:
        checked = replace(checked, warnings=(*checked.warnings, *_placeholder_links(settings)))
    if strict and checked.warnings:
        raise ProblemsError([replace(w, severity="error") for w in checked.warnings])
    return checked


def _check_file_name(path: Path) -> None:
    """Refuse a file name the build could not carry through: bytes that are not UTF-8 (they
    cannot go into report.json) or a name so long that its lock file's cannot be made."""
    name = path.name
    if name.endswith(".lock.json"):
        beside = path.with_name(name.removesuffix(".lock.json") + ".yaml")
        raise ProblemsError(
            [
                Problem(
                    "this is an issue's lock file, which `build` writes; check the issue file",
                    path=path,
                    hint=f"newsletter check {beside}",
                )
            ]
        )
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise ProblemsError(
            [
                Problem(
                    "the file name is not UTF-8 text",
                    path=path,
                    hint="rename the file, e.g. to its send date: 2026-11-27.yaml",
                )
            ]
        ) from None
    if size > MAX_NAME_BYTES:
        raise ProblemsError(
            [
                Problem(
                    f"the file name is {size} bytes long; at most {MAX_NAME_BYTES} work",
                    path=path,
                    hint="rename the file, e.g. to its send date: 2026-11-27.yaml",
                )
            ]
        )


_LINKS = {
    "subscribe_url": ("newsletter", "Subscribe here"),
    "archive_url": ("newsletter", "Read it in your browser"),
    "unsubscribe_url": ("delivery", "Unsubscribe"),
}


def _placeholder_links(settings: Settings) -> list[Problem]:
    """A warning for each email link that newsletter.toml leaves at its example address."""
    problems = []
    for key in settings.unset_links:
        table, words = _LINKS[key]
        problems.append(
            Problem(
                f'newsletter.toml gives no {key}: the email\'s "{words}" link goes to '
                f"{getattr(settings, key)}, an example address",
                path=settings.path,
                hint=f'add {key} = "https://…" under [{table}] in newsletter.toml',
                severity="warning",
            )
        )
    return problems


@dataclass(frozen=True, slots=True)
class FileCheck:
    """One file's result among several: the issue when it has no error, and its problems
    (its warnings, or every problem when it has an error)."""

    path: Path
    checked: CheckedIssue | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when the file has no error."""
        return self.checked is not None


def check_issues(
    settings: Settings, issue_files: Sequence[Path], *, strict: bool = False
) -> tuple[FileCheck, ...]:
    """Check each file as `check_issue` does, one file's problems never hiding another's."""
    from newsletter.issue import remembered_locks
    from newsletter.issue.folder import one_run
    from newsletter.render.theme import load_theme

    theme = load_theme(settings.theme)
    results = []
    # The folder's numbers and lock files are read once for all the files, not once each.
    with remembered_locks(), one_run():
        for path in issue_files:
            try:
                checked = check_issue(settings, path, strict=strict, theme=theme)
            except ProblemsError as exc:
                results.append(FileCheck(path, None, exc.problems))
            else:
                results.append(FileCheck(path, checked, checked.warnings))
    return tuple(results)
