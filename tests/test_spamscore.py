"""The spam score (`check --deliverability`): Debian's SpamAssassin, offline, on the very
email.eml that `build` writes. The sample issues score below 2.0 with no rule our templates
set off; a spammy issue is an error with each rule, its words and, where its text is
written, a warning at that line; without SpamAssassin the check says how to get it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from newsletter.commands.spam import score_problems
from newsletter.spamscore import SpamRule, SpamScore, score_message
from tests.conftest import run

SAMPLES = ("issues/2026-11-27.yaml", "issues/2026-11-27-fa.yaml")
# Rules that fire on every message that has not been sent yet and has an HTML part: they
# score nothing (0.001 or less) and name nothing a theme or an editor could change.
INFORMATIONAL = {"HTML_MESSAGE", "NO_RECEIVED", "NO_RELAYS"}


@pytest.fixture(autouse=True)
def _spamassassin() -> None:
    if shutil.which("spamassassin") is None:
        pytest.fail("Debian's spamassassin is not installed: `make test` installs it")


def _report(output: str) -> list[dict[str, object]]:
    return list(json.loads(output))


def test_the_sample_issues_score_below_2_with_no_rule_our_templates_set_off(
    newsroom: Path,
) -> None:
    assert run("fetch").exit_code == 0
    result = run("check", "--deliverability", "--json", *SAMPLES)
    assert result.exit_code == 0, result.output
    for report in _report(result.stdout):
        spam = report["spam"]
        assert isinstance(spam, dict)
        assert spam["score"] < 2.0, report
        fired = {rule["name"] for rule in spam["rules"]}
        assert fired <= INFORMATIONAL, fired  # e.g. HTML_FONT_LOW_CONTRAST: a theme's doing
        assert report["problems"] == []


def test_the_score_is_the_one_of_the_email_that_build_writes(newsroom: Path) -> None:
    assert run("fetch").exit_code == 0
    assert run("build", SAMPLES[0]).exit_code == 0
    built = score_message((newsroom / "build" / "2026-11-27" / "email.eml").read_bytes())
    (report,) = _report(run("check", "--deliverability", "--json", SAMPLES[0]).stdout)
    spam = report["spam"]
    assert isinstance(spam, dict)
    assert spam["score"] == built.score
    assert [rule["name"] for rule in spam["rules"]] == [rule.name for rule in built.rules]
    assert built.version and spam["spamassassin"] == built.version


def test_a_spammy_issue_is_an_error_with_its_rules_and_where_their_words_are(
    newsroom: Path,
) -> None:
    assert run("fetch").exit_code == 0
    issue = newsroom / SAMPLES[0]
    text = issue.read_text(encoding="utf-8")
    first = "          Darvana's Provisional Council on November 26 ordered"
    assert first in text
    issue.write_text(
        text.replace(
            first,
            "          Dear Friend, claim your prize: no credit check, money back guarantee.\n\n"
            + first,
        ),
        encoding="utf-8",
    )
    line = text[: text.index(first)].count("\n") + 1
    result = run("check", "--deliverability", "--json", SAMPLES[0])
    assert result.exit_code == 1
    (report,) = _report(result.stdout)
    spam = report["spam"]
    assert isinstance(spam, dict)
    assert spam["score"] >= 5.0 and spam["verdict"] == "spam"
    rules = {rule["name"]: rule for rule in spam["rules"]}
    assert {"DEAR_FRIEND", "MONEY_BACK"} <= set(rules)
    assert rules["DEAR_FRIEND"]["points"] > 1 and rules["DEAR_FRIEND"]["description"]
    assert rules["DEAR_FRIEND"]["advice"]  # something to do, not only SpamAssassin's words
    problems = report["problems"]
    assert isinstance(problems, list)
    (error,) = [p for p in problems if p["severity"] == "error"]
    assert "spam score" in error["message"] and "DEAR_FRIEND" in error["hint"]
    (at_words,) = [p for p in problems if "DEAR_FRIEND" in p["message"]]
    assert (at_words["line"], at_words["column"]) == (line, 11)
    assert at_words["severity"] == "warning"

    shown = run("check", "--deliverability", SAMPLES[0])
    assert "Spam score of issues/2026-11-27.yaml" in shown.stdout
    assert "DEAR_FRIEND" in shown.stdout and "Traceback" not in shown.stderr
    assert f"issues/2026-11-27.yaml:{line}:11: warning: spam rule DEAR_FRIEND" in shown.stderr


@pytest.mark.parametrize(
    ("score", "severity"), [(1.9, None), (2.0, "warning"), (4.9, "warning"), (5.0, "error")]
)
def test_the_thresholds(score: float, severity: str | None) -> None:
    rule = SpamRule("MONEY_BACK", score, "BODY: Money back guarantee", "")
    problems = score_problems(Path("i.yaml"), SpamScore(score, (rule,), "4"))
    assert [p.severity for p in problems] == ([severity] if severity else [])


def test_without_spamassassin_it_says_how_to_install_it(
    newsroom: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert run("fetch").exit_code == 0
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = run("check", "--deliverability", SAMPLES[0])
    assert result.exit_code == 1
    assert "SpamAssassin is not installed" in result.stderr
    assert "apt-get install spamassassin" in result.stderr
    assert "Traceback" not in result.stderr
