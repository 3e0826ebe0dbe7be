"""Leaf: YAML text → a small tree of frozen nodes that remember their line and column.

PyYAML's composer gives nodes with marks but no interpretation: we never let it construct
values, so every scalar stays the text the editor typed (`no`, `on`, `1e3` and `12:30` are
strings) and the schema in `issue/` converts them. Duplicate keys survive composition, so the
schema can report them. Syntax errors come back as `Problem`s at the parser's position.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from newsletter.errors import Problem
from newsletter.models import Span

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


@dataclass(frozen=True, slots=True)
class YScalar:
    """A scalar exactly as written; `quoted` when the editor used quotes or a block scalar."""

    value: str
    span: Span
    quoted: bool

    @property
    def is_null(self) -> bool:
        """True for an empty value (`key:`), `~` or `null` written without quotes."""
        return not self.quoted and self.value in _NULLS


@dataclass(frozen=True, slots=True)
class YMap:
    """A mapping, keys in the order written (duplicates kept so they can be reported)."""

    pairs: tuple[tuple[YScalar, YNode], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class YSeq:
    """A sequence of nodes."""

    items: tuple[YNode, ...]
    span: Span


YNode = YScalar | YMap | YSeq


def _span(path: Path, node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    length = end.column - start.column if end.line == start.line else 1
    return Span(path, start.line + 1, start.column + 1, max(1, length))


class _Refused(Exception):
    """A document we will not convert: aliases or absurd nesting."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


_MAX_DEPTH = 50


def _convert(path: Path, node: yaml.Node, seen: set[int], depth: int = 0) -> YNode:
    if id(node) in seen:
        # An alias (*name): the composer hands back the anchored node again. Refused, because
        # an issue has no use for them and they allow self-reference and exponential blow-up.
        raise _Refused(
            Problem(
                "YAML anchors and aliases (&name, *name) are not supported in issue files",
                span=_span(path, node),
                hint="write the value out in full where it is needed",
            )
        )
    if depth > _MAX_DEPTH:
        raise _Refused(
            Problem(
                f"the document is nested more than {_MAX_DEPTH} levels deep",
                span=_span(path, node),
                hint="an issue file is a few levels deep; check the brackets and indentation",
            )
        )
    seen.add(id(node))  # an alias hands back this very node: a second visit is an alias
    if isinstance(node, yaml.ScalarNode):
        # PyYAML gives plain scalars a style of None or "" depending on the loader.
        quoted = node.style in {"'", '"', "|", ">"}
        return YScalar(str(node.value), _span(path, node), quoted)
    if isinstance(node, yaml.SequenceNode):
        items = tuple(_convert(path, child, seen, depth + 1) for child in node.value)
        return YSeq(items, _span(path, node))
    if isinstance(node, yaml.MappingNode):
        pairs: list[tuple[YScalar, YNode]] = []
        for key_node, value_node in node.value:
            key = _convert(path, key_node, seen, depth + 1)
            if not isinstance(key, YScalar):
                # A mapping or list used as a key: keep its place, the schema rejects it.
                key = YScalar("<complex key>", key.span, True)
            pairs.append((key, _convert(path, value_node, seen, depth + 1)))
        return YMap(tuple(pairs), _span(path, node))
    raise TypeError(f"unexpected YAML node {type(node).__name__}")  # pragma: no cover


SECOND_DOCUMENT = "YAML syntax: a second document starts here; an issue file is one document"


def control_character_problem(path: Path, span: Span | None, char: str) -> Problem:
    """The problem of a character YAML refuses to read (a C0 or C1 control, U+FFFE...)."""
    return Problem(
        f"a control character (U+{ord(char):04X}) is not allowed in an issue file",
        span=span,
        hint="delete it: most editors do not show it (it often comes with text pasted from a "
        "PDF or a word processor)",
        path=path,
    )


def _position(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of `text[index]` (the text has only \\n line ends)."""
    line = text.count("\n", 0, index) + 1
    return line, index - text.rfind("\n", 0, index)


def _syntax_problem(path: Path, exc: yaml.YAMLError, text: str) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        # No mark, only a position, counted in bytes by libyaml and in characters by PyYAML:
        # the character itself is exact, and the reader stops at its first occurrence.
        index = text.find(chr(exc.character))
        span = Span(path, *_position(text, index)) if index >= 0 else None
        return control_character_problem(path, span, chr(exc.character))
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    span = None
    if mark is not None:
        span = Span(path, mark.line + 1, mark.column + 1)
    if context == "expected a single document in the stream":
        return Problem(
            SECOND_DOCUMENT,
            span=span,
            hint="remove this '---' line (and what follows it, if that is another issue)",
            path=path,
        )
    detail = f"{problem} ({context})" if context else problem
    message = f"YAML syntax: {detail}"
    if "expected key" in problem or "'-' indicator" in problem:
        message = f"YAML syntax: this line's indentation does not match the lines above ({detail})"
    hint = "check the indentation and the colons on this line and the one above it"
    lines = text.split("\n")
    at_mark = ""
    if mark is not None and 0 <= mark.line < len(lines):
        at_mark = lines[mark.line][mark.column : mark.column + 1]
    if "tab character" in problem or at_mark == "\t":
        hint = "YAML indents with spaces only; replace the tab with spaces"
    elif "mapping values are not allowed" in problem:
        hint = "a value containing ': ' must be quoted, e.g. title: \"Talks: What Comes Next\""
    elif "expected <document start>" in problem:
        hint = "an issue file is one document: remove the '...' or '---' line above"
    return Problem(message, span=span, hint=hint, path=path)


def load_yaml(path: Path, text: str) -> tuple[YNode | None, list[Problem]]:
    """Compose `text` (read from `path`) into nodes; a syntax error becomes a `Problem`."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        return None, [_syntax_problem(path, exc, text)]
    if node is None:
        return None, []
    try:
        return _convert(path, node, set()), []
    except _Refused as refused:
        return None, [refused.problem]
