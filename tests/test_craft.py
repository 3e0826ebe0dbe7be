"""The email's craft without a browser: numeric image widths after inlining, the dark-mode
marks, the padded preheader, the plain text's columns, separator and captions, its parity
with the HTML, text colours that keep 7:1, headlines without a lone last word, and an
image's credit and local copy in the issue file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import html as lxml_html

from newsletter.render import TEXT_COLUMNS
from newsletter.render.checks import check_html
from newsletter.render.colours import DARK_BACKGROUND, LIGHT_BACKGROUND, contrast, readable
from newsletter.render.context import PREVIEW_PADDING, colours
from newsletter.render.html import compile_mjml, inline_css
from newsletter.render.markdown import keep_together
from newsletter.render.theme import default_theme
from tests.conftest import run

EDITIONS = ("2026-11-27", "2026-11-27-fa")
HERO_URL = "https://example.org/briefing/images/radio-mast.png"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """The sample issue and the Dari edition, built once: (html, text) by slug."""
    from tests.conftest import ROOT

    folder = tmp_path_factory.mktemp("craft")
    shutil.copy(ROOT / "newsletter.toml", folder / "newsletter.toml")
    shutil.copytree(ROOT / "feeds", folder / "feeds")
    shutil.copytree(ROOT / "issues", folder / "issues")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        assert run("fetch").exit_code == 0
        for slug in EDITIONS:
            result = run("build", f"issues/{slug}.yaml")
            assert result.exit_code == 0, result.output
    return {
        slug: (
            (folder / "build" / slug / "email.html").read_text(encoding="utf-8"),
            (folder / "build" / slug / "email.txt").read_text(encoding="utf-8"),
        )
        for slug in EDITIONS
    }


# --- images -------------------------------------------------------------------------------


def test_inlining_keeps_mjmls_pixel_widths() -> None:
    mjml = (
        "<mjml><mj-head><mj-style>img { width: 100%; height: 338px; }</mj-style></mj-head>"
        '<mj-body><mj-section><mj-column><mj-image src="https://e.org/a.jpg" alt="A" '
        'width="600px" padding="0px" /></mj-column></mj-section></mj-body></mjml>'
    )
    doc = lxml_html.document_fromstring(inline_css(compile_mjml(mjml, default_theme())))
    (image,) = doc.iter("img")
    assert image.get("width") == "600"
    assert image.get("height") == "auto"  # MJML's own; the CSS's 338px is not copied in


def test_every_image_of_the_built_email_has_a_numeric_width(built: dict[str, tuple[str, str]]):
    html, _ = built["2026-11-27"]
    images = list(lxml_html.document_fromstring(html).iter("img"))
    assert [image.get("src") for image in images] == [HERO_URL]  # the email keeps https
    assert all((image.get("width") or "").isdigit() for image in images)
    style = images[0].get("style") or ""
    # Scales with the column: no fixed height to squash it on a phone.
    assert "width:100%" in style.replace(" ", "") and "height:auto" in style.replace(" ", "")
    assert check_html(html)[0] == []


def test_the_lint_wants_a_number_of_pixels_as_width() -> None:
    page = '<!doctype html><html lang="en" dir="ltr"><body><img src="https://e.org/a.jpg" '
    problems, _ = check_html(page + 'alt="" width="100%"></body></html>')
    assert [p.message for p in problems] == [
        'image https://e.org/a.jpg has width="100%", not a number of pixels'
    ]
    assert check_html(page + 'alt="" width="600"></body></html>')[0] == []


# --- dark mode and the inbox --------------------------------------------------------------


@pytest.mark.parametrize("slug", EDITIONS)
def test_the_email_declares_both_colour_schemes(built: dict[str, tuple[str, str]], slug: str):
    doc = lxml_html.document_fromstring(built[slug][0])
    metas = {m.get("name"): m.get("content") for m in doc.iter("meta") if m.get("name")}
    assert metas["color-scheme"] == "light dark"
    assert metas["supported-color-schemes"] == "light dark"
    styles = " ".join(node.text or "" for node in doc.iter("style"))
    assert "prefers-color-scheme: dark" in styles
    # Outlook.com and the Outlook apps mark what they force dark with these attributes.
    assert "[data-ogsc]" in styles and "[data-ogsb]" in styles


def test_the_preheader_is_padded_so_nothing_else_leaks_into_the_snippet(
    built: dict[str, tuple[str, str]],
) -> None:
    doc = lxml_html.document_fromstring(built["2026-11-27"][0])
    first_text = next(node for node in doc.body.iter() if (node.text or "").strip())
    (hidden,) = doc.find_class("nl-preheader")
    assert first_text is hidden  # the first words of the body: what an inbox shows
    style = (hidden.get("style") or "").replace(" ", "")
    assert "display:none" in style and "mso-hide:all" in style
    # Not painted in the background's colour, as MJML's own preview does: spam filters
    # score that (SpamAssassin's HTML_FONT_LOW_CONTRAST).
    assert "color:" not in style
    text = hidden.text_content()
    assert text.startswith("The closures silence some of the last voices")
    assert text.endswith(PREVIEW_PADDING)
    assert len(PREVIEW_PADDING) >= 150  # past the longest snippet an inbox shows


def test_every_text_colour_keeps_7_to_1_in_both_schemes() -> None:
    for accent in ("#c2410c", "#ffcc00", "#1d4ed8", "#000000", "#ffffff"):
        scheme = colours(accent)
        for name, background in (("light", LIGHT_BACKGROUND), ("dark", DARK_BACKGROUND)):
            for role in ("text", "headline", "muted", "quiet", "accent"):
                assert contrast(scheme[name][role], background) >= 7, (accent, name, role)
        # Quieter text stays quieter than the body in both schemes.
        for name in ("light", "dark"):
            body = contrast(scheme[name]["text"], scheme[name]["background"])
            assert contrast(scheme[name]["muted"], scheme[name]["background"]) < body
    assert readable("#1a1a1a", LIGHT_BACKGROUND) == "#1a1a1a"  # already readable: unchanged
    darker = readable("#c2410c", LIGHT_BACKGROUND)
    assert darker != "#c2410c" and contrast(darker, LIGHT_BACKGROUND) < 7.5  # the least step


# --- the calmer design --------------------------------------------------------------------


def test_headlines_never_end_on_a_lone_word() -> None:
    assert keep_together("Council Takes Five Stations Off The Air") == (
        "Council Takes Five Stations Off The\u00a0Air"
    )
    assert keep_together("Two words") == "Two words"


def test_the_design_has_one_title_dark_headlines_and_short_read_more_links(
    built: dict[str, tuple[str, str]],
) -> None:
    doc = lxml_html.document_fromstring(built["2026-11-27"][0])
    assert len(list(doc.iter("h1"))) == 1
    (h1,) = doc.iter("h1")
    assert h1.text_content().endswith("Off The\u00a0Air")
    headlines = doc.find_class("headline")
    assert len(headlines) == 6
    for link in headlines:
        style = (link.get("style") or "").replace(" ", "")
        assert "color:#111" in style and "text-decoration:none" in style
    more = [a.text_content() for a in doc.iter("a") if a.text_content().startswith("Read")]
    assert more == ["Read the full story", "Read the full story", "Read it in your browser"]
    labels = [s.text_content() for s in doc.iter("strong") if s.text_content().endswith(":")]
    assert labels[:3] == [
        "Why It\u2019s Important:",
        "What\u2019s Next:",
        "Why It\u2019s Important:",
    ]
    footer = doc.find_class("footer")[-1].text_content()
    assert "Was this forwarded to you? Subscribe" in footer
    assert "Subscribe here" not in footer


# --- the plain text -----------------------------------------------------------------------

_URL_ALONE = re.compile(r"(\[\d+\] )?https?://\S+")


@pytest.mark.parametrize("slug", EDITIONS)
def test_text_lines_fit_76_columns_except_a_lone_url(built: dict[str, tuple[str, str]], slug: str):
    text = built[slug][1]
    long = [line for line in text.splitlines() if len(line) > TEXT_COLUMNS]
    assert all(_URL_ALONE.fullmatch(line) for line in long), long
    assert "-- " in text.splitlines()  # the signature separator, with its space
    assert "--" not in text.splitlines()


def test_the_text_carries_captions_and_credits(built: dict[str, tuple[str, str]]) -> None:
    text = built["2026-11-27"][1]
    assert (
        "The mast above Sarvan that carried three of the five closed stations.\n"
        "(Illustration for The Darvana Briefing)\n"
    ) in text


def _words(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\u2068", "").replace("\u2069", "")
    # The text sets a credit in brackets after its caption; the HTML in its own type.
    return " ".join(text.replace("(", "").replace(")", "").split())


def _html_sequence(html: str) -> list[tuple[str, str]]:
    """What a reader must find in the text too, in the HTML's order: ("text", words) for
    headings, labels, headlines, captions and bylines, ("link", address) for each link."""
    doc = lxml_html.document_fromstring(html)
    found: list[tuple[str, str]] = []
    body = doc.body
    for node in body.iter():
        if not isinstance(node.tag, str):
            continue
        classes = (node.get("class") or "").split()
        if node.tag in {"h1", "h2", "strong"} or {"caption", "byline", "masthead"} & set(classes):
            # A byline and "See also" share a line in the HTML, one each in the text.
            for part in _words(node.text_content()).split(" · "):
                if part.rstrip(":"):
                    found.append(("text", part.rstrip(":")))
        if node.tag == "a" and node.get("href"):
            words = _words(node.text_content())
            if words and node.getparent().tag != "strong":
                found.append(("text", words))
            found.append(("link", node.get("href") or ""))
    return found


@pytest.mark.parametrize("slug", EDITIONS)
def test_every_item_label_and_link_of_the_html_is_in_the_text_in_order(
    built: dict[str, tuple[str, str]], slug: str
) -> None:
    html, text = built[slug]
    split = re.search(r"\n\[\d+\][ \n]https?://", text)  # digits of any script
    assert split is not None
    body, references = _words(text[: split.start()]), text[split.start() :]
    numbers = {url: n for n, url in re.findall(r"(?m)^\[(\d+)\]\s+(\S+)$", references)}
    sequence = _html_sequence(html)
    assert len([kind for kind, _ in sequence if kind == "link"]) >= 8
    at = 0
    for kind, value in sequence:
        if kind == "text":
            shown = body.find(value, at)
            if shown < 0:  # headings are in capitals in the text
                shown = body.upper().find(value.upper(), at)
            assert shown >= 0, f"{value!r} is missing from the text after {body[at - 60 : at]!r}"
            at = shown
        else:
            marks = [f"[{numbers[value]}]"] if value in numbers else []
            places = [p for p in (body.find(mark, at) for mark in [*marks, value]) if p >= 0]
            assert places, f"the link {value} is missing from the text after {body[at - 60 : at]!r}"
            at = min(places)


# --- the issue file -----------------------------------------------------------------------


def test_an_images_credit_and_local_file_are_read_and_a_missing_file_is_an_error(
    newsroom: Path,
) -> None:
    from newsletter.commands.build import prepare_build
    from newsletter.config import load_settings

    assert run("fetch").exit_code == 0
    prepared = prepare_build(load_settings(newsroom / "newsletter.toml"), Path(ISSUE))
    hero = prepared.rendered.issue.hero
    assert hero is not None
    assert hero.credit == "Illustration for The Darvana Briefing"
    assert hero.file is not None
    assert hero.file.resolve() == (newsroom / "issues" / "images" / "radio-mast.png").resolve()
    issue = newsroom / ISSUE
    issue.write_text(issue.read_text().replace("file: images/", "file: pictures/"))
    checked = run("check", ISSUE)
    assert checked.exit_code == 1
    line = next(n for n, text in enumerate(issue.read_text().splitlines(), 1) if "file:" in text)
    assert (
        f"{ISSUE}:{line}:9: error: hero.file: no image file at 'pictures/radio-mast.png'"
        in checked.output
    )
    assert "relative to the issue file's folder" in checked.output


ISSUE = "issues/2026-11-27.yaml"


def test_a_roundup_item_takes_see_also_links_in_the_html_and_the_text(
    built: dict[str, tuple[str, str]],
) -> None:
    html, text = built["2026-11-27"]
    doc = lxml_html.document_fromstring(html)
    (line,) = [p for p in doc.find_class("byline") if "See also" in p.text_content()]
    assert _words(line.text_content()) == (
        "By Leila Navid · See also: The Shortwave Hour That Keeps Sarvan’s Poets On The Air"
    )
    url = "https://example.org/analysis/2026/10/shortwave-poetry-hour/"
    assert [a.get("href") for a in line.iter("a")] == [url]
    number = re.search(rf"(?m)^\[(\d+)\] {re.escape(url)}$", text)
    assert number is not None
    assert (
        "By Leila Navid\nSee also: \u2068The Shortwave Hour That Keeps Sarvan’s Poets On The "
        f"Air\u2069 [{number.group(1)}]\n"
    ) in text


def test_a_see_also_link_that_is_not_http_is_an_error(newsroom: Path) -> None:
    issue = newsroom / ISSUE
    issue.write_text(
        issue.read_text().replace(
            "url: https://example.org/analysis/2026/10/shortwave-poetry-hour/",
            "url: /analysis/shortwave-poetry-hour/",
        )
    )
    assert run("fetch").exit_code == 0
    checked = run("check", ISSUE)
    assert checked.exit_code == 1
    assert (
        "error: sections[2].items[5].see_also[0].url: expected an http(s) URL, found "
        "'/analysis/shortwave-poetry-hour/'" in checked.output
    )
