"""Stage 2 (issue file), the editorial rules: what `check` warns about but lets through.

Takes values the reader has already read, with the nodes they were written at, and what a
rule needs besides (the newsletter's name, its time zone, the earlier issues); gives a
warning `Problem`, or None when the rule holds. Warnings do not stop a build (unless
`check --strict`): a long subject or a story from last week can be what the editor meant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from newsletter._yaml import YNode
from newsletter.errors import Problem
from newsletter.issue.numbers import issues_numbered, next_number
from newsletter.issue.schema import warning
from newsletter.models import Article, Section, issue_slug
from newsletter.suggest import did_you_mean
from newsletter.week import local_time, week_bounds

# How alike a note's label and a theme's must be to be taken for a typo of it: "Whats Next"
# (0.95) is one, "What Happens Next" (0.71), a label of the editor's own, is not.
LABEL_LIKENESS = 0.8
SUBJECT_LIMIT = 78  # characters; inboxes cut a longer subject line
PREHEADER_RANGE = (40, 150)  # characters; shorter says nothing, longer is cut


def subject_length(
    name: str, title: str | None, subject: str | None, top: Mapping[str, YNode]
) -> Problem | None:
    """The subject line ("<newsletter name>: <title>", or `subject:`) over the limit."""
    if subject is None and title is not None:
        full = f"{name}: {title}"
        if len(full) > SUBJECT_LIMIT:
            return warning(
                top["title"],
                "title",
                f"the subject line is {len(full)} characters; inboxes cut it near {SUBJECT_LIMIT}",
                hint="shorten the title, or give a shorter `subject:`",
            )
    elif subject is not None and len(subject) > SUBJECT_LIMIT:
        return warning(
            top["subject"],
            "subject",
            f"the subject line is {len(subject)} characters; inboxes cut it near {SUBJECT_LIMIT}",
            hint=f"shorten it to {SUBJECT_LIMIT} characters or fewer",
        )
    return None


def preheader_length(preheader: str | None, top: Mapping[str, YNode]) -> Problem | None:
    """A preheader too short to say anything or too long to be shown whole."""
    shortest, longest = PREHEADER_RANGE
    if preheader is None or shortest <= len(preheader) <= longest:
        return None
    return warning(
        top["preheader"],
        "preheader",
        f"the preheader is {len(preheader)} characters; aim for {shortest} to {longest}",
        hint="one sentence, usually the reason the key issue matters",
    )


def missing_alt(alt: str, node: YNode, key: str) -> Problem | None:
    """An image with no alt text."""
    if alt:
        return None
    return warning(
        node,
        key,
        "the image has no alt text",
        hint="add alt: describing the picture for readers who cannot see it",
    )


def empty_text(text: str, node: YNode | None, key: str, name: str) -> Problem | None:
    """A `body:` or `blurb:` given but left empty."""
    if node is None or text:
        return None
    return warning(
        node,
        key,
        f"the {name} is empty",
        hint="write a sentence or two in your own words, or remove the key",
    )


def roundup_image(layout: str, node: YNode, key: str) -> Problem | None:
    """An image on a roundup item, which the roundup does not show."""
    if layout != "list":
        return None
    return warning(
        node,
        key,
        "the roundup shows no images; this one will not appear",
        hint="move the story to a feature section, or remove the image",
    )


def already_featured(
    article: Article, earlier: Mapping[str, tuple[int, date]], node: YNode, key: str
) -> Problem | None:
    """An article an earlier issue featured (`earlier` as `references.earlier_uses` gives)."""
    if article.id not in earlier:
        return None
    number, used_on = earlier[article.id]
    return warning(
        node,
        key,
        f"'{article.title}' was already in issue {number} of {used_on}",
        hint="keep it only as a follow-up with something new to say",
    )


def used_twice(article: Article, seen: Mapping[str, str], node: YNode, key: str) -> Problem | None:
    """An article this issue already uses (`seen`: article id → where it is used first)."""
    if article.id not in seen:
        return None
    return warning(
        node,
        key,
        f"this article is already used at {seen[article.id]}",
        hint="remove one of the two entries",
    )


def outside_week(
    article: Article, day: date, zone: ZoneInfo, node: YNode, key: str
) -> Problem | None:
    """An article published outside the week the issue covers; one without a date of its
    own (the time it was first seen stands in) is never out of the week."""
    if article.published is None or article.date_is_guess:
        return None
    start, end = week_bounds(day, zone)
    if start <= article.published < end:
        return None
    return warning(
        node,
        key,
        f"'{article.title}' was published on {local_time(article.published, zone)}, outside "
        f"the issue's week ({start.date()} to {day})",
        hint="fine for a follow-up; otherwise pick a story from this week",
    )


def odd_file_name(path: Path) -> Problem | None:
    """A file name the build folder cannot take as it is, so it gets a safe one."""
    slug = issue_slug(path.stem)
    if slug == path.stem:
        return None
    return Problem(
        "the file name is not only ASCII letters, digits, '-' and '_', so the build "
        f"folder will be called '{slug}'",
        path=path,
        hint="name issue files for their send date, e.g. 2026-11-27.yaml "
        "(2026-11-27-fa.yaml for a second edition)",
        severity="warning",
    )


def _plain_quotes(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


def note_label(label: str, known: Sequence[str], node: YNode, key: str) -> Problem | None:
    """A note's label that is nearly, but not quite, one of the theme's (`known`): a typo
    such as "Whats Next". A label unlike any of them is the editor's own, and fine."""
    plain = {_plain_quotes(text): text for text in known}
    if _plain_quotes(label) in plain:
        return None
    close = did_you_mean(_plain_quotes(label), plain, cutoff=LABEL_LIKENESS)
    if close is None:
        return None
    return warning(
        node,
        key,
        f"the label '{label}' is not the theme's",
        hint=f"did you mean '{plain[close]}'? the theme's note labels: "
        + ", ".join(f"'{text}'" for text in known),
    )


def no_key_issue(sections: Sequence[Section], name: str, node: YNode) -> Problem | None:
    """An issue without a feature section, so without the key issue the briefing opens with
    (`name`: what the theme calls it)."""
    if any(section.layout == "feature" for section in sections):
        return None
    return warning(
        node,
        "sections",
        f"the issue has no '{name}' section",
        hint="open the issue with a section of layout: feature, the week's key issue in a "
        "body with its notes",
    )


def number_taken(number: int, day: date, path: Path, node: YNode) -> Problem | None:
    """The issue's number given to another issue file of the folder dated another day
    (editions of the same day share their number)."""
    for other, dated in issues_numbered(path.parent, number, path):
        if dated is None or dated == day:
            continue
        free = next_number(path.parent, day, skip=path)
        hint = f"this issue's number is probably {free}; "
        if free == number:
            hint = "give one of the two its own number; "
        return warning(
            node,
            "number",
            f"issue number {number} is already used by {other.name}, dated {dated}",
            hint=hint + "only editions of the same day share a number",
        )
    return None
