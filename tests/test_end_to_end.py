"""End to end through the command line: sample feeds → store → sample issue → HTML and text."""

from __future__ import annotations

import email
import json
import re
import subprocess
import sys
from email.policy import default
from pathlib import Path

from lxml import html as lxml_html

from newsletter.config import load_settings
from newsletter.store import open_store
from tests.conftest import run

ISSUE = "issues/2026-11-27.yaml"
HEADINGS = ["The Key Issue", "What To Keep An Eye On", "Stories You Might Have Missed"]


def _built(newsroom: Path) -> tuple[str, str, dict[str, object]]:
    assert run("fetch").exit_code == 0
    result = run("build", ISSUE)
    assert result.exit_code == 0, result.output
    folder = newsroom / "build" / "2026-11-27"
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return (
        (folder / "email.html").read_text(encoding="utf-8"),
        (folder / "email.txt").read_text(encoding="utf-8"),
        report,
    )


def test_build_writes_a_briefing_in_the_editors_order(newsroom: Path) -> None:
    html, text, report = _built(newsroom)
    subject = "The Darvana Briefing: Darvana's Council Takes Five Radio Stations Off The Air"
    assert report["subject"] == subject

    doc = lxml_html.document_fromstring(html)
    assert doc.findtext(".//title") == subject
    assert [h.text_content() for h in doc.iter("h2")] == HEADINGS
    text_headings = [line for line in text.splitlines() if line.upper() in HEADINGS_UPPER]
    assert text_headings == [h.upper() for h in HEADINGS]

    assert "<mj-" not in html
    assert doc.getroottree().getroot().get("lang") == "en"
    assert not re.search(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^>]*)?>", text)
    assert all(
        len(line) <= 72 for line in text.splitlines() if not line.startswith(("[", "https://"))
    )

    settings = load_settings(newsroom / "newsletter.toml")
    with open_store(settings.store) as store:
        used = [store.get(article_id) for article_id in report["articles"]]  # type: ignore[union-attr]
    assert len(used) == 8
    hrefs = {a.get("href") for a in doc.iter("a")}
    body_text = doc.text_content()
    flat_text = " ".join(text.split())
    for article in used:
        assert article is not None
        assert article.url in hrefs
        assert article.url in text
    # The two features link "Read the full story"; the roundup shows each story's headline.
    for article in used[2:]:
        assert article is not None
        assert article.title in body_text.replace("\u00a0", " ")
        assert article.title in flat_text


HEADINGS_UPPER = {h.upper() for h in HEADINGS}


def test_the_eml_is_a_multipart_message_with_both_versions(newsroom: Path) -> None:
    html, text, _ = _built(newsroom)
    raw = (newsroom / "build" / "2026-11-27" / "email.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=default)
    assert message["Subject"].startswith("The Darvana Briefing: ")
    assert message["List-Unsubscribe"] == (
        "<https://example.org/briefing/unsubscribe>, "
        "<mailto:unsubscribe@example.org?subject=unsubscribe>"
    )
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None and rich is not None
    assert plain.get_content().replace("\r\n", "\n") == text
    assert rich.get_content().replace("\r\n", "\n") == html.replace("\r\n", "\n")


def test_placeholders_are_filled_with_the_newsrooms_links(newsroom: Path) -> None:
    html, text, _ = _built(newsroom)
    assert "newsletter.invalid" not in html + text
    assert 'href="https://example.org/briefing/unsubscribe"' in html
    assert "https://example.org/briefing/2026-11-27/" in text


def test_a_bad_issue_builds_nothing_and_shows_no_traceback(newsroom: Path) -> None:
    assert run("fetch").exit_code == 0
    issue = newsroom / "issues" / "2026-11-27.yaml"
    issue.write_text(
        issue.read_text(encoding="utf-8").replace("article: ylvapjd3", "article: ylvapjd4"),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "newsletter", "build", ISSUE],
        capture_output=True,
        text=True,
        cwd=newsroom,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(
        "issues/2026-11-27.yaml:13:18: error: sections[0].items[0].article: "
        "no stored article 'ylvapjd4'\n"
    )
    assert done.stderr.endswith("1 error in issues/2026-11-27.yaml; nothing was written.\n")
    assert not (newsroom / "build").exists()


def test_the_demo_newsroom_has_a_fresh_store_after_fetch(newsroom: Path) -> None:
    result = run("fetch", "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["articles"] == 32
    assert [feed["new"] for feed in report["feeds"]] == [12, 10, 10]
    again = json.loads(run("fetch", "--json").output)
    assert [feed["unchanged"] for feed in again["feeds"]] == [12, 10, 10]


def test_check_json_reports_problems_for_scripts(newsroom: Path) -> None:
    assert run("fetch").exit_code == 0
    ok = json.loads(run("check", "--json", ISSUE).output)
    assert ok == [{"file": ISSUE, "ok": True, "problems": []}]
    issue = newsroom / "issues" / "2026-11-27.yaml"
    issue.write_text(
        issue.read_text(encoding="utf-8").replace("date: 2026-11-27", "date: 27/11/2026"), "utf-8"
    )
    result = run("check", "--json", ISSUE)
    assert result.exit_code == 1
    [report] = json.loads(result.output)
    assert report["ok"] is False
    assert report["problems"][0] == {
        "severity": "error",
        "file": ISSUE,
        "line": 4,
        "column": 7,
        "key": "date",
        "message": "expected a date as YYYY-MM-DD, found '27/11/2026'",
        "hint": "write the year first, e.g. 2026-11-27; did you mean 2026-11-27?",
    }


def test_odd_issue_file_names_build_into_a_safe_folder(newsroom: Path) -> None:
    # Spaces, letters beyond ASCII, '@', and stems '.' and '..' (which once named the build
    # folder itself and its parent): each checks with a warning and builds inside build/.
    assert run("fetch").exit_code == 0
    good = (newsroom / "issues" / "2026-11-27.yaml").read_text(encoding="utf-8")
    folders = set()
    for stem in ("my issue", "ñandú", "a@b", ".", ".."):
        path = newsroom / "issues" / f"{stem}.yaml"
        path.write_text(good, encoding="utf-8")
        checked = run("check", str(path))
        assert checked.exit_code == 0, checked.output
        assert "so the build folder will be called" in checked.output
        built = run("build", str(path))
        assert built.exit_code == 0, built.output
        (folder,) = [p for p in (newsroom / "build").iterdir() if p.name not in folders]
        folders.add(folder.name)
        assert re.fullmatch(r"[a-z0-9-]+-[0-9a-f]{8}", folder.name)
        eml = email.message_from_bytes((folder / "email.eml").read_bytes(), policy=default)
        assert eml["Message-ID"] == f"<issue-42.{folder.name}@example.org>"
    assert len(folders) == 5


# Values as lines: a block scalar's lines are indented under the key they are given to.
HOSTILE_VALUES = [
    ['"a\\nb"'],
    ['"a\\rb"'],
    ['"a\\u2028b"'],
    ['"a\\Nb"'],
    ['"a\\x01b"'],
    ['"a\\eb"'],
    ['"a\\ufffeb"'],
    ["|", "a", "b"],
    [">", "a", "b"],
    ["|", "a"],
]
# Where each value goes in the sample issue: the text it replaces, with the key's indentation.
HOSTILE_FIELDS = {
    "title": "title: Darvana's Council Takes Five Radio Stations Off The Air\n",
    "subject": "lang: en\n",  # the sample has no subject: it goes in after lang
    "heading": "  - heading: The Key Issue\n",
    "label": "          - label: Why It's Important\n",
    "blurb": (
        "        blurb: |\n"
        "          In a Sarvan basement, young women meet in secret to read the poems they keep in\n"
        "          hidden notebooks. A rare, quiet story of defiance.\n"
    ),
}


def test_whatever_check_passes_builds(newsroom: Path) -> None:
    # Line breaks, control characters and block scalars in values that reach a header, a
    # heading or MJML: each is refused by check at its line and column, or it builds.
    assert run("fetch").exit_code == 0
    sample = (newsroom / ISSUE).read_text(encoding="utf-8")
    refused = 0
    for field, old in HOSTILE_FIELDS.items():
        assert old in sample, field
        head = old.split(":")[0]
        indent = " " * (len(head) - len(head.lstrip(" -")) + 2)
        for value in HOSTILE_VALUES:
            written = "\n".join([value[0], *(indent + line for line in value[1:])]) + "\n"
            new = f"{old}subject: {written}" if field == "subject" else f"{head}: {written}"
            (newsroom / ISSUE).write_text(sample.replace(old, new, 1), encoding="utf-8")
            checked = run("check", ISSUE)
            built = run("build", ISSUE)
            assert "internal error" not in checked.output + built.output, (field, value)
            if checked.exit_code == 0:
                assert built.exit_code == 0, (field, value, built.output)
            else:
                refused += 1
                assert re.match(r"issues/2026-11-27\.yaml:\d+:\d+: error: ", checked.output)
                assert built.exit_code == 1, (field, value)
    # One-line fields refuse all seven escapes and the two-line '|' block; a blurb only the
    # three control characters.
    assert refused == 4 * 8 + 3
