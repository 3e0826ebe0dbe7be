"""Leaf: a declarative table of a settings file's options, and the one walker that checks it.

A `Section` is a table of the file (`[newsletter]`, `[authors.KEY]` tables, `[[feeds]]`
entries) and lists its `Option`s: key, type, required or not, default, bounds or allowed values,
one line or not, a hint, and for what a field cannot say, a small validator. `walk` reads the
data tomllib gave against the sections and returns every table's checked values, with a
`Problem` at the key's line and column for every mistake: unknown keys (with a did-you-mean),
wrong types, numbers out of range, control characters, line breaks in one-line values. It knows
nothing of a particular option; `config.py` holds the newsroom's table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from newsletter._toml import KeyPath, KeySpans
from newsletter.errors import Problem
from newsletter.suggest import did_you_mean as suggest

T = TypeVar("T")
Kind = Literal["text", "whole", "seconds", "texts"]
Shape = Literal["table", "keyed", "array"]
# A validator gets the value (stripped, checked as text) and the settings file's folder, and
# returns the value to keep, or raises `Invalid`.
Validator = Callable[[str, Path], object]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f]")
# Line breaks as Python's email headers and YAML see them: the newsletter's name goes into
# every Subject, where a line break would end the header.
_LINE_BREAK = re.compile("[\n\r\x85\u2028\u2029]")


class Invalid(ValueError):
    """Raised by a validator: `message` says what is wrong, `hint` how to put it right."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Option:
    """One key of a table: its type, whether it must be written, its default and its limits."""

    key: str
    kind: Kind = "text"  # "texts": a list of strings, each checked as "text" is
    required: bool = False
    default: object = None  # written as in the file; converted like a written value
    top: float = 0  # numbers: the largest allowed (every number must be above 0)
    choices: tuple[str, ...] = ()  # text: the allowed values, in any case; kept in lower case
    one_line: bool = True  # text: refuse line breaks
    what: str = ""  # the value expected, in words, for messages: "a day of the week"
    hint: str = ""  # how to write a good value; shown when no more precise hint applies
    check: Validator | None = None  # what the fields above cannot say
    unique: bool = False  # no two entries of the section may share the value


@dataclass(frozen=True, slots=True)
class Section:
    """A table of the file, written as `[name]` (table), `[name.KEY]` (keyed) or `[[name]]`."""

    name: str
    options: tuple[Option, ...]
    shape: Shape = "table"
    required: bool = False
    entry: str = ""  # keyed and array sections: one entry, in words, for messages
    noun: str = ""  # what one entry is called: "feed"
    hint: str = ""  # how to write the section; KEY stands for an entry's key
    key_check: Validator | None = None  # keyed sections: what an entry's KEY must be


@dataclass(frozen=True, slots=True)
class Entry:
    """One checked table: where it is, its name in messages, and every option's value."""

    keys: KeyPath  # ("newsletter",), ("authors", "karimi"), ("feeds", 2)
    label: str  # "newsletter", "authors.karimi", "feeds[2]"
    values: Mapping[str, object]

    def get(self, key: str, kind: type[T]) -> T:
        """The value of option `key`, which `walk` has made a `kind`."""
        value = self.values[key]
        if not isinstance(value, kind):
            raise TypeError(f"{self.label}.{key} is {type(value).__name__}, not {kind.__name__}")
        return value

    def maybe(self, key: str, kind: type[T]) -> T | None:
        """The value of option `key`, or None when it has no value and no default."""
        return None if self.values[key] is None else self.get(key, kind)


def did_you_mean(word: str, choices: Collection[str]) -> str:
    """`did you mean 'x'? ` for the closest of `choices`, or an empty string."""
    close = suggest(word, sorted(choices))
    return f"did you mean '{close}'? " if close else ""


def describe(value: object) -> str:
    """A value as the editor wrote it in TOML, for "found …" in messages."""
    if isinstance(value, str):
        return repr(value) if value.strip() else "an empty string"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value) if isinstance(value, int | float) else str(value)


def _written(section: Section) -> str:
    if section.shape == "keyed":
        return f"[{section.name}.KEY] tables"
    if section.shape == "array":
        return f"[[{section.name}]] entries"
    return f"a [{section.name}] table"


class _Walker:
    def __init__(self, spans: KeySpans, root: Path) -> None:
        self.spans = spans
        self.root = root
        self.problems: list[Problem] = []

    def report(self, message: str, keys: KeyPath, label: str, hint: str = "") -> None:
        self.problems.append(Problem(message, span=self.spans.find(*keys), key=label, hint=hint))

    def document(
        self, data: Mapping[str, object], sections: Sequence[Section]
    ) -> dict[str, tuple[Entry, ...]]:
        names = [section.name for section in sections]
        for key in data:
            if key in names:
                continue
            # A key written above its table's header (or with the header deleted).
            owners = [
                section.name
                for section in sections
                if section.shape == "table" and any(option.key == key for option in section.options)
            ]
            hint = f"{did_you_mean(key, names)}known tables: {', '.join(names)}"
            if owners and not isinstance(data[key], dict):
                hint = f"{key} is a key of [{owners[0]}]: write it below the [{owners[0]}] line"
            self.report(f"unknown table [{key}]", (key,), key, hint)
        return {section.name: self.section(section, data.get(section.name)) for section in sections}

    def section(self, section: Section, value: object) -> tuple[Entry, ...]:
        name = section.name
        if value is None and section.required:
            self.report(f"missing the [{name}] table", (name,), name, section.hint)
        empty: dict[str, object] | list[object] = [] if section.shape == "array" else {}
        if value is None:
            value = empty
        elif not isinstance(value, type(empty)):
            found = describe(value)
            self.report(f"expected {_written(section)}, found {found}", (name,), name, section.hint)
            value = empty
        if section.shape == "table":
            assert isinstance(value, dict)
            return (self.table(section, value, (name,), name),)
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        entries: list[Entry] = []
        for key, item in items:
            label = f"{name}[{key}]" if section.shape == "array" else f"{name}.{key}"
            key_ok = True
            if section.key_check is not None:
                try:
                    section.key_check(str(key), self.root)
                except Invalid as invalid:
                    self.report(invalid.message, (name, key), label, invalid.hint)
                    key_ok = False
            if not isinstance(item, dict):
                self.report(
                    f"expected {section.entry}, found {describe(item)}",
                    (name, key),
                    label,
                    section.hint.replace("KEY", str(key)),
                )
                continue
            entry = self.table(section, item, (name, key), label)  # its own mistakes too
            if key_ok:
                entries.append(entry)
        self.unique(section, entries)
        return tuple(entries)

    def table(
        self, section: Section, table: Mapping[str, object], keys: KeyPath, label: str
    ) -> Entry:
        known = [option.key for option in section.options]
        unknown = [key for key in table if key not in known]
        for key in unknown:
            self.report(
                f"unknown key '{key}'",
                (*keys, key),
                label,
                hint=f"{did_you_mean(key, known)}known keys: {', '.join(sorted(known))}",
            )
        values: dict[str, object] = {}
        for option in section.options:
            value = table.get(option.key)
            if value is None:
                value = option.default
                # A misspelt key is already reported with a did-you-mean: one mistake, one error.
                if option.required and not any(did_you_mean(key, [option.key]) for key in unknown):
                    self.report(
                        f"missing required key '{option.key}'",
                        keys,
                        label,
                        option.hint or f'add {option.key} = "…" under [{label}]',
                    )
            try:
                values[option.key] = None if value is None else self.convert(option, value)
            except Invalid as invalid:
                where = (*keys, option.key)
                name = f"{label}.{option.key}"
                self.report(invalid.message, where, name, invalid.hint or option.hint)
                values[option.key] = None
        return Entry(keys, label, values)

    def convert(self, option: Option, value: object) -> object:
        if option.kind == "texts":
            # A list of values, each read as a "text" option of the same limits is read.
            if not isinstance(value, list) or not value:
                raise Invalid(
                    f"expected {option.what or 'a list of strings'}, found {describe(value)}",
                    option.hint,
                )
            one = Option(option.key, one_line=option.one_line, what="a string", check=option.check)
            return tuple(self.convert(one, item) for item in value)
        if option.kind != "text":
            whole = option.kind == "whole"
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or (whole and isinstance(value, float))
                or not 0 < value <= option.top
            ):
                kind = option.what or ("a whole number" if whole else "a number of seconds")
                raise Invalid(
                    f"expected {kind} above 0 and at most {option.top:g}, found {describe(value)}",
                    f"the default is {option.default:g}",
                )
            return int(value) if whole else float(value)
        if not isinstance(value, str) or not value.strip():
            raise Invalid(
                f"expected {option.what or 'a non-empty string'}, found {describe(value)}"
            )
        if _CONTROL.search(value):
            raise Invalid(
                "the value contains a control character",
                "remove escapes such as \\u0000 from the string",
            )
        text = value.strip()
        if option.one_line and _LINE_BREAK.search(text):
            raise Invalid(
                "expected one line, found a line break",
                "write it on one line, without \\n or a multi-line string",
            )
        if option.choices:
            if text.lower() not in option.choices:
                raise Invalid(
                    f"expected {option.what}, found '{text}'",
                    f"one of: {', '.join(option.choices)}",
                )
            text = text.lower()
        return text if option.check is None else option.check(text, self.root)

    def unique(self, section: Section, entries: Sequence[Entry]) -> None:
        for option in section.options:
            if not option.unique:
                continue
            seen: set[object] = set()
            for entry in entries:
                value = entry.values[option.key]
                if value in seen:
                    self.report(
                        f"{section.noun} {option.key} '{value}' is used twice",
                        (*entry.keys, option.key),
                        f"{entry.label}.{option.key}",
                        hint=f"give each {section.noun} its own {option.key}",
                    )
                elif value is not None:
                    seen.add(value)


def walk(
    data: Mapping[str, object], sections: Sequence[Section], spans: KeySpans, root: Path
) -> tuple[dict[str, tuple[Entry, ...]], list[Problem]]:
    """Check `data` against `sections`: each section's entries and every problem found.

    `spans` places the problems; `root` (the settings file's folder) goes to the validators.
    An option with a problem has the value None.
    """
    walker = _Walker(spans, root)
    return walker.document(data, sections), walker.problems
