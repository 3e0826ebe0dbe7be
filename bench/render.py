"""Benchmark: where the time of one `newsletter build` goes, stage by stage.

Renders the sample issue repeatedly and prints the median time of each stage of the HTML
pipeline (Jinja → MJML → mjml-python → premailer) and of the plain text, each as a ratio
against the baseline measured in the same run: rendering the Jinja template alone. Run from
the repository root after `newsletter fetch`:

    .venv/bin/python bench/render.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from newsletter.config import load_settings
from newsletter.issue import read_issue
from newsletter.render import render_issue
from newsletter.render.context import build_context
from newsletter.render.html import compile_mjml, inline_css
from newsletter.render.markdown import markdown_html
from newsletter.render.theme import load_theme
from newsletter.store import open_store


def _median(func: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print the per-stage medians and their ratios to the Jinja-only baseline."""
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    settings = load_settings(Path("newsletter.toml"))
    with open_store(settings.store) as store:
        if store.count() == 0:
            sys.exit("the store is empty: run `newsletter fetch` first")
        issue = read_issue(Path("issues/2026-11-27.yaml"), settings, store).issue
    theme = load_theme(settings.theme)
    labels = theme.labels_for(issue.lang, issue.labels)
    context = build_context(issue, settings, labels)
    env = theme.env.overlay()
    env.filters["markdown"] = markdown_html
    template = env.get_template("email.mjml.jinja")
    mjml = template.render(context)
    compiled = compile_mjml(mjml, theme.folder)

    baseline = _median(lambda: template.render(context), rounds)
    stages = {
        "mjml-python (MRML)": _median(lambda: compile_mjml(mjml, theme.folder), rounds),
        "premailer": _median(lambda: inline_css(compiled), rounds),
        "whole render_issue": _median(lambda: render_issue(issue, settings, theme), rounds),
    }
    print(f"baseline  Jinja template alone: {baseline * 1000:8.2f} ms  (1.0x)")
    for name, seconds in stages.items():
        print(f"{name:>30}: {seconds * 1000:8.2f} ms  ({seconds / baseline:.1f}x baseline)")
    print(
        f"HTML {len(compiled.encode()) // 1024} KB from {len(mjml.encode()) // 1024} KB MJML; "
        f"{rounds} rounds, median"
    )


if __name__ == "__main__":
    main()
