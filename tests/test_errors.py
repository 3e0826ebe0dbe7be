"""The problem formatter: what it prints of an input file is safe for a terminal."""

from __future__ import annotations

from pathlib import Path

from newsletter.errors import Problem, format_problem
from newsletter.models import Span


def test_a_source_line_shows_control_and_bidi_characters_as_replacements(
    tmp_path: Path,
) -> None:
    # Printed as they are, a CSI (U+009B) would drive the terminal and an RLO (U+202E) turn
    # the rest of the line around; one U+FFFD each keeps the caret under the right column.
    path = tmp_path / "x.json"
    path.write_text('{"title": "\u202e\x9b2Jx", "url": 1}\n', encoding="utf-8")
    problem = Problem("expected text", span=Span(path, 1, 25, 1))
    assert format_problem(problem).splitlines()[1:] == [
        ' > 1 | {"title": "\ufffd\ufffd2Jx", "url": 1}',
        "     |                         ^",
    ]
