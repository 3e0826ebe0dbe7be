"""Stage 2 (issue file), the lock file's values: each checked before it can reach an email.

Takes the JSON node tree of a lock file of the current version (from `_json`, every value with
its line and column); gives the articles it records by id, the issue's number and date, the
ids of the articles left out, and a `Problem` for each wrong value, whose hint says how to be
rid of it without editing (`newsletter build --refresh`). A wrong value is an error and its
article is left out; text with control characters or unclosed direction marks, and summary
HTML an email must not carry, are repaired as the feed reader repairs them, with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import nh3

from newsletter._yaml import YMap, YNode, YScalar, YSeq
from newsletter.issue.schema import SchemaReader, codepoint
from newsletter.models import Article, Image
from newsletter.records import ARTICLE_KEYS, IMAGE_KEYS
from newsletter.untrusted import clean_text, terminal_text
from newsletter.urls import article_id, id_of_canonical, is_web_address

# Stories a newsroom keeps fall well inside; far from datetime's ends, where turning a time into
# the newsletter's local time overflows.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2199

_TOP = ("articles", "date", "issue", "version")
# The keys `records` writes, sorted as the file holds them and the hints list them.
_ARTICLE = tuple(sorted(ARTICLE_KEYS))
_IMAGE = tuple(sorted(IMAGE_KEYS))
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SIZE = re.compile(r"[1-9]\d{0,4}")
_NUMBER = re.compile(r"[1-9]\d{0,5}")
_URL_JUNK = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_SCHEMES = frozenset({"http", "https", "mailto"})


def _shown(text: str) -> str:
    """A value from the file, quoted for a message: short, and harmless in a terminal."""
    text = terminal_text(text)
    return f"'{text}'" if len(text) <= 40 else f"'{text[:37]}...'"


def json_kind(node: YNode) -> str:
    """What a JSON value is, for "found ...": an object, a list, the text '...', true, false,
    null or the number 7."""
    if isinstance(node, YMap):
        return "an object"
    if isinstance(node, YSeq):
        return "a list"
    if node.quoted:
        return f"the text {_shown(node.value)}"
    if node.value in {"true", "false", "null"}:
        return node.value
    return f"the number {node.value}"


class LockReader(SchemaReader):
    """Walks a lock file's nodes once, collecting every problem instead of stopping."""

    MAPPING = "an object"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        issue = path.with_name(path.name.removesuffix(".lock.json") + ".yaml")
        self.refresh = f"or use the store's version: newsletter build --refresh {issue}"
        self.ids: dict[str, str] = {}  # article id -> where it was first recorded
        self.broken: set[str] = set()  # ids of articles left out for an error

    def kind(self, node: YNode) -> str:
        """What a JSON value is, as `json_kind` says."""
        return json_kind(node)

    def quote(self, text: str) -> str:
        """A key's name, quoted for a message: short, and harmless in a terminal."""
        return _shown(text)

    def shape_hint(self, what: str, allowed: Sequence[str]) -> str:
        """The keys it has, and how to be rid of the problem without editing."""
        return f"{super().shape_hint(what, allowed)}; {self.refresh}"

    def unknown_key_path(self, key: str, name: str) -> str:
        """An unknown key is reported at the object's key path, none at the top."""
        return key

    def text(
        self, node: YNode | None, key: str, parent: YNode, *, required: bool, nullable: bool
    ) -> str | None:
        """A string, cleaned like feed text (a warning says when that changed it)."""
        if node is None:
            if required:
                self.missing(parent, key, f"write it back, {self.refresh}")
            return None
        if isinstance(node, YScalar) and node.is_null and nullable:
            return None
        if not isinstance(node, YScalar) or not node.quoted:
            self.expected(node, key, "text", f"write the text in double quotes, {self.refresh}")
            return None
        if required and not node.value.strip():
            self.error(node, key, "expected text, found nothing", f"write it back, {self.refresh}")
            return None
        cleaned = clean_text(node.value)
        if cleaned != node.value:
            marks = dict.fromkeys(
                codepoint(char) for char in node.value if clean_text(char) != char
            )
            self.warn(
                node,
                key,
                f"the text holds control characters or unclosed direction marks "
                f"({', '.join(list(marks)[:5])}); the build uses a cleaned copy",
                hint=f"the next build records the cleaned text; {self.refresh}",
            )
        return cleaned

    def address(self, node: YNode | None, key: str, parent: YNode, hint: str) -> str | None:
        """A full http(s) URL with a host and nothing a link cannot hold (never cleaned: a
        changed address is a different address)."""
        if node is None:
            self.missing(parent, key, f"{hint}, {self.refresh}")
            return None
        value = node.value if isinstance(node, YScalar) and node.quoted else ""
        if not is_web_address(value) or _URL_JUNK.search(value) or value != clean_text(value):
            found = _shown(value) if value else json_kind(node)
            self.error(
                node, key, f"expected an http(s) URL, found {found}", f"{hint}, {self.refresh}"
            )
            return None
        return value

    def moment(self, node: YNode | None, key: str) -> datetime | None:
        """An aware time within the plausible years, in UTC; None when not given."""
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return None
        example = '"2026-11-24T10:00:00+00:00"'
        if not isinstance(node, YScalar) or not node.quoted:
            self.expected(node, key, "a time as text", f"write it as {example}, {self.refresh}")
            return None
        try:
            moment = datetime.fromisoformat(node.value)
        except ValueError:
            self.error(
                node,
                key,
                f"expected a time like 2026-11-24T10:00:00+00:00, found {_shown(node.value)}",
                hint=f"write it as {example}, {self.refresh}",
            )
            return None
        if moment.utcoffset() is None:
            self.error(
                node,
                key,
                f"the time {_shown(node.value)} has no UTC offset",
                hint=f"add one, e.g. {example} for UTC, {self.refresh}",
            )
            return None
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            self.error(
                node,
                key,
                f"the time {_shown(node.value)} is not between the years {EARLIEST_YEAR} "
                f"and {LATEST_YEAR}",
                hint=f"check the year, {self.refresh}",
            )
            return None
        return moment.astimezone(UTC)

    def size(self, node: YNode | None, key: str) -> int | None:
        """An image's width or height in pixels; None when not given or null."""
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return None
        if isinstance(node, YScalar) and not node.quoted and _SIZE.fullmatch(node.value):
            return int(node.value)
        self.expected(
            node,
            key,
            "a size in pixels (a whole number from 1 to 99999)",
            f"e.g. 1200, or null when it is not known; {self.refresh}",
        )
        return None

    def flag(self, node: YNode | None, key: str) -> bool:
        """true or false, unquoted; false when not given."""
        if node is None:
            return False
        if isinstance(node, YScalar) and not node.quoted and node.value in {"true", "false"}:
            return node.value == "true"
        self.expected(
            node, key, "true or false", f"write true or false without quotes, {self.refresh}"
        )
        return False

    def categories(self, node: YNode | None, key: str) -> tuple[str, ...]:
        """A list of texts, each cleaned like feed text."""
        if node is None:
            return ()
        if not isinstance(node, YSeq):
            self.expected(
                node, key, "a list of texts", f'e.g. ["Economy", "Media"], {self.refresh}'
            )
            return ()
        out = []
        for index, child in enumerate(node.items):
            text = self.text(child, f"{key}[{index}]", node, required=False, nullable=False)
            if text is not None:
                out.append(text)
        return tuple(out)

    def summary(self, node: YNode | None, key: str, parent: YNode) -> str:
        """Summary HTML, sanitised as the feed reader sanitises it (a warning says when that
        changed it)."""
        text = self.text(node, key, parent, required=False, nullable=False)
        if text is None:
            return ""
        # Nothing shows a summary in the email today (the template context has no place for
        # it); it is made safe anyway, so that a theme that shows it one day cannot be handed
        # a script by a lock file. nh3's defaults with web and mail links only leave the HTML
        # the feed reader keeps unchanged. A repair, not an error: had the check a blind spot
        # that flagged clean HTML, an error would stop builds until the feed changed.
        safe: str = nh3.clean(text, url_schemes=_SCHEMES)
        if safe != text and node is not None:
            self.warn(
                node,
                key,
                "the summary holds HTML an email must not carry (a script, an event handler, "
                "a link that is not http(s)); the build keeps a sanitised copy",
                hint=f"the next build records the sanitised copy; {self.refresh}",
            )
        return safe

    # -- the file ----------------------------------------------------------------------------

    def lock(self, root: YMap) -> tuple[dict[str, Article], int | None, date | None]:
        """The articles recorded without an error, by id, and the issue's number and date."""
        top = self.fields(root, "", _TOP, "a lock file")
        if top is None:  # pragma: no cover - the caller passes an object
            return {}, None, None
        number = self.number(top.get("issue"), root)
        day = self.day(top.get("date"), root)
        articles: dict[str, Article] = {}
        node = top.get("articles")
        if node is None:
            self.missing(root, "articles", f"delete the lock file, {self.refresh}")
        elif not isinstance(node, YSeq):
            self.expected(
                node, "articles", "a list of articles", f"delete the lock file, {self.refresh}"
            )
        else:
            for index, child in enumerate(node.items):
                article = self.article(child, f"articles[{index}]")
                if article is not None:
                    articles[article.id] = article
        return articles, number, day

    def number(self, node: YNode | None, root: YNode) -> int | None:
        """The issue's number, a whole number of 1 or more."""
        if node is None:
            self.missing(root, "issue", f"the issue's number, e.g. 42, {self.refresh}")
            return None
        if isinstance(node, YScalar) and not node.quoted and _NUMBER.fullmatch(node.value):
            return int(node.value)
        self.expected(
            node,
            "issue",
            "the issue's number (a whole number, 1 or more)",
            f"write the number in the issue file, e.g. 42, {self.refresh}",
        )
        return None

    def day(self, node: YNode | None, root: YNode) -> date | None:
        """The issue's date, as text written YYYY-MM-DD."""
        if node is None:
            self.missing(root, "date", f'the issue\'s date, e.g. "2026-11-27", {self.refresh}')
            return None
        if isinstance(node, YScalar) and node.quoted and _DATE.fullmatch(node.value):
            try:
                return date.fromisoformat(node.value)
            except ValueError:
                pass
        self.expected(
            node,
            "date",
            "a date as YYYY-MM-DD",
            f'write the date in the issue file, e.g. "2026-11-27", {self.refresh}',
        )
        return None

    def article(self, node: YNode, key: str) -> Article | None:
        """One recorded article, or None when any of its values is wrong."""
        fields = self.fields(node, key, _ARTICLE, "an article")
        if fields is None:
            return None
        before = self.error_count()
        article_id_node = fields.get("id")
        ident = self.text(article_id_node, f"{key}.id", node, required=True, nullable=False)
        url = self.address(
            fields.get("url"), f"{key}.url", node, "write the article's full https:// address"
        )
        title = self.text(fields.get("title"), f"{key}.title", node, required=True, nullable=False)
        feed = self.text(fields.get("feed"), f"{key}.feed", node, required=True, nullable=False)
        published = self.moment(fields.get("published"), f"{key}.published")
        summary_html = self.summary(fields.get("summary_html"), f"{key}.summary_html", node)
        summary_text = self.text(
            fields.get("summary_text"), f"{key}.summary_text", node, required=False, nullable=False
        )
        author = self.text(
            fields.get("author"), f"{key}.author", node, required=False, nullable=True
        )
        image = self.image(fields.get("image"), f"{key}.image")
        lang = self.text(fields.get("lang"), f"{key}.lang", node, required=False, nullable=True)
        categories = self.categories(fields.get("categories"), f"{key}.categories")
        date_is_guess = self.flag(fields.get("date_is_guess"), f"{key}.date_is_guess")
        if ident is not None and url is not None and article_id_node is not None:
            # The id is made from the URL: one without the other is a link to a page that
            # the issue file's `article:` does not name (or an edit half done).
            if ident not in {id_of_canonical(url), article_id(url)}:
                self.error(
                    article_id_node,
                    f"{key}.id",
                    f"the id {_shown(ident)} is not the id of the article's url, "
                    f"which is '{article_id(url)}'",
                    hint=f"one of the two was changed: put it back, {self.refresh}",
                )
            elif ident in self.ids:
                self.error(
                    article_id_node,
                    f"{key}.id",
                    f"the article {_shown(ident)} is recorded twice, also at {self.ids[ident]}",
                    hint=f"delete one of the two, {self.refresh}",
                )
            else:
                self.ids[ident] = key
        if self.error_count() > before or ident is None or url is None:
            self.broken.update(i for i in (ident, url and article_id(url)) if i)
            return None
        return Article(
            id=ident,
            url=url,
            title=title or "",
            feed=feed or "",
            published=published,
            summary_html=summary_html,
            summary_text=summary_text or "",
            author=author,
            image=image,
            lang=lang,
            categories=categories,
            date_is_guess=date_is_guess,
        )

    def image(self, node: YNode | None, key: str) -> Image | None:
        """An article's image, or None when not given, null or wrong."""
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return None
        fields = self.fields(node, key, _IMAGE, "an image")
        if fields is None:
            return None
        url = self.address(
            fields.get("url"),
            f"{key}.url",
            node,
            "email clients only load images from full https:// addresses",
        )
        alt = self.text(fields.get("alt"), f"{key}.alt", node, required=False, nullable=False)
        caption = self.text(
            fields.get("caption"), f"{key}.caption", node, required=False, nullable=False
        )
        width = self.size(fields.get("width"), f"{key}.width")
        height = self.size(fields.get("height"), f"{key}.height")
        return Image(url, alt or "", caption or "", width, height) if url else None
