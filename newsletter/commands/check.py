"""Command `check`: an issue file read against the settings, the store and its lock file.
Takes the settings and the file; gives the `CheckedIssue` (the issue and its warnings) or
raises `ProblemsError` with every problem. Creates no store and writes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from newsletter.config import Settings
from newsletter.errors import Problem, ProblemsError
from newsletter.issue import CheckedIssue, read_issue
from newsletter.store import Store

# File systems allow 255 bytes; the lock file's name and its temporary copy add to it.
MAX_NAME_BYTES = 200


def check_issue(
    settings: Settings, issue_file: Path, *, refresh: bool = False, strict: bool = False
) -> CheckedIssue:
    """Read and check an issue file; `refresh` takes articles from the store, not the lock;
    with `strict`, warnings are errors."""
    _check_file_name(issue_file)
    with Store(settings.store, create=False) as store:
        checked = read_issue(issue_file, settings, store, refresh=refresh)
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
