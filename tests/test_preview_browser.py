"""The preview as an editor uses it: `newsletter preview` in a child process, Debian's
chromium driven by Playwright, the issue file saved beside it. The page loads, follows every
save by itself and keeps its scroll, shows mistakes in place and recovers, switches views, and
copies a candidate story as YAML; paths outside its routes and foreign Host headers are
refused."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Browser, Page

from tests.conftest import PreviewProcess, preview_process

ISSUE = Path("issues/2026-11-27.yaml")


@pytest.fixture
def preview(newsroom: Path) -> Iterator[PreviewProcess]:
    assert run("fetch").returncode == 0
    with preview_process(newsroom, str(ISSUE), "--port", "0") as running:
        yield running
        running.stop()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line in a child process: Playwright's sync API keeps an event loop
    running in this thread, where the commands would start their own."""
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args], capture_output=True, text=True, check=False
    )


def save(path: Path, text: str) -> None:
    """Save as editors do: a temporary file renamed over the old one."""
    temp = path.with_name(f".{path.name}.swp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)


def until(page: Page, script: str, timeout: float = 15) -> Any:
    """Poll `script` in the page until it gives a truthy value (no eval: the page's CSP
    forbids it, so Playwright's wait_for_function cannot run there)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never true: {script}")
        time.sleep(0.02)


FRONT = "document.querySelector('#stage iframe.email:not(.loading)')"


def open_preview(browser: Browser, preview: PreviewProcess, **options: Any) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 900}, **options)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Requests this test aborts (the email's remote images) are logged; any other error counts.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "net::ERR_FAILED" not in m.text else None
        ),
    )
    page.errors = errors  # type: ignore[attr-defined]
    # The email's images live on the newsroom's server; nothing may leave the machine.
    page.route(
        re.compile(r"^https?://(?!127\.0\.0\.1[:/])"),
        lambda route: route.abort(),
    )
    page.goto(preview.url)
    until(page, "document.documentElement.dataset.version")
    return page


def version(page: Page) -> int:
    return int(page.evaluate("document.documentElement.dataset.version || -1"))


def email_heading(page: Page) -> str:
    return str(page.evaluate(f"{FRONT}.contentDocument.querySelector('h1').textContent"))


def test_the_page_loads_with_the_email_and_the_panel(
    browser: Browser, preview: PreviewProcess
) -> None:
    page = open_preview(browser, preview)
    assert "Darvana" in email_heading(page)
    assert page.title().startswith("Preview: The Darvana Briefing")
    assert "built" in page.inner_text("#status")
    assert page.is_visible("#findings-none")
    assert "KB of 102 KB" in page.inner_text("#html-size-text")
    assert re.search(r"\d+ words · about \d+ min to read", page.inner_text("#length"))
    assert page.locator("#candidates li").count() > 3
    assert page.locator("#candidates .used.here").count() >= 3
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_save_shows_by_itself_where_the_editor_was_scrolled(
    browser: Browser, preview: PreviewProcess
) -> None:
    page = open_preview(browser, preview)
    page.evaluate(f"{FRONT}.contentWindow.scrollTo(0, 900)")
    time.sleep(0.1)
    before = version(page)
    text = ISSUE.read_text(encoding="utf-8")
    save(ISSUE, text.replace("Off The Air", "Off The Air Tonight", 1))
    until(page, f"Number(document.documentElement.dataset.version) > {before}")
    until(page, f"{FRONT}.contentDocument.querySelector('h1').textContent.includes('Tonight')")
    assert abs(page.evaluate(f"{FRONT}.contentWindow.scrollY") - 900) <= 2
    assert page.locator("#stage iframe.email:not(.loading)").count() == 1
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_mistake_shows_in_place_over_the_last_good_build_and_a_fix_recovers(
    browser: Browser, preview: PreviewProcess
) -> None:
    page = open_preview(browser, preview)
    text = ISSUE.read_text(encoding="utf-8")
    save(ISSUE, text.replace("lang: en\n", "langg: en\n", 1))
    until(page, "!document.getElementById('errors').hidden")
    errors = page.inner_text("#errors-text")
    assert "2026-11-27.yaml:5:1: error:" in errors and "hint:" in errors
    assert "Traceback" not in page.content()
    assert "last good build" in page.inner_text("#errors")
    assert "Darvana" in email_heading(page)
    finding = page.locator("#findings li.error").first.inner_text()
    assert "2026-11-27.yaml:5:1" in finding
    save(ISSUE, text.replace("Off The Air", "Off The Air Again", 1))
    until(page, "document.getElementById('errors').hidden")
    until(page, f"{FRONT}.contentDocument.querySelector('h1').textContent.includes('Again')")
    assert page.errors == []  # type: ignore[attr-defined]


def test_each_view_is_one_click_and_remembered(browser: Browser, newsroom: Path) -> None:
    # The sample issue has a hero (for the images-off view).
    assert run("build", str(ISSUE), "-o", "out").returncode == 0
    shutil.rmtree(newsroom / "out")
    with preview_process(newsroom, str(ISSUE), "--port", "0") as preview:
        page = open_preview(browser, preview, color_scheme="light")

        def show(view: str) -> None:
            page.click(f"button[data-view={view}]")
            assert page.get_attribute(f"button[data-view={view}]", "aria-pressed") == "true"
            until(page, f"document.documentElement.dataset.view === '{view}'")

        def frame_width() -> float:
            return float(page.evaluate(f"{FRONT}.getBoundingClientRect().width"))

        def heading_colour() -> str:
            return str(
                page.evaluate(
                    f"getComputedStyle({FRONT}.contentDocument.querySelector('h1')).color"
                )
            )

        show("desktop")
        assert frame_width() == 600
        light = heading_colour()
        assert page.evaluate(f"{FRONT}.contentDocument.images[0].getAttribute('src')")
        show("wide")
        assert frame_width() > 900
        show("phone")
        assert frame_width() == 375
        show("dark")
        dark = heading_colour()
        assert dark != light and _luminance(dark) > 0.5 > _luminance(light)
        show("images")
        image = page.evaluate(
            f"(() => {{ const i = {FRONT}.contentDocument.images[0];"
            " return [i.getAttribute('src'), i.getAttribute('alt')]; })()"
        )
        assert image == [
            None,
            "A lattice radio mast with a red warning light on a ridge, against a dusk sky.",
        ]
        show("text")
        assert "THE KEY ISSUE" in page.inner_text("pre.text-view")
        show("inbox")
        assert page.inner_text(".gmail-web .subject").startswith("The Darvana Briefing:")
        assert page.inner_text(".gmail-web .from") == "The Darvana Briefing"
        show("editions")
        until(page, "document.querySelectorAll('#stage iframe.email:not(.loading)').length == 2")
        labels = page.locator(".edition .label").all_inner_texts()
        assert labels == ["2026-11-27.yaml · en", "2026-11-27-fa.yaml · fa"]
        show("phone")
        page.reload()
        until(page, "document.documentElement.dataset.version")
        assert page.get_attribute("button[data-view=phone]", "aria-pressed") == "true"
        assert frame_width() == 375
        assert page.errors == []  # type: ignore[attr-defined]
        preview.stop()


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_copying_a_candidate_gives_an_item_the_issue_accepts(
    browser: Browser, preview: PreviewProcess
) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(preview.url)
    until(page, "document.documentElement.dataset.version")
    unused = page.locator("#candidates li:not(:has(.used))").first
    ident = unused.get_attribute("data-id")
    unused.locator("button.copy").click()
    # The clipboard is written asynchronously: the button says so once it has been.
    until(
        page,
        f"document.querySelector('#candidates li[data-id=\"{ident}\"] button.copy')"
        ".textContent === 'Copied'",
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    assert yaml.safe_load(copied) == [
        {"article": ident, "blurb": "TODO One or two sentences in your own words."}
    ]
    # Pasted at the start of a line under the roundup's items, it is part of the issue.
    text = ISSUE.read_text(encoding="utf-8")
    roundup = text.index("    layout: list\n    items:\n") + len("    layout: list\n    items:\n")
    save(ISSUE, text[:roundup] + copied + text[roundup:])
    result = run("check", str(ISSUE), "--json")
    problems = result.stdout
    assert ident in ISSUE.read_text(encoding="utf-8")
    assert "replace the TODO text" in problems and "YAML" not in problems
    context.close()


def test_paths_outside_the_routes_and_foreign_hosts_are_refused(
    browser: Browser, preview: PreviewProcess
) -> None:
    page = open_preview(browser, preview)
    for path in (
        "edition/2026-11-27/..%2F..%2F..%2Fnewsletter.toml",
        "static/..%2F..%2Fnewsletter.toml",
        "issues/2026-11-27.yaml",
        "..%2Fnewsletter.toml",
    ):
        answer = page.request.get(preview.url + path)
        assert answer.status == 404, path
        assert b"[newsletter]" not in answer.body()
    for host in ("evil.example", f"evil.example:{preview.port}", "127.0.0.1:1"):
        answer = page.request.get(preview.url + "state.json", headers={"Host": host})
        assert answer.status == 403, host
    assert page.request.get(preview.url + "state.json").status == 200


def test_the_panel_checks_the_links_and_scores_the_email_when_asked(
    browser: Browser, newsroom: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.linkserver import Answer, link_server

    assert run("fetch").returncode == 0
    with link_server(tmp_path) as web:
        web.fallback = Answer(200)
        web.routes["/darvana/2026/11/wheat-flour-prices-climb-3111.html"] = Answer(404)
        web.routes["/analysis/2026/11/station-manager-interview/"] = Answer(410)
        web.routes["/analysis/2026/10/shortwave-poetry-hour/"] = Answer(
            301, location="/analysis/2026/10/shortwave-poetry-hour-archive/"
        )
        monkeypatch.setenv("SSL_CERT_FILE", str(web.ca_file))
        options = ["--connect-to", f"example.org:443:127.0.0.1:{web.tls_port}", "--allow-private"]
        with preview_process(newsroom, str(ISSUE), "--port", "0", *options) as running:
            page = open_preview(browser, running)
            assert web.asked == []  # nothing is tried until the editor asks
            page.click("#check-links")
            until(page, "document.documentElement.dataset.checkedlinks")
            findings = page.locator("#check-findings li").all_inner_texts()
            assert any("2026-11-27.yaml:42:50 · error" in f and "HTTP 410" in f for f in findings)
            assert any("2026-11-27.yaml:75:9 · error" in f and "HTTP 404" in f for f in findings)
            assert any(
                "2026-11-27.yaml:101:18 · warning" in f and "shortwave-poetry-hour-archive" in f
                for f in findings
            )
            assert "1 moved, 2 broken, 2 skipped" in page.inner_text("#check-status")
            rows = page.locator("#check-links-table tbody tr").all_inner_texts()
            assert len(rows) == 13 and sum("broken" in row for row in rows) == 2
            assert rows[0].startswith("broken") and rows[1].startswith("broken")  # dead first

            page.click("#check-spam")
            until(page, "document.documentElement.dataset.checkedspam")
            status = page.inner_text("#check-status")
            assert "1 moved, 2 broken, 2 skipped" in status and "Spam score 0.0: ok" in status
            assert len(page.locator("#check-findings li").all()) == len(findings)  # both kept
            assert "HTML_MESSAGE" in page.inner_text("#check-spam-table")
            page.screenshot(path=str(tmp_path / "panel-checks.png"), full_page=True)
            assert page.errors == []  # type: ignore[attr-defined]

            # Only the page itself starts a check: not a form posted from another site.
            url = f"{running.url}edition/2026-11-27/check/links"
            for origin in ({"Origin": "http://evil.example"}, {}):
                request = urllib.request.Request(url, method="POST", headers=origin)
                with pytest.raises(urllib.error.HTTPError) as refused:
                    urllib.request.urlopen(request, timeout=10)
                assert refused.value.code == 403
            running.stop()
