"""Reproducible builds: the lock file beside an issue keeps the articles it used."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from newsletter.errors import format_problem
from newsletter.issue.lockfile import read_lock
from tests.conftest import run

ISSUE = "issues/2026-11-27.yaml"


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "build" / "2026-11-27").iterdir())}


def test_a_rebuild_after_the_store_is_deleted_is_byte_identical(newsroom: Path) -> None:
    (newsroom / "issues" / "2026-11-27.lock.json").unlink()
    assert run("fetch").exit_code == 0
    assert run("build", ISSUE).exit_code == 0
    first = _outputs(newsroom)
    lock = json.loads((newsroom / "issues" / "2026-11-27.lock.json").read_text(encoding="utf-8"))
    assert [a["id"] for a in lock["articles"]][:2] == ["ylvapjd3", "n6sgq3un"]
    shutil.rmtree(newsroom / "data")
    shutil.rmtree(newsroom / "build")
    result = run("build", ISSUE)
    assert result.exit_code == 0, result.output
    assert _outputs(newsroom) == first


def test_a_changed_article_keeps_the_recorded_copy_until_refreshed(newsroom: Path) -> None:
    assert run("fetch").exit_code == 0
    assert run("build", ISSUE).exit_code == 0
    first = _outputs(newsroom)
    feed = newsroom / "feeds" / "news.xml"
    feed.write_text(
        feed.read_text(encoding="utf-8").replace(
            "Council Orders Five Independent Radio Stations Off The Air",
            "Council Orders Five Radio Stations Off The Air, Citing National Values",
        ),
        encoding="utf-8",
    )
    assert run("fetch").exit_code == 0
    checked = run("check", ISSUE)
    assert checked.exit_code == 0
    assert (
        "issues/2026-11-27.yaml:13:18: warning: sections[0].items[0].article: the store's copy "
        "of this article has changed (title) since the issue was built; the build keeps the "
        "copy in 2026-11-27.lock.json\n"
    ) in checked.output
    assert (
        "hint: to use the store's version: newsletter build --refresh issues/2026-11-27.yaml"
        in checked.output
    )
    assert run("build", ISSUE).exit_code == 0
    assert _outputs(newsroom)["email.html"] == first["email.html"]
    assert run("build", "--refresh", ISSUE).exit_code == 0
    # The feature links "Read the full story"; the lock file holds the headline it links.
    lock = (newsroom / "issues" / "2026-11-27.lock.json").read_text(encoding="utf-8")
    assert "Citing National Values" in lock
    assert "has changed" not in run("check", ISSUE).output


def test_an_article_featured_in_an_earlier_issue_is_flagged(newsroom: Path) -> None:
    assert run("fetch").exit_code == 0
    earlier = {
        "version": 1,
        "issue": 41,
        "date": "2026-11-20",
        "articles": json.loads(
            (newsroom / "issues" / "2026-11-27.lock.json").read_text(encoding="utf-8")
        )["articles"][2:3],
    }
    (newsroom / "issues" / "2026-11-20.lock.json").write_text(json.dumps(earlier), "utf-8")
    result = run("check", ISSUE)
    assert result.exit_code == 0
    assert (
        "warning: sections[2].items[0].article: 'Wheat Flour Prices Climb 30 Percent As Winter "
        "Approaches' was already in issue 41 of 2026-11-20"
    ) in result.output
    assert run("check", "--strict", ISSUE).exit_code == 1


def test_a_lock_file_that_is_not_json_is_a_warning_and_the_store_is_used(
    newsroom: Path,
) -> None:
    # Nothing of the file can be used, so the email is the store's, as at a first build.
    assert run("fetch").exit_code == 0
    lock = newsroom / "issues" / "2026-11-27.lock.json"
    lock.write_text("{not json", encoding="utf-8")
    result = run("check", ISSUE)
    assert result.exit_code == 0
    assert (
        "issues/2026-11-27.lock.json:1:2: warning: the lock file cannot be read (not JSON: "
        "Expecting property name enclosed in double quotes); the store's articles are used "
        "instead\n"
        " > 1 | {not json\n"
        "     |  ^\n"
        "  hint: the next `newsletter build` records the store's articles over it; to keep the "
        "recorded ones, restore the file first (e.g. from version control)\n"
    ) in result.output
    assert run("build", ISSUE).exit_code == 0
    assert run("check", "--strict", ISSUE).exit_code == 0  # the build recorded a good lock


# Hand edits of the sample's lock file that would put something dangerous or crashing into the
# email: (what is replaced, by what, the located message `check` must print).
HAND_EDITS = {
    "javascript_link": (
        '"url": "https://example.org/darvana/2026/11/council-radio-licences-revoked-3112.html"',
        '"url": "javascript:alert(1)"',
        "issues/2026-11-27.lock.json:24:14: error: articles[0].url: expected an http(s) URL, "
        "found 'javascript:alert(1)'",
    ),
    "naive_time": (
        '"published": "2026-11-26T07:00:00+00:00"',
        '"published": "2026-11-24T10:00:00"',
        "issues/2026-11-27.lock.json:40:20: error: articles[1].published: the time "
        "'2026-11-24T10:00:00' has no UTC offset",
    ),
    "year_9999": (
        '"published": "2026-11-26T14:30:00+00:00"',
        '"published": "9999-12-31T23:59:59+00:00"',
        "issues/2026-11-27.lock.json:56:20: error: articles[2].published: the time "
        "'9999-12-31T23:59:59+00:00' is not between the years 1900 and 2199",
    ),
    "title_number": (
        '"title": "Border Crossing At Talvar Reopens After Nine-Day Closure"',
        '"title": 42',
        "issues/2026-11-27.lock.json:81:16: error: articles[3].title: expected text, found the "
        "number 42",
    ),
    "image_list": (
        '"image": null',
        '"image": ["https://example.org/x.jpg"]',
        "issues/2026-11-27.lock.json:54:16: error: articles[2].image: expected an image (an "
        "object), found a list",
    ),
    "image_not_http": (
        '"url": "https://example.org/images/tamar-dam.jpg"',
        '"url": "file:///etc/passwd"',
        "issues/2026-11-27.lock.json:36:16: error: articles[1].image.url: expected an http(s) "
        "URL, found 'file:///etc/passwd'",
    ),
    "width_zero": (
        '"width": 1200',
        '"width": 0',
        "issues/2026-11-27.lock.json:17:18: error: articles[0].image.width: expected a size in "
        "pixels (a whole number from 1 to 99999), found the number 0",
    ),
    "id_of_another_url": (
        '"url": "https://example.org/analysis/2026/11/tamar-dam-explainer/"',
        '"url": "https://example.net/analysis/2026/11/tamar-dam-explainer/"',
        "issues/2026-11-27.lock.json:31:13: error: articles[1].id: the id 'n6sgq3un' is not the "
        "id of the article's url, which is",
    ),
}


@pytest.mark.parametrize("kind", sorted(HAND_EDITS))
def test_a_hand_edited_lock_file_stops_check_and_build(newsroom: Path, kind: str) -> None:
    # No fetch: the lock file is all there is, as when an old issue is rebuilt.
    old, new, message = HAND_EDITS[kind]
    lock = newsroom / "issues" / "2026-11-27.lock.json"
    text = lock.read_text(encoding="utf-8")
    assert old in text
    lock.write_text(text.replace(old, new, 1), encoding="utf-8")
    checked = run("check", ISSUE)
    assert checked.exit_code == 1
    assert message in checked.output
    assert "Traceback" not in checked.output and "internal error" not in checked.output
    # The refused article is reported once, in the lock file, not again as "no stored article".
    assert "no stored article" not in checked.output
    built = run("build", ISSUE)
    assert built.exit_code == 1
    assert message in built.output
    assert not (newsroom / "build").exists()
    assert lock.read_text(encoding="utf-8") == text.replace(old, new, 1)


def test_refresh_builds_over_a_damaged_lock_file(newsroom: Path) -> None:
    lock = newsroom / "issues" / "2026-11-27.lock.json"
    good = lock.read_text(encoding="utf-8")
    lock.write_text(
        good.replace('"published": "2026-11-26T07:00:00+00:00"', '"published": "yesterday"'),
        encoding="utf-8",
    )
    assert run("fetch").exit_code == 0
    assert run("build", ISSUE).exit_code == 1
    result = run("build", "--refresh", ISSUE)
    assert result.exit_code == 0, result.output
    assert "lock.json" not in result.output  # the lock file was not read, so not reported
    assert lock.read_text(encoding="utf-8") == good


def test_cleaned_text_is_recorded_by_the_next_build(newsroom: Path) -> None:
    lock = newsroom / "issues" / "2026-11-27.lock.json"
    title = "Wheat Flour Prices Climb 30 Percent As Winter Approaches"
    lock.write_text(
        lock.read_text(encoding="utf-8").replace(title, "\\u202eWheat\\u0007 Flour Prices"),
        encoding="utf-8",
    )
    result = run("build", ISSUE)
    assert result.exit_code == 0, result.output
    assert (
        "issues/2026-11-27.lock.json:59:16: warning: articles[2].title: the text holds control "
        "characters or unclosed direction marks (U+202E, U+0007); the build uses a cleaned copy"
    ) in result.output
    recorded = json.loads(lock.read_text(encoding="utf-8"))["articles"][2]["title"]
    assert recorded == "\u202eWheat Flour Prices\u202c"
    assert run("check", "--strict", ISSUE).exit_code == 0


def test_a_lock_file_rewritten_with_ascii_escapes_builds_the_same(newsroom: Path) -> None:
    # `python -m json.tool` and many editors write non-ASCII text as \u escapes (characters
    # beyond U+FFFF as surrogate pairs); the Dari edition must build the same from such a file.
    issue = "issues/2026-11-27-fa.yaml"
    lock = newsroom / "issues" / "2026-11-27-fa.lock.json"
    data = json.loads(lock.read_text(encoding="utf-8"))
    data["articles"][0]["title"] += " \U0001f4fb"
    lock.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    assert run("build", issue).exit_code == 0
    first = (newsroom / "build" / "2026-11-27-fa" / "email.html").read_bytes()
    lock.write_text(json.dumps(data, indent=4, ensure_ascii=True), encoding="utf-8")
    assert "\\ud83d\\udcfb" in lock.read_text(encoding="utf-8")
    result = run("build", issue)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    assert (newsroom / "build" / "2026-11-27-fa" / "email.html").read_bytes() == first


@pytest.mark.parametrize(
    "damage",
    [
        "javascript_link",
        "naive_time",
        "not_json",
        "not_utf8",
        "nested",
    ],
)
def test_earlier_issues_damaged_lock_files_are_passed_over(newsroom: Path, damage: str) -> None:
    assert run("fetch").exit_code == 0
    articles = json.loads(
        (newsroom / "issues" / "2026-11-27.lock.json").read_text(encoding="utf-8")
    )["articles"][2:3]
    earlier = {"version": 1, "issue": 41, "date": "2026-11-20", "articles": articles}
    text = json.dumps(earlier, indent=2)
    data = {
        "javascript_link": text.replace(
            '"url": "https://example.org/darvana/', '"url": "javascript:x/'
        ),
        "naive_time": text.replace("2026-11-26T14:30:00+00:00", "2026-11-26T14:30:00"),
        "not_json": text[:-5],
        "not_utf8": "\udcff".join(text.split("Wheat", 1)),
        "nested": "[" * 100_000 + "]" * 100_000,
    }[damage].encode("utf-8", "surrogateescape")
    (newsroom / "issues" / "2026-11-20.lock.json").write_bytes(data)
    result = run("check", ISSUE)
    assert result.exit_code == 0, result.output
    assert "already in issue 41" not in result.output
    assert "2026-11-20.lock.json" not in result.output  # another issue's file: not this one's


def test_draft_marks_candidates_an_earlier_issue_featured(newsroom: Path) -> None:
    assert run("fetch").exit_code == 0
    assert run("draft", "--date", "2026-11-28").exit_code == 0
    text = (newsroom / "issues" / "2026-11-28.yaml").read_text(encoding="utf-8")
    assert "#   newsletter check " in text
    assert (
        "# - article: ylvapjd3   # 2026-11-27 12:40  Council Orders Five Independent Radio "
        "Stations Off The Air  (already in issue 42)"
    ) in text
    bakers = next(line for line in text.splitlines() if "6ch64ntv" in line)
    assert bakers.endswith("The Bakers Of Sarvan Count Every Loaf As Flour Runs Short")


READ_FAILURES = {
    "too_large": (
        '{"version": 1, "articles": []}' + " " * 1_100_000,
        "issues/x.lock.json: warning: the lock file cannot be read (it is over 1 MB; a lock "
        "file is far smaller); the store's articles are used instead",
    ),
    "not_utf8": (
        '{"version": 1, "articles": ["\udcff"]}',
        "issues/x.lock.json: warning: the lock file cannot be read (not UTF-8 text: invalid "
        "start byte); the store's articles are used instead",
    ),
    "too_many_values": (
        '{"version": 1, "articles": [' + ", ".join(["0"] * 200) + "]}",
        "issues/x.lock.json: warning: the lock file cannot be read (it holds more than 100 "
        "values); the store's articles are used instead",
    ),
    "too_deep": (
        '{"version": 1, "articles": ' + "[" * 60 + "]" * 60 + "}",
        "issues/x.lock.json: warning: the lock file cannot be read (it is nested more than 50 "
        "levels deep); the store's articles are used instead",
    ),
    "a_list": (
        "[]",
        "issues/x.lock.json: warning: the lock file cannot be read (expected an object, found "
        "a list); the store's articles are used instead",
    ),
    "no_version": (
        '{"articles": []}',
        "issues/x.lock.json: warning: the lock file cannot be read (it has no version); the "
        "store's articles are used instead",
    ),
}


@pytest.mark.parametrize("name", sorted(READ_FAILURES))
def test_a_lock_file_that_cannot_be_read_gives_no_articles_and_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("newsletter.issue.lockfile.MAX_BYTES", 1024 * 1024)
    monkeypatch.setattr("newsletter._json.MAX_VALUES", 100)
    text, expected = READ_FAILURES[name]
    (tmp_path / "issues").mkdir()
    path = Path("issues/x.lock.json")
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    lock = read_lock(path)
    assert lock.articles == {}
    assert [format_problem(p).splitlines()[0] for p in lock.problems] == [expected]
    assert lock.problems[0].severity == "warning"


def test_a_lock_file_with_a_byte_order_mark_reads(newsroom: Path) -> None:
    lock = newsroom / "issues" / "2026-11-27.lock.json"
    lock.write_bytes(b"\xef\xbb\xbf" + lock.read_bytes())
    assert run("check", "--strict", ISSUE).exit_code == 0
