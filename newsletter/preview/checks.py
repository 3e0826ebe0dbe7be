"""Entry point (preview), the pre-send checks on demand: the link check and the spam score
of an edition's latest good build, run in a worker thread when the page's buttons ask, with
the same code and the same report as `check --links --deliverability`.

One run of each kind at a time: a second click while one runs waits for it and gets the
same answer, so the newsroom's servers never see a burst from an impatient editor.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from newsletter.errors import Problem, format_problem
from newsletter.preview.workspace import Edition, Workspace


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """What `preview --allow-private` and `--connect-to` say for the link check."""

    allow_private: bool = False
    connect_to: tuple[tuple[str, int, str, int], ...] = ()


NO_OPTIONS = CheckOptions()


def _problems(problems: tuple[Problem, ...]) -> list[dict[str, Any]]:
    cache: dict[Any, list[str]] = {}
    return [{**p.to_dict(), "text": format_problem(p, cache)} for p in problems]


class Checks:
    """The link check and the spam score for the page, one run of each at a time."""

    def __init__(self, workspace: Workspace, options: CheckOptions) -> None:
        self.workspace = workspace
        self.options = options
        self._running: dict[tuple[str, str], asyncio.Future[dict[str, Any]]] = {}

    async def run(self, kind: str, edition: Edition, refresh: bool = False) -> dict[str, Any]:
        """The report of `kind` ("links" or "spam") for the edition, as JSON."""
        key = (kind, edition.slug)
        running = self._running.get(key)
        if running is None:
            work = self._links if kind == "links" else self._spam
            running = asyncio.ensure_future(asyncio.to_thread(work, edition, refresh))
            self._running[key] = running
            running.add_done_callback(lambda _: self._running.pop(key, None))
        return await asyncio.shield(running)

    def _links(self, edition: Edition, refresh: bool) -> dict[str, Any]:
        from newsletter.commands.links import check_email_links, links_to_check
        from newsletter.present import links_json, links_summary

        settings = self.workspace.settings
        if settings is None or edition.rendered is None:
            return {"error": "nothing to check until the issue and newsletter.toml build"}
        links = links_to_check(settings, edition.rendered, self.workspace.theme_folder())
        (report,) = check_email_links(
            settings,
            [(edition.path, links)],
            refresh=refresh,
            allow_private=self.options.allow_private,
            connect_to=self.options.connect_to,
        )
        return {
            "summary": links_summary([report]),
            "links": links_json(report, settings.root),
            "problems": _problems(report.problems),
        }

    def _spam(self, edition: Edition, refresh: bool) -> dict[str, Any]:
        from newsletter.commands.spam import score_issue
        from newsletter.present import spam_json

        if edition.files is None:
            return {"error": "nothing to score until the issue builds"}
        scored = score_issue(edition.path, edition.files["email.eml"])
        return {"spam": spam_json(scored), "problems": _problems(scored.problems)}


def same_origin(origin: str | None, hosts: set[str]) -> bool:
    """True for a request the preview's own page sent: its Origin is a served address. A
    page elsewhere cannot start checks (a form posted from another site carries its own)."""
    if not origin or not origin.startswith("http://"):
        return False
    return origin.removeprefix("http://").lower() in hosts
