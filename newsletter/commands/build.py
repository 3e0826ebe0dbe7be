"""Command `build`: an issue file → the build folder (email.html, email.txt, email.eml,
report.json) and the issue's lock file. Takes the settings, the file and the output folder;
gives a `BuildResult`. Nothing is written when the issue has an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsletter.config import Settings
from newsletter.errors import Problem
from newsletter.models import RenderedIssue


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


def build_issue(
    settings: Settings, issue_file: Path, *, output: Path, refresh: bool = False
) -> BuildResult:
    """Check, render and write an issue; record the articles it used in its lock file."""
    # Imported here: the renderer (premailer, lxml, cssutils) costs 0.2 s to import, which
    # other commands, `fetch` above all, should not pay.
    from newsletter.commands.check import check_issue
    from newsletter.deliver.build import write_build
    from newsletter.files import write_atomic
    from newsletter.issue import lock_path, lock_text
    from newsletter.render import render_issue

    checked = check_issue(settings, issue_file, refresh=refresh)
    rendered = render_issue(checked.issue, settings)
    receipt = write_build(rendered, settings, output, checked.warnings)
    issue = checked.issue
    write_atomic(lock_path(issue_file), lock_text(issue.number, issue.date, issue.articles))
    return BuildResult(rendered, Path(receipt.target), (*checked.warnings, *rendered.checks))
