"""Command `check`: an issue file read against the settings, the store and its lock file.
Takes the settings and the file; gives the `CheckedIssue` (the issue and its warnings) or
raises `ProblemsError` with every problem. Creates no store and writes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from newsletter.config import Settings
from newsletter.errors import ProblemsError
from newsletter.issue import CheckedIssue, read_issue
from newsletter.store import Store


def check_issue(
    settings: Settings, issue_file: Path, *, refresh: bool = False, strict: bool = False
) -> CheckedIssue:
    """Read and check an issue file; `refresh` takes articles from the store, not the lock;
    with `strict`, warnings are errors."""
    with Store(settings.store, create=False) as store:
        checked = read_issue(issue_file, settings, store, refresh=refresh)
    if strict and checked.warnings:
        raise ProblemsError([replace(w, severity="error") for w in checked.warnings])
    return checked
