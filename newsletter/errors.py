"""Leaf: where a value was written (`Span`), the `Problem` record, the exception tree and the
one formatter that prints problems.

Every stage reports an editor's mistake as a `Problem` (where, what was expected, what was
found, a hint) and raises `ProblemsError` carrying all of them at once. The CLI, reports and
previews print them with `format_problems`, compiler style, so editors and their editors' tools
can jump to the spot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from newsletter.untrusted import visible_line

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Span:
    """Where a value was written: a file, a 1-based line and a 1-based column."""

    path: Path
    line: int
    column: int
    length: int = 1


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake found in an input: where it is, what is wrong, and how to fix it."""

    message: str
    span: Span | None = None
    key: str = ""  # the key path inside the file, e.g. sections[0].items[1].article
    hint: str = ""
    severity: Severity = "error"
    path: Path | None = None  # the file, when there is no exact span

    @property
    def file(self) -> Path | None:
        """The file the problem is in, if any."""
        return self.span.path if self.span is not None else self.path

    def sort_key(self) -> tuple[str, int, int]:
        """Order problems by file, then line, then column."""
        if self.span is not None:
            return (str(self.span.path), self.span.line, self.span.column)
        return (str(self.path or ""), 0, 0)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form for `--json` output and report files."""
        return {
            "severity": self.severity,
            "file": str(self.file) if self.file else None,
            "line": self.span.line if self.span else None,
            "column": self.span.column if self.span else None,
            "key": self.key or None,
            "message": self.message,
            "hint": self.hint or None,
        }


class NewsletterError(Exception):
    """Base of every error this package raises on purpose."""


class ProblemsError(NewsletterError):
    """Bad input: one or more problems, all found in the same run. `wrote_nothing` is False
    when part of the work was kept before the problem stopped the rest (a fetch that stored
    some feeds), so the report does not claim otherwise."""

    def __init__(self, problems: Sequence[Problem], *, wrote_nothing: bool = True) -> None:
        self.problems = tuple(sorted(problems, key=Problem.sort_key))
        self.wrote_nothing = wrote_nothing
        super().__init__(f"{len(self.problems)} problem(s)")


def has_errors(problems: Iterable[Problem]) -> bool:
    """True when any of the problems is an error rather than a warning."""
    return any(p.severity == "error" for p in problems)


# A password written into a URL by mistake (`postgresql://user:secret@host`, `?password=`) is
# reported at its line; the quoted line must not show it.
_SECRETS = (
    (re.compile(r"(://[^:/@\s\"']*:)[^@\s\"']*(@)"), r"\1***\2"),
    (re.compile(r"(password=)[^&\s\"']*", re.IGNORECASE), r"\1***"),
)


def masked(text: str) -> str:
    """`text` with any password written into a URL replaced by ***."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _source_line(path: Path, line: int, cache: dict[Path, list[str]]) -> str | None:
    if path not in cache:
        try:
            cache[path] = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            cache[path] = []
    lines = cache[path]
    if 1 <= line <= len(lines):
        return masked(lines[line - 1])
    return None


def format_problem(problem: Problem, cache: dict[Path, list[str]] | None = None) -> str:
    """One problem as a compiler-style block: location, message, source line with caret, hint."""
    cache = {} if cache is None else cache
    span = problem.span
    where = ""
    if span is not None:
        where = f"{span.path}:{span.line}:{span.column}: "
    elif problem.path is not None:
        where = f"{problem.path}: "
    key = f"{problem.key}: " if problem.key else ""
    # Messages quote feed text (an article's title) and the editor's values: printed, neither
    # may steer the terminal.
    out = [visible_line(f"{where}{problem.severity}: {key}{problem.message}")]
    if span is not None:
        source = _source_line(span.path, span.line, cache)
        if source is not None:
            number = str(span.line)
            gutter = " " * len(number)
            # A JSON lock file may hold raw C1 controls and bidi marks; printed as they are, a
            # terminal would obey them.
            source = visible_line(source.replace("\t", " "))
            width = max(1, min(span.length, len(source) - span.column + 1))
            out.append(f" > {number} | {source}")
            out.append(f"   {gutter} | {' ' * (span.column - 1)}{'^' * width}")
    if problem.hint:
        out.append(visible_line(f"  hint: {problem.hint}"))
    return "\n".join(out)


def format_problems(problems: Sequence[Problem], *, wrote_nothing: bool = True) -> str:
    """Every problem, sorted by place, then a summary line; the text the CLI prints."""
    ordered = sorted(problems, key=Problem.sort_key)
    cache: dict[Path, list[str]] = {}
    blocks = [format_problem(p, cache) for p in ordered]
    errors = sum(1 for p in ordered if p.severity == "error")
    warnings = len(ordered) - errors
    files = sorted({str(p.file) for p in ordered if p.file is not None})
    where = f" in {', '.join(files)}" if files else ""
    counts = []
    if errors:
        counts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        counts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    summary = f"{' and '.join(counts)}{where}"
    if errors and wrote_nothing:
        summary += "; nothing was written"
    return "\n\n".join(blocks) + f"\n\n{summary}.\n"
