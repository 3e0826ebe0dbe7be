"""The checks an editor would otherwise miss, each at its line and column, verbatim: a
Markdown link that would land as raw brackets, a note label close to the theme's, an issue
without a key issue, an issue number another day's issue uses; `check` of several files and
`build --strict`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.commands.check import check_issue
from newsletter.config import load_settings
from newsletter.errors import ProblemsError, format_problems
from tests.conftest import run
from tests.test_issue import GOOD

FEATURE = """\
number: 7
date: 2026-11-27
title: Talks Resume In The Capital
preheader: One sentence that shows in the inbox after the subject line, long enough.
author: karimi
sections:
  - layout: feature
    items:
      - article: ylvapjd3
        body: The council met on Tuesday.
        notes:
          - label: Why It's Important
            text: It decides who may broadcast.
          - label: What's Next
            text: A hearing on Monday.
"""


@pytest.fixture
def issues(room: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The shared newsroom's issues folder, empty at the start and the end of each test."""
    monkeypatch.chdir(room)
    folder = room / "issues"

    def empty() -> None:
        for path in folder.iterdir():
            path.unlink()

    empty()
    yield folder
    empty()


def _checked(room: Path, name: str, text: str) -> str:
    """What `check` prints of the issue `text` written as issues/NAME."""
    (room / "issues" / name).write_text(text, encoding="utf-8")
    settings = load_settings(room / "newsletter.toml")
    try:
        checked = check_issue(settings, Path("issues") / name)
    except ProblemsError as exc:
        return format_problems(exc.problems)
    return format_problems(checked.warnings) if checked.warnings else ""


def _edited(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_the_feature_issue_has_nothing_to_say(room: Path, issues: Path) -> None:
    assert _checked(room, "a.yaml", FEATURE) == ""


def test_a_link_with_no_closing_parenthesis_is_an_error(room: Path, issues: Path) -> None:
    text = _edited(
        FEATURE, "The council met on Tuesday.", "See [the ruling](https://e.org/r and more."
    )
    assert _checked(room, "a.yaml", text) == (
        "issues/a.yaml:10:19: error: sections[0].items[0].body: a Markdown link with no closing "
        "parenthesis: it would show as raw text\n"
        " > 10 |         body: See [the ruling](https://e.org/r and more.\n"
        "      |                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        "  hint: end the address with ')', e.g. [the report](https://example.org/report)\n"
        "\n"
        "1 error in issues/a.yaml; nothing was written.\n"
    )


def test_the_broken_one_of_two_alike_links_is_the_one_pointed_at(room: Path, issues: Path) -> None:
    body = (
        "|\n          A [first](https://e.org/r) and\n          a [second](https://e.org/r too.\n"
    )
    text = _edited(FEATURE, "The council met on Tuesday.", body)
    assert _checked(room, "a.yaml", text).startswith(
        "issues/a.yaml:12:13: error: sections[0].items[0].body: a Markdown link with no closing "
        "parenthesis: it would show as raw text\n"
        " > 12 |           a [second](https://e.org/r too.\n"
        "      |             ^^^^^^^^^^^^^^^^^^^^^^^^\n"
    )
    twice = "|\n          [a](https://e.org/r) [a](https://e.org/r\n"
    printed = _checked(room, "a.yaml", _edited(FEATURE, "The council met on Tuesday.", twice))
    assert printed.startswith("issues/a.yaml:11:32: error:")


def test_an_address_with_parentheses_needs_its_own_closing_one(room: Path, issues: Path) -> None:
    wiki = "See [the dam](https://en.wikipedia.org/wiki/Dam_(water) today."
    printed = _checked(room, "a.yaml", _edited(FEATURE, "The council met on Tuesday.", wiki))
    assert printed.startswith(
        "issues/a.yaml:10:19: error: sections[0].items[0].body: a Markdown link"
    )
    assert (
        "hint: an address with '(' needs its ')' too, then one more ')' to end the link" in printed
    )


def test_a_space_before_the_parenthesis_is_an_error(room: Path, issues: Path) -> None:
    text = _edited(
        FEATURE, "The council met on Tuesday.", "See [the ruling] (https://e.org/r) now."
    )
    assert _checked(room, "a.yaml", text) == (
        "issues/a.yaml:10:19: error: sections[0].items[0].body: a space between ']' and '(': "
        "Markdown shows this as text, not a link\n"
        " > 10 |         body: See [the ruling] (https://e.org/r) now.\n"
        "      |                   ^^^^^^^^^^^^^^\n"
        "  hint: write [the ruling](…) with nothing between ']' and '('\n"
        "\n"
        "1 error in issues/a.yaml; nothing was written.\n"
    )


def test_links_markdown_reads_are_no_error(room: Path, issues: Path) -> None:
    body = (
        "'[The dam](https://en.wikipedia.org/wiki/Dam_(water)), [a](<https://e.org/a b>), "
        '[b](https://e.org/b "title"), `[c](code` and [sic] (as written).\''
    )
    assert _checked(room, "a.yaml", _edited(FEATURE, "The council met on Tuesday.", body)) == ""


def test_a_link_target_is_read_to_its_balanced_parenthesis(room: Path, issues: Path) -> None:
    body = "See [the dam](https://en.wikipedia.org/wiki/Dam_(water)) and [js](javascript:alert(1))."
    printed = _checked(room, "a.yaml", _edited(FEATURE, "The council met on Tuesday.", body))
    assert printed.startswith(
        "issues/a.yaml:10:81: error: sections[0].items[0].body: a link to 'javascript:alert(1)': "
        "only http(s) and mailto links work in an email\n"
    )
    assert printed.endswith("1 error in issues/a.yaml; nothing was written.\n")


def test_a_mistyped_note_label_gets_the_themes(room: Path, issues: Path) -> None:
    text = _edited(FEATURE, "label: What's Next", "label: Whats Next")
    assert _checked(room, "a.yaml", text) == (
        "issues/a.yaml:14:20: warning: sections[0].items[0].notes[1].label: the label "
        "'Whats Next' is not the theme's\n"
        " > 14 |           - label: Whats Next\n"
        "      |                    ^^^^^^^^^^\n"
        "  hint: did you mean 'What's Next'? the theme's note labels: 'Why It's Important', "
        "'What's Next'\n"
        "\n"
        "1 warning in issues/a.yaml.\n"
    )


@pytest.mark.parametrize("label", ["What’s Next", "What Happens Next", "The Background"])
def test_a_label_of_ones_own_or_typeset_is_fine(room: Path, issues: Path, label: str) -> None:
    assert _checked(room, "a.yaml", _edited(FEATURE, "label: What's Next", f"label: {label}")) == ""


def test_a_note_label_is_held_to_the_editions_own_labels(room: Path, issues: Path) -> None:
    dari = _edited(FEATURE, "author: karimi", "lang: fa\nauthor: karimi")
    printed = _checked(room, "a.yaml", _edited(dari, "label: What's Next", "label: گام بعدي"))
    assert "did you mean 'گام بعدی'?" in printed
    assert _checked(room, "a.yaml", _edited(dari, "label: What's Next", "label: گام بعدی")) == ""


def test_an_issue_without_a_key_issue_is_warned(room: Path, issues: Path) -> None:
    assert _checked(room, "a.yaml", GOOD) == (
        "issues/a.yaml:6:1: warning: sections: the issue has no 'The Key Issue' section\n"
        " > 6 | sections:\n"
        "     | ^^^^^^^^\n"
        "  hint: open the issue with a section of layout: feature, the week's key issue in a body "
        "with its notes\n"
        "\n"
        "1 warning in issues/a.yaml.\n"
    )


def test_a_number_another_days_issue_has_is_warned(room: Path, issues: Path) -> None:
    earlier = _edited(FEATURE, "date: 2026-11-27", "date: 2026-11-20")
    (issues / "2026-11-20.yaml").write_text(earlier, encoding="utf-8")
    assert _checked(room, "2026-11-27.yaml", FEATURE) == (
        "issues/2026-11-27.yaml:1:9: warning: number: issue number 7 is already used by "
        "2026-11-20.yaml, dated 2026-11-20\n"
        " > 1 | number: 7\n"
        "     |         ^\n"
        "  hint: this issue's number is probably 8; only editions of the same day share a number\n"
        "\n"
        "1 warning in issues/2026-11-27.yaml.\n"
    )


def test_editions_of_one_day_share_a_number(room: Path, issues: Path) -> None:
    (issues / "2026-11-27-fa.yaml").write_text(FEATURE, encoding="utf-8")
    (issues / "2026-11-20.yaml").write_text(
        _edited(_edited(FEATURE, "date: 2026-11-27", "date: 2026-11-20"), "number: 7", "number: 6"),
        encoding="utf-8",
    )
    assert _checked(room, "2026-11-27.yaml", FEATURE) == ""


def test_check_reports_each_of_several_files(room: Path, issues: Path) -> None:
    (issues / "a.yaml").write_text(FEATURE, encoding="utf-8")
    (issues / "b.yaml").write_text(GOOD.replace("date: 2026-11-27", "date: 27/11/2026"), "utf-8")
    (issues / "c.yaml").write_text(GOOD, encoding="utf-8")
    result = run("check", "issues/a.yaml", "issues/b.yaml", "issues/c.yaml")
    assert result.exit_code == 1
    assert "issues/a.yaml: ok, issue 7 of 2026-11-27, 1 articles, 0 warnings\n" in result.stdout
    assert "issues/c.yaml: ok, issue 7 of 2026-11-27, 1 articles, 1 warning\n" in result.stdout
    assert "issues/b.yaml:2:7: error: date: expected a date as YYYY-MM-DD" in result.stderr
    assert "issues/c.yaml:6:1: warning: sections: the issue has no" in result.stderr
    assert result.stderr.endswith("3 files checked, 1 with errors\n")
    fine = run("check", "issues/a.yaml", "issues/c.yaml")
    assert fine.exit_code == 0
    assert run("check", "--strict", "issues/a.yaml", "issues/c.yaml").exit_code == 1
    listed = run("check", "--json", "issues/a.yaml", "issues/b.yaml")
    assert listed.exit_code == 1
    report = json.loads(listed.stdout)
    assert [(entry["file"], entry["ok"]) for entry in report] == [
        ("issues/a.yaml", True),
        ("issues/b.yaml", False),
    ]
    assert report[0]["problems"] == []
    assert report[1]["problems"][0]["line"] == 2
    assert run("check").exit_code == 2  # a file is required


def test_build_strict_writes_nothing_on_a_warning(room: Path, issues: Path) -> None:
    (issues / "a.yaml").write_text(GOOD, encoding="utf-8")
    result = run("build", "--strict", "issues/a.yaml", "--output", "strict-out")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "issues/a.yaml:6:1: error: sections: the issue has no 'The Key Issue' section\n"
    )
    assert result.stderr.endswith("1 error in issues/a.yaml; nothing was written.\n")
    assert not (room / "strict-out").exists()
    assert not (issues / "a.lock.json").exists()
    built = run("build", "issues/a.yaml", "--output", "strict-out")
    assert built.exit_code == 0
    assert (room / "strict-out" / "a" / "email.html").is_file()
    assert (issues / "a.lock.json").is_file()
    (issues / "b.yaml").write_text(FEATURE, encoding="utf-8")
    assert run("build", "--strict", "issues/b.yaml", "--output", "strict-out").exit_code == 0
