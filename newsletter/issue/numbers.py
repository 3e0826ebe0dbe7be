"""Stage 2 (issue file), the numbers: which number and date each issue file in a folder gives.

Takes a folder of issue files; gives each file's `number:` and `date:`, read leniently with a
pattern (an issue half edited still counts), the number a new issue of a given day takes, and
the other issues that already use a number. The draft numbers new issues with it, and the
rules warn when two issues of different days share a number.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

# A weekly issue is 5-20 KB. Just under 256 KB, a build of 2,180 roundup items took 2.1 s and
# of the slowest Markdown known (a body of nothing but `![`, slow in markdown-it) 15 s; at
# 1 MB the same took 6 s and 64 s.
MAX_ISSUE_BYTES = 256 * 1024
_Fields = tuple[int | None, date | None]

# Inside `remembered_numbers`, each file's fields by path, with the identity (inode, size,
# modification time) they were read at: every issue checked looks at every other's number,
# so checking the N issues of an archive would otherwise read N² files.
_REMEMBERED: contextvars.ContextVar[dict[Path, tuple[tuple[int, int, int], _Fields]] | None] = (
    contextvars.ContextVar("remembered_numbers", default=None)
)
# A top-level `number:` or `date:` as editors write them: quoted or not, with a comment or not.
# Read with a pattern, not as YAML, so that an issue half edited, and not yet valid, counts.
_FIELD = re.compile(r"""^(number|date):[ \t]*(["']?)([0-9-]+)\2[ \t]*(?:#.*)?$""", re.MULTILINE)


def next_number(folder: Path, day: date | None = None, *, skip: Path | None = None) -> int:
    """The number of an issue sent on `day`, from the issue files in `folder`: the number of
    one sent that same day (a second edition shares it), else one more than the highest
    among those dated before it (1 if none), so that a week drafted late, after a later one,
    comes between them. Without `day`, one more than the highest of them all. The file
    `skip` (the issue being numbered) does not count."""
    from newsletter.issue.folder import folder_facts

    return folder_facts(folder).next_number(day, skip)


def number_and_date(path: Path) -> tuple[int | None, date | None]:
    """The `number:` and `date:` an issue file gives, read leniently (a half-edited file
    still counts); None for each it does not give or cannot be read."""
    memo = _REMEMBERED.get()
    try:
        status = path.stat()
        identity = (status.st_ino, status.st_size, status.st_mtime_ns)
        known = memo.get(path) if memo is not None else None
        if known is not None and known[0] == identity:
            return known[1]
        with path.open("rb") as handle:
            text = handle.read(MAX_ISSUE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None, None
    found = _fields(text)
    if memo is not None:
        memo[path] = (identity, found)
    return found


def remembered_fields() -> dict[Path, tuple[tuple[int, int, int], _Fields]] | None:
    """The numbers and dates read so far inside `remembered_numbers` (None outside it)."""
    return _REMEMBERED.get()


@contextlib.contextmanager
def remembered_numbers() -> Iterator[None]:
    """Inside the block, an issue file's number and date are read once for as long as it is
    unchanged (same inode, size and modification time)."""
    token = _REMEMBERED.set({})
    try:
        yield
    finally:
        _REMEMBERED.reset(token)


def _fields(text: str) -> _Fields:
    found: dict[str, str] = {}
    for match in _FIELD.finditer(text):
        found.setdefault(match.group(1), match.group(3))
    number = found.get("number", "")
    try:
        dated = date.fromisoformat(found.get("date", ""))
    except ValueError:
        dated = None
    return (int(number) if number.isdigit() else None), dated


def issues_numbered(folder: Path, number: int, skip: Path) -> Iterator[tuple[Path, date | None]]:
    """The issue files in `folder` other than `skip` whose `number:` is `number`, with their
    dates, by file name."""
    from newsletter.issue.folder import folder_facts

    yield from folder_facts(folder).numbered(number, skip)
