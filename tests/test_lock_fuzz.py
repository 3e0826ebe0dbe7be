"""Properties of lock files: the positioned JSON reader agrees with `json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter._json import load_json
from newsletter._yaml import YMap, YNode, YScalar, YSeq

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(st.characters(codec="utf-8")),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


def _value(node: YNode) -> Any:
    if isinstance(node, YMap):
        return {key.value: _value(child) for key, child in node.pairs}
    if isinstance(node, YSeq):
        return [_value(child) for child in node.items]
    return node.value if node.quoted else json.loads(node.value)


def _starts(node: YNode, lines: list[str]) -> None:
    """Every node's span starts where its text does."""
    line = lines[node.span.line - 1][node.span.column - 1 :]
    if isinstance(node, YMap):
        assert line.startswith("{")
        for key, child in node.pairs:
            assert lines[key.span.line - 1][key.span.column - 1] == '"'
            _starts(child, lines)
    elif isinstance(node, YSeq):
        assert line.startswith("[")
        for child in node.items:
            _starts(child, lines)
    elif isinstance(node, YScalar):
        assert line.startswith('"' if node.quoted else node.value)


@settings(max_examples=300, deadline=None)
@given(JSON, st.sampled_from([None, 0, 2]), st.booleans())
def test_the_positioned_reader_reads_what_json_reads(
    value: Any, indent: int | None, ascii_only: bool
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    node = load_json(Path("x.json"), text)
    assert _value(node) == json.loads(text)
    _starts(node, text.split("\n"))
