"""Properties of lock files: the positioned JSON reader agrees with `json`, and no hand edit
of the sample lock file makes `check` raise anything but a report.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter._json import load_json
from newsletter._yaml import YMap, YNode, YScalar, YSeq
from newsletter.config import load_settings
from newsletter.errors import ProblemsError, format_problems
from newsletter.issue import read_issue
from newsletter.store import Store, open_store
from tests.conftest import BACKENDS, ROOT, backend_store

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


SAMPLE = (ROOT / "issues" / "2026-11-27.lock.json").read_text(encoding="utf-8")
LINES = SAMPLE.splitlines()
GARBAGE = st.sampled_from(
    [
        "null",
        "true",
        "0",
        "-1",
        "1e400",
        "NaN",
        "[]",
        "{}",
        '""',
        '" "',
        '"javascript:alert(1)"',
        '"https://"',
        '"https://example.org:99999/"',
        '"http://[::1"',
        '"2026-11-24T10:00:00"',
        '"0001-01-01T00:00:00+14:00"',
        '"9999-12-31T23:59:59-12:00"',
        '"<script>alert(1)</script>"',
        '"\\u202e\\u0000\\ud800"',
        '"\\ud83d\\udcfb"',
        '["x", 1]',
        '{"url": 1}',
        '{"url": "https://e.org/p.jpg", "width": 1.5}',
        "[[[[[[[[]]]]]]]]",
        "{",
        '"',
    ]
)
SETTINGS = load_settings(ROOT / "newsletter.toml")
FOLDER = Path(tempfile.mkdtemp(prefix="newsletter-lock-fuzz-"))
shutil.copy(ROOT / "issues" / "2026-11-27.yaml", FOLDER / "2026-11-27.yaml")


@pytest.fixture(scope="module", params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """An empty store in each backend in turn: the lock file is all there is."""
    with open_store(backend_store(request, FOLDER)) as empty:
        yield empty


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "value", "key", "insert"]))
        line = lines[index]
        if kind == "delete":
            del lines[index]
        elif kind == "value" and '": ' in line:
            comma = "," if line.endswith(",") else ""
            lines[index] = line.split('": ', 1)[0] + '": ' + draw(GARBAGE) + comma
        elif kind == "key" and '": ' in line:
            indent = line[: len(line) - len(line.lstrip())]
            name = json.dumps(draw(st.text(min_size=1, max_size=8)))
            lines[index] = indent + name + ": " + line.split('": ', 1)[1]
        else:
            lines.insert(index, draw(GARBAGE))
        if not lines:
            break
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_hand_edits_are_reported_never_raised(store: Store, text: str) -> None:
    (FOLDER / "2026-11-27.lock.json").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        checked = read_issue(FOLDER / "2026-11-27.yaml", SETTINGS, store)
    except ProblemsError as exc:
        assert exc.problems
        assert format_problems(exc.problems).endswith("nothing was written.\n")
    else:
        format_problems(checked.warnings)
