"""Stage 2 (issue file), the schema: typed reads of positioned YAML and JSON nodes.

Takes the node trees `_yaml` and `_json` give, where every value is the text as written with
its line and column; gives Python values (a mapping's values by key, text, whole numbers,
dates) and, instead of stopping at the first mistake, a `Problem` for each one at its
position, with a hint. `SchemaReader` is the base of both files' readers: it holds the
problems and reads mappings; `YamlReader` adds the reads of values an editor typed, where
everything is text until converted. Each file's reader brings its own structure and words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from newsletter._yaml import YMap, YNode, YScalar, YSeq
from newsletter.errors import Problem
from newsletter.models import Span
from newsletter.suggest import did_you_mean
from newsletter.week import FIRST_DAY, LAST_DAY, is_supported_day

# The characters YAML refuses to read in a file, which its double-quoted escapes ("\x01")
# can still produce: MRML refuses the C0 controls and U+FFFE/U+FFFF, and an editor sees none.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
# What Python's str.splitlines (and so the email headers) treat as the end of a line.
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # ASCII digits: \d takes ٤٢ too
_DAY_FIRST = re.compile(r"([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{4})")


def warning(where: YNode | Span, key: str, message: str, hint: str = "") -> Problem:
    """A warning at a node or span: a problem that does not stop a build."""
    span = where if isinstance(where, Span) else where.span
    return Problem(message, span=span, key=key, hint=hint, severity="warning")


def codepoint(char: str) -> str:
    """A character as it is named in messages, e.g. U+0007."""
    return f"U+{ord(char):04X}"


class SchemaReader:
    """Walks a file's node tree once, collecting every problem instead of stopping.

    Subclasses name what they found their own way (`kind`, `quote`, `MAPPING`) and may add
    advice to the hint of a value of the wrong shape (`shape_hint`)."""

    MAPPING = "a mapping of keys"  # what a mapping is called in "expected an image (...)"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        # (mapping, key) pairs already reported as "did you mean KEY?": not also "missing KEY".
        self.suggested: set[tuple[Span, str]] = set()

    # -- reporting ---------------------------------------------------------------------------

    def error(self, where: YNode | Span, key: str, message: str, hint: str = "") -> None:
        """Record an error at a node or span."""
        span = where if isinstance(where, Span) else where.span
        self.problems.append(Problem(message, span=span, key=key, hint=hint))

    def warn(self, where: YNode | Span, key: str, message: str, hint: str = "") -> None:
        """Record a warning at a node or span."""
        self.problems.append(warning(where, key, message, hint))

    def report(self, problem: Problem | None) -> None:
        """Record a problem found by a rule, if there is one."""
        if problem is not None:
            self.problems.append(problem)

    def error_count(self) -> int:
        """How many errors (not warnings) have been recorded so far."""
        return sum(1 for problem in self.problems if problem.severity == "error")

    def kind(self, node: YNode) -> str:
        """What a node is, for "found ...": a mapping, a list, nothing, or its quoted text."""
        if isinstance(node, YMap):
            return "a mapping"
        if isinstance(node, YSeq):
            return "a list"
        if node.is_null:
            return "nothing"
        return f"'{node.value}'" if len(node.value) <= 40 else f"'{node.value[:37]}...'"

    def quote(self, text: str) -> str:
        """A key's name from the file, quoted for a message."""
        return f"'{text}'"

    def shape_hint(self, what: str, allowed: Sequence[str]) -> str:
        """The hint for a mapping of the wrong shape: the keys it has."""
        return f"{what} has the keys: {', '.join(allowed)}"

    def unknown_key_path(self, key: str, name: str) -> str:
        """The key path an unknown key is reported at: the mapping's, or its own at the top."""
        return key or name

    def expected(self, node: YNode, key: str, what: str, hint: str) -> None:
        """Record "expected WHAT, found ..." for a value of the wrong kind."""
        self.error(node, key, f"expected {what}, found {self.kind(node)}", hint)

    def missing(self, parent: YNode, key: str, hint: str) -> None:
        """Record that `parent` lacks the required last part of the key path `key`."""
        self.error(parent, key, f"missing required key '{key.rsplit('.', 1)[-1]}'", hint)

    # -- shapes ------------------------------------------------------------------------------

    def fields(
        self, node: YNode, key: str, allowed: Sequence[str], what: str
    ) -> dict[str, YNode] | None:
        """A mapping's values by key, or None when `node` is no mapping. Unknown and repeated
        keys are errors: a value under a misspelt or repeated key would silently not be the
        one used."""
        if not isinstance(node, YMap):
            self.expected(node, key, f"{what} ({self.MAPPING})", self.shape_hint(what, allowed))
            return None
        out: dict[str, YNode] = {}
        for name_node, value in node.pairs:
            name = name_node.value
            if name not in allowed:
                close = did_you_mean(name, allowed)
                if close:
                    self.suggested.add((node.span, close))
                mean = f"did you mean '{close}'? " if close else ""
                self.error(
                    name_node,
                    self.unknown_key_path(key, name),
                    f"unknown key {self.quote(name)}",
                    hint=f"{mean}{what} has the keys: {', '.join(allowed)}",
                )
            elif name in out:
                self.error(
                    name_node,
                    f"{key}.{name}" if key else name,
                    f"'{name}' is given twice",
                    hint="keep one of them; a later one would silently win",
                )
            else:
                out[name] = value
        return out


class YamlReader(SchemaReader):
    """The reads of values an editor typed in YAML: each is text as written, converted here
    (`no` stays the word no), with the file's lines at hand to point inside a value."""

    def __init__(self, path: Path, text: str) -> None:
        super().__init__(path)
        self.lines = text.splitlines()

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
        """A string value; `required` reports a missing or empty one. A `one_line` value
        (a headline, a label) loses the newline a block scalar ends with and may not have
        another; no value may have a control character. What there is then goes through
        `check_text` (`markdown`: the text is Markdown)."""
        if node is None:
            name = key.rsplit(".", 1)[-1]
            if required and parent is not None and (parent.span, name) not in self.suggested:
                self.missing(parent, key, hint)
            return None
        if not isinstance(node, YScalar):
            self.expected(
                node, key, "text", "if the text contains ': ' or starts with '-', put it in quotes"
            )
            return None
        if node.is_null or not node.value.strip():
            if required:
                self.error(node, key, "expected text, found nothing", hint=hint)
            return None
        value = node.value.strip() if not node.quoted else node.value
        if one_line:
            value = value.rstrip("\n")
        control = CONTROL.search(value)
        if control:
            self.error(
                node,
                key,
                f"a control character ({codepoint(control.group())}) is not allowed in an "
                "issue file",
                hint="remove the escape that makes it (such as \\x01 or \\u0001) from the "
                "quoted text",
            )
        elif one_line and (line_break := _LINE_BREAK.search(value)):
            self.error(
                node,
                key,
                f"expected one line of text, found a line break ({codepoint(line_break.group())})",
                hint="write it on one line, with no '|' block and no escape such as \\n in quotes",
            )
        self.check_text(node, key, markdown=markdown)
        return value

    def check_text(self, node: YScalar, key: str, *, markdown: bool) -> None:
        """The checks a file's text values get beyond their type (here none)."""

    def locate(self, node: YScalar, needle: str, occurrence: int = 0) -> Span:
        """Where `needle` appears inside a scalar (block scalars start on the next line);
        `occurrence` 1 is its second appearance, and so on."""
        for number in range(node.span.line, min(len(self.lines), node.span.line + 400) + 1):
            line = self.lines[number - 1]
            column = line.find(needle, node.span.column - 1 if number == node.span.line else 0)
            while column >= 0 and occurrence > 0:
                occurrence -= 1
                column = line.find(needle, column + max(1, len(needle)))
            if column >= 0:
                return Span(self.path, number, column + 1, max(1, len(needle)))
        return node.span

    def integer(self, node: YNode | None, key: str, parent: YNode) -> int | None:
        """A whole number of 1 or more (the issue's number)."""
        if node is None:
            self.missing(parent, key, "e.g. number: 42")
            return None
        if not isinstance(node, YScalar) or not re.fullmatch(r"[0-9]{1,6}", node.value.strip()):
            self.expected(
                node, key, "a whole number", "the issue's number in the series, e.g. number: 42"
            )
            return None
        value = int(node.value)
        if value < 1:
            self.error(
                node,
                key,
                "expected a number of 1 or more, found 0",
                hint="issues are numbered from 1",
            )
            return None
        return value

    def size(self, node: YNode, key: str, dimension: str) -> int | None:
        """A size in pixels (an image's width or height)."""
        if isinstance(node, YScalar) and re.fullmatch(r"[0-9]{1,5}", node.value.strip()):
            return int(node.value)
        self.expected(node, key, "a size in pixels", f"e.g. {dimension}: 1200")
        return None

    def day(self, node: YNode | None, key: str, parent: YNode) -> date | None:
        """A date written YYYY-MM-DD within the supported years; a day-first date gets the
        date it probably means as a hint."""
        if node is None:
            self.missing(parent, key, "the send date, e.g. date: 2026-11-27")
            return None
        raw = node.value.strip() if isinstance(node, YScalar) else ""
        if isinstance(node, YScalar) and _DATE.match(raw):
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                self.error(
                    node,
                    key,
                    f"no such day: '{raw}'",
                    hint="check the month and the day of the month",
                )
                return None
            if not is_supported_day(day):
                self.error(
                    node,
                    key,
                    f"the date {raw} is outside the years {FIRST_DAY.year} to {LAST_DAY.year}",
                    hint=f"the send date, e.g. 2026-11-27; issue dates run from {FIRST_DAY} "
                    f"to {LAST_DAY}",
                )
                return None
            return day
        guess = ""
        match = _DAY_FIRST.fullmatch(raw)
        if match:
            d, m, y = (int(g) for g in match.groups())
            if m > 12 >= d:
                d, m = m, d
            try:
                guess = f"; did you mean {date(y, m, d).isoformat()}?"
            except ValueError:
                guess = ""
        found = self.kind(node) if isinstance(node, YMap | YSeq) else f"'{raw}'"
        self.error(
            node,
            key,
            f"expected a date as YYYY-MM-DD, found {found}",
            hint=f"write the year first, e.g. 2026-11-27{guess}",
        )
        return None
