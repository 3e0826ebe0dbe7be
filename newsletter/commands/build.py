"""Command `build`: an issue file → the build folder (email.html, email.txt, email.eml,
report.json) and the issue's lock file. Takes the settings, the file and the output folder;
gives a `BuildResult`. Nothing is written when the issue has an error (or, strict, a warning).

`prepare_build` is the same work without writing anything: the preview serves its bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.config import Settings
from newsletter.errors import Problem, ProblemsError, has_errors
from newsletter.models import RenderedIssue

if TYPE_CHECKING:
    from newsletter.deliver.build import BuildFiles
    from newsletter.issue import CheckedIssue
    from newsletter.render.theme import Theme


@dataclass(frozen=True, slots=True)
class PreparedBuild:
    """An issue checked, rendered and made into build files, nothing written yet."""

    checked: CheckedIssue
    rendered: RenderedIssue
    files: BuildFiles

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every warning: the issue file's and the email lint's."""
        return (*self.checked.warnings, *self.rendered.checks)


@dataclass(frozen=True, slots=True)
class BuildResult:
    """The rendered issue, the folder it was written to, and every warning: the issue file's
    and the email lint's."""

    rendered: RenderedIssue
    folder: Path
    problems: tuple[Problem, ...]

    @property
    def report(self) -> Path:
        """The build's report.json."""
        return self.folder / "report.json"


def prepare_build(
    settings: Settings,
    issue_file: Path,
    *,
    refresh: bool = False,
    theme: Theme | None = None,
) -> PreparedBuild:
    """Check and render an issue and make its build files in memory; writes nothing.
    Raises `ProblemsError` with every problem when the issue has an error."""
    # Imported here: the renderer (premailer, lxml, cssutils) costs 0.2 s to import, which
    # other commands, `fetch` above all, should not pay.
    from newsletter.commands.check import check_issue
    from newsletter.deliver.build import build_files
    from newsletter.render import render_issue
    from newsletter.render.theme import load_theme

    theme = theme or load_theme(settings.theme)
    checked = check_issue(settings, issue_file, refresh=refresh, theme=theme)
    rendered = render_issue(checked.issue, settings, theme)
    return PreparedBuild(checked, rendered, build_files(rendered, settings, checked.warnings))


def build_issue(
    settings: Settings,
    issue_file: Path,
    *,
    output: Path,
    refresh: bool = False,
    strict: bool = False,
    check_links: Callable[[PreparedBuild], Sequence[Problem]] | None = None,
) -> BuildResult:
    """Check, render and write an issue; record the articles it used in its lock file.
    With `strict`, any warning (the issue file's or the email lint's) is an error, and
    nothing is written. `check_links` gives the problems of the email's links (the link
    check's): an error among them stops the build too."""
    from newsletter.deliver.build import write_build
    from newsletter.files import write_atomic
    from newsletter.issue import lock_path, lock_text

    prepared = prepare_build(settings, issue_file, refresh=refresh)
    problems = (*prepared.problems, *(check_links(prepared) if check_links else ()))
    if strict and problems:
        raise ProblemsError([replace(problem, severity="error") for problem in problems])
    if has_errors(problems):
        raise ProblemsError(problems)
    folder = write_build(prepared.files, output)
    issue = prepared.checked.issue
    write_atomic(lock_path(issue_file), lock_text(issue.number, issue.date, issue.articles))
    return BuildResult(prepared.rendered, folder, tuple(sorted(problems, key=Problem.sort_key)))
