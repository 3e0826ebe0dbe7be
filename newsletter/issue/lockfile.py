"""Stage 2 (issue file), the lock file: the articles an issue used, frozen beside it.

`issues/2026-11-27.yaml` gets `issues/2026-11-27.lock.json` when it is built: every stored
article it refers to, with everything the renderer reads of it. Reading the issue again takes
its articles from the lock first, so an old issue rebuilds byte for byte after the store was
deleted or a feed rewrote a story; `newsletter build --refresh` takes the store's versions.
The lock files of the other issues also tell which articles were already featured.

A lock file is input like an issue file: it can be edited by hand or damaged, and what it says
goes into the email. So it is checked value by value, each problem at its line and column:

- A file that cannot be read as a lock at all (not UTF-8, not JSON, too large, nested too deep,
  another version) is a *warning*: nothing of it is used, the store's articles are, exactly as
  for an issue built the first time, and the build records them over it.
- In a file that reads, a wrong value is an *error*: it would go into the email (a
  `javascript:` link, a time that crashes the week check), and quietly taking the store's copy
  of that one article instead would change an old issue without anyone deciding to.
- Two things are repaired, with a warning, as the feed reader repairs them: text with
  control characters or unclosed direction marks goes through `untrusted.clean_text`, and
  summary HTML through nh3. The build then records the cleaned copy, so the warning is seen
  once, not at every build.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import nh3

from newsletter._json import JSONRefused, load_json
from newsletter._yaml import YMap, YNode, YScalar, YSeq
from newsletter.errors import Problem, has_errors
from newsletter.issue.schema import SchemaReader
from newsletter.models import Article, Image, Span
from newsletter.records import ARTICLE_KEYS, IMAGE_KEYS, article_to_record
from newsletter.untrusted import clean_text, terminal_text
from newsletter.urls import article_id, id_of_canonical

VERSION = 1
# A lock holds the articles of one issue, some kilobytes each; a file this large is not one,
# and reading it would only cost memory and time.
MAX_BYTES = 10 * 1024 * 1024
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


@dataclass(frozen=True, slots=True)
class Lock:
    """What a lock file gave: its articles by id (only those recorded without an error), the
    issue's number and date, every problem found, and the ids of the articles left out."""

    articles: dict[str, Article]
    number: int | None = None
    day: date | None = None
    problems: tuple[Problem, ...] = ()
    broken: frozenset[str] = frozenset()


def lock_path(issue_path: Path) -> Path:
    """Where the lock file of an issue file lives: beside it, `.yaml` → `.lock.json`."""
    return issue_path.with_name(issue_path.stem + ".lock.json")


def lock_text(number: int, day: date, articles: tuple[Article, ...]) -> str:
    """The lock file's text for an issue: stable key order, one article per entry."""
    unique = {article.id: article for article in articles}
    payload = {
        "version": VERSION,
        "issue": number,
        "date": day.isoformat(),
        "articles": [article_to_record(article) for article in unique.values()],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _shown(text: str) -> str:
    """A value from the file, quoted for a message: short, and harmless in a terminal."""
    text = terminal_text(text)
    return f"'{text}'" if len(text) <= 40 else f"'{text[:37]}...'"


def _kind(node: YNode) -> str:
    if isinstance(node, YMap):
        return "an object"
    if isinstance(node, YSeq):
        return "a list"
    if node.quoted:
        return f"the text {_shown(node.value)}"
    if node.value in {"true", "false", "null"}:
        return node.value
    return f"the number {node.value}"


class _LockReader(SchemaReader):
    """Walks a lock file's nodes once, collecting every problem instead of stopping."""

    MAPPING = "an object"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        issue = path.with_name(path.name.removesuffix(".lock.json") + ".yaml")
        self.refresh = f"or use the store's version: newsletter build --refresh {issue}"
        self.ids: dict[str, str] = {}  # article id -> where it was first recorded
        self.broken: set[str] = set()  # ids of articles left out for an error

    def kind(self, node: YNode) -> str:
        """What a JSON value is, for "found ...": an object, the text '...', the number 7."""
        return _kind(node)

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
                f"U+{ord(char):04X}" for char in node.value if clean_text(char) != char
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
        try:
            parts = urlsplit(value)
            _ = parts.port  # raises for a port out of range
        except ValueError:  # that, or a broken [IPv6] host
            parts = urlsplit("")
        ok = value.startswith(("http://", "https://")) and bool(parts.hostname)
        if not ok or _URL_JUNK.search(value) or value != clean_text(value):
            found = _shown(value) if value else _kind(node)
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
        if node is None:
            return False
        if isinstance(node, YScalar) and not node.quoted and node.value in {"true", "false"}:
            return node.value == "true"
        self.expected(
            node, key, "true or false", f"write true or false without quotes, {self.refresh}"
        )
        return False

    def categories(self, node: YNode | None, key: str) -> tuple[str, ...]:
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


def read_lock(path: Path) -> Lock:
    """What a lock file records, and every problem found in it; never raises for a damaged
    file. A file that cannot be read as a lock gives no articles and a warning; a wrong value
    is an error, and its article is left out."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return Lock({})
    except OSError as exc:
        return _unreadable(path, exc.strerror or type(exc).__name__)
    if len(data) > MAX_BYTES:
        detail = f"it is over {MAX_BYTES // 1024 // 1024} MB; a lock file is far smaller"
        return _unreadable(path, detail)
    try:
        text = data.decode("utf-8-sig")  # an editor's byte order mark is not an error
    except UnicodeDecodeError as exc:
        return _unreadable(path, f"not UTF-8 text: {exc.reason}")
    try:
        root = load_json(path, text)
    except json.JSONDecodeError as exc:
        span = Span(path, exc.lineno, exc.colno)
        return _unreadable(path, f"not JSON: {exc.msg}", span)
    except JSONRefused as exc:
        return _unreadable(path, str(exc))
    if not isinstance(root, YMap):
        return _unreadable(path, f"expected an object, found {_kind(root)}")
    # Checked before anything else: another version's keys are not mistakes in this one's.
    version = next((value for name, value in root.pairs if name.value == "version"), None)
    if version is None:
        return _unreadable(path, "it has no version")
    if not (isinstance(version, YScalar) and not version.quoted and version.value == str(VERSION)):
        return _unreadable(
            path, f"expected version {VERSION}, found {_kind(version)}", version.span
        )
    reader = _LockReader(path)
    articles, number, day = reader.lock(root)
    return Lock(articles, number, day, tuple(reader.problems), frozenset(reader.broken))


def _unreadable(path: Path, detail: str, span: Span | None = None) -> Lock:
    # A warning, not an error: nothing of the file is used, so the email is the one the store
    # gives, as for an issue built the first time.
    problem = Problem(
        f"the lock file cannot be read ({detail}); the store's articles are used instead",
        span=span,
        path=path,
        hint="the next `newsletter build` records the store's articles over it; to keep the "
        "recorded ones, restore the file first (e.g. from version control)",
        severity="warning",
    )
    return Lock({}, problems=(problem,))


def earlier_uses(folder: Path, before: date, skip: Path) -> dict[str, tuple[int, date]]:
    """For each article id, the latest earlier issue (number, date) whose lock lists it.
    A lock file with errors, or one that cannot be read, is passed over."""
    used: dict[str, tuple[int, date]] = {}
    for path in sorted(folder.glob("*.lock.json")):
        if path == skip:
            continue
        lock = read_lock(path)
        number, day = lock.number, lock.day
        if has_errors(lock.problems) or number is None or day is None or day >= before:
            continue
        for ident in lock.articles:
            if ident not in used or used[ident][1] < day:
                used[ident] = (number, day)
    return used
