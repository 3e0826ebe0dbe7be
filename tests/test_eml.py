"""The built email.eml read back with Python's `email` package: no defects, quoted-printable
lines within RFC 2045's 76 characters, parts equal to email.html and email.txt, the list headers
(Content-Language, List-Id, List-Unsubscribe with one-click) present, and the same bytes on
every build."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from newsletter.commands.build import prepare_build
from newsletter.config import load_settings
from newsletter.deliver.eml import list_id
from tests.conftest import run

ISSUES = ["issues/2026-11-27.yaml", "issues/2026-11-27-fa.yaml"]


def build(newsroom: Path, issue: str) -> tuple[bytes, str, str]:
    settings = load_settings(newsroom / "newsletter.toml")
    files = prepare_build(settings, newsroom / issue).files
    return files["email.eml"], files["email.html"].decode(), files["email.txt"].decode()


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("issue", ISSUES)
def test_the_eml_reads_back_without_defects_and_its_parts_are_the_files(
    newsroom: Path, issue: str
) -> None:
    raw, html, text = build(newsroom, issue)
    message = parse(raw)
    assert [part.defects for part in message.walk()] == [[], [], []]
    assert message.get_content_type() == "multipart/alternative"
    plain, rich = message.iter_parts()
    assert plain.get_content_type() == "text/plain" and rich.get_content_type() == "text/html"
    for part in (plain, rich):
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert part.get_content_charset() == "utf-8"
        assert "MIME-Version" not in part
    # On the wire a text's line breaks are CRLF; the files keep LF.
    assert plain.get_content().replace("\r\n", "\n") == text
    assert rich.get_content().replace("\r\n", "\n") == html


@pytest.mark.parametrize("issue", ISSUES)
def test_every_line_fits_rfc_limits_but_an_ascii_subject_stays_whole(
    newsroom: Path, issue: str
) -> None:
    raw, _, _ = build(newsroom, issue)
    lines = raw.split(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only, no bare LF or CR
    subject = parse(raw)["Subject"]
    settings = load_settings(newsroom / "newsletter.toml")
    assert subject == prepare_build(settings, newsroom / issue).rendered.subject
    subject_line = f"Subject: {subject}".encode()
    # An ASCII subject stays on one line (the sample's is longer than 78); one in another
    # script is folded into encoded words of at most 75 characters (RFC 2047).
    assert (subject_line in lines) == subject.isascii()
    header_end = lines.index(b"")
    for number, line in enumerate(lines):
        if line == subject_line:
            continue
        # 78 characters before the CRLF in headers (RFC 5322); 76 in the QP bodies (RFC 2045).
        limit = 78 if number < header_end else 76
        assert len(line) <= limit, (number, line)
    assert max(len(line) for line in lines[header_end:]) == 76  # the bodies are wrapped


def test_a_long_subject_is_not_folded(newsroom: Path) -> None:
    issue = newsroom / ISSUES[0]
    title = "Darvana's Council Takes Five Radio Stations Off The Air, And Three More In Sarvan"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(
        text.replace(
            "title: Darvana's Council Takes Five Radio Stations Off The Air", f"title: {title}"
        ),
        encoding="utf-8",
    )
    raw, _, _ = build(newsroom, ISSUES[0])
    line = f"Subject: The Darvana Briefing: {title}".encode()
    assert len(line) > 100
    assert raw.startswith(line + b"\r\nFrom: ")


def test_the_list_headers(newsroom: Path) -> None:
    raw, _, _ = build(newsroom, ISSUES[0])
    message = parse(raw)
    assert message["Content-Language"] == "en"
    assert message["List-Id"] == "The Darvana Briefing <briefing.example.org>"
    assert message["List-Unsubscribe"] == (
        "<https://example.org/briefing/unsubscribe>, "
        "<mailto:unsubscribe@example.org?subject=unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["To"] == "undisclosed-recipients:;"
    fa, _, _ = build(newsroom, ISSUES[1])
    assert parse(fa)["Content-Language"] == "fa"


DEMO_MAILTO = 'unsubscribe_mailto = "unsubscribe@example.org"'


def set_mailto(newsroom: Path, line: str) -> Path:
    settings = newsroom / "newsletter.toml"
    text = settings.read_text(encoding="utf-8")
    assert DEMO_MAILTO in text
    settings.write_text(text.replace(DEMO_MAILTO, line), encoding="utf-8")
    return settings


def test_unsubscribe_mailto_is_a_setting(newsroom: Path) -> None:
    set_mailto(newsroom, 'unsubscribe_mailto = "leave+briefing@example.org"')
    raw, _, _ = build(newsroom, ISSUES[0])
    assert parse(raw)["List-Unsubscribe"].endswith(
        ", <mailto:leave+briefing@example.org?subject=unsubscribe>"
    )


def test_without_unsubscribe_mailto_the_sender_takes_the_requests(newsroom: Path) -> None:
    set_mailto(newsroom, "")
    raw, _, _ = build(newsroom, ISSUES[0])
    assert parse(raw)["List-Unsubscribe"] == (
        "<https://example.org/briefing/unsubscribe>, "
        "<mailto:briefing@example.org?subject=unsubscribe>"
    )


def test_unsubscribe_mailto_must_be_a_bare_address(newsroom: Path) -> None:
    settings = set_mailto(newsroom, 'unsubscribe_mailto = "mailto:leave@example.org"')
    result = run("check", ISSUES[0])
    assert result.exit_code == 1
    line = (
        settings.read_text(encoding="utf-8")
        .splitlines()
        .index('unsubscribe_mailto = "mailto:leave@example.org"   # the mailto of List-Unsubscribe')
    )
    assert (
        f"newsletter.toml:{line + 1}:1: error: delivery.unsubscribe_mailto: expected a bare "
        "email address, found 'mailto:leave@example.org'" in result.stderr
    )
    assert (
        "hint: a bare address that handles unsubscribe requests, e.g. unsubscribe_mailto = "
        '"unsubscribe@example.org"' in result.stderr
    )


@pytest.mark.parametrize(
    ("name", "sender", "expected"),
    [
        (
            "The Darvana Briefing",
            "briefing@example.org",
            "The Darvana Briefing <briefing.example.org>",
        ),
        ("Weekly", "Desk <Weekly+News@Example.ORG>", "Weekly <weekly-news.example.org>"),
        ("Notes: Week", "notes@example.org", '"Notes: Week" <notes.example.org>'),
        ('Say "Hi"', "hi@example.org", '"Say \\"Hi\\"" <hi.example.org>'),
        ("خبرنامه", "news@example.org", "خبرنامه <news.example.org>"),
    ],
)
def test_the_list_id_is_made_from_the_name_and_the_sender(
    newsroom: Path, name: str, sender: str, expected: str
) -> None:
    settings = load_settings(newsroom / "newsletter.toml")
    from dataclasses import replace

    assert list_id(replace(settings, name=name, sender=sender)) == expected


def test_a_non_latin_list_name_reads_back(newsroom: Path) -> None:
    settings = newsroom / "newsletter.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace('name = "The Darvana Briefing"', 'name = "خبرنامه داروانا"'), encoding="utf-8"
    )
    raw, _, _ = build(newsroom, ISSUES[1])
    message = parse(raw)
    assert message["List-Id"] == "خبرنامه داروانا <briefing.example.org>"
    assert [part.defects for part in message.walk()] == [[], [], []]


def test_the_same_issue_gives_the_same_bytes(newsroom: Path, tmp_path: Path) -> None:
    first, _, _ = build(newsroom, ISSUES[0])
    assert build(newsroom, ISSUES[0])[0] == first
    assert run("build", ISSUES[0], "-o", str(tmp_path / "out")).exit_code == 0
    assert (tmp_path / "out" / "2026-11-27" / "email.eml").read_bytes() == first
