"""Stage 2 (issue file), references: the stored articles an issue's `article:` can name.

Takes the store (anything with `get`, `similar` and `has_articles`), the issue's lock file as
read, and the folder of issues; gives the article a reference names, the lock file's copy
first so that an old issue rebuilds the same, with what the editor should know of it: an
error with the nearest id or URL when it names none; warnings when the store's copy has
changed since the last build, and the `rules` on articles (featured in an earlier issue, by
their lock files, used twice, published outside the week).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from newsletter._yaml import YNode, YScalar
from newsletter.errors import Problem
from newsletter.issue import rules
from newsletter.issue.lockfile import Lock, lock_path
from newsletter.issue.schema import warning
from newsletter.models import Article
from newsletter.suggest import did_you_mean
from newsletter.urls import article_id

# What `check` compares of the lock file's copy and the store's, in the order it names them.
_COMPARED = ("title", "url", "author", "image", "published", "summary_html", "categories", "lang")


class ArticleSource(Protocol):
    """What the issue reader needs of the store: look an article up, list them for hints."""

    def get(self, id_or_url: str) -> Article | None:
        """The article with this id or URL, or None."""
        ...

    def similar(self, ref: str) -> list[Article]:
        """A few stored articles spelled like `ref` (never all of them)."""
        ...

    def has_articles(self) -> bool:
        """True when at least one article is stored."""
        ...


class References:
    """The articles one issue file can name: its lock file's, then the store's."""

    def __init__(self, path: Path, articles: ArticleSource, lock: Lock, zone: ZoneInfo) -> None:
        self.path = path
        self.articles = articles
        self.lock = lock
        self.zone = zone  # the newsletter's, in which the issue's week runs
        self._earlier_found: Mapping[str, tuple[int, date]] | None = None

    def resolve(
        self, node: YScalar, key: str, day: date | None, seen: dict[str, str]
    ) -> tuple[Article | None, list[Problem]]:
        """The article an id or URL names, and the problems to report with it; `seen` maps
        the ids used so far in the issue to where, and gets this one."""
        ref = node.value.strip()
        wanted = article_id(ref) if "://" in ref else ref.lower()
        locked, stored = self.lock.articles.get(wanted), self.articles.get(ref)
        found = locked or stored
        if found is None:
            if wanted in self.lock.broken:
                return None, []  # not "no stored article": the lock file's entry is reported
            hint = self._hint(ref)
            return None, [Problem(f"no stored article '{ref}'", span=node.span, key=key, hint=hint)]
        problems = [
            self._changed(node, key, locked, stored),
            rules.already_featured(found, self._earlier(day), node, key) if day else None,
            rules.used_twice(found, seen, node, key),
            rules.outside_week(found, day, self.zone, node, key) if day else None,
        ]
        seen.setdefault(found.id, key)
        return found, [problem for problem in problems if problem is not None]

    def _changed(
        self, node: YNode, key: str, locked: Article | None, stored: Article | None
    ) -> Problem | None:
        if locked is None or stored is None or locked == stored:
            return None
        fields = [name for name in _COMPARED if getattr(locked, name) != getattr(stored, name)]
        return warning(
            node,
            key,
            f"the store's copy of this article has changed ({', '.join(fields or ['details'])}) "
            f"since the issue was built; the build keeps the copy in {lock_path(self.path).name}",
            hint=f"to use the store's version: newsletter build --refresh {self.path}",
        )

    def _earlier(self, day: date) -> Mapping[str, tuple[int, date]]:
        if self._earlier_found is None:  # once: every article of an issue has the issue's date
            self._earlier_found = earlier_uses(self.path.parent, day, lock_path(self.path))
        return self._earlier_found

    def _hint(self, ref: str) -> str:
        if not self.articles.has_articles():
            return "the store is empty: run `newsletter fetch` first"
        # The articles spelled most like the reference, found by the store's indexes: the
        # hint never reads every stored article, however many the store holds.
        near = self.articles.similar(ref)
        if "://" in ref:
            urls = {a.url: a for a in near}
            close = did_you_mean(ref, urls, cutoff=0.7)
            if close:
                return (
                    f'did you mean {close} ("{urls[close].title}")? '
                    "`newsletter articles` lists them."
                )
            return (
                f"no stored article has that address (id {article_id(ref)}); "
                "`newsletter articles --search WORD` finds one"
            )
        by_id = {a.id: a for a in near}
        close = did_you_mean(ref.lower(), by_id)
        if close:
            return (
                f'did you mean {close} ("{by_id[close].title}")? `newsletter articles` lists them.'
            )
        return "`newsletter articles` lists the stored articles and their ids"


def earlier_uses(folder: Path, before: date, skip: Path) -> Mapping[str, tuple[int, date]]:
    """For each article id, the latest earlier issue (number, date) whose lock lists it.
    A lock file with errors, or one that cannot be read, is passed over."""
    from newsletter.issue.folder import folder_facts

    return folder_facts(folder).earlier_uses(before, skip)
