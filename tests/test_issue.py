"""The issue file: every mistake reported at once, at its line and column, with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.config import load_settings
from newsletter.errors import ProblemsError, format_problems
from newsletter.issue import draft_issue, next_number, read_issue
from newsletter.store import Store, open_store
from tests.conftest import run

GOOD = """\
number: 7
date: 2026-11-27
title: Talks Resume In The Capital
preheader: One sentence that shows in the inbox after the subject line, long enough.
author: karimi
sections:
  - layout: list
    items:
      - article: ylvapjd3
        blurb: no
"""


@pytest.fixture
def store(newsroom: Path) -> Store:
    assert run("fetch").exit_code == 0
    return open_store(newsroom / "data" / "articles.sqlite3")


def _problems(newsroom: Path, store: Store, text: str) -> str:
    path = Path("issues/test.yaml")
    (newsroom / path).write_text(text, encoding="utf-8")
    settings = load_settings(newsroom / "newsletter.toml")
    with pytest.raises(ProblemsError) as caught:
        read_issue(path, settings, store)
    return format_problems(caught.value.problems)


def test_a_good_issue_reads_and_keeps_yaml_words_as_text(newsroom: Path, store: Store) -> None:
    (newsroom / "issues" / "ok.yaml").write_text(GOOD, encoding="utf-8")
    settings = load_settings(newsroom / "newsletter.toml")
    checked = read_issue(Path("issues/ok.yaml"), settings, store)
    item = checked.issue.sections[0].items[0]
    assert item.body_md == "no"  # YAML 1.1 would have made this False
    assert item.article is not None and item.article.id == "ylvapjd3"
    assert checked.warnings == ()


def test_every_mistake_in_one_run_sorted_by_line(newsroom: Path, store: Store) -> None:
    text = (
        GOOD.replace("number: 7", "number: seven")
        .replace("author: karimi", "author: karimy")
        .replace("layout: list", "layout: lists")
    )
    report = _problems(newsroom, store, text)
    lines = [line for line in report.splitlines() if ": error: " in line]
    assert lines == [
        "issues/test.yaml:1:9: error: number: expected a whole number, found 'seven'",
        "issues/test.yaml:5:9: error: author: no author 'karimy' in newsletter.toml",
        "issues/test.yaml:7:13: error: sections[0].layout: unknown layout 'lists'",
    ]
    assert report.endswith("3 errors in issues/test.yaml; nothing was written.\n")


def test_missing_issue_file(newsroom: Path, store: Store) -> None:
    settings = load_settings(newsroom / "newsletter.toml")
    with pytest.raises(ProblemsError) as caught:
        read_issue(Path("issues/nope.yaml"), settings, store)
    assert format_problems(caught.value.problems) == (
        "issues/nope.yaml: error: no such issue file\n"
        "  hint: `ls issues/` shows the issue files; `newsletter draft` starts a new one\n"
        "\n"
        "1 error in issues/nope.yaml; nothing was written.\n"
    )


def test_wrong_type_for_sections(newsroom: Path, store: Store) -> None:
    text = GOOD.split("sections:")[0] + "sections: none\n"
    report = _problems(newsroom, store, text)
    assert report.startswith(
        "issues/test.yaml:6:11: error: sections: expected a list of sections, found 'none'\n"
    )


def test_warnings_do_not_stop_a_read(newsroom: Path, store: Store) -> None:
    text = GOOD.replace(
        "preheader: One sentence that shows in the inbox after the subject line, long enough.",
        "preheader: Too short.",
    )
    (newsroom / "issues" / "warn.yaml").write_text(text, encoding="utf-8")
    settings = load_settings(newsroom / "newsletter.toml")
    checked = read_issue(Path("issues/warn.yaml"), settings, store)
    assert [w.message for w in checked.warnings] == [
        "the preheader is 10 characters; aim for 40 to 150"
    ]


def test_draft_lists_the_weeks_candidates_and_checks_once_filled(
    newsroom: Path, store: Store
) -> None:
    result = run("draft", "--date", "2026-11-27", "-o", "issues/draft.yaml")
    assert result.exit_code == 0, result.output
    text = (newsroom / "issues" / "draft.yaml").read_text(encoding="utf-8")
    assert "number: 42" in text  # another edition of the day's issue 42 shares its number
    assert "#   - article: ylvapjd3" not in text
    assert "# - article: ylvapjd3   # 2026-11-27 12:40  Council Orders Five" in text
    # As drafted, placeholders and the empty roundup are errors.
    failed = run("check", "issues/draft.yaml")
    assert failed.exit_code == 1
    assert "placeholder text left in" in failed.output
    # The editor fills the placeholders and uncomments one candidate.
    filled = text.replace("TODO ", "").replace("TODO", "karimi")
    filled = filled.replace("      # - article: ylvapjd3", "      - article: ylvapjd3", 1)
    lines = filled.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("      - article: ylvapjd3"))
    lines[index + 1] = lines[index + 1].replace("      #   blurb:", "        blurb:")
    (newsroom / "issues" / "draft.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ok = run("check", "issues/draft.yaml")
    assert ok.exit_code == 0, ok.output
    assert run("build", "issues/draft.yaml").exit_code == 0


def test_draft_never_overwrites_without_force(newsroom: Path, store: Store) -> None:
    result = run("draft", "--date", "2026-11-27")
    assert result.exit_code == 1
    assert "the issue file already exists; nothing was written" in result.output
    assert run("draft", "--date", "2026-11-27", "--force").exit_code == 0


def test_next_number_follows_the_highest(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("number: 41\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("number: 9\n", encoding="utf-8")
    assert next_number(tmp_path) == 42
    assert next_number(tmp_path / "empty") == 1


def test_the_package_face_gives_what_callers_use() -> None:
    import newsletter.issue as face
    from newsletter.issue import draft, loader, lockfile, references

    assert face.read_issue is loader.read_issue
    assert face.CheckedIssue is loader.CheckedIssue
    assert face.draft_issue is draft.draft_issue and face.next_number is draft.next_number
    assert face.lock_text is lockfile.lock_text and face.read_lock is lockfile.read_lock
    assert face.ArticleSource is references.ArticleSource
    assert all(hasattr(face, name) for name in face.__all__)


def test_next_number_counts_the_issues_dated_before_the_draft(tmp_path: Path) -> None:
    from datetime import date

    for name, number, day in (
        ("2026-11-20.yaml", "41", "2026-11-20"),
        ("2026-11-27.yaml", "42  # the sample", "'2026-11-27'"),
        ("2026-12-11.yaml", "44", "2026-12-11"),  # drafted ahead of the week before it
        ("notes.yaml", "", ""),  # no number or date: not an issue
    ):
        text = f"# A comment.\nnumber: {number}\ndate: {day}\ntitle: Talks\n"
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert next_number(tmp_path, date(2026, 12, 4)) == 43  # the week drafted late
    assert next_number(tmp_path, date(2026, 12, 18)) == 45
    assert next_number(tmp_path, date(2026, 11, 27)) == 42  # a second edition that day
    assert next_number(tmp_path, date(2026, 11, 13)) == 1
    assert next_number(tmp_path / "elsewhere", date(2026, 12, 4)) == 1
    (tmp_path / "2026-11-20.yaml").unlink()
    assert next_number(tmp_path, date(2026, 11, 27)) == 42  # with nothing before it either


def test_a_draft_written_elsewhere_still_marks_what_earlier_issues_featured(
    newsroom: Path, store: Store
) -> None:
    from datetime import date

    from newsletter.issue import issues_folder

    settings = load_settings(newsroom / "newsletter.toml")
    assert issues_folder(settings) == newsroom / "issues"
    article = store.get("ylvapjd3")  # in issue 42 of 2026-11-27, by its lock file
    assert article is not None
    target = newsroom / "elsewhere" / "try.yaml"
    text = draft_issue(target, date(2026, 12, 4), 43, settings, [article])
    assert "# - article: ylvapjd3   # 2026-11-27 12:40  Council Orders Five" in text
    assert "Off The Air  (already in issue 42)" in text


def test_draft_without_articles_says_to_fetch(newsroom: Path) -> None:
    settings = load_settings(newsroom / "newsletter.toml")
    from datetime import date

    text = draft_issue(newsroom / "issues" / "x.yaml", date(2026, 11, 27), 1, settings, [])
    assert "# No stored articles from 2026-11-21 to 2026-11-27: run `newsletter fetch`," in text


def test_todo_is_a_placeholder_only_as_a_word(newsroom: Path, store: Store) -> None:
    text = GOOD.replace("blurb: no", "blurb: TODOS los días, a pesar de todo.")
    (newsroom / "issues" / "es.yaml").write_text(text, encoding="utf-8")
    settings = load_settings(newsroom / "newsletter.toml")
    checked = read_issue(Path("issues/es.yaml"), settings, store)
    assert checked.issue.sections[0].items[0].body_md == "TODOS los días, a pesar de todo."
    for placeholder in ("TODO", "(TODO a quote)", "Ask the desk, TODO.", "TODO-check"):
        report = _problems(newsroom, store, GOOD.replace("blurb: no", f"blurb: {placeholder}"))
        assert "error: sections[0].items[0].blurb: placeholder text left in" in report


def test_yaml_1_1_words_stay_text(newsroom: Path, store: Store) -> None:
    text = GOOD.replace(
        "        blurb: no",
        "        blurb: on\n      - article: pagcurkj\n        blurb: 1e3\n"
        "      - article: 7wf7qvha\n        blurb: 12:30\n      - article: jsjeyqep\n"
        "        blurb: yes",
    )
    (newsroom / "issues" / "words.yaml").write_text(text, encoding="utf-8")
    settings = load_settings(newsroom / "newsletter.toml")
    checked = read_issue(Path("issues/words.yaml"), settings, store)
    assert [item.body_md for item in checked.issue.sections[0].items] == [
        "on",
        "1e3",
        "12:30",
        "yes",
    ]


def test_the_documented_example_checks_and_builds(newsroom: Path, store: Store) -> None:
    doc = (Path(__file__).parent.parent / "docs" / "issue-format.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    (newsroom / "issues" / "2026-11-27.yaml").write_text(example, encoding="utf-8")
    (newsroom / "issues" / "2026-11-27.lock.json").unlink()
    checked = run("check", "issues/2026-11-27.yaml")
    assert checked.exit_code == 0, checked.output
    assert "0 warnings" in checked.output
    assert run("build", "issues/2026-11-27.yaml").exit_code == 0


NEW_USER = """\
number: 43
date: 27/11/2026
titel: Talks Resume In The Capital
preheader: One sentence that shows in the inbox after the subject line, long enough.
author: karimi
sections:
  - layout: list
    items:
      - article: ylvapjd4
        blurb: A wrong id.
      - article: pagcurkj
       blurb: Indented one space too little.
"""


def test_a_new_users_four_mistakes_come_in_one_report(newsroom: Path, store: Store) -> None:
    report = _problems(newsroom, store, NEW_USER)
    assert [line for line in report.splitlines() if ": error: " in line] == [
        "issues/test.yaml:2:7: error: date: expected a date as YYYY-MM-DD, found '27/11/2026'",
        "issues/test.yaml:3:1: error: titel: unknown key 'titel'",
        "issues/test.yaml:9:18: error: sections[0].items[0].article: no stored article 'ylvapjd4'",
        "issues/test.yaml:12:8: error: YAML syntax: this line's indentation does not match the "
        "lines above (did not find expected '-' indicator (while parsing a block collection))",
    ]
    assert report.endswith("4 errors in issues/test.yaml; nothing was written.\n")
    fixed = (
        NEW_USER.replace("27/11/2026", "2026-11-27")
        .replace("titel", "title")
        .replace("ylvapjd4", "ylvapjd3")
        .replace("       blurb: Indented", "        blurb: Indented")
    )
    (newsroom / "issues" / "fixed.yaml").write_text(fixed, encoding="utf-8")
    assert run("build", "issues/fixed.yaml").exit_code == 0


def test_one_line_values_lose_the_newline_a_block_scalar_ends_with(
    newsroom: Path, store: Store
) -> None:
    text = GOOD.replace(
        "title: Talks Resume In The Capital",
        "lang: |\n  en\ntitle: >\n  Talks Resume\n  In The Capital",
    ).replace("  - layout: list", "  - layout: |\n      list\n    heading: >-\n      The Roundup")
    (newsroom / "issues" / "blocks.yaml").write_text(text, encoding="utf-8")
    settings = load_settings(newsroom / "newsletter.toml")
    checked = read_issue(Path("issues/blocks.yaml"), settings, store)
    assert checked.issue.title == "Talks Resume In The Capital"
    assert checked.issue.lang == "en"
    assert checked.issue.sections[0].layout == "list"
    assert checked.issue.sections[0].heading == "The Roundup"
    assert run("build", "issues/blocks.yaml").exit_code == 0


def test_dates_at_the_ends_of_the_calendar_are_usage_errors(newsroom: Path, store: Store) -> None:
    for command, option in (("articles", "--week"), ("draft", "--date")):
        for day in ("9999-12-31", "0001-01-01", "1899-12-31"):
            result = CliRunner().invoke(cli, [command, option, day])
            assert result.exit_code == 2, (command, day, result.output)
            assert (
                f"Invalid value for {option}: {day} is outside the dates newsletter supports, "
                "1900-01-01 to 9998-12-31" in result.output
            )
    for day in ("1900-01-01", "9998-12-31"):
        assert run("articles", "--week", day).exit_code == 0
        assert run("draft", "--date", day, "-o", f"issues/{day}.yaml").exit_code == 0
        assert run("check", f"issues/{day}.yaml").exit_code == 1  # its placeholders, no crash
    text = GOOD.replace("2026-11-27", "0001-01-01")
    assert "outside the years 1900 to 9998" in _problems(newsroom, store, text)


def test_a_control_character_yaml_refuses_gets_a_line_and_column() -> None:
    # libyaml counts the reader's position in bytes, PyYAML in characters; both point here.
    import yaml

    from newsletter._yaml import load_yaml

    text = "number: 7\ntitle: Café Talks\x07 Resume\n"
    for loader in (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("newsletter._yaml._Loader", loader)
            root, problems = load_yaml(Path("x.yaml"), text)
        assert root is None
        assert [(p.message, p.span and (p.span.line, p.span.column)) for p in problems] == [
            ("a control character (U+0007) is not allowed in an issue file", (2, 18))
        ]
        # Not "replace the tab" because the reader's words, "unacceptable", contain "tab".
        assert problems[0].hint.startswith("delete it: most editors do not show it")


def test_a_draft_written_anywhere_is_numbered_from_the_newsrooms_issues(newsroom: Path) -> None:
    result = run("draft", "--date", "2026-12-04", "-o", str(newsroom / "elsewhere.yaml"))
    assert result.exit_code == 0, result.output
    assert "number: 43" in (newsroom / "elsewhere.yaml").read_text(encoding="utf-8")
    result = run("draft", "--date", "2026-11-20", "-o", str(newsroom / "earlier.yaml"))
    assert "number: 1\n" in (newsroom / "earlier.yaml").read_text(encoding="utf-8")


def test_a_required_key_on_a_line_yaml_cannot_read_is_one_problem_not_two(
    newsroom: Path, store: Store
) -> None:
    # `*` starts a YAML alias: the line is skipped to read the rest, which then lacks `title`.
    text = GOOD.replace("title: Talks", "title: *|FNAME|* Talks", 1)
    report = _problems(newsroom, store, text)
    assert "test.yaml:3:9: error: YAML syntax" in report
    assert "missing required key 'title'" not in report
    assert report.count("error:") == 1
