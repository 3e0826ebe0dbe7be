"""Leaf: JSON text → the positioned node tree `_yaml` gives, for files we write and read back.

The standard library's `json` decides what is JSON (its syntax errors carry a line and a
column); it keeps no positions, so a second, small reader walks the same text and gives every
value a `Span`, as `_yaml` does for issue files. Not the YAML composer: PyYAML rejects text that
JSON allows (U+FFFE, a `\\ud83d\\ude00` surrogate pair written as escapes) and accepts text JSON
does not (trailing commas), so it would disagree with `json` about exactly the hand-edited files
that need a clear report. Strings become quoted `YScalar`s holding the decoded text; numbers,
`true`, `false` and `null` become unquoted ones holding the text as written, so a checker can
tell `"1200"` from `1200`.
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path

from newsletter._yaml import YMap, YNode, YScalar, YSeq
from newsletter.models import Span

MAX_DEPTH = 50
# A lock file of a few dozen articles holds a few hundred values; the cap keeps a file of
# millions of tiny values (cheap for `json`, a node and a span each here) from costing memory.
MAX_VALUES = 200_000

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class JSONRefused(Exception):
    """Valid JSON we will not walk: nested too deep or holding too many values."""


class _Walker:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        # JSON breaks lines at \n only (a raw U+2028 inside a string is not a line break).
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.values = 0

    def span(self, start: int, end: int) -> Span:
        line = bisect.bisect_right(self.starts, start) - 1
        column = start - self.starts[line] + 1
        same_line = "\n" not in self.text[start:end]
        return Span(self.path, line + 1, column, max(1, end - start) if same_line else 1)

    def skip(self, position: int) -> int:
        match = _WHITESPACE.match(self.text, position)
        return match.end() if match else position

    def value(self, position: int, depth: int) -> tuple[YNode, int]:
        self.values += 1
        if self.values > MAX_VALUES:
            raise JSONRefused(f"it holds more than {MAX_VALUES:,} values")
        if depth > MAX_DEPTH:
            raise JSONRefused(f"it is nested more than {MAX_DEPTH} levels deep")
        char = self.text[position]
        if char == "{":
            return self.mapping(position, depth)
        if char == "[":
            return self.sequence(position, depth)
        # A string, a number, true, false or null: `json` reads it, we keep where it was.
        decoded, end = _DECODER.raw_decode(self.text, position)
        if isinstance(decoded, str):
            return YScalar(decoded, self.span(position, end), True), end
        return YScalar(self.text[position:end], self.span(position, end), False), end

    def mapping(self, start: int, depth: int) -> tuple[YNode, int]:
        pairs: list[tuple[YScalar, YNode]] = []
        position = self.skip(start + 1)
        if self.text[position] == "}":
            return YMap((), self.span(start, position + 1)), position + 1
        while True:
            name, end = _DECODER.raw_decode(self.text, position)
            key = YScalar(str(name), self.span(position, end), True)
            position = self.skip(self.skip(end) + 1)  # past the colon
            child, position = self.value(position, depth + 1)
            pairs.append((key, child))
            position = self.skip(position)
            if self.text[position] == "}":
                return YMap(tuple(pairs), self.span(start, position + 1)), position + 1
            position = self.skip(position + 1)  # past the comma

    def sequence(self, start: int, depth: int) -> tuple[YNode, int]:
        items: list[YNode] = []
        position = self.skip(start + 1)
        if self.text[position] == "]":
            return YSeq((), self.span(start, position + 1)), position + 1
        while True:
            child, position = self.value(position, depth + 1)
            items.append(child)
            position = self.skip(position)
            if self.text[position] == "]":
                return YSeq(tuple(items), self.span(start, position + 1)), position + 1
            position = self.skip(position + 1)  # past the comma


def load_json(path: Path, text: str) -> YNode:
    """Compose JSON `text` (read from `path`) into positioned nodes.

    Raises `json.JSONDecodeError` (with `lineno` and `colno`) for text that is not JSON, and
    `JSONRefused` for JSON nested deeper than `MAX_DEPTH` or with more than `MAX_VALUES`
    values."""
    try:
        json.loads(text)
    except RecursionError:
        raise JSONRefused(f"it is nested more than {MAX_DEPTH} levels deep") from None
    except json.JSONDecodeError:
        raise
    except ValueError:
        # Python refuses to read an integer of more than 4,300 digits (a denial-of-service
        # guard); no lock file holds one.
        raise JSONRefused("it holds a number too long to read") from None
    walker = _Walker(path, text)
    node, _ = walker.value(walker.skip(0), 0)
    return node
