"""Stage 3 (renderer), text filters: the editor's Markdown → safe email HTML, or → plain text.

markdown-it-py parses (raw HTML off, smart quotes on); HTML output goes through nh3 so nothing
but a small tag set and http(s)/mailto links can reach MJML. Plain text is rendered from the
same token stream, not from the HTML: paragraphs wrapped at 72 columns, links turned into
numbered references collected in a `LinkRefs` shared by the whole email.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

from newsletter.untrusted import FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE

WIDTH = 72
_md = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
    ["replacements", "smartquotes"]
)
_TAGS = {"a", "blockquote", "br", "em", "li", "ol", "p", "strong", "ul"}


class LinkRefs:
    """The numbered link references of one plain-text email, in order of first use, written
    with `numeral` (the email's language's digits: `[۳]` in a Dari edition)."""

    def __init__(self, numeral: Callable[[int], str] = str) -> None:
        self.numeral = numeral
        self.urls: list[str] = []
        # A dict beside the list: searching the list made a long issue's numbering quadratic.
        self._numbers: dict[str, int] = {}

    def number(self, url: str) -> int:
        """The reference number of `url`, adding it if it is new."""
        found = self._numbers.get(url)
        if found is None:
            self.urls.append(url)
            found = self._numbers[url] = len(self.urls)
        return found

    def mark(self, url: str) -> str:
        """The reference number of `url` as the text shows it, adding it if it is new."""
        return self.numeral(self.number(url))


def isolated_html(text: str) -> Markup:
    """Text from a feed, escaped and in a bidi isolate: whatever direction controls or
    right-to-left letters it holds cannot reorder the editor's words around it."""
    return Markup(f"<bdi>{escape(text)}</bdi>")


def isolated_text(text: str) -> str:
    """`isolated_html` for plain text: between FIRST STRONG ISOLATE and POP DIRECTIONAL
    ISOLATE, the plain-text form of the same isolate."""
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"


def markdown_html(
    source: str, runin: str = "", runin_url: str = "", *, isolate: bool = False
) -> Markup:
    """Markdown → sanitised HTML; `runin` is a bold label opening the first paragraph, linked
    to `runin_url` when one is given (the roundup's headline-with-a-colon style), and set in
    a bidi isolate with `isolate` (for a headline that came from a feed)."""
    html = _md.render(source)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )
    if runin:
        words = isolated_html(runin) if isolate else escape(runin)
        label = f"<strong>{words}:</strong> "
        if runin_url.startswith(("https://", "http://")):
            label = f'<strong><a href="{escape(runin_url)}">{words}</a>:</strong> '
        opened = clean.startswith("<p>")
        clean = "<p>" + label + (clean[3:] if opened else "</p>" + clean)
    return Markup(clean.strip())  # nh3 has just sanitised it


def _inline_text(children: Sequence[Token], refs: LinkRefs) -> str:
    out: list[str] = []
    href = ""
    for token in children:
        if token.type in {"text", "code_inline"}:
            out.append(token.content)
        elif token.type in {"softbreak", "hardbreak"}:
            out.append(" " if token.type == "softbreak" else "\n")
        elif token.type == "link_open":
            href = str(token.attrs.get("href", ""))
        elif token.type == "link_close" and href:
            if href.startswith("mailto:"):
                out.append(f" ({href.removeprefix('mailto:')})")
            else:
                out.append(f" [{refs.mark(href)}]")
            href = ""
        elif token.type == "image":
            out.append(token.content)
    return "".join(out)


def _wrap(text: str, indent: str = "", first: str | None = None) -> str:
    lines = []
    for number, part in enumerate(text.split("\n")):
        lines.append(
            textwrap.fill(
                part,
                WIDTH,
                initial_indent=first if (first is not None and number == 0) else indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


def markdown_text(source: str, refs: LinkRefs, runin: str = "") -> str:
    """Markdown → plain text paragraphs wrapped at 72 columns, links as [n] references."""
    tokens = _md.parse(source)
    blocks: list[tuple[str, bool]] = []  # (text, is a list item)
    lists: list[int] = []  # per open list: 0 for bullets, else the next number
    pending_item = ""
    for token in tokens:
        if token.type == "bullet_list_open":
            lists.append(0)
        elif token.type == "ordered_list_open":
            lists.append(int(str(token.attrs.get("start", 1) or 1)))
        elif token.type in {"bullet_list_close", "ordered_list_close"}:
            lists.pop()
        elif token.type == "list_item_open":
            if lists and lists[-1]:
                pending_item = f"{lists[-1]}. "
                lists[-1] += 1
            else:
                pending_item = "- "
        elif token.type == "inline":
            text = _inline_text(token.children or [], refs)
            if runin:
                text = f"{runin}: {text}"
                runin = ""
            depth = "  " * max(0, len(lists) - 1)
            if pending_item:
                marker = depth + pending_item
                blocks.append((_wrap(text, " " * len(marker), first=marker), True))
                pending_item = ""
            elif lists:
                blocks.append((_wrap(text, depth + "  "), True))
            else:
                blocks.append((_wrap(text), False))
    if runin:
        blocks.insert(0, (f"{runin}:", False))
    # List items sit on consecutive lines; everything else is separated by a blank line.
    out: list[str] = []
    previous_item = False
    for text, is_item in blocks:
        if out and is_item and previous_item:
            out[-1] += "\n" + text
        else:
            out.append(text)
        previous_item = is_item
    return "\n\n".join(out)


_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!<>&|~])")


def typeset(text: str) -> str:
    """Plain text with typographic quotes and dashes (It's → It’s, "x" → “x”), as the
    Markdown paragraphs get them, so headlines and labels match the body."""
    if not any(mark in text for mark in "'\"-"):
        return text
    escaped = _MD_PUNCTUATION.sub(r"\\\1", text)  # read every other character literally
    tokens = _md.parseInline(escaped)
    children = tokens[0].children or [] if tokens else []
    return "".join(
        token.content if token.type == "text" else " "
        for token in children
        if token.type in {"text", "softbreak", "hardbreak"}
    )


def wrap_text(text: str) -> str:
    """Wrap a plain string at 72 columns (headlines, captions, the footer)."""
    return _wrap(text)
