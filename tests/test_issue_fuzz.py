"""Property: no mutation of the sample issue makes reading it raise anything but a report.

Random edits (deleted lines, broken indentation, wrong types, garbage values, stray YAML
syntax) must end in a valid issue or a `ProblemsError` whose problems all print; never in
another exception.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.config import load_settings
from newsletter.entries import parse_feed
from newsletter.errors import ProblemsError, format_problems
from newsletter.issue import read_issue
from newsletter.models import Validators
from newsletter.store import Location, Store, open_store
from tests.conftest import BACKENDS, ROOT, backend_store

SAMPLE = (ROOT / "issues" / "2026-11-27.yaml").read_text(encoding="utf-8")
LINES = SAMPLE.splitlines()
GARBAGE = st.sampled_from(
    [
        "",
        "~",
        "[]",
        "{}",
        "- x",
        "'",
        '"',
        "|",
        ">",
        ": :",
        "&a",
        "*a",
        "!!binary x",
        "\t",
        "27/11/2026",
        "2026-13-40",
        "-1",
        "1e3",
        "no",
        "javascript:alert(1)",
        "<b>x</b>",
        "%",
        "@x",
        "`x`",
        "[a, {b: c}]",
        "ylvapjd4",
        "https://example.org/nope",
        "𝕏 ☃",
        "\x00",
    ]
)


def _filled_store(location: Location) -> Store:
    """A real store holding the sample feeds, parsed for real."""
    store = open_store(location)
    now = datetime(2026, 11, 28, tzinfo=UTC)
    for name in ("news.xml", "analysis.atom", "dari.xml"):
        path = ROOT / "feeds" / name
        parsed = parse_feed(path.read_bytes(), feed_name=name, location=path.as_uri(), now=now)
        store.save_feed(
            name=name,
            url=str(path),
            articles=parsed.articles,
            status=None,
            validators=Validators(),
            problem=None,
        )
    return store


SETTINGS = load_settings(ROOT / "newsletter.toml")
FOLDER = Path(tempfile.mkdtemp(prefix="newsletter-fuzz-"))


@pytest.fixture(scope="module", params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """The sample week in each backend in turn (only read by the examples)."""
    with _filled_store(backend_store(request, FOLDER)) as filled:
        yield filled


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "indent", "dedent", "value", "key", "insert"]))
        line = lines[index]
        if kind == "delete":
            del lines[index]
        elif kind == "indent":
            lines[index] = " " * draw(st.integers(1, 3)) + line
        elif kind == "dedent":
            lines[index] = line.lstrip()
        elif kind == "value" and ":" in line:
            lines[index] = line.split(":", 1)[0] + ": " + draw(GARBAGE)
        elif kind == "key" and ":" in line:
            lines[index] = draw(st.text(min_size=1, max_size=8)) + ":" + line.split(":", 1)[1]
        else:
            lines.insert(index, draw(GARBAGE))
        if not lines:
            break
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_are_reported_never_raised(store: Store, text: str) -> None:
    path = FOLDER / "2026-11-27.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        read_issue(path, SETTINGS, store)
    except ProblemsError as exc:
        assert exc.problems
        assert format_problems(exc.problems).endswith("nothing was written.\n")
