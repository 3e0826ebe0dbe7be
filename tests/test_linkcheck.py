"""The link check (`check --links`, `build --check-links`) against a real web server on
127.0.0.1: every kind of answer, reported where the link was written; HEAD then GET; the
cache and its lifetime; private addresses refused; a name that does not resolve."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import run
from tests.linkserver import Answer, LinkServer, link_server

ISSUE = Path("issues/2026-11-27.yaml")
NEWSLETTER = str(Path(sys.executable).with_name("newsletter"))


@pytest.fixture
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LinkServer]:
    with link_server(tmp_path_factory.mktemp("authority")) as server:
        yield server


def _json(result_output: str) -> dict[str, dict[str, object]]:
    (report,) = json.loads(result_output)
    return {link["url"]: link for link in report["links"]}


def _problems(result_output: str) -> list[dict[str, object]]:
    (report,) = json.loads(result_output)
    return list(report["problems"])


def _as_example_org(newsroom: Path, web: LinkServer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Send the sample newsroom's https://example.org/ to the TLS server, which the check is
    told to trust; the options that do it."""
    monkeypatch.setenv("SSL_CERT_FILE", str(web.ca_file))
    web.fallback = Answer(200)
    return ["--connect-to", f"example.org:443:127.0.0.1:{web.tls_port}", "--allow-private"]


def test_the_sample_issue_shows_each_planted_dead_link_the_redirect_and_its_spam_score(
    newsroom: Path, web: LinkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _as_example_org(newsroom, web, monkeypatch)
    web.routes["/darvana/2026/11/wheat-flour-prices-climb-3111.html"] = Answer(404)
    web.routes["/analysis/2026/11/station-manager-interview/"] = Answer(410)
    web.routes["/analysis/2026/10/shortwave-poetry-hour/"] = Answer(
        301, location="/analysis/2026/10/shortwave-poetry-hour-archive/"
    )
    # The whole pre-send check, as the desk runs it before a send.
    result = run("check", "--links", "--deliverability", *options, str(ISSUE))
    assert result.exit_code == 1
    err = result.stderr
    assert (
        "issues/2026-11-27.yaml:42:50: error: link "
        "https://example.org/analysis/2026/11/station-manager-interview/: HTTP 410" in err
    )
    assert (
        "issues/2026-11-27.yaml:75:9: error: link "
        "https://example.org/darvana/2026/11/wheat-flour-prices-climb-3111.html "
        "(article pagcurkj of feed news): HTTP 404" in err
    )
    assert "issues/2026-11-27.yaml:101:18: warning: link" in err
    assert "link to https://example.org/analysis/2026/10/shortwave-poetry-hour-archive/" in err
    assert "2 errors and 1 warning" in err
    assert "Traceback" not in err
    out = result.stdout
    assert "skipped" in out and "newsletter.invalid/__unsubscribe__" in out
    assert "3 ok" not in out and "1 moved, 2 broken, 2 skipped" in out
    score = re.search(r"Spam score of issues/2026-11-27\.yaml: (-?[\d.]+) ", out)
    assert score is not None and float(score[1]) < 2.0, out
    # Every request named the tool, and the links went to the server the option named.
    assert {ua for _, _, _, ua in web.asked} == {web.asked[0][3]}
    assert web.asked[0][3].startswith("newsletter/")
    assert {host for _, host, _, _ in web.asked} == {"example.org"}


def test_each_kind_of_answer_gets_its_verdict(
    newsroom: Path, web: LinkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    web.routes.update(
        {
            "/ok": Answer(200),
            "/moved": Answer(301, location="/ok"),
            "/moved-308": Answer(308, location="/ok"),
            "/found": Answer(302, location="/ok"),
            "/loop-a": Answer(302, location="/loop-b"),
            "/loop-b": Answer(302, location="/loop-a"),
            "/gone": Answer(404),
            "/removed": Answer(410),
            "/no-head": Answer(200, head=405),
            "/head-lies": Answer(200, head=404),
            "/broken": Answer(500),
            "/paywall": Answer(403),
            "/drip": Answer(200, drip=0.2),
            "/to-dead": Answer(302, location="/gone"),
        }
    )
    links = [web.url(path) for path in web.routes] + [
        web.tls_url("/ok"),  # a certificate no one trusts
        "mailto:desk@example.org?subject=Tips",
        "mailto:not-an-address",
    ]
    text = ISSUE.read_text(encoding="utf-8")
    lines = "".join(f"  [link {n}]({url})\n" for n, url in enumerate(links))
    ISSUE.write_text(text.replace("signoff: |\n", "signoff: |\n" + lines), encoding="utf-8")
    settings = newsroom / "newsletter.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + "\n[links]\ntimeout = 1.5\n", encoding="utf-8"
    )
    result = run("check", "--links", "--allow-private", "--json", str(ISSUE))
    assert result.exit_code == 1
    found = _json(result.stdout)
    tls = web.tls_url("/ok")
    verdicts = {url.rsplit("/", 1)[-1]: found[url]["verdict"] for url in links if url != tls}
    assert verdicts == {
        "ok": "ok",
        "moved": "moved",
        "moved-308": "moved",
        "found": "ok",
        "loop-a": "broken",
        "loop-b": "broken",
        "gone": "broken",
        "removed": "broken",
        "no-head": "ok",
        "head-lies": "ok",
        "broken": "broken",
        "paywall": "doubtful",
        "drip": "broken",
        "to-dead": "broken",
        "mailto:desk@example.org?subject=Tips": "ok",
        "mailto:not-an-address": "broken",
    }
    assert found[tls]["verdict"] == "broken"
    assert "certificate" in str(found[tls]["detail"])
    assert found[web.url("/moved")]["final_url"] == web.url("/ok")
    assert "loop" in str(found[web.url("/loop-a")]["detail"])
    assert "1.5 s" in str(found[web.url("/drip")]["detail"])
    assert "which answers HTTP 404" in str(found[web.url("/to-dead")]["detail"])
    assert found[web.url("/found")]["detail"].startswith("redirected to")  # type: ignore[union-attr]
    # Each problem is at the line of its link, its column where the address starts.
    numbered = ISSUE.read_text(encoding="utf-8").splitlines()
    for url in (web.url("/gone"), web.url("/paywall"), "mailto:not-an-address"):
        problem = next(p for p in _problems(result.stdout) if f"link {url}" in str(p["message"]))
        line = str(numbered[int(problem["line"]) - 1])  # type: ignore[call-overload]
        assert line.index(url) + 1 == problem["column"]


def test_head_first_and_get_only_when_head_is_refused_or_answered_with_an_error(
    newsroom: Path, web: LinkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _as_example_org(newsroom, web, monkeypatch)
    web.routes.update({"/ok": Answer(200), "/no-head": Answer(200, head=405)})
    web.routes["/not-implemented"] = Answer(200, head=501)
    text = ISSUE.read_text(encoding="utf-8")
    lines = "".join(f"  [x]({web.url(path)})\n" for path in web.routes)
    ISSUE.write_text(text.replace("signoff: |\n", "signoff: |\n" + lines), encoding="utf-8")
    assert run("check", "--links", *options, str(ISSUE)).exit_code == 0
    asked = [(method, path) for method, host, path, _ in web.asked if host != "example.org"]
    assert sorted(asked) == [
        ("GET", "/no-head"),
        ("GET", "/not-implemented"),
        ("HEAD", "/no-head"),
        ("HEAD", "/not-implemented"),
        ("HEAD", "/ok"),
    ]


def _one_link_issue(url: str) -> None:
    text = ISSUE.read_text(encoding="utf-8")
    ISSUE.write_text(text.replace("signoff: |\n", f"signoff: |\n  [x]({url})\n"), encoding="utf-8")


def test_a_second_run_asks_no_server_until_the_answer_is_older_than_cache_hours(
    newsroom: Path, web: LinkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _as_example_org(newsroom, web, monkeypatch)
    # Links to the loopback server itself (the ones through --connect-to are never
    # remembered: a staging server says nothing about the real one).
    for n in range(5):
        _one_link_issue(web.url(f"/page-{n}"))
    direct = f"127.0.0.1:{web.port}"

    def asked() -> int:
        return sum(1 for _, host, _, _ in web.asked if host == direct)

    first = run("check", "--links", "--json", *options, str(ISSUE))
    assert first.exit_code == 0, first.output
    assert asked() == 5
    second = run("check", "--links", "--json", *options, str(ISSUE))
    assert asked() == 5  # not one request
    links = _json(second.stdout)
    assert all(links[web.url(f"/page-{n}")]["cached"] for n in range(5))
    assert "remembered" in run("check", "--links", *options, str(ISSUE)).stdout
    # A day and a minute later (the default cache_hours is 24), every address is asked again.
    store = sqlite3.connect(newsroom / "data" / "articles.sqlite3")
    for hours, asks_again in ((23.9, False), (24.1, True)):
        stamp = (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with store:
            store.execute("UPDATE link_checks SET checked_at = ?", (stamp,))
        before = asked()
        assert run("check", "--links", *options, str(ISSUE)).exit_code == 0
        assert (asked() > before) == asks_again, hours
    before = asked()
    assert run("check", "--links", "--refresh", *options, str(ISSUE)).exit_code == 0
    assert asked() - before == 5  # --refresh asks every address again, once each
    store.close()


def test_a_link_tried_at_another_server_is_not_remembered(
    newsroom: Path, web: LinkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _as_example_org(newsroom, web, monkeypatch)
    assert run("check", "--links", *options, str(ISSUE)).exit_code == 0
    asked = len(web.asked)
    assert run("check", "--links", *options, str(ISSUE)).exit_code == 0
    assert len(web.asked) == 2 * asked  # asked again: the staging server is not the site
    store = sqlite3.connect(newsroom / "data" / "articles.sqlite3")
    assert store.execute("SELECT count(*) FROM link_checks").fetchone() == (0,)
    store.close()


def test_an_address_on_this_machine_or_a_private_network_is_not_asked_without_the_flag(
    newsroom: Path, web: LinkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _as_example_org(newsroom, web, monkeypatch)  # example.org is local here too
    text = ISSUE.read_text(encoding="utf-8")
    links = [
        web.url("/a"),
        f"http://localhost:{web.port}/b",
        f"http://[::ffff:127.0.0.1]:{web.port}/c",
        "http://10.1.2.3/intranet",
        "http://169.254.169.254/latest/meta-data/",
    ]
    lines = "".join(f"  [x]({url})\n" for url in links)
    ISSUE.write_text(text.replace("signoff: |\n", "signoff: |\n" + lines), encoding="utf-8")
    refused = run("check", "--links", "--json", *options[:2], str(ISSUE))
    assert refused.exit_code == 1
    found = _json(refused.stdout)
    assert {found[url]["verdict"] for url in links} == {"refused"}
    assert web.asked == []  # not one request reached the server
    assert all("--allow-private" in str(p["hint"]) for p in _problems(refused.stdout))
    # Refusals are not remembered: with the flag, the loopback ones are asked.
    allowed = run("check", "--links", "--json", *options, str(ISSUE))
    assert {"/a", "/b", "/c"} <= set(web.paths("HEAD"))
    assert {_json(allowed.stdout)[url]["verdict"] for url in links[:3]} == {"ok"}


def test_a_name_that_does_not_resolve_is_an_error_and_nothing_leaves_the_machine(
    newsroom: Path,
) -> None:
    _one_link_issue("https://no-such-name.example/story")  # (and example.org's links)
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {probe.stderr.decode().strip()}")
    # In a network namespace of its own, only an unconfigured loopback exists: the lookup
    # fails for real, and no packet can leave this machine.
    result = subprocess.run(
        ["unshare", "--net", NEWSLETTER, "check", "--links", "--json", str(ISSUE)],
        capture_output=True,
        text=True,
        cwd=newsroom,
    )
    assert result.returncode == 1, result.stderr
    found = _json(result.stdout)["https://no-such-name.example/story"]
    sample = [
        v for url, v in _json(result.stdout).items() if url.startswith("https://example.org/")
    ]
    assert sample and all(v["verdict"] == "broken" and "DNS" in str(v["detail"]) for v in sample)
    assert found["verdict"] == "broken" and "DNS" in str(found["detail"])
    assert "Traceback" not in result.stderr


def test_build_with_check_links_writes_nothing_when_a_link_is_dead(
    newsroom: Path, web: LinkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = _as_example_org(newsroom, web, monkeypatch)
    web.routes["/gone"] = Answer(404)
    _one_link_issue(web.url("/gone"))
    result = run("build", "--check-links", *options, str(ISSUE))
    assert result.exit_code == 1
    assert f"link {web.url('/gone')}: HTTP 404" in result.stderr
    assert not (newsroom / "build").exists()
    web.routes["/gone"] = Answer(200)  # a dead link is asked again next time: never remembered
    ok = run("build", "--check-links", *options, "--json", str(ISSUE))
    assert ok.exit_code == 0, ok.output
    assert (newsroom / "build" / "2026-11-27" / "email.html").is_file()


def test_the_options_of_the_link_check_need_links(newsroom: Path) -> None:
    result = run("check", "--refresh", str(ISSUE))
    assert result.exit_code == 2 and "go with --links" in result.output
    bad = run("check", "--links", "--connect-to", "example.org:443", str(ISSUE))
    assert bad.exit_code == 2 and "HOST:PORT:TO_HOST:TO_PORT" in bad.output
