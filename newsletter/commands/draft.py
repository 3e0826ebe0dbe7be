"""Command `draft`: the scaffold of a new issue, with the week's candidate articles. Takes the
settings, a send date and where to write; writes the file (never over one without `force`)
and gives a `DraftResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsletter.commands.articles import next_send_day
from newsletter.config import Settings
from newsletter.errors import Problem, ProblemsError
from newsletter.files import write_atomic
from newsletter.issue import draft_issue, issues_folder, next_number
from newsletter.models import Article
from newsletter.store import open_store
from newsletter.week import week_bounds


@dataclass(frozen=True, slots=True)
class DraftResult:
    """Where the draft went, and how many candidate articles it lists."""

    path: Path
    candidates: int
    left_out: int = 0  # the week's stories past the draft's limits


PER_FEED = 40  # candidates listed per feed, newest first
MOST = 300  # candidates listed in all


def draft_issue_file(
    settings: Settings,
    *,
    day: date | None = None,
    output: Path | None = None,
    force: bool = False,
) -> DraftResult:
    """Write the draft of the issue sent on `day` (the next send day when None) to `output`
    (issues/DATE.yaml beside the settings when None)."""
    when = day or next_send_day(settings)
    target = output or issues_folder(settings) / f"{when}.yaml"
    if target.exists() and not force:
        raise ProblemsError(
            [
                Problem(
                    "the issue file already exists; nothing was written",
                    path=target,
                    hint="pass --force to overwrite it, or -o to write elsewhere",
                )
            ]
        )
    start, end = week_bounds(when, settings.timezone)
    with open_store(settings.store, create=False) as store:
        week = store.articles_between(start, end)  # newest first
    # A busy wire gives thousands of stories a week; listed whole, the draft would outgrow
    # what `check` accepts. The newest of each feed are the likely picks.
    per_feed: dict[str, int] = {}
    candidates: list[Article] = []
    for article in week:
        per_feed[article.feed] = per_feed.get(article.feed, 0) + 1
        if per_feed[article.feed] <= PER_FEED and len(candidates) < MOST:
            candidates.append(article)
    number = next_number(issues_folder(settings), when)
    text = draft_issue(target, when, number, settings, candidates)
    left_out = len(week) - len(candidates)
    if left_out:
        first, _, rest = text.partition("\n")
        text = (
            f"{first}\n# {left_out} older stories of the week are not listed here: "
            f"`newsletter articles --week {when}` lists them all.\n{rest}"
        )
    write_atomic(target, text)
    return DraftResult(target, len(candidates), left_out)
