"""Command `check --deliverability`: issues checked → each email's spam score, from the very
`email.eml` that `build` would write, and the problems a score makes.

Takes the settings, the checked issues and the theme; gives an `IssueSpam` per issue file.
SpamAssassin runs offline (`newsletter.spamscore`); when it is not installed, each file gets
an error that says how to install it, never a silent pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.config import Settings
from newsletter.errors import Problem, Severity, Span
from newsletter.spamscore import (
    SPAM_AT,
    WORRY_AT,
    SpamAssassinFailed,
    SpamAssassinMissing,
    SpamScore,
    advice,
    score_message,
)

# A rule worth this much, whose text is found in the issue file, is a warning at that text.
MATCH_POINTS = 0.5

if TYPE_CHECKING:
    from newsletter.issue import CheckedIssue
    from newsletter.render.theme import Theme


@dataclass(frozen=True, slots=True)
class IssueSpam:
    """An issue file's spam score (None when it could not be had) and its problems."""

    path: Path
    score: SpamScore | None
    problems: tuple[Problem, ...]


def email_eml(settings: Settings, checked: CheckedIssue, theme: Theme) -> bytes:
    """The bytes `build` writes as email.eml for a checked issue."""
    from newsletter.deliver.build import build_files
    from newsletter.render import render_issue

    rendered = render_issue(checked.issue, settings, theme)
    return build_files(rendered, settings, checked.warnings)["email.eml"]


def score_problems(path: Path, score: SpamScore) -> tuple[Problem, ...]:
    """An error at or above SpamAssassin's own threshold, a warning above ours."""
    if score.verdict == "ok":
        return ()
    worst = ", ".join(rule.name for rule in score.rules if rule.points >= 0.1)[:200]
    if score.verdict == "spam":
        message = (
            f"spam score {score.score:.1f}: at {SPAM_AT:.1f} or more SpamAssassin files the "
            "email as spam"
        )
    else:
        message = (
            f"spam score {score.score:.1f}: above {WORRY_AT:.1f}, stricter servers may file "
            "the email as spam"
        )
    hint = f"the rules that added most: {worst}; the table says what to change"
    severity: Severity = "error" if score.verdict == "spam" else "warning"
    return (Problem(message, path=path, hint=hint, severity=severity),)


def matched_problems(path: Path, text: str, score: SpamScore) -> tuple[Problem, ...]:
    """A warning at each place of the issue file where a scoring rule's text is written
    (found again whatever the case, and across the file's line breaks)."""
    problems = []
    for rule in score.rules:
        if rule.points < MATCH_POINTS or not rule.matched.strip():
            continue
        words = [re.escape(word) for word in rule.matched.split()]
        found = re.search(r"\s+".join(words), text, re.IGNORECASE)
        if found is None:
            continue
        line = text.count("\n", 0, found.start()) + 1
        column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
        end = text.find("\n", found.start())
        length = min(found.end(), end if end != -1 else found.end()) - found.start()
        problems.append(
            Problem(
                f"spam rule {rule.name} ({rule.points:.1f} points) matches "
                f'"{rule.matched}": {rule.description}',
                span=Span(path, line, column, max(length, 1)),
                hint=advice(rule) or "say it in other words",
                severity="warning",
            )
        )
    return tuple(problems)


def score_issue(path: Path, eml: bytes) -> IssueSpam:
    """Score one issue file's email (the bytes of its email.eml); a missing or failing
    SpamAssassin is an error."""
    try:
        score = score_message(eml)
    except SpamAssassinMissing as exc:
        problem = Problem(
            "the spam score was not run: SpamAssassin is not installed",
            path=path,
            hint=str(exc).split(": ", 1)[1],
        )
        return IssueSpam(path, None, (problem,))
    except SpamAssassinFailed as exc:
        problem = Problem(
            f"the spam score was not run: {exc}",
            path=path,
            hint="`spamassassin --lint` says what is wrong with its setup",
        )
        return IssueSpam(path, None, (problem,))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        text = ""
    return IssueSpam(
        path, score, (*score_problems(path, score), *matched_problems(path, text, score))
    )
