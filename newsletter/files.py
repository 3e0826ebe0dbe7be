"""Leaf: atomic file writes, so a failed or killed run never leaves a half-written output.

Every output is written to a temporary file in the same folder, flushed to disk, then renamed
over the target in one step; readers see the old file or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from newsletter.errors import NewsletterError


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` atomically (UTF-8 for text), creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    # The name cut short: the temporary file must fit the file system's limit, too.
    fd, temp = tempfile.mkstemp(prefix=f".{path.name[:64]}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file 0600 whatever the umask: give it the mode the file had, or
        # the one a plain open() would give, so colleagues and web servers can read builds.
        Path(temp).chmod(_mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temp).unlink()
        raise


def named(files: Iterable[tuple[str, bytes]], name: str) -> bytes:
    """The bytes of the file called `name` among (name, bytes) pairs; KeyError if none."""
    for known, data in files:
        if known == name:
            return data
    raise KeyError(name)


def write_folder(folder: Path, files: Iterable[tuple[str, bytes]], what: str) -> Path:
    """Write each (name, bytes) pair atomically into `folder` and return it; a folder that
    cannot be written is one line (`NewsletterError`) naming `what` was being written."""
    try:
        for name, data in files:
            write_atomic(folder / name, data)
    except OSError as exc:
        raise NewsletterError(f"cannot write {what} to {folder}/: {exc.strerror or exc}") from None
    return folder
