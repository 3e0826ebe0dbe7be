"""Stage 4 (delivery), the build folder: a `RenderedIssue` → build/<date>/ with email.html,
email.txt, email.eml and report.json.

The placeholders become the newsroom's real links here (unsubscribe page, the archive copy
of this issue). Every file is written atomically; the issue was fully rendered in memory
before the first byte is written, so a failed build writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from newsletter.config import Settings
from newsletter.deliver.eml import build_message
from newsletter.errors import Problem
from newsletter.files import write_atomic
from newsletter.models import Receipt, RenderedIssue
from newsletter.placeholders import fill_placeholders


def view_url(settings: Settings, rendered: RenderedIssue) -> str:
    """Where the web copy of this issue lives in the archive."""
    return settings.archive_url.rstrip("/") + f"/{rendered.issue.slug}/"


def write_build(
    rendered: RenderedIssue,
    settings: Settings,
    out_dir: Path,
    warnings: Sequence[Problem] = (),
) -> Receipt:
    """Write the build folder for one issue and return where it went. `report.json` lists
    the issue file's `warnings` and the email lint's findings."""
    folder = out_dir / rendered.issue.slug
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
    write_atomic(folder / "email.html", html)
    write_atomic(folder / "email.txt", text)
    write_atomic(folder / "email.eml", eml)
    write_atomic(folder / "report.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return Receipt(
        str(folder),
        f"email.html {sizes.html_bytes // 1024} KB, email.txt, email.eml, report.json",
    )
