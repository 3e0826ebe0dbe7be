"""Leaf: the one place an `Article` becomes a plain record (JSON, a lock entry) or a store
row, and comes back.

A record is a dict of JSON values with exactly the keys in `ARTICLE_KEYS`: `published` as ISO
8601 with its offset, `categories` a list, `image` a dict or None. `articles --json`, the lock
files and the store all go through here, so a field added to `Article` is added once.
Records read back by `article_from_record` must already be valid (the store's own, or a lock
file that `issue.lockfile` has checked); nothing here validates.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from newsletter.models import Article, Image

ARTICLE_KEYS: tuple[str, ...] = tuple(field.name for field in fields(Article))
# A feed's image: an issue file's `credit` and local `file` never reach the store or a lock.
IMAGE_KEYS: tuple[str, ...] = ("url", "alt", "caption", "width", "height")


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


def utc_stamp(moment: datetime | None) -> str:
    """UTC, whole seconds, fixed width (a four-digit year even before 1000, which strftime
    does not pad): text order in SQLite is time order, and every value reads back."""
    utc = (moment or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0, tzinfo=None)
    return utc.isoformat() + "Z"


def content_hash(article: Article) -> str:
    """A digest of what a reader sees of an article: a changed one is an update."""
    image = article.image
    payload = json.dumps(
        [
            article.title,
            article.summary_html,
            article.author,
            article.published.isoformat()
            if article.published and not article.date_is_guess
            else None,
            [image.url, image.alt, image.width, image.height] if image else None,
            list(article.categories),
            article.lang,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def article_from_row(row: sqlite3.Row | Mapping[str, Any]) -> Article:
    """The article a store row holds."""
    image = None
    if row["image_url"]:
        image = Image(
            row["image_url"], row["image_alt"] or "", "", row["image_width"], row["image_height"]
        )
    return Article(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        feed=row["feed"],
        published=datetime.fromisoformat(row["published"]),
        summary_html=row["summary_html"],
        summary_text=row["summary_text"],
        author=row["author"],
        image=image,
        lang=row["lang"],
        categories=tuple(json.loads(row["categories"])),
        date_is_guess=bool(row["date_is_guess"]),
    )


ROW_COLUMNS = (
    "id",
    "url",
    "title",
    "feed",
    "published",
    "date_is_guess",
    "summary_html",
    "summary_text",
    "author",
    "image_url",
    "image_alt",
    "image_width",
    "image_height",
    "lang",
    "categories",
)


def article_to_row(article: Article) -> tuple[object, ...]:
    """The store row of an article, its values in the order of `ROW_COLUMNS`."""
    image = article.image
    return (
        article.id,
        article.url,
        article.title,
        article.feed,
        utc_stamp(article.published),
        int(article.date_is_guess),
        article.summary_html,
        article.summary_text,
        article.author,
        image.url if image else None,
        image.alt if image else None,
        image.width if image else None,
        image.height if image else None,
        article.lang,
        json.dumps(list(article.categories), ensure_ascii=False),
    )
