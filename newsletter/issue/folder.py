"""Stage 2 (issue file), the folder's facts: what the check of one issue needs about the other
issues of its folder (each file's number and date, each lock file's articles), read once and
indexed.

Takes a folder; gives a `FolderFacts` that answers "which other files have this number",
"which number comes next on this day" and "which earlier issue featured this article"
without reading the folder again. Inside `one_run()` (a `check` of many files, an `archive`)
the facts are read once per folder for the whole run, so checking N issues costs N, not N²;
outside it, each question reads the folder afresh (the preview, where files change between
rebuilds).
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsletter.errors import has_errors

_RUN: contextvars.ContextVar[dict[Path, FolderFacts] | None] = contextvars.ContextVar(
    "folder_facts", default=None
)


@dataclass(frozen=True, slots=True)
class _Use:
    day: date
    number: int
    lock: Path


@dataclass(frozen=True)
class FolderFacts:
    """The numbers and dates of a folder's issue files and the articles of its lock files."""

    # Every issue file, by name: (path, number, date), None where the file gives none.
    issues: tuple[tuple[Path, int | None, date | None], ...]
    # For each article id, the issues whose lock lists it, oldest first.
    uses: Mapping[str, tuple[_Use, ...]]

    def numbered(self, number: int, skip: Path) -> Iterator[tuple[Path, date | None]]:
        """The issue files other than `skip` whose number is `number`, with their dates."""
        for path, found, dated in self._by_number().get(number, ()):
            if found == number and not _same(path, skip):
                yield path, dated

    def next_number(self, day: date | None, skip: Path | None) -> int:
        """The number an issue sent on `day` takes (see `numbers.next_number`)."""
        before = same_day = 0
        for path, number, dated in self.issues:
            if number is None or (skip is not None and _same(path, skip)):
                continue
            if day is None or (dated is not None and dated < day):
                before = max(before, number)
            elif dated == day:
                same_day = max(same_day, number)
        return same_day or before + 1

    def earlier_uses(self, before: date, skip: Path) -> Mapping[str, tuple[int, date]]:
        """For each article id, the latest issue before `before` (its number and date) whose
        lock file, other than `skip`, lists it; looked up per article, never built whole."""
        return _EarlierUses(self.uses, before, skip)

    def _by_number(self) -> dict[int, list[tuple[Path, int | None, date | None]]]:
        index = self.__dict__.get("_index")
        if index is None:
            index = {}
            for entry in self.issues:
                if entry[1] is not None:
                    index.setdefault(entry[1], []).append(entry)
            object.__setattr__(self, "_index", index)
        return index


class _EarlierUses(Mapping[str, tuple[int, date]]):
    """`earlier_uses` as a mapping whose entries are found when asked for."""

    def __init__(self, uses: Mapping[str, tuple[_Use, ...]], before: date, skip: Path) -> None:
        self._uses, self._before, self._skip = uses, before, skip

    def __getitem__(self, ident: str) -> tuple[int, date]:
        found = self._find(ident)
        if found is None:
            raise KeyError(ident)
        return found

    def __contains__(self, ident: object) -> bool:
        return isinstance(ident, str) and self._find(ident) is not None

    def _find(self, ident: str) -> tuple[int, date] | None:
        uses = self._uses.get(ident, ())
        # The uses are oldest first: walk back from the last one before the day.
        end = bisect.bisect_left(uses, self._before, key=lambda use: use.day)
        for at in range(end - 1, -1, -1):  # past the issue's own lock, if it is there
            if uses[at].lock.name != self._skip.name:
                return uses[at].number, uses[at].day
        return None

    def __iter__(self) -> Iterator[str]:
        return (ident for ident in self._uses if ident in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def read_folder(folder: Path) -> FolderFacts:
    """Read every issue file's number and date and every lock file's articles once."""
    from newsletter.issue.lockfile import read_lock
    from newsletter.issue.numbers import number_and_date

    issues = tuple((path, *number_and_date(path)) for path in sorted(folder.glob("*.yaml")))
    uses: dict[str, list[_Use]] = {}
    for path in sorted(folder.glob("*.lock.json")):
        lock = read_lock(path)
        if has_errors(lock.problems) or lock.number is None or lock.day is None:
            continue
        for ident in lock.articles:
            uses.setdefault(ident, []).append(_Use(lock.day, lock.number, path))
    ordered = {
        ident: tuple(sorted(found, key=lambda use: (use.day, str(use.lock))))
        for ident, found in uses.items()
    }
    return FolderFacts(issues, ordered)


def folder_facts(folder: Path) -> FolderFacts:
    """The folder's facts: read once per folder inside `one_run()`, afresh outside it."""
    run = _RUN.get()
    if run is None:
        return read_folder(folder)
    key = folder.absolute()
    facts = run.get(key)
    if facts is None:
        facts = run[key] = read_folder(folder)
    return facts


@contextlib.contextmanager
def one_run() -> Iterator[None]:
    """Inside the block, each folder's issue and lock files are read once: for a command that
    checks many issues and writes none of their files meanwhile."""
    token = _RUN.set({})
    try:
        yield
    finally:
        _RUN.reset(token)


def _same(path: Path, other: Path) -> bool:
    if path == other:
        return True
    if path.name != other.name:  # both in the one folder: another name, another file
        return False
    try:
        return path.samefile(other)
    except OSError:
        return path.absolute() == other.absolute()
