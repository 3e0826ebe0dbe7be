"""Leaf: text from strangers (feeds, lock files, the store) made safe to keep, print and render.

Feeds are written by anyone. At the boundary every string goes through `clean_text`: control
characters (all but tab and newline) are dropped, as are lone surrogates (SQLite and UTF-8
cannot hold them) and the non-characters U+FFFE/U+FFFF; the other line breaks (CR, NEL,
U+2028/U+2029, which YAML and terminals honour) become a newline; and bidirectional
controls are balanced, so an unterminated U+202E cannot reverse the editor's text that
follows it. `terminal_text` makes any string harmless to print: what is left of control
characters is shown as an escape, never sent to the terminal.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls (NEL is a line break, handled first),
# lone surrogates, and the two non-characters that many parsers reject.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")
_OPENERS = {
    "\u202a": "\u202c",  # LRE … PDF
    "\u202b": "\u202c",  # RLE … PDF
    "\u202d": "\u202c",  # LRO … PDF
    "\u202e": "\u202c",  # RLO … PDF
    "\u2066": "\u2069",  # LRI … PDI
    "\u2067": "\u2069",  # RLI … PDI
    "\u2068": "\u2069",  # FSI … PDI
}
_CLOSERS = frozenset(_OPENERS.values())
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def balance_bidi(text: str) -> str:
    """Close every bidi embedding, override or isolate the text opens, and drop closers that
    close nothing; a string then cannot change the direction of what follows it."""
    if not _BIDI.search(text):
        return text
    out: list[str] = []
    stack: list[str] = []
    position = 0
    for match in _BIDI.finditer(text):
        out.append(text[position : match.start()])
        position = match.end()
        mark = match.group(0)
        if mark in _OPENERS:
            stack.append(_OPENERS[mark])
            out.append(mark)
        elif mark in _CLOSERS and mark in stack:
            # A PDI also closes the embeddings opened inside its isolate (UAX #9, X6a).
            while stack:
                closer = stack.pop()
                out.append(closer)
                if closer == mark:
                    break
    out.append(text[position:])
    out.extend(reversed(stack))
    return "".join(out)


def clean_text(text: str) -> str:
    """A string from a feed or a hand-edited file, safe to store, print and render."""
    if text.isascii() and text.isprintable():
        return text  # the common case: nothing to do
    text = _LINE_BREAKS.sub("\n", text)
    return balance_bidi(_CONTROL.sub("", text))


def has_unsafe_characters(text: str) -> bool:
    """True when `clean_text` would change the string."""
    return clean_text(text) != text


_UNSHOWN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def visible_line(text: str) -> str:
    """A line of an input file to print under a caret: each control character and bidi
    control becomes U+FFFD, one for one, so the terminal obeys none of them and the caret
    still points at the same column."""
    return _UNSHOWN.sub("\ufffd", text)


# The zero-width non-joiner and joiner are letters' business, not the terminal's: Persian
# spells words with them (زمین‌لرزه), and they move nothing on the screen.
_JOINERS = frozenset("\u200c\u200d")


def terminal_text(text: str) -> str:
    """A string to print in a terminal: control characters (bidi controls too) shown as
    escapes, not obeyed."""
    if text.isprintable():
        return text
    return "".join(
        char
        if char.isprintable() or char == " " or char in _JOINERS
        else char.encode("unicode_escape").decode("ascii")
        for char in text
    )
