"""Benchmark: the whole `newsletter build` process against the reference MJML compiler.

Times, in the same run and in turn (build, npm, floor, build, npm, floor, …, so a machine
that slows down mid-run slows all three alike):

- the whole `newsletter build` process on the sample issue, from its start to its exit;
- the reference MJML compiler from npm (the `mjml` command line) compiling the MJML the theme
  makes for the same issue (installed by this benchmark with `npm install mjml` into a scratch
  folder, `.cache/bench-mjml/` unless told otherwise, and reused on later runs);
- the floor with premailer: a process that only loads premailer (as the build loads it) and
  inlines the CSS of the same compiled HTML, which any build that keeps premailer pays;

then the in-process render (`render_issue`, warm, in this process), and each stage's share of
the build process, from fresh processes that run the real command with its stages timed
(`bench/build_stages.py`). Each command runs once first, untimed: as any earlier build
would, that run fills the compiled-template cache and Python's `.pyc` files. Prints medians
with their spread (min–max) and the ratios, taken pair by pair. The build runs in a copy of
the newsroom in a temporary folder, so the repository's files are left alone. Run from the
repository root:

    .venv/bin/python bench/build.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ISSUE = Path("issues/2026-11-27.yaml")

# The floor: premailer loaded as the build loads it (`newsletter/render/_premailer.py`, run
# from its file so that no other part of the package is imported) and one transform with the
# options of `render.html.inline_css`, whose output `check_floor` compares with it.
INLINE = """
import logging
def inline(premailer, html):
    return str(premailer(
        html,
        allow_network=False,
        keep_style_tags=False,
        strip_important=False,
        remove_classes=False,
        disable_validation=True,
        disable_leftover_css=False,
        cssutils_logging_level=logging.CRITICAL,
        align_floating_images=False,
        allow_loading_external_files=False,
        disable_basic_attributes=["width", "height"],
    ).transform(pretty_print=False)).strip()
"""
FLOOR = (
    """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("premailer_as_built", sys.argv[2])
loaded = importlib.util.module_from_spec(spec)
spec.loader.exec_module(loaded)
with open(sys.argv[1], encoding="utf-8") as handle:
    html = handle.read()
"""
    + INLINE
    + "inline(loaded.Premailer, html)\n"
)
LOADER = ROOT / "newsletter" / "render" / "_premailer.py"


def check_floor(html_file: Path) -> None:
    """Stop unless the floor's transform gives what `inline_css` gives, so that it times the
    same work."""
    from newsletter.render._premailer import Premailer
    from newsletter.render.html import inline_css

    html = html_file.read_text(encoding="utf-8")
    namespace: dict[str, Any] = {}
    exec(INLINE, namespace)
    if namespace["inline"](Premailer, html) not in inline_css(html):
        sys.exit("the floor's premailer options differ from render.html.inline_css: align them")


def install_mjml(folder: Path) -> Path:
    """The `mjml` command line in `folder`, installed there with npm first if missing."""
    binary = folder / "node_modules" / ".bin" / "mjml"
    if not binary.exists():
        if shutil.which("npm") is None:
            sys.exit("npm is not installed: the reference compiler comes from npm")
        folder.mkdir(parents=True, exist_ok=True)
        print(f"installing the mjml command line into {folder} (npm install mjml) …", flush=True)
        done = subprocess.run(
            ["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", "mjml"],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            sys.exit(f"npm install mjml failed:\n{done.stderr.decode(errors='replace')}")
    return binary


def make_newsroom(scratch: Path) -> Path:
    """A copy of the sample newsroom (settings, feeds, issues with their lock files)."""
    newsroom = scratch / "newsroom"
    newsroom.mkdir()
    shutil.copy2(ROOT / "newsletter.toml", newsroom / "newsletter.toml")
    for folder in ("feeds", "issues"):
        shutil.copytree(ROOT / folder, newsroom / folder)
    return newsroom


def run(command: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    """Run a command to its exit; its wall seconds. Fails loudly if the command does."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr.decode(errors='replace')}")
    return seconds


def spread(values: Sequence[float], scale: float = 1000.0, unit: str = "ms") -> str:
    """Median and min–max of `values`."""
    return (
        f"{statistics.median(values) * scale:7.0f} {unit}  "
        f"(min {min(values) * scale:.0f}, max {max(values) * scale:.0f})"
    )


def ratios(a: Sequence[float], b: Sequence[float]) -> str:
    """The median of the pair-by-pair ratios a/b, and their min–max."""
    pairs = [x / y for x, y in zip(a, b, strict=True)]
    return f"{statistics.median(pairs):.2f}x  (min {min(pairs):.2f}, max {max(pairs):.2f})"


def in_process_render(newsroom: Path, rounds: int) -> tuple[float, list[float]]:
    """The first `render_issue` in this process (templates not yet compiled, premailer's
    regular expressions not yet built) and `rounds` warm ones."""
    sys.path.insert(0, str(ROOT))
    from newsletter.commands.check import check_issue
    from newsletter.config import load_settings
    from newsletter.render import render_issue
    from newsletter.render.theme import load_theme

    settings = load_settings(newsroom / "newsletter.toml")
    issue = check_issue(settings, newsroom / ISSUE).issue
    start = time.perf_counter()
    render_issue(issue, settings)
    first = time.perf_counter() - start
    theme = load_theme(settings.theme)
    warm = []
    for _ in range(rounds):
        start = time.perf_counter()
        render_issue(issue, settings, theme)
        warm.append(time.perf_counter() - start)
    return first, warm


def write_sources(newsroom: Path, scratch: Path) -> tuple[Path, Path]:
    """The MJML the theme makes for the sample issue, and the HTML MRML compiles it to."""
    sys.path.insert(0, str(ROOT))
    from newsletter.commands.check import check_issue
    from newsletter.config import load_settings
    from newsletter.render.context import build_context
    from newsletter.render.html import compile_mjml
    from newsletter.render.theme import load_theme

    settings = load_settings(newsroom / "newsletter.toml")
    issue = check_issue(settings, newsroom / ISSUE).issue
    theme = load_theme(settings.theme)
    context = build_context(issue, settings, theme.labels_for(issue.lang, issue.labels))
    mjml = theme.env.get_template("email.mjml.jinja").render(context)
    mjml_file, html_file = scratch / "email.mjml", scratch / "compiled.html"
    mjml_file.write_text(mjml, encoding="utf-8")
    html_file.write_text(compile_mjml(mjml, theme.folder), encoding="utf-8")
    return mjml_file, html_file


def stage_shares(newsroom: Path, env: dict[str, str], rounds: int, out: Path) -> None:
    """Print each stage's median share of the build process, from `rounds` fresh processes."""
    figures: dict[str, list[float]] = {}
    wholes = []
    for round_ in range(rounds):
        report = newsroom / "stages.json"
        command = [sys.executable, str(ROOT / "bench" / "build_stages.py"), str(report)]
        spawned = time.time()
        run([*command, "build", str(ISSUE), "-o", str(out / f"stages{round_}")], newsroom, env)
        reaped = time.time()
        data = json.loads(report.read_text(encoding="utf-8"))
        stages = dict(data["stages"])
        stages["interpreter start-up and exit"] = (data["started"] - spawned) + (
            reaped - data["ended"]
        )
        for name, seconds in stages.items():
            figures.setdefault(name, []).append(seconds)
        wholes.append(reaped - spawned)
    whole = statistics.median(wholes)
    print(f"\nstages of the build process ({rounds} fresh processes with the stages timed,")
    print(f"median {whole * 1000:.0f} ms each, the timing itself adding about a tenth, most of it")
    print("to the imports; each stage's median and its share of that median):")
    for name, values in sorted(figures.items(), key=lambda item: -statistics.median(item[1])):
        median = statistics.median(values + [0.0] * (rounds - len(values)))
        print(f"  {name:32} {median * 1000:6.0f} ms  {median / whole:6.1%}")


def main() -> None:
    """Time the build, the npm compiler and the floor in turn, then the stages; print it all."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="timed runs of each command")
    parser.add_argument(
        "--npm-folder",
        type=Path,
        default=ROOT / ".cache" / "bench-mjml",
        help="where the mjml command line is installed (reused when present)",
    )
    args = parser.parse_args()
    mjml_cli = install_mjml(args.npm_folder.resolve())
    version = json.loads(
        (args.npm_folder / "node_modules" / "mjml" / "package.json").read_text(encoding="utf-8")
    )["version"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory(prefix="bench-build-") as name:
        scratch = Path(name)
        newsroom = make_newsroom(scratch)
        mjml_file, html_file = write_sources(newsroom, scratch)
        first, warm = in_process_render(newsroom, args.rounds)  # before anything warms it
        check_floor(html_file)
        commands = {
            "build": [sys.executable, "-m", "newsletter", "build", str(ISSUE), "-o", name],
            "npm": [str(mjml_cli), str(mjml_file), "-o", str(scratch / "mjml.html")],
            "floor": [sys.executable, "-c", FLOOR, str(html_file), str(LOADER)],
        }
        times: dict[str, list[float]] = {key: [] for key in commands}
        for command in commands.values():  # one warm-up each: disk caches, .pyc files
            run(command, newsroom, env)
        for _ in range(args.rounds):
            for key, command in commands.items():
                times[key].append(run(command, newsroom, env))

        print(f"{args.rounds} rounds, in turn; wall time of each whole process, median (spread)")
        print(f"(a) newsletter build, whole process:  {spread(times['build'])}")
        print(f"(b) render_issue in process, warm:    {spread(warm)}")
        print(f"    render_issue in process, first:   {first * 1000:7.0f} ms")
        print(f"(c) npm mjml {version} CLI, same MJML:    {spread(times['npm'])}")
        print(f"    floor with premailer (import + inline the same HTML): {spread(times['floor'])}")
        print(f"ratio build / npm:   {ratios(times['build'], times['npm'])}   (target ≤ 0.80)")
        print(f"ratio floor / npm:   {ratios(times['floor'], times['npm'])}")
        print(f"ratio build / floor: {ratios(times['build'], times['floor'])}")
        stage_shares(newsroom, env, args.rounds, scratch)


if __name__ == "__main__":
    main()
