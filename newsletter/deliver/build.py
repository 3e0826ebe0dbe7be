"""Stage 4 (delivery), the build folder: a `RenderedIssue` → the bytes of email.html,
email.txt, email.eml and report.json (`build_files`), then build/<name>/ on disk
(`write_build`).

The placeholders become the newsroom's real links here (unsubscribe page, the archive copy
of this issue). The files are made in memory first, so the preview can serve exactly what a
build writes, and a failed build writes nothing; every file is written atomically.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from newsletter.config import Settings
from newsletter.deliver.eml import build_message
from newsletter.errors import Problem
from newsletter.files import named, write_folder
from newsletter.models import RenderedIssue
from newsletter.placeholders import fill_placeholders

FILE_NAMES = ("email.html", "email.txt", "email.eml", "report.json")


@dataclass(frozen=True, slots=True)
class BuildFiles:
    """The files of one build, made but not yet written: the folder name (the issue's slug)
    and each file's bytes by name, in `FILE_NAMES` order."""

    slug: str
    files: tuple[tuple[str, bytes], ...]

    def __getitem__(self, name: str) -> bytes:
        """The bytes of one file, by name (`email.html`, …)."""
        return named(self.files, name)


def view_url(settings: Settings, rendered: RenderedIssue) -> str:
    """Where the web copy of this issue lives in the archive."""
    return settings.archive_url.rstrip("/") + f"/{rendered.issue.slug}/"


def build_files(
    rendered: RenderedIssue, settings: Settings, warnings: Sequence[Problem] = ()
) -> BuildFiles:
    """The four files of a build, in memory. `report.json` lists the issue file's
    `warnings` and the email lint's findings."""
    links = {
        "unsubscribe": settings.unsubscribe_url,
        "view_in_browser": view_url(settings, rendered),
    }
    html = fill_placeholders(rendered.html, **links)
    text = fill_placeholders(rendered.text, **links)
    eml = build_message(rendered, settings, html, text)
    sizes = rendered.sizes
    report = {
        "issue": rendered.issue.number,
        "date": rendered.issue.date.isoformat(),
        "slug": rendered.issue.slug,
        "subject": rendered.subject,
        "preheader": rendered.preheader,
        "source": str(rendered.issue.source),
        "articles": [article.id for article in rendered.issue.articles],
        "sizes": {
            "html_bytes": sizes.html_bytes,
            "style_bytes": sizes.style_bytes,
            "text_bytes": len(text.encode("utf-8")),
            "eml_bytes": len(eml),
        },
        "problems": [problem.to_dict() for problem in (*warnings, *rendered.checks)],
    }
    report_text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    contents = (html.encode("utf-8"), text.encode("utf-8"), eml, report_text.encode("utf-8"))
    return BuildFiles(rendered.issue.slug, tuple(zip(FILE_NAMES, contents, strict=True)))


def write_build(built: BuildFiles, out_dir: Path) -> Path:
    """Write a build's files to out_dir/<slug>/ and return that folder."""
    return write_folder(out_dir / built.slug, built.files, "the build")
