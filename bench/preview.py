"""Benchmark: the live preview's save-to-paint latency and its time to first page, in Chromium.

Copies the demo newsroom to a scratch folder, fetches its sample feeds, starts `newsletter
preview` on the sample issue and opens it in Debian's chromium (Playwright). Then, round after
round, it changes a word of the issue file, saves it as editors' tools do (a temporary file
renamed over the old one) and takes the time from just before the save to the moment the
page has painted the new build (the page records it, two animation frames after swapping the
new email in; the browser's clock is matched to this process's first).

The baseline, run in the same process on the same file: the editor's loop without the
preview, a `newsletter build` process and a reload of the built email in the browser, to its
paint. The ratio says how much sooner a save shows. The target is a median under 150 ms.

    .venv/bin/python bench/preview.py [--rounds N]
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ISSUE = Path("issues/2026-11-27.yaml")
TARGET_MS = 150.0
PAINTED = "window.__painted ? [window.__painted.version, window.__painted.at] : null"


def newsletter(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the command line in `folder`, as the editor would."""
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args], cwd=folder, capture_output=True, check=True
    )


def save(path: Path, text: str) -> None:
    """Save as editors' tools do: a temporary file renamed over the old one."""
    temp = path.with_name(f".{path.name}.swp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)


def clock_offset(page: Page) -> float:
    """How far the browser's clock is ahead of this process's (ms), from the closest of
    several readings."""
    readings = []
    for _ in range(15):
        before = time.time() * 1000
        browser = float(page.evaluate("performance.timeOrigin + performance.now()"))
        after = time.time() * 1000
        readings.append((after - before, browser - (before + after) / 2))
    return min(readings)[1]


def wait_painted(page: Page, newer_than: int, timeout: float = 10) -> tuple[int, float]:
    """Poll until the page has painted a build newer than `newer_than`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        painted = page.evaluate(PAINTED)
        if painted and painted[0] > newer_than:
            return int(painted[0]), float(painted[1])
        time.sleep(0.003)
    raise SystemExit("the preview did not show the save within 10 s")


def figures(values: list[float]) -> str:
    """Median and spread of a list of milliseconds."""
    ordered = sorted(values)
    tenth = ordered[max(0, len(ordered) // 10)]
    ninetieth = ordered[min(len(ordered) - 1, (len(ordered) * 9) // 10)]
    return (
        f"median {statistics.median(values):6.1f} ms  (p10 {tenth:.1f}, p90 {ninetieth:.1f}, "
        f"min {ordered[0]:.1f}, max {ordered[-1]:.1f}; n={len(values)})"
    )


def main() -> None:
    """Measure and print the latencies, the baseline and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as scratch:
        folder = Path(scratch)
        shutil.copy(ROOT / "newsletter.toml", folder)
        shutil.copytree(ROOT / "feeds", folder / "feeds")
        shutil.copytree(ROOT / "issues", folder / "issues")
        newsletter(folder, "fetch")
        issue = folder / ISSUE
        text = issue.read_text(encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda r: r.abort())
            started = time.time() * 1000
            server = subprocess.Popen(
                [sys.executable, "-m", "newsletter", "preview", str(ISSUE), "--port", "0"],
                cwd=folder,
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                line = server.stdout.readline() if server.stdout else ""
                found = re.search(r"http://127\.0\.0\.1:\d+/", line)
                if not found:
                    raise SystemExit(f"the preview did not start: {line!r}")
                listening = time.time() * 1000
                page.goto(found.group(0))
                _, first_paint = wait_painted(page, -1)
                offset = clock_offset(page)
                first_page = first_paint - offset - started
                page_only = first_paint - offset - listening
                latencies = []
                for n in range(rounds):
                    seen = int(page.evaluate("window.__painted.version"))
                    changed = text.replace("Off The Air", f"Off The Air ({n})", 1)
                    saved_at = time.time() * 1000
                    save(issue, changed)
                    _, painted_at = wait_painted(page, seen)
                    latencies.append(painted_at - offset - saved_at)
                    time.sleep(0.25)
                # Ctrl-C with the page's event stream open: how long until the process ends.
                stopping = time.perf_counter()
                server.send_signal(signal.SIGINT)
                server.wait(timeout=10)
                stop_ms = (time.perf_counter() - stopping) * 1000
            finally:
                if server.poll() is None:
                    server.terminate()
                    server.wait(timeout=10)

            # The baseline: build, then reload the built email in the browser.
            built = folder / "build" / "2026-11-27" / "email.html"
            newsletter(folder, "build", str(ISSUE))
            page.goto(built.as_uri())
            baseline = []
            for n in range(max(5, rounds // 3)):
                save(issue, text.replace("Off The Air", f"Off The Air [{n}]", 1))
                start = time.time() * 1000
                newsletter(folder, "build", str(ISSUE))
                page.reload()
                painted = float(
                    page.evaluate(
                        "new Promise(r => requestAnimationFrame(() => requestAnimationFrame("
                        "() => r(performance.timeOrigin + performance.now()))))"
                    )
                )
                baseline.append(painted - clock_offset(page) - start)
            browser.close()

    median = statistics.median(latencies)
    base = statistics.median(baseline)
    print("newsletter preview, the sample issue, save to paint in Chromium")
    print(f"  preview         {figures(latencies)}")
    print(f"  baseline        {figures(baseline)}   (newsletter build + reload)")
    sooner = base / median
    print(f"  ratio           {median / base:.3f}  (preview / baseline; {sooner:.1f}x sooner)")
    verdict = "met" if median < TARGET_MS else "NOT met"
    print(f"  target          median under {TARGET_MS:.0f} ms: {verdict}")
    print(f"  first page      {first_page:.0f} ms from starting the process to the email painted")
    print(f"                  {page_only:.0f} ms of it from the URL printed to the email painted")
    print(f"  Ctrl-C          {stop_ms:.0f} ms from the signal to the process's end (target 1,000)")


if __name__ == "__main__":
    main()
