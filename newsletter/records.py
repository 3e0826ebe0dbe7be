"""Leaf: the one place an `Article` becomes a plain record (JSON, a lock entry, a store row)
and comes back.

A record is a dict of JSON values with exactly the keys in `ARTICLE_KEYS`: `published` as ISO
8601 with its offset, `categories` a list, `image` a dict or None. `articles --json`, the lock
files and the store all go through here, so a field added to `Article` is added once.
Records read back by `article_from_record` must already be valid (the store's own, or a lock
file that `issue.lockfile` has checked); nothing here validates.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from newsletter.models import Article, Image

ARTICLE_KEYS: tuple[str, ...] = tuple(field.name for field in fields(Article))
IMAGE_KEYS: tuple[str, ...] = tuple(field.name for field in fields(Image))


def image_to_record(image: Image | None) -> dict[str, Any] | None:
    """An image as a record, or None."""
    if image is None:
        return None
    return {key: getattr(image, key) for key in IMAGE_KEYS}


def article_to_record(article: Article) -> dict[str, Any]:
    """An article as a JSON-ready record with every key of `ARTICLE_KEYS`."""
    record = {key: getattr(article, key) for key in ARTICLE_KEYS}
    record["published"] = article.published.isoformat() if article.published else None
    record["categories"] = list(article.categories)
    record["image"] = image_to_record(article.image)
    return record


def article_from_record(record: dict[str, Any]) -> Article:
    """The article a valid record describes (the inverse of `article_to_record`)."""
    image = record.get("image")
    published = record.get("published")
    return Article(
        id=str(record["id"]),
        url=str(record["url"]),
        title=str(record["title"]),
        feed=str(record["feed"]),
        published=datetime.fromisoformat(published) if published else None,
        summary_html=str(record.get("summary_html", "")),
        summary_text=str(record.get("summary_text", "")),
        author=record.get("author"),
        image=Image(**{key: image[key] for key in IMAGE_KEYS if key in image})
        if isinstance(image, dict)
        else None,
        lang=record.get("lang"),
        categories=tuple(record.get("categories", ())),
        date_is_guess=bool(record.get("date_is_guess", False)),
    )
