"""Golden files: compare an output with its copy under tests/golden/, showing a readable unified
diff when they differ; rewrite the copy only when the run was given `--update-golden`.

JSON is compared byte for byte but shown in the diff with each long string split at its line
breaks and between tags, so a changed HTML body reads as the tags that changed, not one endless
line.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"

MAX_DIFF_LINES = 120

_TAGS = re.compile(r"(?<=>)(?=<)")


def _readable(name: str, data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace")
    if name.endswith(".json"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            return text.splitlines()

        def split(value: Any) -> Any:
            if isinstance(value, str) and "\n" in value:
                # One tag a line, too: the renderer writes long runs of markup on one line.
                return [part for line in value.split("\n") for part in _TAGS.split(line)]
            if isinstance(value, dict):
                return {key: split(item) for key, item in value.items()}
            if isinstance(value, list):
                return [split(item) for item in value]
            return value

        return json.dumps(split(parsed), indent=2, ensure_ascii=False).splitlines()
    if name.endswith(".html"):
        # Tag by tag: MRML and premailer write long runs of markup on one line.
        return [part for line in text.splitlines() for part in _TAGS.split(line)]
    return text.splitlines()


def assert_golden(relative: str, actual: bytes, *, update: bool) -> None:
    """Fail with a unified diff unless `actual` equals tests/golden/<relative>; with `update`,
    write it there instead (and pass)."""
    path = GOLDEN / relative
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
        return
    if not path.exists():
        pytest.fail(f"no golden file tests/golden/{relative}; run pytest --update-golden")
    expected = path.read_bytes()
    if expected == actual:
        return
    diff = list(
        difflib.unified_diff(
            _readable(relative, expected),
            _readable(relative, actual),
            f"tests/golden/{relative}",
            "this run",
            lineterm="",
        )
    )
    if len(diff) > MAX_DIFF_LINES:
        diff = [*diff[:MAX_DIFF_LINES], f"… {len(diff) - MAX_DIFF_LINES} more lines"]
    if not diff:
        diff = ["(the files differ only in bytes the readable view hides: line ends, escapes)"]
    pytest.fail(
        f"tests/golden/{relative} differs (pytest --update-golden accepts the new output):\n"
        + "\n".join(diff),
        pytrace=False,
    )
