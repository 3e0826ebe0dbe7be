"""Stage 2 (issue file), the draft: the scaffold `newsletter draft` writes, and its number.

Takes the send date, the settings and the week's stored articles; gives the text of a new
issue file in the house style, with `TODO` placeholders where the editor writes and every
candidate article as a commented-out entry, each marked when an earlier issue (by its lock
file) featured it already; and the number the new issue takes, from the issues dated on or
before its day in the newsroom's `issues/` folder, wherever the draft is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from newsletter.config import Settings
from newsletter.issue.lockfile import lock_path
from newsletter.issue.numbers import next_number, number_and_date
from newsletter.issue.references import earlier_uses
from newsletter.models import Article
from newsletter.untrusted import clean_text
from newsletter.week import local_time, week_bounds

# next_number and number_and_date live in `numbers`; callers have long found them here.
__all__ = ["candidate_item", "draft_issue", "issues_folder", "next_number", "number_and_date"]


def issues_folder(settings: Settings) -> Path:
    """The newsroom's folder of issue files, beside its settings; drafts go there unless
    written elsewhere, and are numbered from the issues in it."""
    return settings.root / "issues"


def candidate_item(article_id: str, indent: int = 6) -> str:
    """A roundup item for one article, as an issue file writes it under `items:`: the
    article's id and a blurb line for the editor's words, indented by `indent` spaces."""
    pad = " " * indent
    blurb = "TODO One or two sentences in your own words."
    return f"{pad}- article: {article_id}\n{pad}  blurb: {blurb}\n"


def draft_issue(
    target: Path, day: date, number: int, settings: Settings, candidates: Sequence[Article]
) -> str:
    """The scaffold of a new issue in the house style: sections with placeholder text and the
    week's articles as commented-out entries, grouped by feed, newest first; articles that an
    earlier issue in the newsroom's `issues/` folder already featured say so, wherever
    `target` is."""
    author = next(iter(settings.authors), "")
    start, _ = week_bounds(day, settings.timezone)
    earlier = earlier_uses(issues_folder(settings), day, lock_path(target))
    lines = [
        f"# {settings.name}, issue {number}: the week {start.date()} to {day}.",
        "# Replace every TODO, uncomment the stories you want, then run:",
        f"#   newsletter check {target}",
        f"number: {number}",
        f"date: {day}",
        "lang: en",
        "title: TODO The Key Issue As A News Sentence In Title Case",
        "preheader: TODO One sentence on why the key issue matters, 15 to 35 words.",
        f"author: {author or 'TODO'}",
        "sections:",
        "  - heading: The Key Issue",
        "    layout: feature",
        "    items:",
        "      - body: |",
        "          TODO The lede: what happened, where and when, in one or two sentences.",
        "",
        "          TODO A second short paragraph with a quote attributed to a named source.",
        "        notes:",
        "          - label: Why It's Important",
        "            text: |",
        "              TODO Context and analysis in two to five short paragraphs.",
        "          - label: What's Next",
        "            text: |",
        "              TODO What to expect in the coming days.",
        "        # article: ID   # optional: link the story this is based on",
        "  - heading: What To Keep An Eye On",
        "    layout: feature",
        "    items:",
        "      - body: |",
        "          TODO A second, shorter topic.",
        "        notes:",
        "          - label: Why It's Important",
        "            text: |",
        "              TODO Why it deserves attention.",
        "  - heading: Stories You Might Have Missed",
        "    layout: list",
        "    items:",
    ]
    by_feed: dict[str, list[Article]] = {}
    for article in candidates:
        by_feed.setdefault(article.feed, []).append(article)
    if not by_feed:
        lines.append(
            f"      # No stored articles from {start.date()} to {day}: run `newsletter fetch`,"
        )
        lines.append("      # or see what the store holds with `newsletter articles --week DATE`.")
    for feed in sorted(by_feed):
        lines.append(f"      # --- {feed} ---")
        ordered = sorted(by_feed[feed], key=lambda a: a.published or start, reverse=True)
        for article in ordered:
            when = local_time(article.published, settings.timezone) if article.published else ""
            # One comment line whatever the store holds: YAML ends a comment at NEL and U+2028.
            title = " ".join(clean_text(article.title).split())
            used = ""
            if article.id in earlier:
                used = f"  (already in issue {earlier[article.id][0]})"
            entry, blurb = candidate_item(article.id, indent=0).splitlines()
            lines.append(f"      # {entry}   # {when}  {title}{used}")
            lines.append(f"      # {blurb}")
    lines += [
        "signoff: |",
        "  TODO A line inviting questions, comments and tips: just reply to this email.",
        "",
    ]
    return "\n".join(lines)
