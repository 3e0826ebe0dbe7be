"""The renderer's pieces: Markdown to HTML and to text, links as references, the lint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsletter.errors import ProblemsError, format_problems
from newsletter.render.checks import check_html
from newsletter.render.markdown import LinkRefs, markdown_html, markdown_text
from newsletter.render.theme import load_theme
from newsletter.urls import article_id, canonical_url


def test_markdown_html_is_sanitised_and_takes_a_run_in_label() -> None:
    html = markdown_html(
        "Read [this](javascript:alert(1)) and <script>x</script> *now*.", runin="Why It's Important"
    )
    assert html.startswith("<p><strong>Why It&#39;s Important:</strong> Read ")
    assert 'href="javascript' not in html and "<script>" not in html
    assert "<em>now</em>" in html


def test_markdown_text_wraps_and_numbers_links() -> None:
    refs = LinkRefs()
    text = markdown_text(
        "A [first link](https://example.org/1) and a [second](https://example.org/2) in a "
        "paragraph long enough to need wrapping at seventy-two columns of text.\n\n"
        "- one item\n- two [again](https://example.org/1)\n",
        refs,
        runin="What's Next",
    )
    assert text.splitlines() == [
        "What's Next: A first link [1] and a second [2] in a paragraph long",
        "enough to need wrapping at seventy-two columns of text.",
        "",
        "- one item",
        "- two again [1]",
    ]
    assert refs.urls == ["https://example.org/1", "https://example.org/2"]


def test_canonical_urls_make_one_id_for_every_spelling() -> None:
    plain = "https://example.org/a/1.html?b=2&a=1"
    noisy = "HTTPS://Example.ORG:443/a/1.html?a=1&utm_source=x&b=2&fbclid=z#top"
    assert canonical_url(noisy) == "https://example.org/a/1.html?a=1&b=2"
    assert article_id(plain) == article_id(noisy)
    assert len(article_id(plain)) == 8 and article_id(plain).isalnum()


def test_lint_flags_missing_alt_and_bad_links() -> None:
    html = (
        '<!doctype html><html lang="en" dir="ltr"><body>'
        '<img src="https://e.org/a.jpg"><a href="file:///etc/passwd">x</a></body></html>'
    )
    problems, _ = check_html(html)
    messages = [p.message for p in problems]
    assert messages == [
        "image https://e.org/a.jpg has no alt attribute",
        "image https://e.org/a.jpg has no width attribute",
        "a link goes to 'file:///etc/passwd'",
    ]


def test_headlines_get_the_same_typographic_quotes_as_the_body() -> None:
    from newsletter.render.markdown import typeset

    assert typeset("Why It's Important") == "Why It’s Important"
    assert typeset('Talks On "Water" Resume [Live] *Now*') == "Talks On “Water” Resume [Live] *Now*"
    assert typeset("شورای موقت") == "شورای موقت"


def test_link_numbering_is_linear_in_the_number_of_links() -> None:
    # 100,000 links: a list search per link took minutes here, a lookup takes a blink.
    import time

    refs = LinkRefs()
    start = time.perf_counter()
    numbers = [refs.number(f"https://example.org/{i}") for i in range(100_000)]
    again = refs.number("https://example.org/99999")
    assert time.perf_counter() - start < 2.0
    assert numbers[:3] == [1, 2, 3] and again == 100_000 and len(refs.urls) == 100_000


def test_issue_slugs_keep_plain_names_and_make_odd_ones_safe_and_distinct() -> None:
    from newsletter.models import issue_slug

    assert issue_slug("2026-11-27") == "2026-11-27"
    assert issue_slug("2026-11-27-fa") == "2026-11-27-fa"
    odd = [".", "..", "...", "my issue", "my_issue ", "ñandú", "nandu!", "a@b", "شماره", "x" * 90]
    slugs = [issue_slug(stem) for stem in odd]
    assert len(set(slugs)) == len(odd)
    for slug in slugs:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*-[0-9a-f]{8}", slug), slug
        assert len(slug) <= 49
    assert issue_slug("ñandú").startswith("nandu-")


def test_labels_are_filled_by_name_only_never_by_str_format(tmp_path: Path) -> None:
    from newsletter.labels import fill_label

    assert fill_label("I'm {name}{role}. {{Braces}}", {"name": "{role}", "role": ", R"}) == (
        "I'm {role}, R. {Braces}"
    )
    # Past check (a theme loaded without it, say) a format spec stays text: it never pads.
    assert fill_label("{name:>300000000}", {"name": "x"}) == "{name:>300000000}"
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "theme.toml").write_text(
        '[labels.en]\nwelcome = "{name!r:>300000000}"\nfooter_why = "{name}"\n', encoding="utf-8"
    )
    with pytest.raises(ProblemsError) as caught:
        load_theme(theme)
    assert format_problems(caught.value.problems) == (
        f"{theme / 'theme.toml'}: error: [labels.en] welcome: the label uses "
        "{name!r:>300000000}, which it cannot fill in\n"
        "  hint: this label may use {name}, written just so: no format specs, conversions, "
        "indexes or attributes; write {{ and }} for a literal brace\n"
        "\n"
        f"1 error in {theme / 'theme.toml'}; nothing was written.\n"
    )
