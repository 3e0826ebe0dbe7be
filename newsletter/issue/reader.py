"""Stage 2 (issue file), the reader: the issue's own structure, key by key.

Takes the YAML node tree of an issue file, the settings (authors, name, time zone) and the
`References` its articles are looked up in; gives the frozen `Issue` with every reference
resolved, or None, having recorded every problem on the way: unknown or missing keys,
values of the wrong kind, unknown authors and layouts, placeholders and Markdown an email
cannot carry (as errors), and what `rules` warns about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

from newsletter._yaml import YMap, YNode, YScalar, YSeq
from newsletter.config import Settings
from newsletter.issue import rules
from newsletter.issue.markdown import check_markdown
from newsletter.issue.references import References
from newsletter.issue.schema import YamlReader
from newsletter.labels import LABEL_KEYS, label_placeholder_problem
from newsletter.models import Article, Author, Image, Issue, Item, Link, Note, Section
from newsletter.suggest import did_you_mean
from newsletter.urls import is_web_address

LAYOUTS = ("feature", "list")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# The word the draft marks its placeholders with, as a word: "TODOS los días" is Spanish.
_PLACEHOLDER = re.compile(r"\bTODO\b")

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
_ITEM = ("article", "url", "title", "image", "body", "blurb", "notes", "see_also")
_LINK = ("title", "url")
_NOTE = ("label", "text")
_IMAGE = ("url", "alt", "caption", "credit", "width", "height", "file")
_AUTHOR = ("name", "role", "bio")
# The theme's labels for a language and the issue's own wording of them (`Theme.labels_for`).
ThemeLabels = Callable[[str, tuple[tuple[str, str], ...]], Mapping[str, str]]
# The labels a feature's notes usually carry.
_NOTE_LABELS = ("why_important", "whats_next")


def _key(mapping: YNode, name: str) -> YNode:
    """Where `name` is written as a key of `mapping` (a rule about a whole value points at
    its key), or the mapping itself."""
    if isinstance(mapping, YMap):
        for key, _ in mapping.pairs:
            if key.value == name:
                return key
    return mapping


class IssueReader(YamlReader):
    """Walks an issue file's node tree once, collecting problems instead of stopping at the
    first; `issue` gives the `Issue`, or None when anything in it is an error."""

    def __init__(
        self,
        path: Path,
        text: str,
        settings: Settings,
        refs: References,
        theme_labels: ThemeLabels | None = None,
    ) -> None:
        super().__init__(path, text)
        self.settings = settings
        self.refs = refs
        # The house style's checks (the key issue, the notes' labels) need the theme's words;
        # without them (a caller with no theme) those checks are left out.
        self.theme_labels = theme_labels
        self.house: Mapping[str, str] = {}

    def check_text(self, node: YScalar, key: str, *, markdown: bool) -> None:
        """Markdown may link only where an email can, and no value may keep the draft's
        placeholder."""
        if markdown:
            for finding in check_markdown(node.value):
                where = self.locate(node, finding.needle, finding.occurrence)
                self.error(where, key, finding.message, hint=finding.hint)
        if _PLACEHOLDER.search(node.value):
            self.error(
                node,
                key,
                f"placeholder text left in: {self.kind(node)}",
                hint="replace the TODO text with your own words",
            )

    # -- the issue ---------------------------------------------------------------------------

    def issue(self, root: YNode) -> Issue | None:
        """The whole issue, or None when any part of it has an error."""
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
        if self.theme_labels is not None:
            self.house = self.theme_labels(lang, labels)
        sections = self.sections(top.get("sections"), root, day)
        self.report(rules.subject_length(self.settings.edition(lang).name, title, subject, top))
        self.report(rules.preheader_length(preheader, top))
        if sections is not None and "key_issue" in self.house:
            self.report(
                rules.no_key_issue(sections, self.house["key_issue"], _key(root, "sections"))
            )
        if number is not None and day is not None:
            self.report(rules.number_taken(number, day, self.path, top["number"]))
        if number is None or day is None or title is None or preheader is None:
            return None
        if author is None or sections is None:
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
        """A key of the settings' [authors], or an author written out (a guest)."""
        authors = self.settings.authors
        known = ", ".join(sorted(authors)) or "(none yet: add [authors.KEY] to newsletter.toml)"
        if node is None:
            hint = (
                f"a key of [authors] in newsletter.toml ({known}) or a mapping with name and role"
            )
            self.missing(root, "author", hint)
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
        """The hero or an item's photo: an http(s) URL, alt text, a caption, a credit, its
        size and a local copy (a file beside the issue file)."""
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
        if url and not is_web_address(url):
            self.error(
                fields["url"],
                f"{key}.url",
                f"expected an http(s) URL, found '{url}'",
                hint="email clients only load images from full https:// addresses",
            )
        alt = self.text(fields.get("alt"), f"{key}.alt", node, required=False, one_line=True) or ""
        self.report(rules.missing_alt(alt, node, key))
        caption = self.text(fields.get("caption"), f"{key}.caption", node, required=False) or ""
        credit = (
            self.text(fields.get("credit"), f"{key}.credit", node, required=False, one_line=True)
            or ""
        )
        width, height = (
            self.size(fields[dim], f"{key}.{dim}", dim) if dim in fields else None
            for dim in ("width", "height")
        )
        file = self.local_file(fields.get("file"), f"{key}.file", node)
        return Image(url, alt, caption, width, height, credit, file) if url else None

    def local_file(self, value: YNode | None, key: str, node: YNode) -> Path | None:
        """An image's local copy, relative to the issue file's folder; it must exist."""
        name = self.text(value, key, node, required=False, one_line=True)
        if not name or value is None:
            return None
        path = self.path.parent / name
        if not path.is_file():
            self.error(
                value,
                key,
                f"no image file at '{name}'",
                hint="give the path of the image's copy relative to the issue file's folder, "
                "e.g. images/photo.jpg",
            )
            return None
        return path

    def labels(self, node: YNode | None) -> tuple[tuple[str, str], ...]:
        """The issue's own wording for the theme's labels, (key, text) in the file's order."""
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
        """Every section, or None when any of them has an error."""
        if node is None:
            hint = "list the sections: the key issue, what to keep an eye on, the roundup"
            self.missing(root, "sections", hint)
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
        """A section: its heading, its layout and its items (at least one)."""
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
        """An item: a stored article or a link, in the editor's words, with notes."""
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
        if url and not is_web_address(url):
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
        self.report(rules.empty_text(text, text_node, f"{key}.{text_key}", text_key))
        image = self.image(fields["image"], f"{key}.image") if "image" in fields else None
        if image is not None:
            self.report(rules.roundup_image(layout, fields["image"], f"{key}.image"))
        notes = self.notes(fields.get("notes"), f"{key}.notes")
        see_also = self.see_also(fields.get("see_also"), f"{key}.see_also")
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
        if notes is None or see_also is None:
            return None
        return Item(
            article=article,
            title=title or (article.title if article else ""),
            url=url or (article.url if article else ""),
            body_md=text,
            notes=notes,
            image=image,
            span=node.span,
            see_also=see_also,
        )

    def see_also(self, node: YNode | None, key: str) -> tuple[Link, ...] | None:
        """An item's "See also" links, each a title and an http(s) URL, or None when any of
        them has an error."""
        if node is None:
            return ()
        if not isinstance(node, YSeq):
            self.expected(
                node, key, "a list of links", "each link is '- {title: …, url: https://…}'"
            )
            return None
        links = []
        for index, child in enumerate(node.items):
            where = f"{key}[{index}]"
            fields = self.fields(child, where, _LINK, "a link")
            if fields is None:
                continue
            title = self.text(
                fields.get("title"), f"{where}.title", child, required=True, one_line=True
            )
            url = self.text(
                fields.get("url"),
                f"{where}.url",
                child,
                required=True,
                hint="the story's full https:// address",
                one_line=True,
            )
            if url and not is_web_address(url):
                self.error(
                    fields["url"],
                    f"{where}.url",
                    f"expected an http(s) URL, found '{url}'",
                    hint="write the full address, starting with https://",
                )
                continue
            if title and url:
                links.append(Link(title, url))
        return tuple(links) if len(links) == len(node.items) else None

    def notes(self, node: YNode | None, key: str) -> tuple[Note, ...] | None:
        """A feature item's labelled notes, or None when any of them has an error."""
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
            known = [self.house[name] for name in _NOTE_LABELS if name in self.house]
            if label and known:
                where = fields["label"]
                self.report(rules.note_label(label, known, where, f"{key}[{index}].label"))
            if label and text:
                notes.append(Note(label, text))
        return tuple(notes) if len(notes) == len(node.items) else None

    def article(
        self, node: YNode, key: str, day: date | None, seen: dict[str, str]
    ) -> Article | None:
        """The stored article an `article:` names (see `References.resolve`), or None."""
        if not isinstance(node, YScalar) or node.is_null:
            self.expected(
                node,
                key,
                "an article id or URL",
                "`newsletter articles` lists the stored articles and their ids",
            )
            return None
        found, problems = self.refs.resolve(node, key, day, seen)
        self.problems.extend(problems)
        return found
