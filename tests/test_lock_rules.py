"""One test per rule of the lock file: the whole message block, verbatim.

Each case edits a valid lock file (`GOOD_LOCK`, beside the small valid issue `GOOD` of
test_issue.py) in one place and expects exactly what `newsletter check` prints. The store is
filled, so an article whose recorded copy is refused could still come from it: what stops the
build is the lock file's own error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import load_settings
from newsletter.errors import ProblemsError, format_problems
from newsletter.issue import read_issue
from newsletter.store import open_store
from tests.conftest import run
from tests.test_issue import GOOD

SUMMARY_HTML = (
    "<p>The Provisional Council's information ministry on November 26 revoked the licences of "
    "five independent radio stations in Sarvan and Zarin, saying their programmes were "
    '\\"against national values.\\"</p><p>Managers of two of the stations told Meridian Radio '
    "they received no warning and were given 48 hours to switch off their transmitters.</p>"
)
SUMMARY_TEXT = (
    "The Provisional Council's information ministry on November 26 revoked the licences of "
    "five independent radio stations in Sarvan and Zarin, saying their programmes were "
    '\\"against national values.\\" Managers of two of the stations told Meridian Radio they '
    "received no warning and were given 48 hours to switch off their transmitters."
)
# What `newsletter build` records for GOOD: the one article, as the store holds it.
GOOD_LOCK = (
    "{\n"
    '  "articles": [\n'
    "    {\n"
    '      "author": "Meridian Radio",\n'
    '      "categories": [\n'
    '        "Media",\n'
    '        "Provisional Council"\n'
    "      ],\n"
    '      "date_is_guess": false,\n'
    '      "feed": "news",\n'
    '      "id": "ylvapjd3",\n'
    '      "image": {\n'
    '        "alt": "A radio mast on a hillside above Sarvan at dusk.",\n'
    '        "caption": "",\n'
    '        "height": 675,\n'
    '        "url": "https://example.org/images/radio-mast-sarvan.jpg",\n'
    '        "width": 1200\n'
    "      },\n"
    '      "lang": "en",\n'
    '      "published": "2026-11-27T08:10:00+00:00",\n'
    f'      "summary_html": "{SUMMARY_HTML}",\n'
    f'      "summary_text": "{SUMMARY_TEXT}",\n'
    '      "title": "Council Orders Five Independent Radio Stations Off The Air",\n'
    '      "url": "https://example.org/darvana/2026/11/council-radio-licences-revoked-3112.html"\n'
    "    }\n"
    "  ],\n"
    '  "date": "2026-11-27",\n'
    '  "issue": 7,\n'
    '  "version": 1\n'
    "}\n"
)
REFRESH = "or use the store's version: newsletter build --refresh issues/test.yaml"
ARTICLE_URL = "https://example.org/darvana/2026/11/council-radio-licences-revoked-3112.html"
ONE_ERROR = "\n1 error in issues/test.lock.json; nothing was written.\n"

CASES: dict[str, tuple[list[tuple[str, str]], str]] = {
    "url_scheme": (
        [(f'"url": "{ARTICLE_URL}"', '"url": "javascript:alert(1)"')],
        (
            "issues/test.lock.json:24:14: error: articles[0].url: expected an http(s) URL, found 'javascript:alert(1)'\n"
            ' > 24 |       "url": "javascript:alert(1)"\n'
            "      |              ^^^^^^^^^^^^^^^^^^^^^\n"
            f"  hint: write the article's full https:// address, {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "url_no_host": (
        [(f'"url": "{ARTICLE_URL}"', '"url": "https:///darvana/story.html"')],
        (
            "issues/test.lock.json:24:14: error: articles[0].url: expected an http(s) URL, found 'https:///darvana/story.html'\n"
            ' > 24 |       "url": "https:///darvana/story.html"\n'
            "      |              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            f"  hint: write the article's full https:// address, {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "url_missing": (
        [(f',\n      "url": "{ARTICLE_URL}"', "")],
        (
            "issues/test.lock.json:3:5: error: articles[0].url: missing required key 'url'\n"
            " > 3 |     {\n"
            "     |     ^\n"
            f"  hint: write the article's full https:// address, {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "id_not_the_urls": (
        [('"id": "ylvapjd3"', '"id": "ylvapjd4"')],
        (
            "issues/test.lock.json:11:13: error: articles[0].id: the id 'ylvapjd4' is not the id of the article's url, which is 'ylvapjd3'\n"
            ' > 11 |       "id": "ylvapjd4",\n'
            "      |             ^^^^^^^^^^\n"
            f"  hint: one of the two was changed: put it back, {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "published_naive": (
        [('"2026-11-27T08:10:00+00:00"', '"2026-11-27T08:10:00"')],
        (
            "issues/test.lock.json:20:20: error: articles[0].published: the time '2026-11-27T08:10:00' has no UTC offset\n"
            ' > 20 |       "published": "2026-11-27T08:10:00",\n'
            "      |                    ^^^^^^^^^^^^^^^^^^^^^\n"
            f'  hint: add one, e.g. "2026-11-24T10:00:00+00:00" for UTC, {REFRESH}\n' + ONE_ERROR
        ),
    ),
    "published_year_one": (
        [('"2026-11-27T08:10:00+00:00"', '"0001-01-01T00:00:00+14:00"')],
        (
            "issues/test.lock.json:20:20: error: articles[0].published: the time '0001-01-01T00:00:00+14:00' is not between the years 1900 and 2199\n"
            ' > 20 |       "published": "0001-01-01T00:00:00+14:00",\n'
            "      |                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            f"  hint: check the year, {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "published_not_a_time": (
        [('"2026-11-27T08:10:00+00:00"', '"last Friday"')],
        (
            "issues/test.lock.json:20:20: error: articles[0].published: expected a time like 2026-11-24T10:00:00+00:00, found 'last Friday'\n"
            ' > 20 |       "published": "last Friday",\n'
            "      |                    ^^^^^^^^^^^^^\n"
            f'  hint: write it as "2026-11-24T10:00:00+00:00", {REFRESH}\n' + ONE_ERROR
        ),
    ),
    "published_number": (
        [('"2026-11-27T08:10:00+00:00"', "1795767000")],
        (
            "issues/test.lock.json:20:20: error: articles[0].published: expected a time as text, found the number 1795767000\n"
            ' > 20 |       "published": 1795767000,\n'
            "      |                    ^^^^^^^^^^\n"
            f'  hint: write it as "2026-11-24T10:00:00+00:00", {REFRESH}\n' + ONE_ERROR
        ),
    ),
    "title_number": (
        [('"Council Orders Five Independent Radio Stations Off The Air"', "42")],
        (
            "issues/test.lock.json:23:16: error: articles[0].title: expected text, found the number 42\n"
            ' > 23 |       "title": 42,\n'
            "      |                ^^\n"
            f"  hint: write the text in double quotes, {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "title_empty": (
        [('"Council Orders Five Independent Radio Stations Off The Air"', '" "')],
        (
            "issues/test.lock.json:23:16: error: articles[0].title: expected text, found nothing\n"
            ' > 23 |       "title": " ",\n'
            "      |                ^^^\n"
            f"  hint: write it back, {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "author_list": (
        [('"author": "Meridian Radio"', '"author": ["Meridian Radio"]')],
        (
            "issues/test.lock.json:4:17: error: articles[0].author: expected text, found a list\n"
            ' > 4 |       "author": ["Meridian Radio"],\n'
            "     |                 ^^^^^^^^^^^^^^^^^^\n"
            f"  hint: write the text in double quotes, {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "categories_text": (
        [('[\n        "Media",\n        "Provisional Council"\n      ]', '"Media"')],
        (
            "issues/test.lock.json:5:21: error: articles[0].categories: expected a list of texts, found the text 'Media'\n"
            ' > 5 |       "categories": "Media",\n'
            "     |                     ^^^^^^^\n"
            f'  hint: e.g. ["Economy", "Media"], {REFRESH}\n' + ONE_ERROR
        ),
    ),
    "date_is_guess_text": (
        [('"date_is_guess": false', '"date_is_guess": "no"')],
        (
            "issues/test.lock.json:9:24: error: articles[0].date_is_guess: expected true or false, found the text 'no'\n"
            ' > 9 |       "date_is_guess": "no",\n'
            "     |                        ^^^^\n"
            f"  hint: write true or false without quotes, {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "image_list": (
        [
            (
                '{\n        "alt": "A radio mast on a hillside above Sarvan at dusk.",\n'
                '        "caption": "",\n        "height": 675,\n'
                '        "url": "https://example.org/images/radio-mast-sarvan.jpg",\n'
                '        "width": 1200\n      }',
                '["https://example.org/images/radio-mast-sarvan.jpg"]',
            )
        ],
        (
            "issues/test.lock.json:12:16: error: articles[0].image: expected an image (an object), found a list\n"
            ' > 12 |       "image": ["https://example.org/images/radio-mast-sarvan.jpg"],\n'
            f"      |                {'^' * 52}\n"
            f"  hint: an image has the keys: alt, caption, height, url, width; {REFRESH}\n"
            + ONE_ERROR
        ),
    ),
    "image_url": (
        [
            (
                '"url": "https://example.org/images/radio-mast-sarvan.jpg"',
                '"url": "data:image/svg+xml,<svg onload=alert(1)>"',
            )
        ],
        (
            "issues/test.lock.json:16:16: error: articles[0].image.url: expected an http(s) URL, found 'data:image/svg+xml,<svg onload=alert(1)>'\n"
            ' > 16 |         "url": "data:image/svg+xml,<svg onload=alert(1)>",\n'
            "      |                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: email clients only load images from full https:// addresses, "
            f"{REFRESH}\n" + ONE_ERROR
        ),
    ),
    "width_text": (
        [('"width": 1200', '"width": "1200"')],
        (
            "issues/test.lock.json:17:18: error: articles[0].image.width: expected a size in pixels (a whole number from 1 to 99999), found the text '1200'\n"
            ' > 17 |         "width": "1200"\n'
            "      |                  ^^^^^^\n"
            f"  hint: e.g. 1200, or null when it is not known; {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "height_negative": (
        [('"height": 675', '"height": -675')],
        (
            "issues/test.lock.json:15:19: error: articles[0].image.height: expected a size in pixels (a whole number from 1 to 99999), found the number -675\n"
            ' > 15 |         "height": -675,\n'
            "      |                   ^^^^\n"
            f"  hint: e.g. 1200, or null when it is not known; {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "unknown_key": (
        [('"title":', '"subtitle": "On The Air",\n      "title":')],
        (
            "issues/test.lock.json:23:7: error: articles[0]: unknown key 'subtitle'\n"
            ' > 23 |       "subtitle": "On The Air",\n'
            "      |       ^^^^^^^^^^\n"
            "  hint: did you mean 'title'? an article has the keys: author, categories, "
            "date_is_guess, feed, id, image, lang, published, summary_html, summary_text, "
            "title, url\n" + ONE_ERROR
        ),
    ),
    "twice": (
        [('"feed": "news",', '"feed": "news",\n      "feed": "analysis",')],
        (
            "issues/test.lock.json:11:7: error: articles[0].feed: 'feed' is given twice\n"
            ' > 11 |       "feed": "analysis",\n'
            "      |       ^^^^^^\n"
            "  hint: keep one of them; a later one would silently win\n" + ONE_ERROR
        ),
    ),
    "article_not_object": (
        [('"articles": [\n', '"articles": [\n    "ylvapjd3",\n')],
        (
            "issues/test.lock.json:3:5: error: articles[0]: expected an article (an object), found the text 'ylvapjd3'\n"
            ' > 3 |     "ylvapjd3",\n'
            "     |     ^^^^^^^^^^\n"
            "  hint: an article has the keys: author, categories, date_is_guess, feed, id, "
            f"image, lang, published, summary_html, summary_text, title, url; {REFRESH}\n"
            + ONE_ERROR
        ),
    ),
    "recorded_twice": (
        [
            (
                '"articles": [\n',
                '"articles": [\n    {"id": "ylvapjd3", "url": "'
                + ARTICLE_URL
                + '", "title": "Off The Air", "feed": "news"},\n',
            )
        ],
        (
            "issues/test.lock.json:12:13: error: articles[1].id: the article 'ylvapjd3' is recorded twice, also at articles[0]\n"
            ' > 12 |       "id": "ylvapjd3",\n'
            "      |             ^^^^^^^^^^\n"
            f"  hint: delete one of the two, {REFRESH}\n"
            "\n"
            "issues/test.yaml:9:18: warning: sections[0].items[0].article: the store's copy of this article has changed (title, author, image, published, summary_html, categories, lang) since the issue was built; the build keeps the copy in test.lock.json\n"
            " > 9 |       - article: ylvapjd3\n"
            "     |                  ^^^^^^^^\n"
            "  hint: to use the store's version: newsletter build --refresh issues/test.yaml\n"
            "\n"
            "1 error and 1 warning in issues/test.lock.json, issues/test.yaml; nothing was written.\n"
        ),
    ),
    "articles_not_list": (
        [('"articles": [', '"articles": {"all": ['), ('\n  ],\n  "date"', '\n  ]},\n  "date"')],
        (
            "issues/test.lock.json:2:15: error: articles: expected a list of articles, found an object\n"
            ' > 2 |   "articles": {"all": [\n'
            "     |               ^\n"
            f"  hint: delete the lock file, {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "issue_number": (
        [('"issue": 7', '"issue": "seven"')],
        (
            "issues/test.lock.json:28:12: error: issue: expected the issue's number (a whole number, 1 or more), found the text 'seven'\n"
            ' > 28 |   "issue": "seven",\n'
            "      |            ^^^^^^^\n"
            f"  hint: write the number in the issue file, e.g. 42, {REFRESH}\n" + ONE_ERROR
        ),
    ),
    "lock_date": (
        [('"date": "2026-11-27"', '"date": "27/11/2026"')],
        (
            "issues/test.lock.json:27:11: error: date: expected a date as YYYY-MM-DD, found the text '27/11/2026'\n"
            ' > 27 |   "date": "27/11/2026",\n'
            "      |           ^^^^^^^^^^^^\n"
            f'  hint: write the date in the issue file, e.g. "2026-11-27", {REFRESH}\n' + ONE_ERROR
        ),
    ),
    "control_characters": (
        [('"title": "Council', '"title": "\\u202e\\u009b2JCouncil')],
        (
            "issues/test.lock.json:23:16: warning: articles[0].title: the text holds control characters or unclosed direction marks (U+202E, U+009B); the build uses a cleaned copy\n"
            ' > 23 |       "title": "\\u202e\\u009b2JCouncil Orders Five Independent Radio Stations Off The Air",\n'
            f"      |                {'^' * 74}\n"
            f"  hint: the next build records the cleaned text; {REFRESH}\n"
            "\n"
            "issues/test.yaml:9:18: warning: sections[0].items[0].article: the store's copy of this article has changed (title) since the issue was built; the build keeps the copy in test.lock.json\n"
            " > 9 |       - article: ylvapjd3\n"
            "     |                  ^^^^^^^^\n"
            "  hint: to use the store's version: newsletter build --refresh issues/test.yaml\n"
            "\n"
            "2 warnings in issues/test.lock.json, issues/test.yaml.\n"
        ),
    ),
    "control_characters_raw": (
        [('"title": "Council', '"title": "\u202e\x9b2JCouncil')],
        (
            "issues/test.lock.json:23:16: warning: articles[0].title: the text holds control characters or unclosed direction marks (U+202E, U+009B); the build uses a cleaned copy\n"
            # Printed as they are, the terminal would obey them: each shows as U+FFFD.
            ' > 23 |       "title": "\ufffd\ufffd2JCouncil Orders Five Independent Radio Stations Off The Air",\n'
            f"      |                {'^' * 64}\n"
            f"  hint: the next build records the cleaned text; {REFRESH}\n"
            "\n"
            "issues/test.yaml:9:18: warning: sections[0].items[0].article: the store's copy of this article has changed (title) since the issue was built; the build keeps the copy in test.lock.json\n"
            " > 9 |       - article: ylvapjd3\n"
            "     |                  ^^^^^^^^\n"
            "  hint: to use the store's version: newsletter build --refresh issues/test.yaml\n"
            "\n"
            "2 warnings in issues/test.lock.json, issues/test.yaml.\n"
        ),
    ),
    "summary_script": (
        [('"<p>The Provisional', '"<script>alert(1)</script><p>The Provisional')],
        (
            "issues/test.lock.json:21:23: warning: articles[0].summary_html: the summary holds HTML an email must not carry (a script, an event handler, a link that is not http(s)); the build keeps a sanitised copy\n"
            f' > 21 |       "summary_html": "<script>alert(1)</script>{SUMMARY_HTML}",\n'
            f"      |                       {'^' * (len(SUMMARY_HTML) + 27)}\n"
            f"  hint: the next build records the sanitised copy; {REFRESH}\n"
            "\n"
            "1 warning in issues/test.lock.json.\n"
        ),
    ),
    "not_json": (
        [('"issue": 7,', '"issue": 7')],
        (
            "issues/test.lock.json:29:3: warning: the lock file cannot be read (not JSON: Expecting ',' delimiter); the store's articles are used instead\n"
            ' > 29 |   "version": 1\n'
            "      |   ^\n"
            "  hint: the next `newsletter build` records the store's articles over it; to keep "
            "the recorded ones, restore the file first (e.g. from version control)\n"
            "\n"
            "1 warning in issues/test.lock.json.\n"
        ),
    ),
    "version": (
        [('"version": 1', '"version": 2')],
        (
            "issues/test.lock.json:29:14: warning: the lock file cannot be read (expected version 1, found the number 2); the store's articles are used instead\n"
            ' > 29 |   "version": 2\n'
            "      |              ^\n"
            "  hint: the next `newsletter build` records the store's articles over it; to keep "
            "the recorded ones, restore the file first (e.g. from version control)\n"
            "\n"
            "1 warning in issues/test.lock.json.\n"
        ),
    ),
}


def _check(room: Path, lock: str) -> str:
    (room / "issues" / "test.yaml").write_text(GOOD, encoding="utf-8")
    (room / "issues" / "test.lock.json").write_text(lock, encoding="utf-8")
    settings = load_settings(room / "newsletter.toml")
    with open_store(settings.store) as store:
        try:
            checked = read_issue(Path("issues/test.yaml"), settings, store)
        except ProblemsError as exc:
            return format_problems(exc.problems)
    return format_problems(checked.warnings) if checked.warnings else ""


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule(room: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    edits, expected = CASES[name]
    text = GOOD_LOCK
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    monkeypatch.chdir(room)
    assert _check(room, text) == expected


def test_the_good_lock_file_is_what_a_build_records(
    room: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(room)
    assert _check(room, GOOD_LOCK) == ""
    (room / "issues" / "test.yaml").write_text(GOOD, encoding="utf-8")
    assert run("build", "issues/test.yaml", "-o", str(room / "build")).exit_code == 0
    assert (room / "issues" / "test.lock.json").read_text(encoding="utf-8") == GOOD_LOCK


def test_a_syntax_error_in_the_issue_hides_no_problem_of_the_lock_file(
    room: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The issue's line 10 is left out to read past its syntax error; the lock file's line 10
    # is another file's and stays reported.
    monkeypatch.chdir(room)
    (room / "issues" / "test.lock.json").write_text(
        GOOD_LOCK.replace('"feed": "news"', '"feed": 42'), encoding="utf-8"
    )
    (room / "issues" / "test.yaml").write_text(
        GOOD.replace("        blurb: no", "       blurb: no"), encoding="utf-8"
    )
    settings = load_settings(room / "newsletter.toml")
    with open_store(settings.store) as store, pytest.raises(ProblemsError) as caught:
        read_issue(Path("issues/test.yaml"), settings, store)
    assert [(str(p.file), p.span and p.span.line, p.key) for p in caught.value.problems] == [
        ("issues/test.lock.json", 10, "articles[0].feed"),
        ("issues/test.yaml", 10, ""),
    ]
