"""One test per rule of the issue file: the whole message block, verbatim.

Each case edits a small valid issue (`GOOD` in test_issue.py) in one place and expects exactly
the block `newsletter check` prints: location, message, source line with caret, hint, summary.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import load_settings
from newsletter.errors import ProblemsError, format_problems
from newsletter.issue import read_issue
from newsletter.store import open_store
from tests.test_issue import GOOD

CASES: dict[str, tuple[list[tuple[str, str]], str]] = {
    "number_text": (
        [("number: 7", "number: seven")],
        (
            "issues/test.yaml:1:9: error: number: expected a whole number, found 'seven'\n"
            " > 1 | number: seven\n"
            "     |         ^^^^^\n"
            "  hint: the issue's number in the series, e.g. number: 42\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "sections_not_list": (
        [
            (
                "sections:\n  - layout: list\n    items:\n      - article: ylvapjd3\n        blurb: no\n",
                "sections: none\n",
            )
        ],
        (
            "issues/test.yaml:6:11: error: sections: expected a list of sections, found 'none'\n"
            " > 6 | sections: none\n"
            "     |           ^^^^\n"
            "  hint: each section starts with '- heading:' or '- layout:'\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "title_not_text": (
        [("title: Talks Resume In The Capital", "title: [Talks, Resume]")],
        (
            "issues/test.yaml:3:8: error: title: expected text, found a list\n"
            " > 3 | title: [Talks, Resume]\n"
            "     |        ^^^^^^^^^^^^^^^\n"
            "  hint: if the text contains ': ' or starts with '-', put it in quotes\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "preheader_empty": (
        [
            (
                "preheader: One sentence that shows in the inbox after the subject line, long enough.",
                "preheader:",
            )
        ],
        (
            "issues/test.yaml:4:11: error: preheader: expected text, found nothing\n"
            " > 4 | preheader:\n"
            "     |           ^\n"
            "  hint: one sentence that shows in the inbox after the subject\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "section_not_mapping": (
        [
            (
                "  - layout: list\n    items:\n      - article: ylvapjd3\n        blurb: no\n",
                "  - Stories You Might Have Missed\n",
            )
        ],
        (
            "issues/test.yaml:7:5: error: sections[0]: expected a section (a mapping of keys), found 'Stories You Might Have Missed'\n"
            " > 7 |   - Stories You Might Have Missed\n"
            "     |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: a section has the keys: heading, layout, items\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "article_not_id": (
        [("article: ylvapjd3", "article: [ylvapjd3]")],
        (
            "issues/test.yaml:9:18: error: sections[0].items[0].article: expected an article id or URL, found a list\n"
            " > 9 |       - article: [ylvapjd3]\n"
            "     |                  ^^^^^^^^^^\n"
            "  hint: `newsletter articles` lists the stored articles and their ids\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "item_empty": (
        [
            ("sections:\n  - layout: list", "sections:\n  - layout: feature"),
            ("      - article: ylvapjd3\n        blurb: no\n", "      - notes: []\n"),
        ],
        (
            "issues/test.yaml:9:9: error: sections[0].items[0]: the item is empty\n"
            " > 9 |       - notes: []\n"
            "     |         ^\n"
            "  hint: give 'article' (or 'url' + 'title') and a body or blurb\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "unknown_key": (
        [("title:", "titel:")],
        (
            "issues/test.yaml:3:1: error: titel: unknown key 'titel'\n"
            " > 3 | titel: Talks Resume In The Capital\n"
            "     | ^^^^^\n"
            "  hint: did you mean 'title'? an issue has the keys: number, date, lang, title, "
            "subject, preheader, author, hero, sections, signoff, labels\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "date_order": (
        [("2026-11-27", "27/11/2026")],
        (
            "issues/test.yaml:2:7: error: date: expected a date as YYYY-MM-DD, found '27/11/2026'\n"
            " > 2 | date: 27/11/2026\n"
            "     |       ^^^^^^^^^^\n"
            "  hint: write the year first, e.g. 2026-11-27; did you mean 2026-11-27?\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "unknown_article": (
        [("ylvapjd3", "ylvapjd4")],
        (
            "issues/test.yaml:9:18: error: sections[0].items[0].article: "
            "no stored article 'ylvapjd4'\n"
            " > 9 |       - article: ylvapjd4\n"
            "     |                  ^^^^^^^^\n"
            '  hint: did you mean ylvapjd3 ("Council Orders Five Independent Radio Stations Off '
            'The Air")? `newsletter articles` lists them.\n'
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "yaml_indentation": (
        [("        blurb: no", "       blurb: no")],
        (
            "issues/test.yaml:10:8: error: YAML syntax: this line's indentation does not match "
            "the lines above (did not find expected '-' indicator (while parsing a block "
            "collection))\n"
            " > 10 |        blurb: no\n"
            "      |        ^\n"
            "  hint: check the indentation and the colons on this line and the one above it\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "twice": (
        [("title: Talks", "title: Talks Resume\ntitle: Talks")],
        (
            "issues/test.yaml:4:1: error: title: 'title' is given twice\n"
            " > 4 | title: Talks Resume In The Capital\n"
            "     | ^^^^^\n"
            "  hint: keep one of them; a later one would silently win\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "missing_title": (
        [("title: Talks Resume In The Capital\n", "")],
        (
            "issues/test.yaml:1:1: error: title: missing required key 'title'\n"
            " > 1 | number: 7\n"
            "     | ^\n"
            "  hint: the headline, in Title Case: title: Talks Resume In The Capital\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "no_such_day": (
        [("2026-11-27", "2026-02-30")],
        (
            "issues/test.yaml:2:7: error: date: no such day: '2026-02-30'\n"
            " > 2 | date: 2026-02-30\n"
            "     |       ^^^^^^^^^^\n"
            "  hint: check the month and the day of the month\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "date_out_of_range": (
        [("2026-11-27", "9999-12-31")],
        (
            "issues/test.yaml:2:7: error: date: the date 9999-12-31 is outside the years 1900 to 9998\n"
            " > 2 | date: 9999-12-31\n"
            "     |       ^^^^^^^^^^\n"
            "  hint: the send date, e.g. 2026-11-27; issue dates run from 1900-01-01 to 9998-12-31\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "lang": (
        [("number: 7\n", "number: 7\nlang: English\n")],
        (
            "issues/test.yaml:2:7: error: lang: expected a language code, found 'English'\n"
            " > 2 | lang: English\n"
            "     |       ^^^^^^^\n"
            "  hint: a code such as en, fa (Dari), ps (Pashto) or ur\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "layout": (
        [("layout: list", "layout: lists")],
        (
            "issues/test.yaml:7:13: error: sections[0].layout: unknown layout 'lists'\n"
            " > 7 |   - layout: lists\n"
            "     |             ^^^^^\n"
            "  hint: did you mean 'list'? layouts: feature (long body with notes), list (roundup)\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "author": (
        [("author: karimi", "author: karimy")],
        (
            "issues/test.yaml:5:9: error: author: no author 'karimy' in newsletter.toml\n"
            " > 5 | author: karimy\n"
            "     |         ^^^^^^\n"
            "  hint: did you mean 'karimi'? known authors: karimi, samadi\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "article_url": (
        [
            (
                "article: ylvapjd3",
                "article: https://example.org/darvana/2026/11/wheat-flour-prices-climb-3110.html",
            )
        ],
        (
            "issues/test.yaml:9:18: error: sections[0].items[0].article: no stored article 'https://example.org/darvana/2026/11/wheat-flour-prices-climb-3110.html'\n"
            " > 9 |       - article: https://example.org/darvana/2026/11/wheat-flour-prices-climb-3110.html\n"
            "     |                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            '  hint: did you mean https://example.org/darvana/2026/11/wheat-flour-prices-climb-3111.html ("Wheat Flour Prices Climb 30 Percent As Winter Approaches")? `newsletter articles` lists them.\n'
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "url_scheme": (
        [("      - article: ylvapjd3\n", "      - url: ftp://example.org/x\n        title: X\n")],
        (
            "issues/test.yaml:9:14: error: sections[0].items[0].url: expected an http(s) URL, found 'ftp://example.org/x'\n"
            " > 9 |       - url: ftp://example.org/x\n"
            "     |              ^^^^^^^^^^^^^^^^^^^\n"
            "  hint: write the full address, starting with https://\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "article_and_url": (
        [("        blurb: no", "        url: https://example.org/x\n        blurb: no")],
        (
            "issues/test.yaml:10:14: error: sections[0].items[0].url: give either 'article' or 'url', not both\n"
            " > 10 |         url: https://example.org/x\n"
            "      |              ^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: 'article' takes a stored article; 'url' + 'title' a link to anything else\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "body_and_blurb": (
        [("        blurb: no", "        body: Long text.\n        blurb: no")],
        (
            "issues/test.yaml:11:16: error: sections[0].items[0].blurb: give either 'body' or 'blurb', not both\n"
            " > 11 |         blurb: no\n"
            "      |                ^^\n"
            "  hint: 'body' is the long text of a feature, 'blurb' a roundup's one or two sentences\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "list_item_needs_link": (
        [("      - article: ylvapjd3\n", "      - title: Only A Title\n")],
        (
            "issues/test.yaml:9:9: error: sections[0].items[0]: a roundup item needs 'article' or 'url' + 'title'\n"
            " > 9 |       - title: Only A Title\n"
            "     |         ^\n"
            "  hint: `newsletter articles` lists stored articles and their ids\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "url_needs_title": (
        [("      - article: ylvapjd3\n", "      - url: https://example.org/x\n")],
        (
            "issues/test.yaml:9:9: error: sections[0].items[0]: an item with 'url' needs a 'title'\n"
            " > 9 |       - url: https://example.org/x\n"
            "     |         ^\n"
            "  hint: give the linked story's title\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "placeholder": (
        [("title: Talks Resume In The Capital", "title: TODO Write A Headline")],
        (
            "issues/test.yaml:3:8: error: title: placeholder text left in: 'TODO Write A Headline'\n"
            " > 3 | title: TODO Write A Headline\n"
            "     |        ^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: replace the TODO text with your own words\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "no_items": (
        [("    items:\n      - article: ylvapjd3\n        blurb: no\n", "    items:\n")],
        (
            "issues/test.yaml:8:11: error: sections[0].items: the section has no items\n"
            " > 8 |     items:\n"
            "     |           ^\n"
            "  hint: add items, or uncomment the candidates `newsletter draft` listed\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "image_url": (
        [
            ("layout: list", "layout: feature"),
            (
                "        blurb: no",
                "        blurb: no\n        image: {url: photo.jpg, alt: A photo}",
            ),
        ],
        (
            "issues/test.yaml:11:22: error: sections[0].items[0].image.url: expected an http(s) URL, found 'photo.jpg'\n"
            " > 11 |         image: {url: photo.jpg, alt: A photo}\n"
            "      |                      ^^^^^^^^^\n"
            "  hint: email clients only load images from full https:// addresses\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "image_width": (
        [
            ("layout: list", "layout: feature"),
            (
                "        blurb: no",
                "        blurb: no\n        image: {url: https://e.org/p.jpg, alt: A photo, width: wide}",
            ),
        ],
        (
            "issues/test.yaml:11:64: error: sections[0].items[0].image.width: expected a size in pixels, found 'wide'\n"
            " > 11 |         image: {url: https://e.org/p.jpg, alt: A photo, width: wide}\n"
            "      |                                                                ^^^^\n"
            "  hint: e.g. width: 1200\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "notes_not_list": (
        [
            ("layout: list", "layout: feature"),
            ("        blurb: no", "        blurb: no\n        notes: Why It's Important"),
        ],
        (
            "issues/test.yaml:11:16: error: sections[0].items[0].notes: expected a list of notes, found 'Why It's Important'\n"
            " > 11 |         notes: Why It's Important\n"
            "      |                ^^^^^^^^^^^^^^^^^^\n"
            "  hint: each note is '- label: Why It's Important' with 'text: ...'\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "note_label_missing": (
        [("        blurb: no", "        blurb: no\n        notes:\n          - text: Because.")],
        (
            "issues/test.yaml:12:13: error: sections[0].items[0].notes[0].label: missing required key 'label'\n"
            " > 12 |           - text: Because.\n"
            "      |             ^\n"
            "  hint: e.g. label: Why It's Important\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "tab": (
        [("        blurb: no", "\tblurb: no")],
        (
            "issues/test.yaml:10:1: error: YAML syntax: found a tab character that violates indentation (while scanning a plain scalar)\n"
            " > 10 |  blurb: no\n"
            "      | ^\n"
            "  hint: YAML indents with spaces only; replace the tab with spaces\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "title_line_break": (
        [("title: Talks Resume In The Capital", 'title: "Talks\\nResume"')],
        (
            "issues/test.yaml:3:8: error: title: expected one line of text, found a line break (U+000A)\n"
            ' > 3 | title: "Talks\\nResume"\n'
            "     |        ^^^^^^^^^^^^^^^\n"
            "  hint: write it on one line, with no '|' block and no escape such as \\n in quotes\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "title_block_of_two_lines": (
        [("title: Talks Resume In The Capital", "title: |\n  Talks Resume\n  In The Capital")],
        (
            "issues/test.yaml:3:8: error: title: expected one line of text, found a line break (U+000A)\n"
            " > 3 | title: |\n"
            "     |        ^\n"
            "  hint: write it on one line, with no '|' block and no escape such as \\n in quotes\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "subject_unicode_line_separator": (
        [("number: 7\n", 'number: 7\nsubject: "Talks\\u2028Resume"\n')],
        (
            "issues/test.yaml:2:10: error: subject: expected one line of text, found a line break (U+2028)\n"
            ' > 2 | subject: "Talks\\u2028Resume"\n'
            "     |          ^^^^^^^^^^^^^^^^^^^\n"
            "  hint: write it on one line, with no '|' block and no escape such as \\n in quotes\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "control_character_escape": (
        [("        blurb: no", '        blurb: "n\\x01o"')],
        (
            "issues/test.yaml:10:16: error: sections[0].items[0].blurb: a control character (U+0001) is not allowed in an issue file\n"
            ' > 10 |         blurb: "n\\x01o"\n'
            "      |                ^^^^^^^^\n"
            "  hint: remove the escape that makes it (such as \\x01 or \\u0001) from the quoted text\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "tab_that_starts_no_token": (
        [("  - layout: list", "\t- layout: list")],
        (
            "issues/test.yaml:7:1: error: YAML syntax: found character that cannot start any token (while scanning for the next token)\n"
            " > 7 |  - layout: list\n"
            "     | ^\n"
            "  hint: YAML indents with spaces only; replace the tab with spaces\n"
            "\n"
            "issues/test.yaml:8:5: error: sections: expected a list of sections, found a mapping\n"
            " > 8 |     items:\n"
            "     |     ^\n"
            "  hint: each section starts with '- heading:' or '- layout:'\n"
            "\n"
            "2 errors in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "control_character": (
        [("title: Talks", "title: \x1b[1mTalks"), ("        blurb: no", "        blurb: n\x01o")],
        (
            "issues/test.yaml:3:8: error: a control character (U+001B) is not allowed in an issue file\n"
            " > 3 | title: \ufffd[1mTalks Resume In The Capital\n"
            "     |        ^\n"
            "  hint: delete it: most editors do not show it (it often comes with text pasted from a PDF or a word processor)\n"
            "\n"
            "issues/test.yaml:10:17: error: a control character (U+0001) is not allowed in an issue file\n"
            " > 10 |         blurb: n\ufffdo\n"
            "      |                 ^\n"
            "  hint: delete it: most editors do not show it (it often comes with text pasted from a PDF or a word processor)\n"
            "\n"
            "2 errors in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "second_document": (
        [("        blurb: no\n", "        blurb: no\n---\nnumber: 8\ntitel: Another Issue\n")],
        (
            "issues/test.yaml:11:1: error: YAML syntax: a second document starts here; an issue file is one document\n"
            " > 11 | ---\n"
            "      | ^\n"
            "  hint: remove this '---' line (and what follows it, if that is another issue)\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "number_zero": (
        [("number: 7", "number: 0")],
        (
            "issues/test.yaml:1:9: error: number: expected a number of 1 or more, found 0\n"
            " > 1 | number: 0\n"
            "     |         ^\n"
            "  hint: issues are numbered from 1\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "subject_long": (
        [
            (
                "number: 7\n",
                "number: 7\nsubject: A Very Long Subject Line A Very Long Subject Line A Very Long Subject Line A Very Long Subject Line \n",
            )
        ],
        (
            "issues/test.yaml:2:10: warning: subject: the subject line is 99 characters; inboxes cut it near 78\n"
            " > 2 | subject: A Very Long Subject Line A Very Long Subject Line A Very Long Subject Line A Very Long Subject Line \n"
            "     |          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: shorten it to 78 characters or fewer\n"
            "\n"
            "1 warning in issues/test.yaml.\n"
        ),
    ),
    "twice_used": (
        [
            (
                "        blurb: no\n",
                "        blurb: no\n      - article: ylvapjd3\n        blurb: Again.\n",
            )
        ],
        (
            "issues/test.yaml:11:18: warning: sections[0].items[1].article: this article is already used at sections[0].items[0].article\n"
            " > 11 |       - article: ylvapjd3\n"
            "      |                  ^^^^^^^^\n"
            "  hint: remove one of the two entries\n"
            "\n"
            "1 warning in issues/test.yaml.\n"
        ),
    ),
    "outside_week": (
        [("article: ylvapjd3", "article: 2qgvsyvi")],
        (
            "issues/test.yaml:9:18: warning: sections[0].items[0].article: 'Council Delegation Travels Abroad For Water Talks On The Tamar River' was published on 2026-11-20 12:30, outside the issue's week (2026-11-21 to 2026-11-27)\n"
            " > 9 |       - article: 2qgvsyvi\n"
            "     |                  ^^^^^^^^\n"
            "  hint: fine for a follow-up; otherwise pick a story from this week\n"
            "\n"
            "1 warning in issues/test.yaml.\n"
        ),
    ),
    "empty_blurb": (
        [("        blurb: no", "        blurb: ''")],
        (
            "issues/test.yaml:10:16: warning: sections[0].items[0].blurb: the blurb is empty\n"
            " > 10 |         blurb: ''\n"
            "      |                ^^\n"
            "  hint: write a sentence or two in your own words, or remove the key\n"
            "\n"
            "1 warning in issues/test.yaml.\n"
        ),
    ),
    "md_link": (
        [
            (
                "        blurb: no",
                "        blurb: See [the list](/stories) and <javascript:alert(1)>.",
            )
        ],
        (
            "issues/test.yaml:10:31: error: sections[0].items[0].blurb: a link to '/stories': only http(s) and mailto links work in an email\n"
            " > 10 |         blurb: See [the list](/stories) and <javascript:alert(1)>.\n"
            "      |                               ^^^^^^^^\n"
            "  hint: write the full address, e.g. https://example.org/story\n"
            "\n"
            "issues/test.yaml:10:46: error: sections[0].items[0].blurb: a link to 'javascript:alert(1)': only http(s) and mailto links work in an email\n"
            " > 10 |         blurb: See [the list](/stories) and <javascript:alert(1)>.\n"
            "      |                                              ^^^^^^^^^^^^^^^^^^^\n"
            "  hint: write the full address, e.g. https://example.org/story\n"
            "\n"
            "2 errors in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "md_reference_link": (
        [
            (
                "        blurb: no",
                "        blurb: |\n          See [the statement][r1].\n\n"
                "          [r1]: javascript:alert(1)",
            )
        ],
        (
            "issues/test.yaml:13:17: error: sections[0].items[0].blurb: a link to 'javascript:alert(1)': only http(s) and mailto links work in an email\n"
            " > 13 |           [r1]: javascript:alert(1)\n"
            "      |                 ^^^^^^^^^^^^^^^^^^^\n"
            "  hint: write the full address, e.g. https://example.org/story\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "md_image": (
        [("        blurb: no", "        blurb: A boat ![at the pier](https://e.org/p.jpg) left.")],
        (
            "issues/test.yaml:10:23: error: sections[0].items[0].blurb: a Markdown image: an email's text shows no images, so it would be dropped\n"
            " > 10 |         blurb: A boat ![at the pier](https://e.org/p.jpg) left.\n"
            "      |                       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: give the item an image: {url: https://example.org/photo.jpg, alt: what it shows} instead\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "image_in_list": (
        [
            (
                "        blurb: no",
                "        blurb: no\n        image: {url: https://e.org/p.jpg, alt: A boat.}",
            )
        ],
        (
            "issues/test.yaml:11:16: warning: sections[0].items[0].image: the roundup shows no "
            "images; this one will not appear\n"
            " > 11 |         image: {url: https://e.org/p.jpg, alt: A boat.}\n"
            "      |                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: move the story to a feature section, or remove the image\n"
            "\n"
            "1 warning in issues/test.yaml.\n"
        ),
    ),
    "label_placeholder": (
        [("sections:", "labels:\n  author_line: I'm {nme}{role}.\nsections:")],
        (
            "issues/test.yaml:7:16: error: labels.author_line: the label uses {nme}, which it "
            "cannot fill in\n"
            " > 7 |   author_line: I'm {nme}{role}.\n"
            "     |                ^^^^^^^^^^^^^^^^\n"
            "  hint: this label may use {name}, {role}; write {{ and }} for a literal brace\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "label_format_spec": (
        [("sections:", 'labels:\n  welcome: "{name:>300000000}"\nsections:')],
        (
            "issues/test.yaml:7:12: error: labels.welcome: the label uses {name:>300000000}, "
            "which it cannot fill in\n"
            ' > 7 |   welcome: "{name:>300000000}"\n'
            "     |            ^^^^^^^^^^^^^^^^^^^\n"
            "  hint: this label may use {name}, written just so: no format specs, conversions, "
            "indexes or attributes; write {{ and }} for a literal brace\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "alias": (
        [
            ("sections:\n  - layout: list", "sections: &all\n  - layout: list"),
            ("blurb: no", "blurb: no\nsignoff: *all"),
        ],
        (
            "issues/test.yaml:6:11: error: YAML anchors and aliases (&name, *name) are not "
            "supported in issue files\n"
            " > 6 | sections: &all\n"
            "     |           ^\n"
            "  hint: write the value out in full where it is needed\n"
            "\n"
            "1 error in issues/test.yaml; nothing was written.\n"
        ),
    ),
    "image_alt": (
        [
            ("layout: list", "layout: feature"),
            ("        blurb: no", "        blurb: no\n        image: {url: https://e.org/p.jpg}"),
        ],
        (
            "issues/test.yaml:11:16: warning: sections[0].items[0].image: the image has no alt text\n"
            " > 11 |         image: {url: https://e.org/p.jpg}\n"
            "      |                ^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: add alt: describing the picture for readers who cannot see it\n"
            "\n"
            "1 warning in issues/test.yaml.\n"
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule(room: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    edits, expected = CASES[name]
    text = GOOD
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    monkeypatch.chdir(room)
    (room / "issues" / "test.yaml").write_text(text, encoding="utf-8")
    settings = load_settings(room / "newsletter.toml")
    with open_store(settings.store) as store:
        try:
            checked = read_issue(Path("issues/test.yaml"), settings, store)
        except ProblemsError as exc:
            printed = format_problems(exc.problems)
        else:
            printed = format_problems(checked.warnings)
    assert printed == expected


def test_an_empty_issue_file(room: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(room)
    (room / "issues" / "test.yaml").write_text("# nothing yet\n", encoding="utf-8")
    settings = load_settings(room / "newsletter.toml")
    with open_store(settings.store) as store, pytest.raises(ProblemsError) as caught:
        read_issue(Path("issues/test.yaml"), settings, store)
    assert format_problems(caught.value.problems) == (
        "issues/test.yaml: error: the issue file is empty\n"
        "  hint: `newsletter draft` writes a scaffold to start from\n"
        "\n"
        "1 error in issues/test.yaml; nothing was written.\n"
    )


def test_an_issue_file_over_the_size_limit(room: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.issue import MAX_ISSUE_BYTES

    monkeypatch.chdir(room)
    path = room / "issues" / "test.yaml"
    padding = MAX_ISSUE_BYTES - len(GOOD) - 2
    path.write_text(GOOD + "#" + "x" * padding + "\n", encoding="utf-8")
    assert path.stat().st_size == MAX_ISSUE_BYTES
    settings = load_settings(room / "newsletter.toml")
    with open_store(settings.store) as store:
        assert read_issue(Path("issues/test.yaml"), settings, store).warnings == ()
        path.write_text(GOOD + "#" + "x" * (padding + 1) + "\n", encoding="utf-8")
        with pytest.raises(ProblemsError) as caught:
            read_issue(Path("issues/test.yaml"), settings, store)
    assert format_problems(caught.value.problems) == (
        "issues/test.yaml: error: the file is larger than 256 KB, the limit for an issue file\n"
        "  hint: an issue is usually 5 to 20 KB: is this the issue file you meant?\n"
        "\n"
        "1 error in issues/test.yaml; nothing was written.\n"
    )


def test_a_file_name_that_needs_a_slug_warns(room: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(room)
    (room / "issues" / "talks @ capital.yaml").write_text(GOOD, encoding="utf-8")
    settings = load_settings(room / "newsletter.toml")
    with open_store(settings.store) as store:
        checked = read_issue(Path("issues/talks @ capital.yaml"), settings, store)
    assert format_problems(checked.warnings) == (
        "issues/talks @ capital.yaml: warning: the file name is not only ASCII letters, "
        "digits, '-' and '_', so the build folder will be called 'talks-capital-1e6287a8'\n"
        "  hint: name issue files for their send date, e.g. 2026-11-27.yaml "
        "(2026-11-27-fa.yaml for a second edition)\n"
        "\n"
        "1 warning in issues/talks @ capital.yaml.\n"
    )
