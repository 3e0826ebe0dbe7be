"""Stage 2, the issue file: `issues/*.yaml` → `Issue`, and the scaffold `newsletter draft` writes.

Takes the YAML node tree from `_yaml`, the settings and something that can look up stored
articles; gives a frozen `Issue` with every reference resolved, or raises `ProblemsError`
with *every* mistake in the file (unknown keys, wrong types, bad dates, unknown articles and
authors), each at its line and column with a hint. Warnings (editorial checks) ride along on
the result so `check` can print them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from newsletter._yaml import (
    SECOND_DOCUMENT,
    YNode,
    YScalar,
    YSeq,
    control_character_problem,
    load_yaml,
)
from newsletter.config import Settings
from newsletter.errors import Problem, ProblemsError, has_errors
from newsletter.issue.draft import draft_issue, next_number
from newsletter.issue.lockfile import Lock, earlier_uses, lock_path, lock_text, read_lock
from newsletter.issue.schema import CONTROL, YamlReader
from newsletter.labels import LABEL_KEYS, label_placeholder_problem
from newsletter.models import (
    Article,
    Author,
    Image,
    Issue,
    Item,
    Note,
    Section,
    Span,
    issue_slug,
)
from newsletter.suggest import did_you_mean
from newsletter.urls import article_id
from newsletter.week import local_time, week_bounds

__all__ = [
    "MAX_ISSUE_BYTES",
    "ArticleSource",
    "CheckedIssue",
    "Lock",
    "draft_issue",
    "lock_path",
    "lock_text",
    "next_number",
    "read_issue",
    "read_lock",
]

LAYOUTS = ("feature", "list")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# The word the draft marks its placeholders with, as a word: "TODOS los días" is Spanish.
_PLACEHOLDER = re.compile(r"\bTODO\b")
# A weekly issue is 5-20 KB. Just under 256 KB, a build of 2,180 roundup items took 2.1 s and
# of the slowest Markdown known (a body of nothing but `![`, slow in markdown-it) 15 s; at
# 1 MB the same took 6 s and 64 s.
MAX_ISSUE_BYTES = 256 * 1024
# Link targets in Markdown: [text](target, <scheme:autolink>, and a reference definition
# "[label]: target" at the start of a line. Written to run in linear time: an autolink
# stops at the next "<", a label at the next bracket.
_MD_LINK = re.compile(
    r"\]\(\s*<?([^)\s>]*)"
    r"|<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^<>\s]*)>"
    r"|^ {0,3}\[(?:[^\[\]\\]|\\.){1,999}\]:[ \t]*\n?[ \t]*<?([^\s>]+)",
    re.MULTILINE,
)
# A Markdown image: ![alt]( or ![alt][ (alt text with one level of brackets, bounded so
# that a run of "![[a]" stays linear), or ![label] alone when label is defined.
_MD_IMAGE = re.compile(r"!\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.){0,999}\]){0,999})\]([(\[])?")
_TO_PARENTHESIS = re.compile(r"[^)\n]{0,2000}\)?")
_LINK_SCHEMES = ("http://", "https://", "mailto:")

_TOP = (
    "number",
    "date",
    "lang",
    "title",
    "subject",
    "preheader",
    "author",
    "hero",
    "sections",
    "signoff",
    "labels",
)
_SECTION = ("heading", "layout", "items")
_ITEM = ("article", "url", "title", "image", "body", "blurb", "notes")
_NOTE = ("label", "text")
_IMAGE = ("url", "alt", "caption", "width", "height")
_AUTHOR = ("name", "role", "bio")


class ArticleSource(Protocol):
    """What the issue reader needs of the store: look an article up, list them for hints."""

    def get(self, id_or_url: str) -> Article | None:
        """The article with this id or URL, or None."""
        ...

    def all_articles(self) -> list[Article]:
        """Every stored article, newest first."""
        ...


@dataclass(frozen=True, slots=True)
class CheckedIssue:
    """An issue that has no errors, with the warnings found on the way."""

    issue: Issue
    warnings: tuple[Problem, ...]


class _Reader(YamlReader):
    """Walks the node tree once, collecting problems instead of stopping at the first."""

    def __init__(
        self,
        path: Path,
        text: str,
        settings: Settings,
        articles: ArticleSource,
        locked: dict[str, Article],
        broken: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(path, text)
        self.settings = settings
        self.articles = articles
        self.locked = locked
        self.broken = broken  # ids whose entry in the lock file has errors (reported there)
        self._earlier: dict[str, tuple[int, date]] | None = None
        self._all: list[Article] | None = None

    def text(
        self,
        node: YNode | None,
        key: str,
        parent: YNode | None,
        *,
        required: bool,
        hint: str = "",
        one_line: bool = False,
        markdown: bool = False,
    ) -> str | None:
        """A string value, as `YamlReader.text` reads it; Markdown (`markdown`) may link
        only where an email can, and no value may keep the draft's placeholder."""
        value = super().text(node, key, parent, required=required, hint=hint, one_line=one_line)
        if value is None or not isinstance(node, YScalar):
            return value
        if markdown:
            self.check_links(node, key)
        if _PLACEHOLDER.search(node.value):
            self.error(
                node,
                key,
                f"placeholder text left in: {self.kind(node)}",
                hint="replace the TODO text with your own words",
            )
        return value

    def check_links(self, node: YScalar, key: str) -> None:
        """Report Markdown images (nh3 drops them) and links that go anywhere but http(s) or
        mailto: markdown-it shows a `javascript:` link as its raw text, nh3 empties others."""
        images: list[tuple[int, int]] = []
        defined = {
            match.group().split("]", 1)[0].lstrip(" [").lower()
            for match in _MD_LINK.finditer(node.value)
            if match.group(3)
        }
        for match in _MD_IMAGE.finditer(node.value):
            if match.group(2) is None and match.group(1).lower() not in defined:
                continue  # "![text]" with nothing after it is only text
            end = match.end()
            if match.group(2) == "(":
                tail = _TO_PARENTHESIS.match(node.value, end)
                end = tail.end() if tail else end
            images.append((match.start(), end))
            self.error(
                self.locate(node, node.value[match.start() : end].split("\n", 1)[0]),
                key,
                "a Markdown image: an email's text shows no images, so it would be dropped",
                hint="give the item an image: {url: https://example.org/photo.jpg, "
                "alt: what it shows} instead",
            )
        for match in _MD_LINK.finditer(node.value):
            target = match.group(1) or match.group(2) or match.group(3) or ""
            if target.lower().startswith(_LINK_SCHEMES):
                continue
            if any(start <= match.start() < end for start, end in images):
                continue  # the image's own target: reported as the image
            self.error(
                self.locate(node, target),
                key,
                f"a link to '{target}': only http(s) and mailto links work in an email",
                hint="write the full address, e.g. https://example.org/story",
            )

    # -- the issue ---------------------------------------------------------------------------

    def issue(self, root: YNode) -> Issue | None:
        top = self.fields(root, "", _TOP, "an issue")
        if top is None:
            return None
        number = self.integer(top.get("number"), "number", root)
        day = self.day(top.get("date"), "date", root)
        lang = self.text(top.get("lang"), "lang", root, required=False, one_line=True) or "en"
        lang_node = top.get("lang")
        if lang_node is not None and not _LANG.fullmatch(lang):
            self.error(
                lang_node,
                "lang",
                f"expected a language code, found '{lang}'",
                hint="a code such as en, fa (Dari), ps (Pashto) or ur",
            )
        title = self.text(
            top.get("title"),
            "title",
            root,
            required=True,
            hint="the headline, in Title Case: title: Talks Resume In The Capital",
            one_line=True,
        )
        subject = self.text(top.get("subject"), "subject", root, required=False, one_line=True)
        preheader = self.text(
            top.get("preheader"),
            "preheader",
            root,
            required=True,
            hint="one sentence that shows in the inbox after the subject",
            one_line=True,
        )
        author = self.author(top.get("author"), root)
        hero = self.image(top["hero"], "hero") if "hero" in top else None
        signoff = (
            self.text(top.get("signoff"), "signoff", root, required=False, markdown=True) or ""
        )
        labels = self.labels(top.get("labels"))
        sections = self.sections(top.get("sections"), root, day)

        if subject is None and title is not None:
            full = f"{self.settings.name}: {title}"
            if len(full) > 78:
                self.warn(
                    top["title"],
                    "title",
                    f"the subject line is {len(full)} characters; inboxes cut it near 78",
                    hint="shorten the title, or give a shorter `subject:`",
                )
        elif subject is not None and len(subject) > 78:
            self.warn(
                top["subject"],
                "subject",
                f"the subject line is {len(subject)} characters; inboxes cut it near 78",
                hint="shorten it to 78 characters or fewer",
            )
        if preheader is not None and not 40 <= len(preheader) <= 150:
            self.warn(
                top["preheader"],
                "preheader",
                f"the preheader is {len(preheader)} characters; aim for 40 to 150",
                hint="one sentence, usually the reason the key issue matters",
            )
        if (
            number is None
            or day is None
            or title is None
            or preheader is None
            or author is None
            or sections is None
        ):
            return None
        return Issue(
            number=number,
            date=day,
            lang=lang,
            title=title,
            subject=subject,
            preheader=preheader,
            author=author,
            hero=hero,
            sections=sections,
            signoff_md=signoff,
            labels=labels,
            source=self.path,
        )

    def author(self, node: YNode | None, root: YNode) -> Author | None:
        authors = self.settings.authors
        known = ", ".join(sorted(authors)) or "(none yet: add [authors.KEY] to newsletter.toml)"
        if node is None:
            self.error(
                root,
                "author",
                "missing required key 'author'",
                hint=f"a key of [authors] in newsletter.toml ({known}) or a mapping "
                "with name and role",
            )
            return None
        if isinstance(node, YScalar):
            key = node.value.strip()
            if key in authors:
                return authors[key]
            close = did_you_mean(key, authors)
            mean = f"did you mean '{close}'? " if close else ""
            self.error(
                node,
                "author",
                f"no author '{key}' in {self.settings.path.name}",
                hint=f"{mean}known authors: {known}",
            )
            return None
        fields = self.fields(node, "author", _AUTHOR, "an author")
        if fields is None:
            return None
        name = self.text(fields.get("name"), "author.name", node, required=True, one_line=True)
        role = (
            self.text(fields.get("role"), "author.role", node, required=False, one_line=True) or ""
        )
        bio = self.text(fields.get("bio"), "author.bio", node, required=False) or ""
        return Author(key="", name=name, role=role, bio=bio) if name else None

    def image(self, node: YNode, key: str) -> Image | None:
        fields = self.fields(node, key, _IMAGE, "an image")
        if fields is None:
            return None
        url = self.text(
            fields.get("url"),
            f"{key}.url",
            node,
            required=True,
            hint="the image's full https:// address",
            one_line=True,
        )
        if url and not url.startswith(("https://", "http://")):
            self.error(
                fields["url"],
                f"{key}.url",
                f"expected an http(s) URL, found '{url}'",
                hint="email clients only load images from full https:// addresses",
            )
        alt = self.text(fields.get("alt"), f"{key}.alt", node, required=False, one_line=True) or ""
        if not alt:
            self.warn(
                node,
                key,
                "the image has no alt text",
                hint="add alt: describing the picture for readers who cannot see it",
            )
        caption = self.text(fields.get("caption"), f"{key}.caption", node, required=False) or ""
        width, height = (
            self.size(fields[dim], f"{key}.{dim}", dim) if dim in fields else None
            for dim in ("width", "height")
        )
        return Image(url, alt, caption, width, height) if url else None

    def labels(self, node: YNode | None) -> tuple[tuple[str, str], ...]:
        if node is None:
            return ()
        fields = self.fields(node, "labels", LABEL_KEYS, "labels")
        if fields is None:
            return ()
        out = []
        for name, value in fields.items():
            text = self.text(value, f"labels.{name}", node, required=True, one_line=True)
            if text and isinstance(value, YScalar):
                problem = label_placeholder_problem(name, text)
                if problem:
                    self.error(value, f"labels.{name}", problem[0], hint=problem[1])
                    continue
                out.append((name, text))
        return tuple(out)

    def sections(
        self, node: YNode | None, root: YNode, day: date | None
    ) -> tuple[Section, ...] | None:
        if node is None:
            self.error(
                root,
                "sections",
                "missing required key 'sections'",
                hint="list the sections: the key issue, what to keep an eye on, the roundup",
            )
            return None
        if not isinstance(node, YSeq) or not node.items:
            self.expected(
                node,
                "sections",
                "a list of sections",
                "each section starts with '- heading:' or '- layout:'",
            )
            return None
        seen: dict[str, str] = {}
        sections = []
        for index, child in enumerate(node.items):
            section = self.section(child, f"sections[{index}]", day, seen)
            if section is not None:
                sections.append(section)
        return tuple(sections) if len(sections) == len(node.items) else None

    def section(
        self, node: YNode, key: str, day: date | None, seen: dict[str, str]
    ) -> Section | None:
        fields = self.fields(node, key, _SECTION, "a section")
        if fields is None:
            return None
        heading = (
            self.text(fields.get("heading"), f"{key}.heading", node, required=False, one_line=True)
            or ""
        )
        layout = (
            self.text(fields.get("layout"), f"{key}.layout", node, required=False, one_line=True)
            or "list"
        )
        if layout not in LAYOUTS:
            close = did_you_mean(layout, LAYOUTS)
            mean = f"did you mean '{close}'? " if close else ""
            self.error(
                fields["layout"],
                f"{key}.layout",
                f"unknown layout '{layout}'",
                hint=f"{mean}layouts: feature (long body with notes), list (roundup)",
            )
            return None
        items_node = fields.get("items")
        if items_node is None or (isinstance(items_node, YScalar) and items_node.is_null):
            self.error(
                items_node or node,
                f"{key}.items",
                "the section has no items",
                hint="add items, or uncomment the candidates `newsletter draft` listed",
            )
            return None
        if not isinstance(items_node, YSeq):
            self.expected(
                items_node, f"{key}.items", "a list of items", "start each item with '- '"
            )
            return None
        items = []
        for index, child in enumerate(items_node.items):
            item = self.item(child, f"{key}.items[{index}]", layout, day, seen)
            if item is not None:
                items.append(item)
        if len(items) != len(items_node.items) or not items:
            if not items_node.items:
                self.error(
                    items_node,
                    f"{key}.items",
                    "the section has no items",
                    hint="add at least one item",
                )
            return None
        return Section(heading, layout, tuple(items), node.span)

    def item(
        self, node: YNode, key: str, layout: str, day: date | None, seen: dict[str, str]
    ) -> Item | None:
        fields = self.fields(node, key, _ITEM, "an item")
        if fields is None:
            return None
        article = None
        ref = fields.get("article")
        if ref is not None:
            article = self.article(ref, f"{key}.article", day, seen)
            if article is None:
                return None
        url = self.text(fields.get("url"), f"{key}.url", node, required=False, one_line=True)
        if url and not url.startswith(("https://", "http://")):
            self.error(
                fields["url"],
                f"{key}.url",
                f"expected an http(s) URL, found '{url}'",
                hint="write the full address, starting with https://",
            )
            return None
        if url and article is not None:
            self.error(
                fields["url"],
                f"{key}.url",
                "give either 'article' or 'url', not both",
                hint="'article' takes a stored article; 'url' + 'title' a link to anything else",
            )
            return None
        title = self.text(fields.get("title"), f"{key}.title", node, required=False, one_line=True)
        body_node = fields.get("body")
        blurb_node = fields.get("blurb")
        if body_node is not None and blurb_node is not None:
            self.error(
                blurb_node,
                f"{key}.blurb",
                "give either 'body' or 'blurb', not both",
                hint="'body' is the long text of a feature, 'blurb' a roundup's "
                "one or two sentences",
            )
            return None
        text_key = "body" if body_node is not None else "blurb"
        text_node = body_node if body_node is not None else blurb_node
        text = self.text(text_node, f"{key}.{text_key}", node, required=False, markdown=True) or ""
        if text_node is not None and not text:
            self.warn(
                text_node,
                f"{key}.{text_key}",
                f"the {text_key} is empty",
                hint="write a sentence or two in your own words, or remove the key",
            )
        image = self.image(fields["image"], f"{key}.image") if "image" in fields else None
        if image is not None and layout == "list":
            self.warn(
                fields["image"],
                f"{key}.image",
                "the roundup shows no images; this one will not appear",
                hint="move the story to a feature section, or remove the image",
            )
        notes = self.notes(fields.get("notes"), f"{key}.notes")
        if article is None and url is None and layout == "list":
            self.error(
                node,
                key,
                "a roundup item needs 'article' or 'url' + 'title'",
                hint="`newsletter articles` lists stored articles and their ids",
            )
            return None
        if url is not None and title is None:
            self.error(
                node,
                key,
                "an item with 'url' needs a 'title'",
                hint="give the linked story's title",
            )
            return None
        if article is None and url is None and not text:
            self.error(
                node,
                key,
                "the item is empty",
                hint="give 'article' (or 'url' + 'title') and a body or blurb",
            )
            return None
        if notes is None:
            return None
        return Item(
            article=article,
            title=title or (article.title if article else ""),
            url=url or (article.url if article else ""),
            body_md=text,
            notes=notes,
            image=image,
            span=node.span,
        )

    def notes(self, node: YNode | None, key: str) -> tuple[Note, ...] | None:
        if node is None:
            return ()
        if not isinstance(node, YSeq):
            self.expected(
                node,
                key,
                "a list of notes",
                "each note is '- label: Why It's Important' with 'text: ...'",
            )
            return None
        notes = []
        for index, child in enumerate(node.items):
            fields = self.fields(child, f"{key}[{index}]", _NOTE, "a note")
            if fields is None:
                continue
            label = self.text(
                fields.get("label"),
                f"{key}[{index}].label",
                child,
                required=True,
                hint="e.g. label: Why It's Important",
                one_line=True,
            )
            text = self.text(
                fields.get("text"),
                f"{key}[{index}].text",
                child,
                required=True,
                hint="the paragraphs that follow the label, in Markdown",
                markdown=True,
            )
            if label and text:
                notes.append(Note(label, text))
        return tuple(notes) if len(notes) == len(node.items) else None

    def article(
        self, node: YNode, key: str, day: date | None, seen: dict[str, str]
    ) -> Article | None:
        if not isinstance(node, YScalar) or node.is_null:
            self.expected(
                node,
                key,
                "an article id or URL",
                "`newsletter articles` lists the stored articles and their ids",
            )
            return None
        ref = node.value.strip()
        stored = self.articles.get(ref)
        wanted = article_id(ref) if "://" in ref else ref.lower()
        locked = self.locked.get(wanted)
        found = locked or stored
        if found is None and wanted in self.broken:
            return None  # not "no stored article": the lock file's entry is reported
        if found is None:
            self.error(node, key, f"no stored article '{ref}'", hint=self._article_hint(ref))
            return None
        if locked is not None and stored is not None and locked != stored:
            changed = ", ".join(_changed_fields(locked, stored))
            self.warn(
                node,
                key,
                f"the store's copy of this article has changed ({changed}) since the issue "
                f"was built; the build keeps the copy in {lock_path(self.path).name}",
                hint=f"to use the store's version: newsletter build --refresh {self.path}",
            )
        if day is not None and self._earlier is None:
            # From the other issues' lock files, once the date is known.
            self._earlier = earlier_uses(self.path.parent, day, lock_path(self.path))
        if self._earlier and found.id in self._earlier:
            number, used_on = self._earlier[found.id]
            self.warn(
                node,
                key,
                f"'{found.title}' was already in issue {number} of {used_on}",
                hint="keep it only as a follow-up with something new to say",
            )
        if found.id in seen:
            self.warn(
                node,
                key,
                f"this article is already used at {seen[found.id]}",
                hint="remove one of the two entries",
            )
        else:
            seen[found.id] = key
        if day is not None and found.published is not None and not found.date_is_guess:
            start, end = week_bounds(day, self.settings.timezone)
            if not start <= found.published < end:
                when = local_time(found.published, self.settings.timezone)
                self.warn(
                    node,
                    key,
                    f"'{found.title}' was published on {when}, outside the "
                    f"issue's week ({start.date()} to {day})",
                    hint="fine for a follow-up; otherwise pick a story from this week",
                )
        return found

    def _article_hint(self, ref: str) -> str:
        if self._all is None:
            self._all = self.articles.all_articles()
        if not self._all:
            return "the store is empty: run `newsletter fetch` first"
        if "://" in ref:
            wanted = article_id(ref)
            urls = {a.url: a for a in self._all}
            close = did_you_mean(ref, urls, cutoff=0.7)
            if close:
                return (
                    f'did you mean {close} ("{urls[close].title}")? '
                    "`newsletter articles` lists them."
                )
            return (
                f"no stored article has that address (id {wanted}); "
                "`newsletter articles --search WORD` finds one"
            )
        by_id = {a.id: a for a in self._all}
        close = did_you_mean(ref.lower(), by_id)
        if close:
            return (
                f'did you mean {close} ("{by_id[close].title}")? `newsletter articles` lists them.'
            )
        return "`newsletter articles` lists the stored articles and their ids"


def read_issue(
    path: Path, settings: Settings, articles: ArticleSource, *, refresh: bool = False
) -> CheckedIssue:
    """Read an issue file; return it with its warnings, or raise `ProblemsError` with all
    the problems (warnings included) when there is any error.

    Articles come from the issue's lock file when it has them (so an old issue rebuilds the
    same), else from `articles`; with `refresh`, from `articles` only."""
    try:
        text = _read_text(path)
    except FileNotFoundError:
        raise ProblemsError(
            [
                Problem(
                    "no such issue file",
                    path=path,
                    hint="`ls issues/` shows the issue files; `newsletter draft` starts a new one",
                )
            ]
        ) from None
    except UnicodeDecodeError as exc:
        raise ProblemsError(
            [
                Problem(
                    f"the file is not UTF-8 text ({exc.reason})",
                    path=path,
                    hint="save it as UTF-8 in your editor",
                )
            ]
        ) from None
    except OSError as exc:
        raise ProblemsError([Problem(f"cannot read the file: {exc.strerror}", path=path)]) from None
    if text is None:
        raise ProblemsError(
            [
                Problem(
                    f"the file is larger than {MAX_ISSUE_BYTES // 1024} KB, the limit for an "
                    "issue file",
                    path=path,
                    hint="an issue is usually 5 to 20 KB: is this the issue file you meant?",
                )
            ]
        )
    root, syntax, skipped = _load_past_syntax_errors(path, text)
    if root is None and syntax:
        raise ProblemsError(syntax)
    if root is None:
        raise ProblemsError(
            [
                Problem(
                    "the issue file is empty",
                    path=path,
                    hint="`newsletter draft` writes a scaffold to start from",
                )
            ]
        )
    # With --refresh the lock is not read: the build records the store's articles over it, so
    # nothing wrong in it can matter.
    lock = Lock({}) if refresh else read_lock(lock_path(path))
    reader = _Reader(path, text, settings, articles, lock.articles, lock.broken)
    reader.problems.extend(lock.problems)
    issue = reader.issue(root)
    slug = issue_slug(path.stem)
    if slug != path.stem:
        reader.problems.append(
            Problem(
                "the file name is not only ASCII letters, digits, '-' and '_', so the build "
                f"folder will be called '{slug}'",
                path=path,
                hint="name issue files for their send date, e.g. 2026-11-27.yaml "
                "(2026-11-27-fa.yaml for a second edition)",
                severity="warning",
            )
        )
    if syntax:
        # Checked without the broken lines: drop what is only a consequence of leaving them out.
        reader.problems = syntax + [
            p
            for p in reader.problems
            if p.span is None or p.span.path != path or p.span.line not in skipped
        ]
        issue = None
    if has_errors(reader.problems) or issue is None:
        if not has_errors(reader.problems):  # pragma: no cover - a missing value is an error
            reader.problems.append(Problem("the issue is incomplete", path=path))
        raise ProblemsError(reader.problems)
    return CheckedIssue(issue, tuple(reader.problems))


def _read_text(path: Path) -> str | None:
    """The file's text with universal newlines, or None when it is over `MAX_ISSUE_BYTES`:
    read no further than that, so a huge file (or /dev/zero) costs nothing."""
    with path.open("rb") as handle:
        data = handle.read(MAX_ISSUE_BYTES + 1)
    if len(data) > MAX_ISSUE_BYTES:
        return None
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _load_past_syntax_errors(path: Path, text: str) -> tuple[YNode | None, list[Problem], set[int]]:
    """Compose the YAML; on a syntax error, report it and try again without that line, so
    that one badly indented item does not hide every other mistake in the file. Lines with a
    control character are reported first (YAML would stop at the first one) and checked with
    U+FFFD in its place; a second document is reported and left out whole."""
    syntax: list[Problem] = []
    skipped: set[int] = set()
    lines = []
    # Lines as the problem formatter numbers them: form feeds and the like end a line here.
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        control = CONTROL.search(line)
        if control:
            where = Span(path, number, control.start() + 1)
            syntax.append(control_character_problem(path, where, control.group()))
            skipped.add(number)
            # A printable stand-in keeps the line's YAML (a key, a quoted value) readable.
            line = CONTROL.sub("\ufffd", line)
        lines.append((line.splitlines() or [""])[0])
    for _ in range(10):
        root, problems = load_yaml(path, "\n".join(lines) + "\n")
        if not problems:
            return root, syntax, skipped
        syntax.extend(problems)
        span = problems[0].span
        if span is None or span.line in skipped or not 1 <= span.line <= len(lines):
            break
        if problems[0].message == SECOND_DOCUMENT:
            # Check the first document alone; the rest may be a whole other issue.
            skipped.update(range(span.line, len(lines) + 1))
            lines[span.line - 1 :] = [""] * (len(lines) - span.line + 1)
            continue
        if not problems[0].message.startswith("YAML syntax"):
            break  # refused (aliases, absurd nesting), not mistyped: nothing to recover
        skipped.add(span.line)
        lines[span.line - 1] = ""  # blank, not removed: every other line keeps its number
    return None, syntax, skipped


def _changed_fields(old: Article, new: Article) -> list[str]:
    names = ("title", "url", "author", "image", "published", "summary_html", "categories", "lang")
    return [name for name in names if getattr(old, name) != getattr(new, name)] or ["details"]
