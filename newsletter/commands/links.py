"""Command `check --links` (and `build --check-links`): issues checked and rendered → every
link of their emails tried, and the problems at the places the links were written.

Takes the settings and the rendered issues; gives an `IssueLinks` per issue file. The links of
all the files are tried together, each distinct address once, under the fetcher's per-host
limit; the store remembers the answers for `[links] cache_hours`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsletter.config import Settings
from newsletter.errors import Problem
from newsletter.linkcheck import check_links, link_problems
from newsletter.linkcheck.found import EmailLink, email_links
from newsletter.models import LinkCheck, RenderedIssue
from newsletter.store import open_store


@dataclass(frozen=True, slots=True)
class CheckedLink:
    """One link of an email, where it was written, and what trying it found."""

    link: EmailLink
    result: LinkCheck


@dataclass(frozen=True, slots=True)
class IssueLinks:
    """An issue file's links, in the order its email shows them, and their problems."""

    path: Path
    links: tuple[CheckedLink, ...]
    problems: tuple[Problem, ...]


def links_to_check(
    settings: Settings, rendered: RenderedIssue, theme_folder: Path | None
) -> tuple[EmailLink, ...]:
    """The distinct links of a rendered email, with where each was written."""
    return email_links(rendered, settings, theme_folder)


def count_links(emails: Sequence[tuple[Path, Sequence[EmailLink]]]) -> int:
    """How many distinct addresses the emails hold between them (the progress bar's total)."""
    return len({link.url for _, links in emails for link in links})


def check_email_links(
    settings: Settings,
    emails: Sequence[tuple[Path, Sequence[EmailLink]]],
    *,
    refresh: bool = False,
    allow_private: bool = False,
    connect_to: tuple[tuple[str, int, str, int], ...] = (),
    on_link: Callable[[str], None] = lambda url: None,
) -> tuple[IssueLinks, ...]:
    """Try every distinct link of the emails (an issue file and its links each) once."""
    urls = [link.url for _, links in emails for link in links]
    with open_store(settings.store) as store:
        results = check_links(
            urls,
            store,
            limits=settings.links,
            fetch=settings.fetch,
            refresh=refresh,
            allow_private=allow_private,
            connect_to=connect_to,
            on_link=on_link,
        )
    reports = []
    for path, links in emails:
        checked = tuple(CheckedLink(link, results[link.url]) for link in links)
        problems = [p for c in checked for p in link_problems(c.link, c.result)]
        reports.append(IssueLinks(path, checked, tuple(sorted(problems, key=Problem.sort_key))))
    return tuple(reports)
