"""Stage 3 (renderer), compiled templates kept between runs: Jinja's bytecode cache on disk.

Compiling the theme's two email templates is a twentieth of a fresh `newsletter build`; with
the compiled code kept in the user's cache folder (`$XDG_CACHE_HOME/newsletter/templates`,
else `~/.cache/newsletter/templates`) later runs load it instead. Jinja reuses an entry only
for the same template source; the key here adds every setting of the environment that
changes the compiled code (delimiters, whitespace control, autoescaping for that name,
extensions, Jinja's version), so a change of settings never serves stale code. The cache only
saves time: one that cannot be read or written is passed over, and deleting it is safe.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket


def cache_folder() -> Path | None:
    """Where compiled templates are kept, or None when there is no home folder to hold them."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:
            return None
    return Path(base) / "newsletter" / "templates"


def _compile_settings(environment: jinja2.Environment, name: str) -> str:
    """What, besides the source, decides the code Jinja compiles a template to."""
    autoescape = environment.autoescape
    return repr(
        (
            jinja2.__version__,
            environment.block_start_string,
            environment.block_end_string,
            environment.variable_start_string,
            environment.variable_end_string,
            environment.comment_start_string,
            environment.comment_end_string,
            environment.line_statement_prefix,
            environment.line_comment_prefix,
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.newline_sequence,
            environment.keep_trailing_newline,
            sorted(environment.extensions),
            environment.optimized,
            environment.is_async,
            autoescape(name) if callable(autoescape) else autoescape,
            environment.code_generator_class,
        )
    )


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file-system bytecode cache, keyed by the compile settings too, and never an
    error: an entry that cannot be read is compiled afresh, one that cannot be written is
    left out."""

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder), "%s.cache")

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        """The cache entry of a template: its name, file and compile settings make the key,
        its source the checksum that must match for the entry to be used."""
        settings = _compile_settings(environment, name)
        key = hashlib.sha256(f"{name}\0{filename}\0{settings}".encode()).hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        """Load an entry; one that is missing, unreadable or damaged is no entry."""
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Write an entry atomically; when the folder cannot take it, go without."""
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass
