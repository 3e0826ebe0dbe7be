"""Benchmark: `archive` and `check issues/*.yaml` as the issues folder grows.

For each size (10, 100, 500 and 2,000 issues by default; `--sizes 10,100` for others), a copy
of the demo newsroom gets that many weekly issues (the sample issue's text and lock file,
each with its own number and date, a week apart), then these whole processes are timed, each
the best of two: `archive` cold (no site yet), `archive` again with nothing changed,
`archive` after one issue changed, and `check` of every issue file. The archive's memory is
kept in the newsroom folder's own cache folder and removed before each cold run. Printed:
each time, the time per issue, and the growth factor of the time per issue against the
100-issue run (target: at most 1.5x at 2,000), and the unchanged run's time (target: under
1 s at 500, under 2 s at 2,000).

Run from the repository root: `.venv/bin/python bench/archive.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEWSLETTER = str(Path(sys.executable).with_name("newsletter"))
SAMPLE = date(2026, 11, 27)


def newsroom(folder: Path, issues: int) -> None:
    """The demo newsroom in `folder`, fetched, with `issues` English issues in all."""
    shutil.copy(ROOT / "newsletter.toml", folder / "newsletter.toml")
    shutil.copytree(ROOT / "feeds", folder / "feeds")
    (folder / "issues").mkdir()
    shutil.copytree(ROOT / "issues" / "images", folder / "issues" / "images")
    subprocess.run([NEWSLETTER, "fetch"], cwd=folder, check=True, capture_output=True)
    text = (ROOT / "issues" / "2026-11-27.yaml").read_text(encoding="utf-8")
    lock = json.loads((ROOT / "issues" / "2026-11-27.lock.json").read_text(encoding="utf-8"))
    for n in range(issues):
        day = SAMPLE - timedelta(weeks=n)
        number = 42 + 5000 - n
        (folder / "issues" / f"{day}.yaml").write_text(
            text.replace("number: 42", f"number: {number}").replace(
                "date: 2026-11-27", f"date: {day}"
            ),
            encoding="utf-8",
        )
        lock.update(issue=number, date=day.isoformat())
        (folder / "issues" / f"{day}.lock.json").write_text(
            json.dumps(lock, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
            encoding="utf-8",
        )


def timed(folder: Path, *args: str, before: object = None) -> float:
    """The best of two runs of `newsletter ARGS` in `folder`; `before` runs before each."""
    best = float("inf")
    for _ in range(2):
        if callable(before):
            before()
        started = time.perf_counter()
        done = subprocess.run(
            [NEWSLETTER, *args],
            cwd=folder,
            capture_output=True,
            text=True,
            env={**os.environ, "XDG_CACHE_HOME": str(folder / "cache")},
        )
        best = min(best, time.perf_counter() - started)
        if done.returncode not in (0, 1):
            raise SystemExit(f"newsletter {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return best


def measure(folder: Path, size: int) -> dict[str, float]:
    """The four timings for a newsroom of `size` issues made in `folder`."""
    newsroom(folder, size)
    until = ["archive", "--until", "2026-11-30"]
    changed = folder / "issues" / f"{SAMPLE - timedelta(weeks=size // 2)}.yaml"
    edits = iter(range(100))

    def cold() -> None:
        # A cold run has neither the site nor the archive's memory of it.
        shutil.rmtree(folder / "site", ignore_errors=True)
        shutil.rmtree(folder / "cache", ignore_errors=True)

    def one_changed() -> None:
        text = changed.read_text(encoding="utf-8")
        changed.write_text(
            text.replace("signoff: |\n", f"signoff: |\n  Edit {next(edits)}.\n", 1),
            encoding="utf-8",
        )

    row = {"cold": timed(folder, *until, before=cold)}
    row["unchanged"] = timed(folder, *until)
    row["one changed"] = timed(folder, *until, before=one_changed)
    files = sorted(str(p.relative_to(folder)) for p in folder.glob("issues/*.yaml"))
    row["check"] = timed(folder, "check", *files)
    return row


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,100,500,2000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    rows: dict[int, dict[str, float]] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-archive-") as name:
            rows[size] = measure(Path(name), size)
        print(
            f"{size:>5} issues: "
            + ", ".join(
                f"{k} {v:.2f} s ({v / size * 1000:.1f} ms/issue)" for k, v in rows[size].items()
            ),
            flush=True,
        )
    if 100 in rows and len(rows) > 1:
        largest = max(rows)
        for kind in ("cold", "check"):
            growth = (rows[largest][kind] / largest) / (rows[100][kind] / 100)
            print(
                f"{kind}: time per issue at {largest} is {growth:.2f}x that at 100 (target <= 1.5x)"
            )
    for size in (500, 2000):
        if size in rows:
            print(f"unchanged at {size}: {rows[size]['unchanged']:.2f} s")


if __name__ == "__main__":
    main()
