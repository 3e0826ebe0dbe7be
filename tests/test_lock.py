"""Reproducible builds: the lock file beside an issue keeps the articles it used."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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
    html = _outputs(newsroom)["email.html"].decode()
    assert "Citing National Values" in html
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


def test_a_damaged_lock_file_is_reported_and_the_store_used(newsroom: Path) -> None:
    assert run("fetch").exit_code == 0
    (newsroom / "issues" / "2026-11-27.lock.json").write_text("{not json", encoding="utf-8")
    result = run("check", ISSUE)
    assert result.exit_code == 0
    assert "issues/2026-11-27.lock.json: warning: the lock file cannot be read" in result.output


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
