"""Stage 2 (issue file), the lock file: the articles an issue used, frozen beside it.

Takes an issue's number, date and articles and gives the text of its lock file (`lock_text`,
each article as `records` writes it); takes a lock file's path and gives a `Lock`, the
articles it records and every problem found in it, never raising for a damaged file
(`read_lock`, with `lockreader` checking each value). `issues/2026-11-27.yaml` gets
`issues/2026-11-27.lock.json` when it is built: every stored article it refers to, with
everything the renderer reads of it. Reading the issue again takes its articles from the lock
first, so an old issue rebuilds byte for byte after the store was deleted or a feed rewrote a
story; `newsletter build --refresh` takes the store's versions. The lock files of the other
issues also tell which articles were already featured.

A lock file is input like an issue file: it can be edited by hand or damaged, and what it says
goes into the email. So it is checked value by value, each problem at its line and column:

- A file that cannot be read as a lock at all (not UTF-8, not JSON, too large, nested too deep,
  another version) is a *warning*: nothing of it is used, the store's articles are, exactly as
  for an issue built the first time, and the build records them over it.
- In a file that reads, a wrong value is an *error*: it would go into the email (a
  `javascript:` link, a time that crashes the week check), and quietly taking the store's copy
  of that one article instead would change an old issue without anyone deciding to.
- Two things are repaired, with a warning, as the feed reader repairs them: text with
  control characters or unclosed direction marks goes through `untrusted.clean_text`, and
  summary HTML through nh3. The build then records the cleaned copy, so the warning is seen
  once, not at every build.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsletter._json import JSONRefused, load_json
from newsletter._yaml import YMap, YScalar
from newsletter.errors import Problem
from newsletter.issue.lockreader import LockReader, json_kind
from newsletter.issue.numbers import remembered_numbers
from newsletter.models import Article, Span
from newsletter.records import article_to_record

VERSION = 1
# A lock holds the articles of one issue, some kilobytes each; a file this large is not one,
# and reading it would only cost memory and time.
MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Lock:
    """What a lock file gave: its articles by id (only those recorded without an error), the
    issue's number and date, every problem found, and the ids of the articles left out."""

    articles: dict[str, Article]
    number: int | None = None
    day: date | None = None
    problems: tuple[Problem, ...] = ()
    broken: frozenset[str] = frozenset()


def lock_path(issue_path: Path) -> Path:
    """Where the lock file of an issue file lives: beside it, `.yaml` → `.lock.json`."""
    return issue_path.with_name(issue_path.stem + ".lock.json")


def lock_text(number: int, day: date, articles: tuple[Article, ...]) -> str:
    """The lock file's text for an issue: stable key order, one article per entry."""
    unique = {article.id: article for article in articles}
    payload = {
        "version": VERSION,
        "issue": number,
        "date": day.isoformat(),
        "articles": [article_to_record(article) for article in unique.values()],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


# The locks read inside `remembered_locks`, by path and the file's identity when read.
_REMEMBERED: ContextVar[dict[Path, tuple[tuple[int, int, int], Lock]] | None] = ContextVar(
    "remembered_locks", default=None
)


def remembered_entries() -> dict[Path, tuple[tuple[int, int, int], Lock]] | None:
    """The locks read so far inside `remembered_locks` (None outside it), by path: the
    archive keeps them between runs and puts them back in."""
    return _REMEMBERED.get()


@contextlib.contextmanager
def remembered_locks() -> Iterator[None]:
    """Inside the block, a lock file is read once for as long as it is unchanged (same inode,
    size and modification time). Checking an issue reads the locks of all the others (for
    the stories already featured), so checking every issue, as `archive` does, would read
    each lock once per issue."""
    token = _REMEMBERED.set({})
    try:
        with remembered_numbers():  # each issue looks at the others' numbers too
            yield
    finally:
        _REMEMBERED.reset(token)


def read_lock(path: Path) -> Lock:
    """What a lock file records, and every problem found in it; never raises for a damaged
    file. A file that cannot be read as a lock gives no articles and a warning; a wrong value
    is an error, and its article is left out."""
    memo = _REMEMBERED.get()
    if memo is None:
        return _read_lock(path)
    try:
        stat = path.stat()
    except OSError:
        return _read_lock(path)
    identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    known = memo.get(path)
    if known is not None and known[0] == identity:
        return known[1]
    lock = _read_lock(path)
    memo[path] = (identity, lock)
    return lock


def _read_lock(path: Path) -> Lock:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return Lock({})
    except OSError as exc:
        return _unreadable(path, exc.strerror or type(exc).__name__)
    if len(data) > MAX_BYTES:
        detail = f"it is over {MAX_BYTES // 1024 // 1024} MB; a lock file is far smaller"
        return _unreadable(path, detail)
    try:
        text = data.decode("utf-8-sig")  # an editor's byte order mark is not an error
    except UnicodeDecodeError as exc:
        return _unreadable(path, f"not UTF-8 text: {exc.reason}")
    try:
        root = load_json(path, text)
    except json.JSONDecodeError as exc:
        span = Span(path, exc.lineno, exc.colno)
        return _unreadable(path, f"not JSON: {exc.msg}", span)
    except JSONRefused as exc:
        return _unreadable(path, str(exc))
    if not isinstance(root, YMap):
        return _unreadable(path, f"expected an object, found {json_kind(root)}")
    # Checked before anything else: another version's keys are not mistakes in this one's.
    version = next((value for name, value in root.pairs if name.value == "version"), None)
    if version is None:
        return _unreadable(path, "it has no version")
    if not (isinstance(version, YScalar) and not version.quoted and version.value == str(VERSION)):
        return _unreadable(
            path, f"expected version {VERSION}, found {json_kind(version)}", version.span
        )
    reader = LockReader(path)
    articles, number, day = reader.lock(root)
    return Lock(articles, number, day, tuple(reader.problems), frozenset(reader.broken))


def _unreadable(path: Path, detail: str, span: Span | None = None) -> Lock:
    # A warning, not an error: nothing of the file is used, so the email is the one the store
    # gives, as for an issue built the first time.
    problem = Problem(
        f"the lock file cannot be read ({detail}); the store's articles are used instead",
        span=span,
        path=path,
        hint="the next `newsletter build` records the store's articles over it; to keep the "
        "recorded ones, restore the file first (e.g. from version control)",
        severity="warning",
    )
    return Lock({}, problems=(problem,))
