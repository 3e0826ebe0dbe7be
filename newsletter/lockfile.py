"""Stage 2 (issue file), the lock file: the articles an issue used, frozen beside it.

`issues/2026-11-27.yaml` gets `issues/2026-11-27.lock.json` when it is built: every stored
article it refers to, with everything the renderer reads of it. Reading the issue again takes
its articles from the lock first, so an old issue rebuilds byte for byte after the store was
deleted or a feed rewrote a story; `newsletter build --refresh` takes the store's versions.
The lock files of the other issues also tell which articles were already featured.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from newsletter.errors import Problem
from newsletter.models import Article, Image

VERSION = 1


def lock_path(issue_path: Path) -> Path:
    """Where the lock file of an issue file lives: beside it, `.yaml` → `.lock.json`."""
    return issue_path.with_name(issue_path.stem + ".lock.json")


def _article_to_json(article: Article) -> dict[str, Any]:
    data = asdict(article)
    data["published"] = article.published.isoformat() if article.published else None
    data["categories"] = list(article.categories)
    return data


def _article_from_json(data: dict[str, Any]) -> Article:
    image = data.get("image")
    return Article(
        id=str(data["id"]),
        url=str(data["url"]),
        title=str(data["title"]),
        feed=str(data["feed"]),
        published=datetime.fromisoformat(data["published"]) if data.get("published") else None,
        summary_html=str(data.get("summary_html", "")),
        summary_text=str(data.get("summary_text", "")),
        author=data.get("author"),
        image=Image(**image) if isinstance(image, dict) else None,
        lang=data.get("lang"),
        categories=tuple(data.get("categories", ())),
        date_is_guess=bool(data.get("date_is_guess", False)),
    )


def lock_text(number: int, day: date, articles: tuple[Article, ...]) -> str:
    """The lock file's text for an issue: stable key order, one article per entry."""
    unique = {article.id: article for article in articles}
    payload = {
        "version": VERSION,
        "issue": number,
        "date": day.isoformat(),
        "articles": [_article_to_json(article) for article in unique.values()],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def read_lock(path: Path) -> tuple[dict[str, Article], int | None, date | None, list[Problem]]:
    """The articles recorded in a lock file by id, its issue number and date; a damaged file
    is a problem, never a crash, and is treated as empty."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, None, None, []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, None, None, [_damaged(path, str(exc))]
    try:
        if data.get("version") != VERSION:
            return {}, None, None, [_damaged(path, f"unknown version {data.get('version')!r}")]
        articles = {}
        for entry in data["articles"]:
            article = _article_from_json(entry)
            articles[article.id] = article
        return articles, int(data["issue"]), date.fromisoformat(data["date"]), []
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        return {}, None, None, [_damaged(path, f"{type(exc).__name__}: {exc}")]


def _damaged(path: Path, detail: str) -> Problem:
    return Problem(
        f"the lock file cannot be read ({detail}); the store's articles are used instead",
        path=path,
        hint="delete it and run `newsletter build` to record the articles again",
        severity="warning",
    )


def earlier_uses(folder: Path, before: date, skip: Path) -> dict[str, tuple[int, date]]:
    """For each article id, the latest earlier issue (number, date) whose lock lists it."""
    used: dict[str, tuple[int, date]] = {}
    for path in sorted(folder.glob("*.lock.json")):
        if path == skip:
            continue
        articles, number, day, problems = read_lock(path)
        if problems or number is None or day is None or day >= before:
            continue
        for article_id in articles:
            if article_id not in used or used[article_id][1] < day:
                used[article_id] = (number, day)
    return used
