"""Stage 4 (delivery), the archive's memory between runs: what the last `archive` of a site
learnt about each issue file (its check and its page), so that a run with nothing changed
reads, checks and renders nothing again.

Kept in the user's cache folder (`$XDG_CACHE_HOME/newsletter/archive/`, else
`~/.cache/newsletter/archive/`), one file per settings file and site folder, never in the
site itself, which stays byte for byte what a run without any memory writes. An issue's
entry is used only while a digest of everything its check and page depend on is unchanged:
the bytes of the issue file and of its lock file, what the folder's other issues say about
it (other files with its number, earlier issues that featured its stories), and, for every
entry at once, the program's own source, the settings file, every file of the theme and the
store's change counter. An issue whose stories do not all come from its lock file depends on
the store in ways the counter alone does not say: it is checked every time. The memory only
saves time; one that cannot be read (damaged, from another version) is started afresh, and
deleting it is always safe.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import pickle
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter import __version__
from newsletter.errors import Problem
from newsletter.files import write_atomic

if TYPE_CHECKING:
    from newsletter.config import Settings
    from newsletter.issue.folder import FolderFacts
    from newsletter.models import Issue, WebPage

_VERSION = 2  # 2: dataclasses written as their fields (`_Pickler`)
_Identity = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Remembered:
    """One issue file as the last run found it: the digest of its inputs, and either the
    checked issue (its number of warnings, its page) or the problems that kept it out."""

    key: str
    issue: Issue | None
    warnings: int = 0
    problems: tuple[Problem, ...] = ()
    page: WebPage | None = None
    page_key: str = ""  # the page's own inputs besides the issue: its images' copies


@dataclass
class Memory:
    """Everything remembered about one site: the digest of the inputs every page shares,
    each issue file's entry by path, the lock files and numbers as read (by file identity),
    and the index's and feeds' bytes with the digest of what made them."""

    inputs: str = ""
    issues: dict[str, Remembered] = field(default_factory=dict)
    locks: dict[Path, tuple[_Identity, Any]] = field(default_factory=dict)
    numbers: dict[Path, tuple[_Identity, Any]] = field(default_factory=dict)
    outputs: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    # What it held when it was read (the objects themselves, not copies, so that an entry
    # replaced by an equal one still counts as a change: `is` decides, cheaply). Not kept.
    loaded: tuple[object, ...] | None = field(
        default=None, repr=False, compare=False, metadata={"transient": True}
    )


def memory_file(settings: Settings, output: Path) -> Path | None:
    """Where the memory of the site at `output`, made with these settings, is kept."""
    from newsletter.render.template_cache import cache_folder

    folder = cache_folder()
    if folder is None:
        return None
    name = hashlib.sha256(
        f"{settings.path.absolute()}\0{output.absolute()}".encode("utf-8", "surrogateescape")
    ).hexdigest()[:32]
    return folder.parent / "archive" / f"{name}.pickle"


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    """The fields kept of a dataclass: all but those marked transient (which come last, with
    a default)."""
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(
            item.name for item in fields(kind) if not item.metadata.get("transient")
        )
    return names


def _rebuild(kind: type, values: tuple[Any, ...]) -> Any:
    """A dataclass instance from its fields' values, as `_Pickler` wrote them."""
    return kind(*values)


class _Pickler(pickle.Pickler):
    """Writes a dataclass as its class and a tuple of its fields' values.

    pickle's own way with a slotted dataclass calls `dataclasses.fields` for every instance,
    on both sides: with 2,000 issues (86,000 instances) that was 1.4 s of a 2.3 s run that
    changed nothing. Every dataclass of the package is made by its `__init__` from all of its
    fields in order, so the class and the values are enough.
    """

    def reducer_override(self, obj: Any) -> Any:
        """Our dataclasses as (`_rebuild`, (class, values)); anything else as pickle does."""
        kind = type(obj)
        if is_dataclass(obj) and kind.__module__.startswith("newsletter."):
            values = tuple(getattr(obj, name) for name in _field_names(kind))
            return _rebuild, (kind, values)
        return NotImplemented


def load_memory(path: Path | None, inputs: str) -> Memory:
    """The memory at `path`; its issue entries and outputs only when they were made from the
    same `inputs` (the lock files and numbers are keyed by their own files' identity)."""
    memory = Memory()
    if path is not None:
        try:
            with path.open("rb") as handle:
                version, found = pickle.load(handle)
        except Exception:  # absent, damaged or from another version: start afresh
            version, found = None, None
        if version == (_VERSION, __version__) and isinstance(found, Memory):
            memory = found
            memory.loaded = _snapshot(memory)
    if memory.inputs != inputs:
        memory.issues, memory.outputs = {}, {}
        memory.inputs = inputs
    return memory


def _snapshot(memory: Memory) -> tuple[object, ...]:
    return (
        memory.inputs,
        dict(memory.issues),
        dict(memory.locks),
        dict(memory.numbers),
        dict(memory.outputs),
    )


def _unchanged(before: tuple[object, ...], memory: Memory) -> bool:
    now = _snapshot(memory)
    if before[0] != now[0]:
        return False
    for old, new in zip(before[1:], now[1:], strict=True):
        assert isinstance(old, dict) and isinstance(new, dict)
        if len(old) != len(new) or any(old.get(key) is not value for key, value in new.items()):
            return False
    return True


def save_memory(path: Path | None, memory: Memory) -> None:
    """Keep the memory for the next run, unless it holds just what was read; a cache folder
    that cannot be written is passed over (the next run is a cold one, no more)."""
    if path is None or (memory.loaded is not None and _unchanged(memory.loaded, memory)):
        return
    try:
        out = io.BytesIO()
        _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(((_VERSION, __version__), memory))
        write_atomic(path, out.getvalue())
    except (OSError, pickle.PicklingError):
        pass


@functools.cache
def program_digest() -> str:
    """A digest of the program itself: every source file and default template of the
    package, and the Python that runs it (a new version renders differently)."""
    digest = hashlib.sha256(f"{__version__}\0{sys.version}".encode())
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".jinja", ".toml", ".css", ".js", ".html"} and path.is_file():
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    from newsletter.render.theme import default_theme

    _folder_digest(digest, default_theme())
    return digest.hexdigest()


def _folder_digest(digest: Any, folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())


def inputs_digest(settings: Settings, store_counter: str) -> str:
    """A digest of what every page shares: the program, the settings file, the theme's files
    and the store's change counter."""
    digest = hashlib.sha256(program_digest().encode())
    try:
        digest.update(settings.path.read_bytes())
    except OSError:
        digest.update(repr(settings).encode())
    if settings.theme is not None:
        _folder_digest(digest, settings.theme)
    digest.update(f"\0store {store_counter}\0{os.environ.get('TZ', '')}".encode())
    return digest.hexdigest()


def issue_key(path: Path, lock: Path, context: Mapping[str, Any]) -> str:
    """The digest of one issue file's own inputs: its bytes, its lock file's, and what the
    folder's other issues say about it (`context`, from `issue_context`)."""
    digest = hashlib.sha256()
    for source in (path, lock):
        try:
            digest.update(source.read_bytes())
        except OSError as exc:
            digest.update(f"unreadable {exc.errno}".encode())
        digest.update(b"\0\0")
    digest.update(repr(sorted(context.items())).encode())
    return digest.hexdigest()


def issue_context(
    path: Path,
    facts: FolderFacts,
    number: int | None,
    day: date | None,
    stories: tuple[str, ...],
) -> dict[str, Any]:
    """What the rules that look at other issues would find for this one: the other files
    with its number (and the number it would take), and the earlier issues that featured
    each of its stories."""
    from newsletter.issue.lockfile import lock_path

    context: dict[str, Any] = {}
    if number is not None:
        others = tuple(facts.numbered(number, path))
        context["numbered"] = tuple((p.name, d) for p, d in others)
        if others:
            context["next"] = facts.next_number(day, path)
    if day is not None:
        earlier = facts.earlier_uses(day, lock_path(path))
        context["earlier"] = tuple((ident, earlier.get(ident)) for ident in stories)
    return context
