"""Stage 2 (issue file), the Markdown an email cannot carry: a check of the editor's prose.

Takes the text of a body, blurb, note or sign-off as written; gives a `Finding` for each
Markdown image (the email's text shows none, so nh3 drops it), each link to anything but
http(s) or mailto (markdown-it shows a `javascript:` link as its raw text, nh3 empties the
others), inline, `<autolink>` or reference definition, and each inline link Markdown would
not read as one (no closing parenthesis, a space before the opening one), which would land
in the email as raw brackets: the text to point at, the message and the hint. The reader
turns them into errors at their place in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Link targets in Markdown besides inline links (which `_inline_links` reads, parentheses and
# all): <scheme:autolink>, and a reference definition "[label]: target" at the start of a
# line. Written to run in linear time: an autolink stops at the next "<", a label at the next
# bracket.
_MD_LINK = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^<>\s]*)>"
    r"|^ {0,3}\[(?:[^\[\]\\]|\\.){1,999}\]:[ \t]*\n?[ \t]*<?([^\s>]+)",
    re.MULTILINE,
)
# A Markdown image: ![alt]( or ![alt][ (alt text with one level of brackets, bounded so
# that a run of "![[a]" stays linear), or ![label] alone when label is defined.
_MD_IMAGE = re.compile(r"!\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.){0,999}\]){0,999})\]([(\[])?")
# "[text] (https://…)": a space between the brackets and the parenthesis makes it text.
_SPACED_LINK = re.compile(r"(\[([^\[\]\n]{1,999})\][ \t]+\()[ \t]*<?(?:https?://|mailto:|www\.)")
_OPENING = re.compile(r"\]\(")
_BACKTICKS = re.compile(r"`+")
_LINK_SCHEMES = ("http://", "https://", "mailto:")
# How far a link's parts are looked for: far past any real link, short enough that a text
# of nothing but "](" stays linear.
_REACH = 2000
# CommonMark refuses a destination nested deeper than this, so markdown-it makes it text.
_MAX_NESTING = 32
_TITLE_CLOSE = {'"': '"', "'": "'", "(": ")"}


@dataclass(frozen=True, slots=True)
class Finding:
    """Something in a Markdown text that an email cannot carry: `needle` is the text to
    point at (its first line) and `occurrence` which of its appearances in the text (0: the
    first), with the message and hint to report."""

    needle: str
    message: str
    hint: str
    occurrence: int = 0


@dataclass(frozen=True, slots=True)
class _Link:
    """An inline link's parts: where its `[` is (-1: none), where `](` is, its destination
    as Markdown reads it (parentheses balanced), where it ends, and what is wrong with it:
    "" (nothing), "unclosed" (no closing parenthesis) or "space" (text after the address)."""

    start: int
    opening: int
    target: str
    end: int
    broken: str


def _mask_code(text: str) -> str:
    """`text` with the inside of every code span blanked out, same length, so that a
    bracket in `code` is not read as a link."""
    runs = [(match.start(), match.end()) for match in _BACKTICKS.finditer(text)]
    following: dict[int, int] = {}  # a run's length -> the index of the next run that long
    closer: list[int | None] = [None] * len(runs)
    for index in range(len(runs) - 1, -1, -1):
        length = runs[index][1] - runs[index][0]
        closer[index] = following.get(length)
        following[length] = index
    chars = list(text)
    index = 0
    while index < len(runs):
        match = closer[index]
        if match is None:
            index += 1
            continue
        for position in range(runs[index][1], runs[match][0]):
            if chars[position] != "\n":
                chars[position] = " "
        index = match + 1
    return "".join(chars)


def _text_start(text: str, closing: int) -> int:
    """Where the `[` is that the `]` at `closing` ends, or -1 (brackets balanced, escapes
    skipped, within `_REACH`)."""
    depth = 0
    for position in range(closing - 1, max(-1, closing - _REACH), -1):
        char = text[position]
        if position > 0 and text[position - 1] == "\\":
            continue
        if char == "]":
            depth += 1
        elif char == "[":
            if depth == 0:
                return position
            depth -= 1
    return -1


def _skip_space(text: str, position: int, limit: int) -> int:
    """Past spaces and tabs and at most one line break (a blank line ends a paragraph)."""
    seen_break = False
    while position < limit and text[position] in " \t\n":
        if text[position] == "\n":
            if seen_break:
                break
            seen_break = True
        position += 1
    return position


def _link_at(text: str, opening: int) -> _Link:
    """The inline link whose `](` is at `opening`, read as CommonMark reads it."""
    start = _text_start(text, opening)
    limit = min(len(text), opening + _REACH)
    position = _skip_space(text, opening + 2, limit)
    target_start = position
    if position < limit and text[position] == "<":
        close = text.find(">", position, limit)
        line_end = text.find("\n", position, limit)
        if close < 0 or 0 <= line_end < close:
            return _Link(start, opening, text[position + 1 : line_end], limit, "unclosed")
        target = text[position + 1 : close]
        position = close + 1
    else:
        depth = 0
        while position < limit:
            char = text[position]
            if char == "\\" and position + 1 < limit:
                position += 2
                continue
            if char.isspace() or ord(char) < 0x20:
                break
            if char == "(":
                depth += 1
                if depth > _MAX_NESTING:
                    break
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            position += 1
        target = text[target_start:position]
        if depth:
            return _Link(start, opening, target, position, "unclosed")
    spaced = _skip_space(text, position, limit)
    # A title ("…", '…' or (…)) only after a space: "(a)(b)" is one address.
    titled = spaced > position and spaced < limit and text[spaced] in _TITLE_CLOSE
    position = spaced
    if titled:
        close = text.find(_TITLE_CLOSE[text[position]], position + 1, limit)
        if close >= 0 and "\n\n" not in text[position:close]:
            position = _skip_space(text, close + 1, limit)
    if position < limit and text[position] == ")":
        return _Link(start, opening, target, position + 1, "")
    paragraph_end = text.find("\n\n", position, limit)
    rest = text[position : paragraph_end if paragraph_end >= 0 else limit]
    return _Link(start, opening, target, position, "space" if ")" in rest else "unclosed")


def _inline_links(text: str) -> Iterator[_Link]:
    """Every `[text](…` of `text` outside code spans, broken or not."""
    masked = _mask_code(text)
    for match in _OPENING.finditer(masked):
        if match.start() > 0 and masked[match.start() - 1] == "\\":
            continue  # "\](" is a literal bracket
        yield _link_at(masked, match.start())


def _needle(text: str, start: int, end: int) -> Finding:
    """A finding's needle for `text[start:end]`: its first line, and which of that line's
    appearances in `text` it is."""
    needle = text[start:end].split("\n", 1)[0].rstrip()
    return Finding(needle, "", "", text.count(needle, 0, start) if needle else 0)


def check_markdown(text: str) -> list[Finding]:
    """The Markdown images in `text`, its inline links Markdown would leave as raw text, then
    its links that are not http(s) or mailto; the target of an image is reported as the image,
    not again as a link, and a broken link only as broken."""
    findings: list[Finding] = []
    images: list[tuple[int, int]] = []
    defined = {
        match.group().split("]", 1)[0].lstrip(" [").lower()
        for match in _MD_LINK.finditer(text)
        if match.group(2)
    }
    links = list(_inline_links(text))
    ends = {link.opening: link.end for link in links}
    for match in _MD_IMAGE.finditer(text):
        if match.group(2) is None and match.group(1).lower() not in defined:
            continue  # "![text]" with nothing after it is only text
        end = match.end()
        if match.group(2) == "(":
            end = ends.get(end - 2, end)
        images.append((match.start(), end))
        where = _needle(text, match.start(), end)
        findings.append(
            Finding(
                where.needle,
                "a Markdown image: an email's text shows no images, so it would be dropped",
                "give the item an image: {url: https://example.org/photo.jpg, "
                "alt: what it shows} instead",
                where.occurrence,
            )
        )

    def in_image(position: int) -> bool:
        return any(start <= position < end for start, end in images)

    targets: list[tuple[int, str]] = []
    for link in links:
        if in_image(link.opening):
            continue
        if not link.broken:
            targets.append((link.opening + 2, link.target))
            continue
        if link.start < 0:
            continue  # "](" with no "[" before it is no link to begin with
        where = _needle(text, link.start, link.end)
        if link.broken == "unclosed":
            message = "a Markdown link with no closing parenthesis: it would show as raw text"
            hint = "end the address with ')', e.g. [the report](https://example.org/report)"
            if "(" in link.target:
                hint = "an address with '(' needs its ')' too, then one more ')' to end the link"
        else:
            message = "a Markdown link whose address has a space in it: it would show as raw text"
            hint = "remove the space, or write it as %20; the address ends at the ')'"
        findings.append(Finding(where.needle, message, hint, where.occurrence))
    for match in _SPACED_LINK.finditer(text):
        if in_image(match.start()):
            continue
        where = _needle(text, match.start(), match.end(1))
        findings.append(
            Finding(
                where.needle,
                "a space between ']' and '(': Markdown shows this as text, not a link",
                f"write [{match.group(2)}](…) with nothing between ']' and '('",
                where.occurrence,
            )
        )
    for match in _MD_LINK.finditer(text):
        targets.append((match.start(), match.group(1) or match.group(2) or ""))
    for position, target in sorted(targets):
        if target.lower().startswith(_LINK_SCHEMES) or in_image(position):
            continue
        findings.append(
            Finding(
                target,
                f"a link to '{target}': only http(s) and mailto links work in an email",
                "write the full address, e.g. https://example.org/story",
                text.count(target, 0, position) if target else 0,
            )
        )
    return findings
