"""The hand-off to mail services: each dialect's merge tags in place of the link sentinels (golden
files per dialect), the dir: bundle (atomic, identical bytes when written twice, the build's
.eml), the campaign bodies that create drafts only, and the targets `--to` accepts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from newsletter.commands.build import PreparedBuild, prepare_build
from newsletter.commands.handoff import DIALECT_NAMES, TARGET_FORMS, hand_off
from newsletter.config import Settings, load_settings
from newsletter.deliver.build import view_url
from newsletter.deliver.bundle import BUNDLE_FILES, Bundle, make_bundle
from newsletter.deliver.dialects import DIALECTS, apply_dialect, get_dialect
from newsletter.deliver.targets import DirTarget, ServiceTarget, parse_target
from newsletter.errors import NewsletterError, ProblemsError, format_problems
from newsletter.placeholders import UNSUBSCRIBE, VIEW_IN_BROWSER
from tests.conftest import ROOT
from tests.golden import assert_golden

ISSUE = "issues/2026-11-27.yaml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, PreparedBuild]]:
    """The demo newsroom's sample issue, checked and rendered once for the module."""
    folder = tmp_path_factory.mktemp("demo")
    shutil.copy(ROOT / "newsletter.toml", folder / "newsletter.toml")
    shutil.copytree(ROOT / "feeds", folder / "feeds")
    shutil.copytree(ROOT / "issues", folder / "issues")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        settings = load_settings(folder / "newsletter.toml")
        yield settings, prepare_build(settings, Path(ISSUE))


def bundle_for(demo: tuple[Settings, PreparedBuild], name: str) -> Bundle:
    settings, prepared = demo
    return make_bundle(
        prepared.rendered,
        settings,
        get_dialect(name),
        eml=prepared.files["email.eml"],
        view_url=view_url(settings, prepared.rendered),
    )


def links_of(settings: Settings, bundle: Bundle, view: str) -> list[str]:
    """Every place the per-recipient links land, HTML anchors and text lines, as
    'html: label -> href' and 'text: line'."""
    dialect = get_dialect(bundle.dialect)
    wanted = {dialect.unsubscribe or settings.unsubscribe_url, dialect.view_in_browser or view}
    lines = []
    for match in re.finditer(r'<a\b[^>]*?href="([^"]*)"[^>]*>(.*?)</a>', bundle.content.html, re.S):
        if match.group(1) in wanted:
            lines.append(f"html: {match.group(2)} -> {match.group(1)}")
    for line in bundle.content.text.splitlines():
        if any(link in line for link in wanted):
            lines.append(f"text: {line.strip()}")
    return lines


@pytest.mark.parametrize("name", DIALECT_NAMES)
def test_golden_campaign_and_links(
    demo: tuple[Settings, PreparedBuild], name: str, update_golden: bool
) -> None:
    settings, prepared = demo
    bundle = bundle_for(demo, name)
    assert_golden(f"handoff/{name}/campaign.json", bundle["campaign.json"], update=update_golden)
    links = links_of(settings, bundle, view_url(settings, prepared.rendered))
    text = "\n".join(links) + "\n"
    assert_golden(f"handoff/{name}/links.txt", text.encode(), update=update_golden)


@pytest.mark.parametrize("dialect", DIALECTS, ids=DIALECT_NAMES)
def test_every_sentinel_becomes_the_dialects_link(demo, dialect) -> None:
    settings, prepared = demo
    bundle = bundle_for(demo, dialect.name)
    unsubscribe = dialect.unsubscribe or settings.unsubscribe_url
    view = dialect.view_in_browser or view_url(settings, prepared.rendered)
    html, text = bundle.content.html, bundle.content.text
    # The raw strings a service reads: each tag unescaped inside its href, once each.
    assert html.count(f'href="{unsubscribe}"') == 1
    assert html.count(f'href="{view}"') == 1
    assert text.count(unsubscribe) == 1
    assert text.count(view) == 1
    for name, data in bundle.files:
        assert b"newsletter.invalid" not in data, name
    assert json.loads(bundle["campaign.json"])["dialect"] == dialect.name
    assert bundle["email.html"] == html.encode()
    assert bundle["email.txt"] == text.encode()


def test_the_tags_are_those_the_services_document() -> None:
    table = {d.name: (d.unsubscribe, d.view_in_browser) for d in DIALECTS}
    assert table == {
        "plain": (None, None),
        "mailchimp": ("*|UNSUB|*", "*|ARCHIVE|*"),
        "listmonk": ("{{ UnsubscribeURL }}", "{{ MessageURL }}"),
        "buttondown": ("{{ unsubscribe_url }}", "{{ email_url }}"),
        "sendy": ("[unsubscribe]", "[webversion]"),
        "brevo": ("{{ unsubscribe }}", "{{ mirror }}"),
    }


def test_plain_is_exactly_what_build_writes(demo) -> None:
    _, prepared = demo
    bundle = bundle_for(demo, "plain")
    assert bundle["email.html"] == prepared.files["email.html"]
    assert bundle["email.txt"] == prepared.files["email.txt"]
    message = json.loads(bundle["campaign.json"])["message"]
    assert message["html"].encode() == prepared.files["email.html"]


@pytest.mark.parametrize("name", ["mailchimp", "listmonk", "sendy"])
def test_the_bundles_eml_is_the_builds_with_real_links(demo, name) -> None:
    settings, prepared = demo
    eml = bundle_for(demo, name)["email.eml"]
    assert eml == prepared.files["email.eml"]
    message = message_from_bytes(eml, policy=policy.default)
    assert settings.unsubscribe_url in str(message["List-Unsubscribe"])
    tag = get_dialect(name).unsubscribe
    assert tag is not None
    assert tag.encode() not in eml


def test_a_sentinel_that_survives_the_swap_is_an_error() -> None:
    # The renderer escaped it (or a text line broke it): the swap cannot see it.
    broken = f'<a href="{UNSUBSCRIBE}?a=1&amp;b=2">x</a> {VIEW_IN_BROWSER.replace("__v", "_ _v")}'
    listmonk = get_dialect("listmonk")
    with pytest.raises(ProblemsError) as caught:
        apply_dialect(broken, listmonk, unsubscribe_url="u", view_url="v", part="HTML")
    assert format_problems(caught.value.problems) == (
        "error: the HTML still holds a link to newsletter.invalid after the swap for listmonk, "
        "so one of its links would go nowhere\n"
        "  hint: the theme must write links.unsubscribe and links.view_in_browser as they are, "
        "unescaped and on one line\n\n1 error; nothing was written.\n"
    )


def test_text_the_service_would_read_as_template_syntax_is_refused(newsroom: Path) -> None:
    issue = newsroom / ISSUE
    issue.write_text(
        issue.read_text().replace(
            "signoff: |\n", "signoff: |\n  Prices rose by {{ a third }} this week.\n"
        )
    )
    settings = load_settings(newsroom / "newsletter.toml")
    with pytest.raises(ProblemsError) as caught:
        hand_off(settings, Path(ISSUE), "dir:out", "listmonk")
    assert format_problems(caught.value.problems) == (
        "issues/2026-11-27.yaml:103:18: error: the HTML of this issue contains '{{', which "
        "listmonk would read as its own template syntax\n"
        " > 103 |   Prices rose by {{ a third }} this week.\n"
        "       |                  ^^\n"
        "  hint: reword that text (it may come from a story's title), or hand off in another "
        "dialect\n\n1 error in issues/2026-11-27.yaml; nothing was written.\n"
    )
    assert not (newsroom / "out").exists()
    # Mailchimp's syntax is another: the same text is safe there.
    assert hand_off(settings, Path(ISSUE), "dir:out", "mailchimp").dialect == "mailchimp"


def test_a_bundle_written_twice_has_identical_bytes(newsroom: Path) -> None:
    settings = load_settings(newsroom / "newsletter.toml")
    first = hand_off(settings, Path(ISSUE), "dir:out/", "sendy")
    assert first.folder == Path("out/2026-11-27")
    assert first.files == BUNDLE_FILES
    before = {name: (first.folder / name).read_bytes() for name in BUNDLE_FILES}
    second = hand_off(settings, Path(ISSUE), "dir:out/", "sendy")
    assert second.folder == first.folder
    assert {name: (second.folder / name).read_bytes() for name in BUNDLE_FILES} == before
    assert sorted(path.name for path in first.folder.iterdir()) == sorted(BUNDLE_FILES)


def test_dir_defaults_to_plain_and_writes_nothing_for_a_broken_issue(newsroom: Path) -> None:
    settings = load_settings(newsroom / "newsletter.toml")
    result = hand_off(settings, Path(ISSUE), "dir:out", None)
    assert result.dialect == "plain"
    assert result.target == "dir:out"
    issue = newsroom / ISSUE
    issue.write_text(issue.read_text().replace("number:", "numbr:", 1))
    with pytest.raises(ProblemsError):
        hand_off(settings, Path(ISSUE), "dir:other", "listmonk")
    assert not (newsroom / "other").exists()


def test_no_campaign_body_schedules_or_sends(demo) -> None:
    for name in DIALECT_NAMES:
        campaign = bundle_for(demo, name).campaign
        for request in campaign.requests:
            assert not {"send_at", "scheduledAt", "schedule_time", "publish_date"} & set(
                request.body
            ), name
            assert not re.search(r"/(send|schedule|status|test)\b", request.path), name
        bodies = {request.path: request.body for request in campaign.requests}
        if name == "buttondown":
            assert bodies["/v1/emails"]["status"] == "draft"
        if name == "sendy":
            assert bodies["/api/campaigns/create.php"]["send_campaign"] == "0"


def test_campaign_fields_are_named_as_each_api_takes_them(demo) -> None:
    fields = {
        name: [sorted(request.body) for request in bundle_for(demo, name).campaign.requests]
        for name in DIALECT_NAMES
    }
    assert fields == {
        "plain": [],
        "mailchimp": [["settings", "type"], ["html", "plain_text"]],
        "listmonk": [["altbody", "body", "content_type", "lists", "name", "subject", "type"]],
        "buttondown": [["body", "status", "subject"]],
        "sendy": [
            [
                "from_email",
                "from_name",
                "html_text",
                "plain_text",
                "reply_to",
                "send_campaign",
                "subject",
                "title",
            ]
        ],
        "brevo": [["htmlContent", "name", "previewText", "replyTo", "sender", "subject"]],
    }


def test_targets() -> None:
    assert parse_target("dir:out/") == DirTarget(Path("out/"))
    assert parse_target("listmonk+https://lists.example.org/news/?list=3&list=4,3") == (
        ServiceTarget("listmonk", "https://lists.example.org/news", (3, 4), None)
    )
    assert parse_target("listmonk+https://lists.example.org/api?list=1&template=9") == (
        ServiceTarget("listmonk", "https://lists.example.org", (1,), 9)
    )
    assert parse_target("buttondown+https://api.buttondown.com/v1/") == (
        ServiceTarget("buttondown", "https://api.buttondown.com")
    )
    assert parse_target("buttondown+http://127.0.0.1:8025") == (
        ServiceTarget("buttondown", "http://127.0.0.1:8025")
    )
    assert len(TARGET_FORMS) == 3


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("dir:", "--to dir: needs a folder after the colon, e.g. dir:out/"),
        (
            "mailchimp+https://us1.api.mailchimp.com",
            "unsupported target 'mailchimp+https://us1.api.mailchimp.com': use smtp://HOST:PORT "
            "or smtps://HOST:PORT, or " + ", ".join(TARGET_FORMS),
        ),
        (
            "listmonk+http://lists.example.org?list=1",
            "refusing to send the listmonk token to lists.example.org over plain http; use https",
        ),
        (
            "listmonk+https://lists.example.org",
            "listmonk needs the lists the campaign is for: add ?list=ID (several with &list=ID) "
            "to the address",
        ),
        (
            "listmonk+https://lists.example.org?list=news",
            "listmonk list ids are numbers (Lists and Templates show them), found 'news'",
        ),
        (
            "listmonk+https://lists.example.org?lists=1",
            "unknown 'lists' in the listmonk address: it takes list=ID and template=ID",
        ),
        (
            "listmonk+https://api:secret@lists.example.org?list=1",
            "put no credentials in the listmonk address; they come from the environment",
        ),
        ("buttondown+https://api.buttondown.com?x=1", "a buttondown+ address takes no query (?…)"),
        (
            "buttondown+ftp://x",
            "buttondown+ needs an https address with a host, e.g. buttondown+https://HOST",
        ),
    ],
)
def test_bad_targets(target: str, message: str) -> None:
    with pytest.raises(NewsletterError) as caught:
        parse_target(target)
    assert str(caught.value) == message


def test_a_dialect_that_does_not_fit_the_service(newsroom: Path) -> None:
    settings = load_settings(newsroom / "newsletter.toml")
    with pytest.raises(NewsletterError) as caught:
        hand_off(settings, Path(ISSUE), "listmonk+https://lists.example.org?list=1", "mailchimp")
    assert str(caught.value) == (
        "--dialect mailchimp does not fit listmonk at https://lists.example.org: a listmonk "
        "draft takes listmonk's merge tags (leave --dialect out)"
    )
    with pytest.raises(NewsletterError) as unknown:
        hand_off(settings, Path(ISSUE), "dir:out", "mailjet")
    assert str(unknown.value) == (
        "unknown dialect 'mailjet': use one of plain, mailchimp, listmonk, buttondown, sendy, brevo"
    )


def test_the_plain_dialect_uses_the_settings_links(demo) -> None:
    settings, prepared = demo
    other = replace(settings, unsubscribe_url="https://example.org/leave")
    bundle = make_bundle(
        prepared.rendered,
        other,
        get_dialect("plain"),
        eml=b"",
        view_url="https://example.org/web/2026-11-27/",
    )
    assert 'href="https://example.org/leave"' in bundle.content.html
    assert "https://example.org/web/2026-11-27/" in bundle.content.text


def test_the_summary_line(newsroom: Path) -> None:
    settings = load_settings(newsroom / "newsletter.toml")
    result = hand_off(settings, Path(ISSUE), "dir:out", "brevo")
    assert result.summary == (
        "wrote out/2026-11-27/ (email.html, email.txt, email.eml, campaign.json) "
        "in the brevo dialect"
    )
    assert result.to_dict()["files"] == list(BUNDLE_FILES)


def test_the_command_line_can_import_the_choices_cheaply() -> None:
    # The CLI imports DIALECT_NAMES and TARGET_FORMS at start; neither may bring in the
    # HTTP stack or the renderer.
    code = (
        "import sys, newsletter.commands.handoff; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'httpx', 'premailer', 'lxml', 'jinja2', 'mjml'}))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert shown.stdout.strip() == "[]"


def test_template_syntax_in_the_subject_is_refused_too(newsroom: Path) -> None:
    issue = newsroom / ISSUE
    issue.write_text(issue.read_text().replace("\ntitle: ", "\ntitle: Now *|LIVE|* ", 1))
    settings = load_settings(newsroom / "newsletter.toml")
    with pytest.raises(ProblemsError) as caught:
        hand_off(settings, Path(ISSUE), "dir:out", "mailchimp")
    problem = caught.value.problems[0]
    assert problem.message == (
        "the subject of this issue contains '*|', which Mailchimp would read as its own "
        "template syntax"
    )
    assert problem.span is not None
    assert (problem.span.line, problem.span.column) == (6, 12)


def test_a_bundle_that_cannot_be_written(newsroom: Path) -> None:
    settings = load_settings(newsroom / "newsletter.toml")
    with pytest.raises(NewsletterError) as caught:
        hand_off(settings, Path(ISSUE), "dir:newsletter.toml", "plain")
    assert str(caught.value) == (
        "cannot write the bundle to newsletter.toml/2026-11-27/: Not a directory"
    )


def test_send_routes_dir_targets_to_the_hand_off_with_the_dialect(newsroom: Path) -> None:
    from tests.conftest import run

    result = run("send", ISSUE, "--to", "dir:out/", "--dialect", "mailchimp")
    assert result.exit_code == 0, result.output
    assert "in the mailchimp dialect" in result.stdout
    html = (newsroom / "out" / "2026-11-27" / "email.html").read_text(encoding="utf-8")
    assert "*|UNSUB|*" in html and UNSUBSCRIBE not in html
    as_json = run("send", ISSUE, "--to", "dir:out/", "--json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["dialect"] == "plain"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "dir:out/", "--rcpt", "me@example.org"], "--rcpt is for smtp:// and smtps://"),
        (["--to", "dir:out/", "--dry-run"], "--dry-run is for smtp:// and smtps://"),
        (["--to", "dir:out/", "--again"], "--again is for smtp:// and smtps://"),
        (
            ["--to", "smtp://127.0.0.1:25", "--rcpt", "me@example.org", "--dialect", "sendy"],
            "--dialect is for dir: and service targets",
        ),
        (["--to", "smtp://127.0.0.1:25"], "name at least one recipient"),
    ],
)
def test_options_that_do_not_fit_the_target_are_usage_errors(
    newsroom: Path, args: list[str], message: str
) -> None:
    from tests.conftest import run

    result = run("send", ISSUE, *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.replace("│", "").split())
    assert not (newsroom / "out").exists()
