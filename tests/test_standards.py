"""The email and the archive against the standards' own checkers, not ours: axe-core (WCAG
2.1 A and AA) in Debian's chromium over the email at 600 and 375 px, light and dark, in
English and in Dari, and over the archive's index and issue pages; the Nu HTML Checker
(vnu) over the archive's pages; the Atom feeds against a schema of RFC 4287 (a RELAX NG
grammar and Schematron rules in tests/schemas/). Each checker is first shown a page with a
planted fault, so that a harness that checks nothing cannot pass."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree, isoschematron
from playwright.sync_api import Browser

from tests.conftest import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCHEMAS = Path(__file__).with_name("schemas")
ATOM = "{http://www.w3.org/2005/Atom}"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Rules of the WCAG tags that the email may break, each with why. None today: add a rule's
# id here only with the reason a reader is not harmed.
EXCEPTIONS: dict[str, str] = {}

PAGES = {
    "email, 600 px": ("build/2026-11-27/email.html", 600, "light"),
    "email, 375 px": ("build/2026-11-27/email.html", 375, "light"),
    "email, 600 px, dark": ("build/2026-11-27/email.html", 600, "dark"),
    "email, 375 px, dark": ("build/2026-11-27/email.html", 375, "dark"),
    "Dari email, 600 px": ("build/2026-11-27-fa/email.html", 600, "light"),
    "Dari email, 375 px, dark": ("build/2026-11-27-fa/email.html", 375, "dark"),
    "archive index": ("site/index.html", 1024, "light"),
    "archive index, 375 px, dark": ("site/index.html", 375, "dark"),
    "archive issue page": ("site/2026-11-27/index.html", 1024, "light"),
    "archive issue page, 375 px, dark": ("site/2026-11-27/index.html", 375, "dark"),
    "archive Dari issue page": ("site/2026-11-27-fa/index.html", 375, "light"),
}
SITE_PAGES = ("site/index.html", "site/2026-11-27/index.html", "site/2026-11-27-fa/index.html")
FEEDS = ("site/feed-en.xml", "site/feed-fa.xml")


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo newsroom fetched, both sample issues built and the archive made."""
    folder = tmp_path_factory.mktemp("standards")
    shutil.copy(ROOT / "newsletter.toml", folder / "newsletter.toml")
    shutil.copytree(ROOT / "feeds", folder / "feeds")
    shutil.copytree(ROOT / "issues", folder / "issues")
    # In child processes: Playwright's sync API keeps an event loop running in this thread.
    for args in (
        ["fetch"],
        ["build", "issues/2026-11-27.yaml"],
        ["build", "issues/2026-11-27-fa.yaml"],
        ["archive", "--until", "2026-11-30"],
    ):
        subprocess.run(
            [sys.executable, "-m", "newsletter", *args], cwd=folder, check=True, capture_output=True
        )
    return folder


@pytest.fixture(scope="module")
def chromium(browser: Browser) -> Iterator[Browser]:
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: `make test` installs it (npm ci)")
    yield browser


def _axe(browser: Browser, page_file: Path, width: int, scheme: str) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A and AA violations of a page, as Chromium lays it out."""
    page = browser.new_page(
        viewport={"width": width, "height": 900},
        color_scheme=scheme,  # type: ignore[arg-type]
        bypass_csp=True,  # the archive's pages allow no script, axe's included
    )
    try:
        # The email's images live on the newsroom's server; nothing may leave the machine.
        page.route(re.compile(r"^https?://"), lambda route: route.abort())
        page.goto(page_file.as_uri())
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
        )
    finally:
        page.close()
    return [v for v in result["violations"] if v["id"] not in EXCEPTIONS]


def _described(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
        for v in violations
    )


def test_axe_finds_a_planted_fault(chromium: Browser, tmp_path: Path) -> None:
    planted = tmp_path / "planted.html"
    planted.write_text(
        '<!doctype html><html lang="en"><title>t</title><main><img src="x.png">'
        '<p style="color:#eee;background:#fff">faint</p></main></html>',
        encoding="utf-8",
    )
    found = {v["id"] for v in _axe(chromium, planted, 600, "light")}
    assert {"image-alt", "color-contrast"} <= found


@pytest.mark.parametrize("name", PAGES)
def test_no_wcag_violation(chromium: Browser, room: Path, name: str) -> None:
    path, width, scheme = PAGES[name]
    violations = _axe(chromium, room / path, width, scheme)
    assert violations == [], _described(violations)


def _vnu(files: list[Path]) -> list[dict[str, Any]]:
    """The Nu HTML Checker's errors for each file (its warnings and notes are left out)."""
    if not VNU.is_file() or shutil.which("java") is None:
        pytest.fail("the Nu HTML Checker needs Java and vnu-jar: `make test` installs both")
    done = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--exit-zero-always", *map(str, files)],
        capture_output=True,
        check=True,
        timeout=300,
    )
    return [
        m
        for m in json.loads(done.stderr)["messages"]
        if m["type"] in ("error", "non-document-error")
    ]


def test_the_html_checker_finds_a_planted_fault(tmp_path: Path) -> None:
    planted = tmp_path / "planted.html"
    planted.write_text(
        '<!doctype html><html lang="en"><title>t</title><p id="a">one<p id="a">two</html>',
        encoding="utf-8",
    )
    assert any("Duplicate ID" in m["message"] for m in _vnu([planted]))


def test_the_archive_pages_are_valid_html(room: Path) -> None:
    errors = _vnu([room / page for page in SITE_PAGES])
    assert errors == [], "\n".join(
        f"{m.get('url', '')}:{m.get('lastLine')}: {m['message']}" for m in errors
    )


def _atom_problems(document: etree._ElementTree) -> list[str]:
    """What RFC 4287's schema (tests/schemas/atom.rng and atom.sch) finds wrong in a feed."""
    grammar = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    rules = isoschematron.Schematron(etree.parse(str(SCHEMAS / "atom.sch")), store_report=True)
    problems = []
    if not grammar.validate(document):
        problems += [f"{e.line}: {e.message}" for e in grammar.error_log]
    if not rules.validate(document):
        report = rules.validation_report
        svrl = "{http://purl.oclc.org/dsdl/svrl}"
        problems += [
            " ".join("".join(node.itertext()).split())
            for node in report.iter(f"{svrl}failed-assert")
        ]
    return problems


@pytest.mark.parametrize("feed", FEEDS)
def test_the_feeds_follow_rfc_4287(room: Path, feed: str) -> None:
    document = etree.parse(str(room / feed))
    assert document.getroot().tag == f"{ATOM}feed"
    assert document.getroot().findall(f"{ATOM}entry"), "a feed with no entry proves little"
    assert _atom_problems(document) == []


def _break(document: etree._ElementTree, how: str) -> etree._ElementTree:
    broken = copy.deepcopy(document)
    feed = broken.getroot()
    entry = feed.find(f"{ATOM}entry")
    assert entry is not None
    if how == "no feed id":
        feed.remove(feed.find(f"{ATOM}id"))
    elif how == "two titles":
        feed.insert(1, copy.deepcopy(feed.find(f"{ATOM}title")))
    elif how == "entry ids not unique":
        feed.append(copy.deepcopy(entry))
    elif how == "date without a time zone":
        entry.find(f"{ATOM}updated").text = "2026-11-27T00:00:00"  # type: ignore[union-attr]
    elif how == "date with a space":
        entry.find(f"{ATOM}updated").text = "2026-11-27 00:00:00Z"  # type: ignore[union-attr]
    elif how == "no author":
        feed.remove(feed.find(f"{ATOM}author"))
        entry.remove(entry.find(f"{ATOM}author"))
    elif how == "entry without alternate link":
        for link in entry.findall(f"{ATOM}link"):
            entry.remove(link)
    elif how == "relative id":
        entry.find(f"{ATOM}id").text = "2026-11-27/"  # type: ignore[union-attr]
    return broken


@pytest.mark.parametrize(
    "how",
    [
        "no feed id",
        "two titles",
        "entry ids not unique",
        "date without a time zone",
        "date with a space",
        "no author",
        "entry without alternate link",
        "relative id",
    ],
)
def test_the_schema_refuses_a_broken_feed(room: Path, how: str) -> None:
    document = etree.parse(str(room / FEEDS[0]))
    assert _atom_problems(_break(document, how)) != [], how
