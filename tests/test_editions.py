"""Editions in other languages: the newsletter's name per language (`[editions.LANG]`), dates
and digits from Babel, every label translated, Arabic-script fonts, and an aria-label a screen
reader can read. The Dari sample issue is built as an editor would build it."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import lxml.html
import pytest
from babel.dates import format_date
from playwright.sync_api import sync_playwright

from newsletter.commands.build import PreparedBuild, prepare_build
from newsletter.config import load_settings
from newsletter.errors import ProblemsError, format_problems
from newsletter.labels import LABEL_KEYS, fill_label
from newsletter.render.context import script_of
from newsletter.render.html import compile_mjml
from newsletter.render.locales import local_digits, local_number, long_date
from newsletter.render.markdown import LinkRefs, markdown_text
from newsletter.render.theme import default_theme, load_theme
from tests.conftest import ARGS, CHROMIUM, ROOT, run

DARI = "issues/2026-11-27-fa.yaml"
DARI_NAME = "خبرنامهٔ دروانه"
TITLE = "شورای موقت پنج رادیوی مستقل را خاموش کرد"
LATIN = re.compile(r"[A-Za-z]")
ASCII_DIGIT = re.compile(r"[0-9]")
URL = re.compile(r"https?://\S+")


@pytest.fixture(scope="module")
def dari() -> PreparedBuild:
    """The Dari sample issue, built in memory from the demo newsroom (its lock file holds the
    articles, so no store is needed)."""
    return prepare_build(load_settings(ROOT / "newsletter.toml"), ROOT / DARI)


def _visible(html: str) -> tuple[str, lxml.html.HtmlElement]:
    root = lxml.html.document_fromstring(html)
    for hidden in root.xpath("//head | //style | //*[contains(@style, 'display:none')]"):
        hidden.getparent().remove(hidden)
    return root.text_content(), root


def _english_phrases() -> list[str]:
    """Every English label of the default theme, filled in, split at its placeholders."""
    labels = load_theme(None).labels["en"]
    phrases = []
    for key, value in labels.items():
        if key == "role_separator":
            continue
        filled = fill_label(value, {"name": "\0", "role": "\0", "number": "\0"})
        phrases += [part.strip(" .,:#") for part in filled.split("\0") if part.strip(" .,:#")]
    return phrases


def test_babel_writes_dates_in_the_editions_own_months_and_digits() -> None:
    day = date(2026, 11, 27)
    assert long_date(day, "fa") == "۲۷ نوامبر ۲۰۲۶"
    assert long_date(day, "ps") == "۲۷ نومبر ۲۰۲۶"
    assert long_date(day, "fa-AF") == "۲۷ نومبر ۲۰۲۶"  # Afghan month names for fa-AF
    assert long_date(day, "ar-EG") == "٢٧ نوفمبر ٢٠٢٦"  # Arabic-Indic digits, another system
    assert long_date(day, "ur") == format_date(day, "long", locale="ur")  # CLDR: Latin digits
    assert long_date(day, "zz") == "November 27, 2026"  # a code CLDR does not know: English
    assert local_number(42, "fa") == "۴۲" and local_number(42, "ps") == "۴۲"
    assert local_number(12345, "fa") == "۱۲٬۳۴۵"
    assert local_digits("5.1", "en") == "5.1"


@pytest.mark.parametrize("lang", ["en", "en-US"])
def test_the_english_shortcut_writes_what_babel_writes(lang: str) -> None:
    # English dates skip the Babel import; they must not drift from what Babel would print.
    for month in range(1, 13):
        day = date(2027, month, month + 9)
        assert long_date(day, lang) == format_date(day, "long", locale=lang.replace("-", "_"))
    assert local_number(1234, lang) == "1234"


def test_every_language_of_the_theme_has_every_english_label() -> None:
    labels = tomllib.loads((default_theme() / "theme.toml").read_text(encoding="utf-8"))["labels"]
    assert set(labels["en"]) == set(LABEL_KEYS)
    assert {"en", "fa", "ps"} <= set(labels)
    for lang, table in labels.items():
        assert set(table) == set(labels["en"]), lang
        if lang != "en":
            assert not LATIN.search(
                "".join(table.values())
                .replace("{name}", "")
                .replace("{role}", "")
                .replace("{number}", "")
            ), lang


def test_the_dari_email_has_no_english_and_names_the_dari_edition(dari: PreparedBuild) -> None:
    text, root = _visible(dari.rendered.html)
    assert not LATIN.search(text), LATIN.findall(text)
    for phrase in _english_phrases():
        assert phrase not in text and phrase not in dari.rendered.text, phrase
    assert root.xpath("//p[@class='masthead']")[0].text_content() == DARI_NAME
    assert f"به {DARI_NAME} خوش آمدید" in text
    assert f"در {DARI_NAME} ثبت‌نام کرده‌اید" in text
    assert "The Darvana Briefing" not in dari.rendered.html


def test_the_dari_dateline_is_in_persian_digits_and_month_names(dari: PreparedBuild) -> None:
    _, root = _visible(dari.rendered.html)
    dateline = root.xpath("//p[@class='dateline']")[0].text_content()
    assert dateline == "۲۷ نوامبر ۲۰۲۶ · شمارهٔ ۴۲"
    assert dari.rendered.text.splitlines()[:2] == [DARI_NAME, "۲۷ نوامبر ۲۰۲۶ · شمارهٔ ۴۲"]


def test_the_dari_edition_builds_without_a_warning(dari: PreparedBuild) -> None:
    assert dari.problems == ()


def test_the_dari_subject_uses_the_dari_name(dari: PreparedBuild) -> None:
    assert dari.rendered.subject == f"{DARI_NAME}: {TITLE}"
    message = message_from_bytes(dari.files["email.eml"], policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == f"{DARI_NAME}: {TITLE}"
    assert message["From"] == f"{DARI_NAME} <briefing@example.org>"
    assert message["List-Id"] == "The Darvana Briefing <briefing.example.org>"  # one list id


def test_the_dari_aria_label_is_the_subject_not_escapes(dari: PreparedBuild) -> None:
    root = lxml.html.document_fromstring(dari.rendered.html)
    labels = root.xpath("//body//@aria-label")
    assert labels[0] == f"{DARI_NAME}: {TITLE}"
    assert not any("\\" in label for label in labels)


def test_the_dari_plain_text_is_localised_like_the_html(dari: PreparedBuild) -> None:
    text = dari.rendered.text
    assert "پیوندها:\n[۱] https://example.org/briefing/subscribe\n" in text
    assert "اینجا مشترک شوید [۱]." in text
    without_urls = URL.sub("", text)
    assert not LATIN.search(without_urls), LATIN.findall(without_urls)
    # Digits the editor typed stay as typed; every digit the theme writes is Persian.
    assert not ASCII_DIGIT.search(without_urls)


def test_the_dari_email_sets_arabic_fonts_and_underlines_below_the_dots(
    dari: PreparedBuild,
) -> None:
    root = lxml.html.document_fromstring(dari.rendered.html)
    masthead = root.xpath("//p[@class='masthead']")[0].get("style")
    assert 'font-family:"Noto Naskh Arabic", "Geeza Pro"' in masthead
    link = root.xpath("//a")[0].get("style")
    assert "text-underline-offset:0.42em" in link.replace(" ", "")
    label_rules = root.xpath("//p[@class='dateline']")[0].get("style")
    assert "Tahoma" in label_rules and "Georgia" not in dari.rendered.html


def test_an_english_issue_keeps_latin_fonts_and_the_newsletters_own_name(
    newsroom: Path,
) -> None:
    settings = load_settings(newsroom / "newsletter.toml")
    built = prepare_build(settings, newsroom / "issues" / "2026-11-27.yaml")
    assert built.rendered.subject.startswith("The Darvana Briefing: ")
    assert "text-underline-offset" not in built.rendered.html
    assert "Noto Naskh Arabic" not in built.rendered.html
    _, root = _visible(built.rendered.html)
    assert root.xpath("//p[@class='dateline']")[0].text_content() == "November 27, 2026 · #42"
    assert script_of("en") == "latin" and script_of("ps-AF") == "arabic"


def test_a_pashto_issue_gets_the_pashto_labels_and_digits(newsroom: Path) -> None:
    issue = newsroom / "issues" / "2026-11-27-fa.yaml"
    issue.write_text(
        issue.read_text(encoding="utf-8").replace("lang: fa", "lang: ps"), encoding="utf-8"
    )
    settings = load_settings(newsroom / "newsletter.toml")
    built = prepare_build(settings, issue)
    text, root = _visible(built.rendered.html)
    assert "۲۷ نومبر ۲۰۲۶ · ګڼه ۴۲" in text
    assert "اصلي موضوع" in text and "لينکونه:" in built.rendered.text
    assert root.xpath("//html/@lang") == ["ps"] and root.xpath("//html/@dir") == ["rtl"]
    # No [editions.ps]: the [newsletter] name serves, in the subject and the masthead, and
    # the build says so, at the issue's `lang:`.
    assert built.rendered.subject == f"The Darvana Briefing: {TITLE}"
    assert format_problems(built.problems).replace(str(newsroom) + "/", "") == (
        "issues/2026-11-27-fa.yaml:5:7: warning: lang: newsletter.toml names no 'ps' edition: "
        "the masthead, the welcome line and the subject call the newsletter "
        "'The Darvana Briefing'\n"
        " > 5 | lang: ps\n"
        "     |       ^^\n"
        '  hint: add [editions.ps] with name = "…" in that language to newsletter.toml\n'
        "\n"
        "1 warning in issues/2026-11-27-fa.yaml.\n"
    )


def test_a_language_the_theme_has_no_labels_for_is_a_warning(newsroom: Path) -> None:
    issue = newsroom / "issues" / "2026-11-27-fa.yaml"
    issue.write_text(
        issue.read_text(encoding="utf-8").replace("lang: fa", 'lang: "ur-PK"'), encoding="utf-8"
    )
    built = prepare_build(load_settings(newsroom / "newsletter.toml"), issue)
    messages = [(p.span.line, p.span.column, p.message) for p in built.problems if p.span]
    assert messages == [
        (
            5,
            8,
            "the theme has no labels in 'ur': the email's headings and fixed phrases (the "
            "welcome line, the footer) are in English",
        ),
        (
            5,
            8,
            "newsletter.toml names no 'ur' edition: the masthead, the welcome line and the "
            "subject call the newsletter 'The Darvana Briefing'",
        ),
    ]
    assert "Read the full story" in built.rendered.text


@pytest.mark.parametrize(
    "title",
    [
        "خبرنامهٔ دروانه",  # a hamza above, a combining mark
        "می‌خوانید",  # a zero-width non-joiner
        "كَتَبَ",  # harakat
        "a\\b and &#34;quoted&#34; \u2067x\u2069",  # a backslash, quotes, a bidi isolate
    ],
)
def test_mrml_debug_escapes_never_reach_the_aria_label(title: str) -> None:
    html = compile_mjml(
        f"<mjml><mj-head><mj-title>{title}</mj-title></mj-head><mj-body><mj-section>"
        "<mj-column><mj-text>x</mj-text></mj-column></mj-section></mj-body></mjml>",
        default_theme(),
    )
    root = lxml.html.document_fromstring(html)
    assert root.xpath("//body/div/@aria-label") == [root.findtext(".//title")]


def test_plain_text_link_numbers_are_written_with_the_given_numerals() -> None:
    refs = LinkRefs(lambda number: local_number(number, "fa"))
    text = markdown_text("[یک](https://example.org/1) و [دو](https://example.org/2)", refs)
    assert text == "یک [۱] و دو [۲]"
    assert refs.urls == ["https://example.org/1", "https://example.org/2"]


def _report(tmp_path: Path, text: str) -> str:
    path = tmp_path / "newsletter.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemsError) as caught:
        load_settings(path)
    return format_problems(caught.value.problems).replace(str(path), "newsletter.toml")


HEAD = '[newsletter]\nname = "B"\nfrom = "b@example.org"\norganisation = "Org"\n'


def test_an_edition_falls_back_to_its_language_then_to_the_newsletter(tmp_path: Path) -> None:
    path = tmp_path / "newsletter.toml"
    path.write_text(HEAD + '\n[editions.fa]\nname = "خبرنامه"\n', encoding="utf-8")
    settings = load_settings(path)
    assert settings.edition("fa").name == "خبرنامه"
    assert settings.edition("fa-AF").name == "خبرنامه"
    assert settings.edition("fa").organisation == "Org"
    assert settings.edition("ps").name == "B" and settings.edition("en").organisation == "Org"
    assert settings.edition("fa").sender == settings.edition("en").sender == "b@example.org"


def test_an_edition_that_is_not_a_language_code_is_an_error(tmp_path: Path) -> None:
    text = HEAD + '\n[editions.Dari]\nname = "خبرنامه"\n'
    assert _report(tmp_path, text) == (
        "newsletter.toml:6:1: error: editions.Dari: expected a language code, found 'Dari'\n"
        " > 6 | [editions.Dari]\n"
        "     | ^^^^^^^^^^^^^^^\n"
        "  hint: write the code an issue's `lang:` uses, e.g. [editions.fa] or [editions.ps]\n"
        "\n"
        "1 error in newsletter.toml; nothing was written.\n"
    )


def test_a_misspelt_edition_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    text = HEAD + '\n[editions.ps]\nnmae = "خبرپاڼه"\n'
    assert _report(tmp_path, text) == (
        "newsletter.toml:7:1: error: editions.ps: unknown key 'nmae'\n"
        ' > 7 | nmae = "خبرپاڼه"\n'
        "     | ^^^^\n"
        "  hint: did you mean 'name'? known keys: from, name, organisation\n"
        "\n"
        "1 error in newsletter.toml; nothing was written.\n"
    )


def test_an_edition_needs_a_one_line_name_and_a_sender_address(tmp_path: Path) -> None:
    text = HEAD + (
        '\n[editions.ps]\norganisation = "x"\n\n[editions.fa]\nname = "a\\nb"\nfrom = "x"\n'
    )
    report = _report(tmp_path, text)
    assert [line for line in report.splitlines() if ": error: " in line] == [
        "newsletter.toml:6:1: error: editions.ps: missing required key 'name'",
        "newsletter.toml:10:1: error: editions.fa.name: expected one line, found a line break",
        "newsletter.toml:11:1: error: editions.fa.from: expected an email address, found 'x'",
    ]
    assert "hint: the newsletter's name in the edition's language, for the masthead" in report


def test_the_subject_length_is_counted_with_the_editions_name(newsroom: Path) -> None:
    # 58 characters: with the Dari name (15) the subject is 75, under the limit of 78; with
    # the English name (20) it would be 80.
    title = "ش" * 58
    issue = newsroom / "issues" / "2026-11-27-fa.yaml"
    text = issue.read_text(encoding="utf-8").replace(f"title: {TITLE}", f"title: {title}")
    issue.write_text(text, encoding="utf-8")
    result = run("check", DARI)
    assert result.exit_code == 0 and "0 warnings" in result.output, result.output
    issue.write_text(text.replace("lang: fa", "lang: ps"), encoding="utf-8")
    result = run("check", DARI)
    assert "the subject line is 80 characters" in result.output


@pytest.mark.parametrize("width", [375, 600])
def test_the_dari_email_in_chromium(dari: PreparedBuild, tmp_path: Path, width: int) -> None:
    # Built in-process first: Playwright's sync API then keeps an event loop in this thread.
    html = tmp_path / "email.html"
    html.write_text(dari.rendered.html, encoding="utf-8")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: `make test` installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.route(re.compile(r"^https?://"), lambda route: route.abort())
            page.goto(html.as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            shown = page.inner_text("body")
            assert not LATIN.search(shown), LATIN.findall(shown)
            assert page.evaluate("getComputedStyle(document.body.firstElementChild).direction") == (
                "rtl"
            )
            # Every link's underline sits 0.4 em below the baseline, under the dots of ب and ی.
            ratios = page.evaluate(
                "[...document.querySelectorAll('a')].map(a => { const s = getComputedStyle(a);"
                " return parseFloat(s.textUnderlineOffset) / parseFloat(s.fontSize); })"
            )
            assert ratios and min(ratios) >= 0.4, ratios
            spacing = page.evaluate(
                "[...document.querySelectorAll('.nl-body p, .nl-body h1, .nl-body h2')]"
                ".map(e => getComputedStyle(e).letterSpacing)"
            )
            assert set(spacing) == {"normal"}  # spacing would break the joins between letters
        finally:
            browser.close()
