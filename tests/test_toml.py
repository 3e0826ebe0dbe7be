"""The TOML locator: every key of any document, however it is written, at its line and column."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter._toml import load_toml, locate_keys

PATH = Path("newsletter.toml")
BARE = re.compile(r"[A-Za-z0-9_-]+")

KEYS = st.sampled_from(
    [
        "name",
        "url",
        "a",
        "b-1",
        "_x",
        "9",
        "true",
        "with space",
        "dot.ted",
        "ünï",
        'q"uote',
        "",
        "tab\tin",
        "new\nline",
        "x'y",
    ]
)
TEXTS = st.sampled_from(
    [
        "plain",
        "",
        "two\nlines",
        '[feeds]\nrol = "x"',
        'say "hi"',
        "it's",
        "# not a comment",
        "a\u2028b",
        '"""',
        "'''",
        'end"',
        "back\\slash",
        "\x01ctl",
        "tab\there",
    ]
)
SCALARS = st.one_of(
    TEXTS,
    st.integers(-5, 5),
    st.booleans(),
    st.just(datetime(1979, 5, 27, 7, 32)),
    st.lists(st.one_of(TEXTS, st.integers(0, 3)), max_size=3),
)
TABLES = st.recursive(
    st.dictionaries(KEYS, SCALARS, max_size=3),
    lambda inner: st.dictionaries(
        KEYS,
        st.one_of(SCALARS, inner, st.lists(inner, min_size=1, max_size=3)),
        max_size=4,
    ),
    max_leaves=12,
)


def _escaped(text: str, *, multi_line: bool = False) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n" and multi_line:
            out.append(char)
        elif char != "\t" and (ord(char) < 32 or ord(char) == 127):
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def _has_control(text: str) -> bool:
    return any(c != "\t" and (ord(c) < 32 or ord(c) == 127) for c in text)


def _key(draw: st.DrawFn, key: str) -> str:
    styles = ["basic"]
    if BARE.fullmatch(key):
        styles.append("bare")
    if "'" not in key and not _has_control(key):
        styles.append("literal")
    style = draw(st.sampled_from(styles))
    if style == "bare":
        return key
    return f"'{key}'" if style == "literal" else f'"{_escaped(key)}"'


def _dotted(draw: st.DrawFn, keys: list[str]) -> str:
    dot = draw(st.sampled_from([".", " . ", ".\t"]))
    return dot.join(_key(draw, key) for key in keys)


def _string(draw: st.DrawFn, text: str) -> str:
    styles = ["basic", "multi-line"]
    if "'" not in text and not _has_control(text) and "\n" not in text:
        styles.append("literal")
    if "'" not in text and not _has_control(text.replace("\n", "")):
        styles.append("multi-line literal")
    style = draw(st.sampled_from(styles))
    if style == "basic":
        return f'"{_escaped(text)}"'
    if style == "literal":
        return f"'{text}'"
    if style == "multi-line literal":
        return f"'''\n{text}'''"
    return f'"""\n{_escaped(text, multi_line=True)}"""'


def _value(draw: st.DrawFn, value: object) -> str:
    if isinstance(value, str):
        return _string(draw, value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dict):
        pairs = [f"{_key(draw, k)} = {_value(draw, v)}" for k, v in value.items()]
        return "{ " + ", ".join(pairs) + " }" if pairs else "{}"
    if isinstance(value, list):
        sep = draw(st.sampled_from([", ", ",\n  ", " , # a comment\n"]))
        items = sep.join(_value(draw, item) for item in value)
        end = draw(st.sampled_from(["", ",", ",\n"])) if value else ""
        return f"[{items}{end}]"
    return str(value)


def _is_tables(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _pairs(draw: st.DrawFn, table: dict[str, object], prefix: list[str], out: list[str]) -> None:
    """Write a table's keys as `a.b.c = v` lines."""
    for key, value in table.items():
        if isinstance(value, dict) and value and draw(st.booleans()):
            _pairs(draw, value, [*prefix, key], out)
        else:
            indent = draw(st.sampled_from(["", "  ", "\t"]))
            eq = draw(st.sampled_from([" = ", "=", "  =\t"]))
            comment = draw(st.sampled_from(["", "  # a note", " # [x]\u2028y = 1"]))
            out.append(f"{indent}{_dotted(draw, [*prefix, key])}{eq}{_value(draw, value)}{comment}")


def _document(draw: st.DrawFn, table: dict[str, object], path: list[str], out: list[str]) -> None:
    later: list[tuple[str, object]] = []
    here: dict[str, object] = {}
    for key, value in table.items():
        if (isinstance(value, dict) or _is_tables(value)) and draw(st.booleans()):
            later.append((key, value))
        else:
            here[key] = value
    _pairs(draw, here, [], out)
    for key, value in later:
        if isinstance(value, dict):
            out.append(f"[{_dotted(draw, [*path, key])}]{draw(st.sampled_from(['', '  # t']))}")
            _document(draw, value, [*path, key], out)
        else:
            assert isinstance(value, list)
            for item in value:
                out.append(f"[[{_dotted(draw, [*path, key])}]]")
                _document(draw, item, [*path, key], out)


@st.composite
def documents(draw: st.DrawFn) -> tuple[dict[str, object], str]:
    data = draw(TABLES)
    out: list[str] = []
    _document(draw, data, [], out)
    return data, "\n".join(out) + "\n"


def _key_paths(value: object, keys: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [keys] if keys else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _key_paths(child, (*keys, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _key_paths(child, (*keys, index))
    return found


KEY_PART = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+')


def _written_key(source: str) -> str | None:
    """The key written at the start of `source` (the last one of a [header]), as tomllib reads it."""
    if source.startswith("["):
        parts = KEY_PART.findall(source[: source.index("]")])
        source = parts[-1] if parts else ""
    match = KEY_PART.match(source)
    if match is None:
        return None
    parsed = tomllib.loads(f"{match.group()} = 1")
    return next(iter(parsed))


@settings(max_examples=300, deadline=None)
@given(documents())
def test_every_key_is_found_where_it_is_written(document: tuple[dict[str, object], str]) -> None:
    data, text = document
    assert tomllib.loads(text) == data  # the generator writes valid TOML
    spans = locate_keys(PATH, text)
    # The lines as the problem formatter counts them (U+2028 included).
    lines = text.splitlines()
    for keys in _key_paths(data):
        span = spans.find(*keys)
        source = lines[span.line - 1][span.column - 1 :]
        if isinstance(keys[-1], str):
            assert _written_key(source) == keys[-1], (keys, span, text)
        else:
            # An array entry: its [[header]] or its value.
            assert source[:1] in {"[", "{", '"', "'", "t", "f", "1"} or source[:1].isdigit()


def test_inline_table_dotted_and_quoted_keys() -> None:
    text = (
        "[authors]\n"
        'karimi = { name = "N", rol = "x" }\n'
        'samadi.rol = "y"\n'
        '[ authors . "ka\\u0072" ]\n'
        "'rol' = 1\n"
    )
    spans = locate_keys(PATH, text)
    assert [
        (s.line, s.column, s.length)
        for s in (
            spans.find("authors", "karimi", "rol"),
            spans.find("authors", "samadi", "rol"),
            spans.find("authors", "kar"),
            spans.find("authors", "kar", "rol"),
            spans.find("authors", "kar", "missing"),
        )
    ] == [(2, 24, 3), (3, 8, 3), (4, 1, 24), (5, 1, 5), (4, 1, 24)]


def test_arrays_of_tables_and_their_sub_tables() -> None:
    text = (
        '[[feeds]]\nname = "a"\n[feeds.extra]\nx = 1\n'
        '[[feeds]]  # second\nname = "b"\n'
        'list = [\n  "a",  # c\n  { k = "v" },\n]\n'
    )
    spans = locate_keys(PATH, text)
    assert spans.find("feeds", 0, "extra", "x").line == 4
    assert (spans.find("feeds", 1).line, spans.find("feeds", 1).length) == (5, 9)
    assert spans.find("feeds", 1, "url").line == 5  # missing: its entry's header
    assert (
        spans.find("feeds", 1, "list", 1, "k").line,
        spans.find("feeds", 1, "list", 1, "k").column,
    ) == (9, 5)


def test_a_header_after_its_sub_table_defines_it() -> None:
    spans = locate_keys(PATH, "[authors.karimi]\nname = 'N'\n[authors]\nx = 1\n")
    assert spans.find("authors").line == 3
    assert spans.find("authors", "karimi").line == 1


def test_crlf_and_unusual_line_breaks() -> None:
    text = '# a note\u2028more\r\n[newsletter]\r\nname = """one\r\ntwo"""\r\nx = 1\r\n'
    spans = locate_keys(PATH, text)
    # Counted as the formatter counts them: the U+2028 in the comment starts a line.
    assert text.splitlines()[spans.find("newsletter", "x").line - 1] == "x = 1"
    assert spans.find("newsletter").length == len("[newsletter]")


def test_syntax_errors_are_placed_as_the_formatter_counts_lines() -> None:
    data, problems = load_toml(PATH, "# \u2028\n[newsletter]\nname = The Briefing\n")
    assert data is None
    span = problems[0].span
    assert span is not None
    assert (span.line, span.column) == (4, 8)
    _, problems = load_toml(PATH, 'name = "unfinished')
    assert problems[0].message == "TOML syntax: Unterminated string"
    assert problems[0].span is not None
