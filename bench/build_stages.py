"""Benchmark helper: one real `newsletter build` in this process, its time split by stage.

Run by `bench/build.py` as a fresh process (`python bench/build_stages.py OUT.json ARGS…`,
ARGS being the `newsletter` command line); not meant to be run by hand. It wraps the
functions of each stage as their modules are imported (imports are not done ahead, so the
process does exactly what the `newsletter` command does) and charges every moment to one
stage: time spent importing is charged to the imports, not to the stage that triggered them.
It writes the seconds of each stage, and this process's own start and end on the wall clock
(`time.time`), as JSON to OUT.json.
"""

from __future__ import annotations

import builtins
import functools
import sys
import time

STARTED = time.time()

from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# The libraries premailer loads: their import is the part of the floor a build with premailer
# cannot avoid.
PREMAILER_LIBS = frozenset(
    {"premailer", "cssutils", "cssselect", "cachetools", "requests", "urllib3", "lxml"}
)

# (module, attribute, stage): the functions whose time is charged to a stage. A function
# called inside another one's stage is charged to its own.
STAGES = (
    ("newsletter.cli.shared", "load", "settings"),
    ("newsletter.commands.check", "check_issue", "check"),
    ("newsletter.render.theme", "load_theme", "theme & context"),
    ("newsletter.render.context", "build_context", "theme & context"),
    ("jinja2.environment", "Environment.get_template", "Jinja"),
    ("jinja2.environment", "Template.render", "Jinja"),
    ("newsletter.render.html", "compile_mjml", "MRML"),
    ("newsletter.render.html", "inline_css", "premailer"),
    ("newsletter.render.checks", "check_html", "lint"),
    ("newsletter.deliver.build", "build_files", "email files (eml, report)"),
    ("newsletter.deliver.build", "write_build", "writing"),
    ("newsletter.files", "write_atomic", "writing"),
)


class Clock:
    """Exclusive time per stage: entering a stage pauses the one it was entered from."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.stack: list[str] = ["other"]
        self.last = time.perf_counter()

    def _charge(self) -> None:
        now = time.perf_counter()
        top = self.stack[-1]
        self.totals[top] = self.totals.get(top, 0.0) + now - self.last
        self.last = now

    def enter(self, stage: str) -> None:
        """Start charging `stage`."""
        self._charge()
        self.stack.append(stage)

    def leave(self) -> None:
        """Go back to charging the stage entered before."""
        self._charge()
        self.stack.pop()


CLOCK = Clock()
PENDING = {module for module, _, _ in STAGES}
original_import = builtins.__import__


def timed(stage: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func`, its time charged to `stage`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        CLOCK.enter(stage)
        try:
            return func(*args, **kwargs)
        finally:
            CLOCK.leave()

    return wrapper


def _imported(name: str) -> bool:
    """Whether the module `name` is imported and done running its body."""
    module = sys.modules.get(name)
    spec = getattr(module, "__spec__", None)
    return module is not None and not getattr(spec, "_initializing", False)


def patch(module_name: str) -> None:
    """Wrap the stage functions of a module that has just been imported."""
    module = sys.modules[module_name]
    for name, attribute, stage in STAGES:
        if name != module_name:
            continue
        owner: Any = module
        *path, last = attribute.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is not None and callable(getattr(owner, last, None)):
            setattr(owner, last, timed(stage, getattr(owner, last)))


def import_(name: str, *args: Any, **kwargs: Any) -> Any:
    """`__import__`, its time charged to the imports, then the stage functions wrapped."""
    top = CLOCK.stack[-1]
    if top == "imports (premailer's)":
        stage = top
    elif name.partition(".")[0] in PREMAILER_LIBS:
        stage = "imports (premailer's)"
    else:
        stage = "imports (the rest)"
    CLOCK.enter(stage)
    try:
        return original_import(name, *args, **kwargs)
    finally:
        if PENDING:
            for module_name in [m for m in PENDING if _imported(m)]:
                PENDING.discard(module_name)
                patch(module_name)
        CLOCK.leave()


def main() -> None:
    """Run the `newsletter` command line given after OUT.json, then write the figures."""
    out, argv = sys.argv[1], sys.argv[2:]
    builtins.__import__ = import_
    sys.argv = ["newsletter", *argv]
    from newsletter.cli import main as newsletter

    code = 0
    try:
        newsletter()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    CLOCK._charge()
    builtins.__import__ = original_import
    import json
    from pathlib import Path

    figures = {"started": STARTED, "ended": time.time(), "stages": CLOCK.totals}
    Path(out).write_text(json.dumps(figures), encoding="utf-8")
    sys.exit(code)


if __name__ == "__main__":
    main()
