"""Stage 2, the issue file: `issues/*.yaml` → `Issue`, its lock file, and the draft scaffold.

Takes an issue file, the settings and the store (or, for a draft, the week's articles); gives
a frozen `Issue` with every reference resolved and its warnings, or `ProblemsError` with every
mistake in the file, each at its line and column with a hint; writes and reads the lock file
that keeps an issue's articles as they were built; and writes the scaffold of a new issue.
This module is the package's face: callers import from here. Inside, `loader` reads the file,
`reader` its structure on the typed reads of `schema`, `references` finds its articles,
`rules` warns, `markdown` checks the prose, `lockfile` and `lockreader` keep the lock file,
`numbers` reads the issues' numbers and dates, and `draft` writes the scaffold.
"""

from __future__ import annotations

from newsletter.issue.draft import (
    candidate_item,
    draft_issue,
    issues_folder,
    next_number,
    number_and_date,
)
from newsletter.issue.loader import MAX_ISSUE_BYTES, CheckedIssue, read_issue
from newsletter.issue.lockfile import Lock, lock_path, lock_text, read_lock, remembered_locks
from newsletter.issue.references import ArticleSource, earlier_uses

__all__ = [
    "MAX_ISSUE_BYTES",
    "ArticleSource",
    "CheckedIssue",
    "Lock",
    "candidate_item",
    "draft_issue",
    "earlier_uses",
    "issues_folder",
    "lock_path",
    "lock_text",
    "next_number",
    "number_and_date",
    "read_issue",
    "read_lock",
    "remembered_locks",
]
