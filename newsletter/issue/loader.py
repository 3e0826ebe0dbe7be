"""Stage 2 (issue file), the loader: an issue file on disk → a checked `Issue`.

Takes the path of an issue file, the settings and the store; gives a `CheckedIssue` (the
`Issue` and its warnings), or raises `ProblemsError` with every problem of the file and its
lock file. It reads no more than `MAX_ISSUE_BYTES`, reports the YAML's syntax errors and
control characters and reads on past them, so that one bad line hides no other mistake, then
hands the nodes to the `reader` with the articles the lock file and the store give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from newsletter._yaml import SECOND_DOCUMENT, YNode, control_character_problem, load_yaml
from newsletter.config import Settings
from newsletter.errors import Problem, ProblemsError, has_errors
from newsletter.issue import rules
from newsletter.issue.lockfile import Lock, lock_path, read_lock
from newsletter.issue.numbers import MAX_ISSUE_BYTES
from newsletter.issue.reader import IssueReader, ThemeLabels
from newsletter.issue.references import ArticleSource, References
from newsletter.issue.schema import CONTROL
from newsletter.models import Issue, Span

__all__ = ["MAX_ISSUE_BYTES", "CheckedIssue", "read_issue"]


@dataclass(frozen=True, slots=True)
class CheckedIssue:
    """An issue that has no errors, with the warnings found on the way."""

    issue: Issue
    warnings: tuple[Problem, ...]


def read_issue(
    path: Path,
    settings: Settings,
    articles: ArticleSource,
    *,
    refresh: bool = False,
    theme_labels: ThemeLabels | None = None,
) -> CheckedIssue:
    """Read an issue file; return it with its warnings, or raise `ProblemsError` with all
    the problems (warnings included) when there is any error.

    Articles come from the issue's lock file when it has them (so an old issue rebuilds the
    same), else from `articles`; with `refresh`, from `articles` only. With `theme_labels`
    (the theme's `labels_for`) the issue is also held to the house style: a key issue, and
    the theme's labels on notes."""
    try:
        text = _read_text(path)
    except FileNotFoundError:
        raise ProblemsError(
            [
                Problem(
                    "no such issue file",
                    path=path,
                    hint="`ls issues/` shows the issue files; `newsletter draft` starts a new one",
                )
            ]
        ) from None
    except UnicodeDecodeError as exc:
        raise ProblemsError(
            [
                Problem(
                    f"the file is not UTF-8 text ({exc.reason})",
                    path=path,
                    hint="save it as UTF-8 in your editor",
                )
            ]
        ) from None
    except OSError as exc:
        raise ProblemsError([Problem(f"cannot read the file: {exc.strerror}", path=path)]) from None
    if text is None:
        raise ProblemsError(
            [
                Problem(
                    f"the file is larger than {MAX_ISSUE_BYTES // 1024} KB, the limit for an "
                    "issue file",
                    path=path,
                    hint="an issue is usually 5 to 20 KB: is this the issue file you meant?",
                )
            ]
        )
    root, syntax, skipped = _load_past_syntax_errors(path, text)
    if root is None and syntax:
        raise ProblemsError(syntax)
    if root is None:
        raise ProblemsError(
            [
                Problem(
                    "the issue file is empty",
                    path=path,
                    hint="`newsletter draft` writes a scaffold to start from",
                )
            ]
        )
    # With --refresh the lock is not read: the build records the store's articles over it, so
    # nothing wrong in it can matter.
    lock = Lock({}) if refresh else read_lock(lock_path(path))
    references = References(path, articles, lock, settings.timezone)
    reader = IssueReader(path, text, settings, references, theme_labels)
    reader.problems.extend(lock.problems)
    issue = reader.issue(root)
    reader.report(rules.odd_file_name(path))
    if syntax:
        # Checked without the broken lines: drop what is only a consequence of leaving them out.
        lines = text.splitlines()
        lost = {
            f"missing required key '{found.group(1)}'"
            for number in skipped
            if 1 <= number <= len(lines) and (found := _KEY.match(lines[number - 1]))
        }
        reader.problems = syntax + [
            p
            for p in reader.problems
            if (p.span is None or p.span.path != path or p.span.line not in skipped)
            and p.message not in lost
        ]
        issue = None
    if has_errors(reader.problems) or issue is None:
        if not has_errors(reader.problems):  # pragma: no cover - a missing value is an error
            reader.problems.append(Problem("the issue is incomplete", path=path))
        raise ProblemsError(reader.problems)
    return CheckedIssue(issue, tuple(reader.problems))


# The key a line of YAML writes (`  - title: …`), to know which keys a skipped line took along.
_KEY = re.compile(r"\s*(?:-\s+)?([A-Za-z_][\w-]*)\s*:")


def _read_text(path: Path) -> str | None:
    """The file's text with universal newlines, or None when it is over `MAX_ISSUE_BYTES`:
    read no further than that, so a huge file (or /dev/zero) costs nothing."""
    with path.open("rb") as handle:
        data = handle.read(MAX_ISSUE_BYTES + 1)
    if len(data) > MAX_ISSUE_BYTES:
        return None
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _load_past_syntax_errors(path: Path, text: str) -> tuple[YNode | None, list[Problem], set[int]]:
    """Compose the YAML; on a syntax error, report it and try again without that line, so
    that one badly indented item does not hide every other mistake in the file. Lines with a
    control character are reported first (YAML would stop at the first one) and checked with
    U+FFFD in its place; a second document is reported and left out whole."""
    syntax: list[Problem] = []
    skipped: set[int] = set()
    lines = []
    # Lines as the problem formatter numbers them: form feeds and the like end a line here.
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        control = CONTROL.search(line)
        if control:
            where = Span(path, number, control.start() + 1)
            syntax.append(control_character_problem(path, where, control.group()))
            skipped.add(number)
            # A printable stand-in keeps the line's YAML (a key, a quoted value) readable.
            line = CONTROL.sub("\ufffd", line)
        lines.append((line.splitlines() or [""])[0])
    for _ in range(10):
        root, problems = load_yaml(path, "\n".join(lines) + "\n")
        if not problems:
            return root, syntax, skipped
        syntax.extend(problems)
        span = problems[0].span
        if span is None or span.line in skipped or not 1 <= span.line <= len(lines):
            break
        if problems[0].message == SECOND_DOCUMENT:
            # Check the first document alone; the rest may be a whole other issue.
            skipped.update(range(span.line, len(lines) + 1))
            lines[span.line - 1 :] = [""] * (len(lines) - span.line + 1)
            continue
        if not problems[0].message.startswith("YAML syntax"):
            break  # refused (aliases, absurd nesting), not mistyped: nothing to recover
        skipped.add(span.line)
        lines[span.line - 1] = ""  # blank, not removed: every other line keeps its number
    return None, syntax, skipped
