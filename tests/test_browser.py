"""The built email as a reader sees it: Debian's chromium driven by Playwright, at a phone's
375 px and the email's 600 px, in light and dark mode, left to right and right to left."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page


def _open(browser: Browser, html: Path, width: int, scheme: str = "light") -> Page:
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)  # type: ignore[arg-type]
    # The email's images live on the newsroom's server; nothing may leave the machine.
    page.route(re.compile(r"^https?://"), lambda route: route.abort())
    page.goto(html.as_uri())
    return page


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
def built(newsroom: Path) -> Path:
    # In a child process: Playwright's sync API keeps an event loop running in this thread.
    for args in (
        ["fetch"],
        ["build", "issues/2026-11-27.yaml"],
        ["build", "issues/2026-11-27-fa.yaml"],
    ):
        subprocess.run(
            [sys.executable, "-m", "newsletter", *args],
            cwd=newsroom,
            check=True,
            capture_output=True,
        )
    return newsroom / "build"


@pytest.mark.parametrize("width", [375, 600])
def test_nothing_scrolls_sideways(browser: Browser, built: Path, width: int) -> None:
    page = _open(browser, built / "2026-11-27" / "email.html", width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    headings = page.locator("h2").all_text_contents()
    assert headings == ["The Key Issue", "What To Keep An Eye On", "Stories You Might Have Missed"]
    page.screenshot(path=str(built / f"email-{width}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_body_text_keeps_its_contrast(browser: Browser, built: Path, scheme: str) -> None:
    page = _open(browser, built / "2026-11-27" / "email.html", 600, scheme)
    paragraph = page.locator("h2 + p").first
    colour = paragraph.evaluate("e => getComputedStyle(e).color")
    background = page.locator(".nl-body").evaluate("e => getComputedStyle(e).backgroundColor")
    assert _contrast(colour, background) >= 7
    if scheme == "dark":
        assert _luminance(background) < 0.05
    page.close()


def test_the_dari_edition_reads_right_to_left(browser: Browser, built: Path) -> None:
    page = _open(browser, built / "2026-11-27-fa" / "email.html", 375)
    heading = page.locator("h2").first
    assert heading.evaluate("e => getComputedStyle(e).direction") == "rtl"
    box = heading.bounding_box()
    assert box is not None
    text_right = heading.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return r.getBoundingClientRect().right; }"
    )
    assert abs(text_right - (box["x"] + box["width"])) < 2  # flush right
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.close()


_ORDER = """needle => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(needle);
    if (at < 0) continue;
    const range = document.createRange();
    const left = i => { range.setStart(node, at + i); range.setEnd(node, at + i + 1);
                        return range.getBoundingClientRect().left; };
    return [left(0), left(needle.length - 1)];
  }
  return null;
}"""


def test_a_feed_title_cannot_reverse_the_editors_words_after_it(
    browser: Browser, tmp_path: Path
) -> None:
    # Built from an Issue directly, so the title keeps the unterminated U+202E (RIGHT-TO-LEFT
    # OVERRIDE) that the feed boundary would have closed: the email's isolate must hold alone.
    from datetime import date

    from newsletter.config import load_settings
    from newsletter.models import Article, Author, Issue, Item, Section, Span
    from newsletter.render import render_issue
    from tests.conftest import ROOT

    span = Span(tmp_path / "issue.yaml", 1, 1)
    title = "Breaking \u202eNEWS from the wire"
    article = Article("abcdefgh", "https://example.org/a", title, "f", None, "", "")
    items = tuple(
        Item(article, title, article.url, body, (), None, span)
        for body in ("Plain words follow here.", "")
    )
    issue = Issue(
        number=1,
        date=date(2026, 11, 27),
        lang="en",
        title="Title",
        subject=None,
        preheader="A preheader long enough to pass every check of the reader.",
        author=Author("ed", "Ed"),
        hero=None,
        sections=(Section("Stories", "list", items, span), Section("Key", "feature", items, span)),
        signoff_md="Reply with tips.",
        labels=(),
        source=span.path,
    )
    rendered = render_issue(issue, load_settings(ROOT / "newsletter.toml"))
    # Twice in the roundup; the features link "Read the full story", not the headline.
    assert rendered.text.count("\u2068Breaking \u202eNEWS from the wire\u2069") == 2
    (tmp_path / "email.html").write_text(rendered.html, encoding="utf-8")
    page = _open(browser, tmp_path / "email.html", 600)
    for after in ("Plain words follow here.", "Stories", "Reply with tips."):
        order = page.evaluate(_ORDER, after)
        assert order is not None, after
        first, last = order
        assert first < last, f"'{after}' is drawn right to left"
    page.close()


# --- images, dark mode, contrast ----------------------------------------------------------

HERO_URL = "https://example.org/briefing/images/radio-mast.png"


def _open_with_hero(browser: Browser, html: Path, width: int, scheme: str = "light") -> Page:
    """`_open`, with the hero answered from the sample's own copy (nothing leaves the
    machine), and every image loaded before it returns."""
    from tests.conftest import ROOT

    data = (ROOT / "issues" / "images" / "radio-mast.png").read_bytes()
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)  # type: ignore[arg-type]

    def answer(route: Any, request: Any) -> None:
        if request.url == HERO_URL:
            route.fulfill(body=data, content_type="image/png")
        else:
            route.abort()

    page.route(re.compile(r"^https?://"), answer)
    page.goto(html.as_uri())
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    return page


@pytest.mark.parametrize("width", [375, 600])
def test_the_hero_keeps_its_shape(browser: Browser, built: Path, width: int) -> None:
    page = _open_with_hero(browser, built / "2026-11-27" / "email.html", width)
    hero = page.locator(f'img[src="{HERO_URL}"]')
    assert hero.evaluate("e => e.naturalWidth") == 1200
    box = hero.bounding_box()
    assert box is not None
    assert abs(box["width"] - width) <= 1  # edge to edge
    assert abs(box["width"] / box["height"] - 1200 / 675) < 0.01  # not squashed
    page.close()


def test_a_blocked_hero_is_a_tinted_box_with_readable_alt_text(browser: Browser, built: Path):
    page = _open(browser, built / "2026-11-27" / "email.html", 375)
    hero = page.locator(f'img[src="{HERO_URL}"]')
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    box = hero.bounding_box()
    assert box is not None
    assert 20 <= box["height"] <= 120  # the alt text's lines, not a 338 px gap
    colour, background = hero.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
    )
    assert background not in {"rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)"}
    assert _contrast(colour, background) >= 7
    page.close()


# Every rendered text's colour and the background it sits on (the nearest ancestor that
# paints one), with where it is, for the contrast check.
_TEXT_COLOURS = """() => {
  const background = e => {
    for (let n = e; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor;
      if (c !== "rgba(0, 0, 0, 0)" && c !== "transparent") return c;
    }
    return "rgb(255, 255, 255)";
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const e = node.parentElement;
    if (!node.data.trim() || !e || e.getClientRects().length === 0) continue;
    if (getComputedStyle(e).visibility === "hidden") continue;
    found.push([e.tagName + "." + e.className, node.data.trim().slice(0, 30),
                getComputedStyle(e).color, background(e)]);
  }
  return found;
}"""


@pytest.mark.parametrize("slug", ["2026-11-27", "2026-11-27-fa"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_colour_keeps_7_to_1(
    browser: Browser, built: Path, slug: str, scheme: str
) -> None:
    page = _open(browser, built / slug / "email.html", 600, scheme)
    texts = page.evaluate(_TEXT_COLOURS)
    assert len(texts) > 25
    weak = [(where, words, round(_contrast(c, b), 2)) for where, words, c, b in texts]
    assert [w for w in weak if w[2] < 7] == []
    page.close()


@pytest.mark.parametrize("slug", ["2026-11-27", "2026-11-27-fa"])
def test_in_dark_mode_the_page_is_dark_and_no_rule_is_bright(
    browser: Browser, built: Path, slug: str
) -> None:
    page = _open(browser, built / slug / "email.html", 375, "dark")
    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert _luminance(body) < 0.05
    rules = page.evaluate(
        """() => Array.from(document.querySelectorAll('.nl-rule p'),
                          e => getComputedStyle(e).borderTopColor)"""
    )
    assert len(rules) >= 5
    assert all(_luminance(colour) < 0.05 for colour in rules), rules
    # The welcome line stays quieter than the body text, as in the light scheme.
    welcome = page.locator("p.small").first.evaluate("e => getComputedStyle(e).color")
    text = page.locator("h2 + p").first.evaluate("e => getComputedStyle(e).color")
    assert _luminance(welcome) < _luminance(text)
    page.close()


def test_the_preview_shows_the_hero_from_its_local_copy(browser: Browser, built: Path) -> None:
    from tests.conftest import preview_process

    with preview_process(built.parent, "issues/2026-11-27.yaml", "--port", "0") as preview:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        # Only the preview itself may answer: the image's https address is not online.
        page.route(
            re.compile(r"^https?://"),
            lambda route: (
                route.continue_() if route.request.url.startswith(preview.url) else route.abort()
            ),
        )
        page.goto(preview.url)
        shown = page.wait_for_selector("iframe.email:not(.loading)")
        assert shown is not None
        frame = shown.content_frame()
        assert frame is not None
        frame.wait_for_function("Array.from(document.images).every(i => i.complete)")
        src, width = frame.evaluate(
            "() => [document.images[0].getAttribute('src'), document.images[0].naturalWidth]"
        )
        assert src == "/edition/2026-11-27/image/0"
        assert width == 1200  # loaded from the issue's own file
        page.close()
