"""Stage 4 (delivery), the archive's files on disk: a set of `SiteFile`s (a path inside the
site and its bytes) → the site folder, and what changed in it (`SiteWrite`).

A file is written (atomically) only when its bytes differ from what is there, so a rebuild
leaves every unchanged page with its modification time, and a web server's caches and an
rsync to the host stay quiet. The site remembers what it wrote in a manifest
(`.newsletter-archive.json`): a file a previous run wrote that is no longer part of the site
(the page of an issue file that was deleted or renamed) is removed, but nothing the archive
did not write is ever touched, so the folder can hold other files of the newsroom's site.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from newsletter.files import write_atomic

MANIFEST = ".newsletter-archive.json"
_VERSION = 1


@dataclass(frozen=True, slots=True)
class SiteFile:
    """One file of the site: its path inside the site folder (with `/`) and its bytes."""

    path: str
    data: bytes


@dataclass(frozen=True, slots=True)
class SiteWrite:
    """What writing the site did, each a path inside the site folder, sorted: the files
    written (new or changed), those left as they were, and those removed."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def _inside(path: str) -> bool:
    """True for a relative path that stays inside the site folder."""
    parts = PurePosixPath(path).parts
    return (
        bool(parts)
        and not PurePosixPath(path).is_absolute()
        and "\\" not in path
        and all(part not in {"", ".", ".."} for part in parts)
    )


def _manifest(folder: Path) -> dict[str, object]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return {}
    return data


def _read_manifest(folder: Path) -> set[str]:
    """The files an earlier run wrote; none when the manifest is missing or unreadable (the
    worst that costs is a stale page left in place, never a file removed by mistake)."""
    files = _manifest(folder).get("files")
    if not isinstance(files, list):
        return set()
    return {path for path in files if isinstance(path, str) and _inside(path)}


def copied_images(folder: Path) -> dict[str, dict[str, str]]:
    """The images an earlier run copied into the site: for each page's folder, the name of
    the copy of each image address. Only names of files in that folder are believed."""
    images = _manifest(folder).get("images")
    if not isinstance(images, dict):
        return {}
    found: dict[str, dict[str, str]] = {}
    for page, copies in images.items():
        if not (isinstance(page, str) and _inside(page) and isinstance(copies, dict)):
            continue
        found[page] = {
            url: name
            for url, name in copies.items()
            if isinstance(url, str) and isinstance(name, str) and _inside(name) and "/" not in name
        }
    return found


def _changed(target: Path, data: bytes) -> bool:
    try:
        return target.read_bytes() != data
    except FileNotFoundError:
        return True


def write_site(
    files: Sequence[SiteFile],
    folder: Path,
    *,
    keep: Collection[str] = (),
    images: Mapping[str, Mapping[str, str]] | None = None,
) -> SiteWrite:
    """Write `files` into `folder`, each only when its bytes differ; then remove the files an
    earlier run wrote that are not among them, except those whose path starts with one of
    `keep` (the page of an issue that could not be built this time stays online as it was).
    `images` (the copies of each page's images, by address) is remembered for the next run."""
    for file in files:
        if not _inside(file.path):
            raise ValueError(f"a site file outside the site folder: {file.path!r}")
    written, unchanged = [], []
    for file in files:
        target = folder.joinpath(*PurePosixPath(file.path).parts)
        if _changed(target, file.data):
            write_atomic(target, file.data)
            written.append(file.path)
        else:
            unchanged.append(file.path)
    previous = _read_manifest(folder)
    current = {file.path for file in files}
    kept = {path for path in previous - current if path.startswith(tuple(keep))}
    removed = sorted(previous - current - kept)
    for path in removed:
        target = folder.joinpath(*PurePosixPath(path).parts)
        target.unlink(missing_ok=True)
        _remove_empty_parents(target.parent, folder)
    remembered = {
        page: dict(sorted(copies.items())) for page, copies in sorted((images or {}).items())
    }
    old_images = copied_images(folder)
    for page, copies in old_images.items():
        if page not in remembered and any(page + "/" == prefix for prefix in keep):
            remembered[page] = copies
    manifest = {
        "version": _VERSION,
        "files": sorted(current | kept),
        "images": dict(sorted(remembered.items())),
    }
    text = json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
    if _changed(folder / MANIFEST, text.encode("utf-8")):
        write_atomic(folder / MANIFEST, text)
    return SiteWrite(tuple(sorted(written)), tuple(sorted(unchanged)), tuple(removed))


def _remove_empty_parents(start: Path, root: Path) -> None:
    """Remove `start` and its parents up to (not including) `root` while they are empty."""
    current = start
    while current != root and root in current.parents:
        try:
            current.rmdir()
        except OSError:  # not empty, or already gone
            return
        current = current.parent
