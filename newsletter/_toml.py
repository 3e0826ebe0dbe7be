"""Leaf: TOML text → its data (tomllib) and the line and column where every key was written.

tomllib keeps no positions, so this module reads the text a second time with a small scanner
that follows TOML's grammar (table headers, arrays of tables, dotted and quoted keys, inline
tables, arrays, the four kinds of string) and records a `Span` for every key path, such as
("feeds", 1, "url") or ("authors", "karimi", "role"). The scanner only ever sees text tomllib
has accepted; a syntax error comes back from `load_toml` as a `Problem` at tomllib's position.
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from pathlib import Path
from typing import Any

from newsletter.errors import Problem
from newsletter.models import Span

KeyPath = tuple[str | int, ...]

# Lines are counted as `str.splitlines` counts them, because that is how the problem formatter
# finds the line it prints: a U+2028 in a comment would otherwise put every caret below it under
# the wrong line. (TOML allows U+0085, U+2028 and U+2029 in strings and comments; the other
# breaks below are control characters it refuses.)
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACE = re.compile(r"[ \t]*")
_BLANK = re.compile(r"[ \t]*(?:#[^\n]*)?")  # spaces, then a comment to the end of the line
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LITERAL = re.compile(r"'[^'\n]*'")
# A multi-line string may end with one or two quotes of its own right before the closing three.
_ML_BASIC = re.compile(r'"""(?:[^"\\]|\\.|"{1,2}(?!"))*"{3,5}', re.DOTALL)
_ML_LITERAL = re.compile(r"'''(?:[^']|'{1,2}(?!'))*'{3,5}")
# Numbers, booleans and dates: a local date-time holds a space, so only these end one.
_BARE_VALUE = re.compile(r"[^,\]}#\r\n]*")
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_AT_END = re.compile(r"\s*\(at end of document\)$")


class KeySpans:
    """Where each key of one TOML document was written, by key path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._spans: dict[KeyPath, Span] = {}
        self._implied: set[KeyPath] = set()

    def find(self, *keys: str | int) -> Span:
        """The span of the key path, else of its nearest written parent, else line 1 column 1."""
        for end in range(len(keys), 0, -1):
            span = self._spans.get(keys[:end])
            if span is not None:
                return span
        return Span(self.path, 1, 1)

    def note(self, keys: KeyPath, span: Span, *, implied: bool = False) -> None:
        """Record where `keys` was written; the first place wins, unless it only implied it.

        `[authors.karimi]` implies the table `authors`; a later `[authors]` defines it.
        """
        if keys not in self._spans or (keys in self._implied and not implied):
            self._spans[keys] = span
            if implied:
                self._implied.add(keys)
            else:
                self._implied.discard(keys)


def _unescape(body: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)

    return _ESCAPE.sub(replace, body)


class _Scanner:
    """One pass over the text, keeping the table the next key belongs to."""

    def __init__(self, path: Path, text: str) -> None:
        self.text = text
        self.pos = 0
        self.spans = KeySpans(path)
        self.starts = [0, *(match.end() for match in _LINE_BREAK.finditer(text))]
        self.arrays: dict[KeyPath, int] = {}  # each array of tables: its entries so far

    def span(self, start: int, end: int) -> Span:
        line = bisect_right(self.starts, start)
        if line < len(self.starts):
            # A value that runs over several lines is underlined on its first.
            end = min(end, self.starts[line])
            while end > start and _LINE_BREAK.match(self.text, end - 1):
                end -= 1
        return Span(self.spans.path, line, start - self.starts[line - 1] + 1, max(1, end - start))

    def past(self, pattern: re.Pattern[str], pos: int) -> int:
        """Where a match of `pattern` at `pos` ends (`pos` when it matches nothing)."""
        match = pattern.match(self.text, pos)
        return match.end() if match else pos

    def skip(self, *, lines: bool) -> None:
        while True:
            self.pos = self.past(_BLANK, self.pos)
            if lines and self.text.startswith(("\n", "\r"), self.pos):
                self.pos += 1
                continue
            return

    def document(self) -> KeySpans:
        table: KeyPath = ()
        while True:
            self.skip(lines=True)
            if self.pos >= len(self.text):
                return self.spans
            before = self.pos
            if self.text.startswith("[", self.pos):
                table = self.header()
            else:
                self.pair(table)
            if self.pos == before:  # not TOML after all: give up on this line, never loop
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end + 1

    def header(self) -> KeyPath:
        start = self.pos
        array = self.text.startswith("[[", start)
        self.pos += 2 if array else 1
        self.pos = self.past(_SPACE, self.pos)
        names = [name for name, _, _ in self.key()]
        self.pos = self.past(_SPACE, self.pos)
        closing = "]]" if array else "]"
        if self.text.startswith(closing, self.pos):
            self.pos += len(closing)
        span = self.span(start, self.pos)
        keys: KeyPath = ()
        for number, name in enumerate(names, start=1):
            keys += (name,)
            if array and number == len(names):
                # [[feeds]] adds an entry to the array `feeds`; the keys below it go there.
                self.spans.note(keys, span, implied=True)
                index = self.arrays.get(keys, 0)
                self.arrays[keys] = index + 1
                keys += (index,)
            elif keys in self.arrays:
                # [feeds.extra] under [[feeds]] is a table of the array's latest entry.
                keys += (self.arrays[keys] - 1,)
            self.spans.note(keys, span, implied=number < len(names))
        return keys

    def key(self) -> list[tuple[str, int, int]]:
        """A dotted key's parts: each name with where it starts and ends (quotes included)."""
        parts: list[tuple[str, int, int]] = []
        text = self.text
        while True:
            start = self.pos
            match = _BASIC.match(text, start) or _LITERAL.match(text, start)
            if match:
                raw = match.group()[1:-1]
                name = _unescape(raw) if match.group()[0] == '"' else raw
            else:
                match = _BARE_KEY.match(text, start)
                if not match:
                    return parts
                name = match.group()
            self.pos = match.end()
            parts.append((name, start, self.pos))
            self.pos = self.past(_SPACE, self.pos)
            if not text.startswith(".", self.pos):
                return parts
            self.pos = self.past(_SPACE, self.pos + 1)

    def pair(self, table: KeyPath) -> None:
        keys = table
        for name, start, end in self.key():
            keys += (name,)
            self.spans.note(keys, self.span(start, end))
        if keys == table:
            return
        self.pos = self.past(_SPACE, self.pos)
        if self.text.startswith("=", self.pos):
            self.pos = self.past(_SPACE, self.pos + 1)
            self.value(keys)

    def value(self, keys: KeyPath) -> None:
        if self.text.startswith("[", self.pos):
            self.array(keys)
        elif self.text.startswith("{", self.pos):
            self.inline_table(keys)
        else:
            for pattern in (_ML_BASIC, _ML_LITERAL, _BASIC, _LITERAL, _BARE_VALUE):
                match = pattern.match(self.text, self.pos)
                if match:
                    self.pos = match.end()
                    return

    def array(self, keys: KeyPath) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip(lines=True)
            if self.pos >= len(self.text) or self.text.startswith("]", self.pos):
                self.pos += 1
                return
            start = self.pos
            self.value((*keys, index))
            self.spans.note((*keys, index), self.span(start, self.pos))
            self.skip(lines=True)
            if self.text.startswith(",", self.pos):
                self.pos += 1
                index += 1
            elif self.pos == start:
                self.pos += 1

    def inline_table(self, keys: KeyPath) -> None:
        self.pos += 1
        while True:
            self.skip(lines=True)
            if self.pos >= len(self.text) or self.text.startswith("}", self.pos):
                self.pos += 1
                return
            start = self.pos
            self.pair(keys)
            self.skip(lines=True)
            # Past the comma; or past what is not TOML, so that the scan always moves on.
            if self.text.startswith(",", self.pos) or self.pos == start:
                self.pos += 1


def locate_keys(path: Path, text: str) -> KeySpans:
    """Index where every key, table and array entry of `text` (valid TOML) was written."""
    return _Scanner(path, text).document()


def _syntax_problem(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    index: int | None = None
    if at := _AT.search(message):
        # tomllib counts lines by "\n" alone; find the character, then count as we do.
        line, column = int(at.group(1)), int(at.group(2))
        index = sum(len(part) + 1 for part in text.split("\n")[: line - 1]) + column - 1
        message = message[: at.start()]
    elif at := _AT_END.search(message):
        index = len(text)
        message = message[: at.start()]
    span = None
    if index is not None:
        found = _Scanner(path, text).span(index, index + 1)
        span = Span(path, found.line, found.column)
    return Problem(
        f"TOML syntax: {message}",
        span=span,
        path=path,
        hint='strings need double quotes, e.g. name = "The Briefing"',
    )


def load_toml(path: Path, text: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse `text` (read from `path`); a syntax error becomes a `Problem` at its position."""
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_problem(path, text, exc)]
