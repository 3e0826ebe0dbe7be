"""Stage 2 (issue file), the Markdown an email cannot carry: a check of the editor's prose.

Takes the text of a body, blurb, note or sign-off as written; gives a `Finding` for each
Markdown image (the email's text shows none, so nh3 drops it) and each link to anything but
http(s) or mailto (markdown-it shows a `javascript:` link as its raw text, nh3 empties the
others), inline, `<autolink>` or reference definition: the text to point at, the message and
the hint. The reader turns them into errors at their place in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Finding:
    """Something in a Markdown text that an email cannot carry: `needle` is the text to
    point at (its first line), with the message and hint to report."""

    needle: str
    message: str
    hint: str


def check_markdown(text: str) -> list[Finding]:
    """The Markdown images in `text`, then its links that are not http(s) or mailto; the
    target of an image is reported as the image, not again as a link."""
    findings: list[Finding] = []
    images: list[tuple[int, int]] = []
    defined = {
        match.group().split("]", 1)[0].lstrip(" [").lower()
        for match in _MD_LINK.finditer(text)
        if match.group(3)
    }
    for match in _MD_IMAGE.finditer(text):
        if match.group(2) is None and match.group(1).lower() not in defined:
            continue  # "![text]" with nothing after it is only text
        end = match.end()
        if match.group(2) == "(":
            tail = _TO_PARENTHESIS.match(text, end)
            end = tail.end() if tail else end
        images.append((match.start(), end))
        findings.append(
            Finding(
                text[match.start() : end].split("\n", 1)[0],
                "a Markdown image: an email's text shows no images, so it would be dropped",
                "give the item an image: {url: https://example.org/photo.jpg, "
                "alt: what it shows} instead",
            )
        )
    for match in _MD_LINK.finditer(text):
        target = match.group(1) or match.group(2) or match.group(3) or ""
        if target.lower().startswith(_LINK_SCHEMES):
            continue
        if any(start <= match.start() < end for start, end in images):
            continue
        findings.append(
            Finding(
                target,
                f"a link to '{target}': only http(s) and mailto links work in an email",
                "write the full address, e.g. https://example.org/story",
            )
        )
    return findings
