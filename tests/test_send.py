"""`newsletter send` against a real SMTP server (aiosmtpd on 127.0.0.1): what arrives, TLS both
ways, logins, refusals, dropped connections, the record of sends and --again, and the usage
errors of its options."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from newsletter.commands.build import prepare_build
from newsletter.config import load_settings
from newsletter.deliver.smtp import send_copies
from newsletter.deliver.targets import Target, TargetError, parse_recipient, parse_target
from tests.conftest import run
from tests.mailserver import Inbox, free_port, mail_server, make_authority, password_checker

ISSUE = "issues/2026-11-27.yaml"
PASSWORD = "s3cret-Pa55word"


def built_eml(newsroom: Path) -> bytes:
    settings = load_settings(newsroom / "newsletter.toml")
    return prepare_build(settings, newsroom / ISSUE).files["email.eml"]


def send(port: int, *rcpts: str, scheme: str = "smtp", extra: tuple[str, ...] = ()) -> object:
    args = ["send", ISSUE, "--to", f"{scheme}://127.0.0.1:{port}"]
    for rcpt in rcpts:
        args += ["--rcpt", rcpt]
    return run(*args, *extra)


def sends_in_store(newsroom: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(newsroom / "data" / "articles.sqlite3") as db:
        return db.execute("SELECT issue, target, recipient FROM sends ORDER BY rowid").fetchall()


def test_each_recipient_gets_the_built_eml_byte_for_byte(newsroom: Path) -> None:
    inbox = Inbox()
    with mail_server(inbox) as port:
        result = send(port, "me@example.org", "desk@example.org")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"sent issue 42 ({len(built_eml(newsroom)):,} bytes) through smtp://127.0.0.1:{port} to:\n"
        "  me@example.org\n  desk@example.org\n"
    )
    assert [m.recipients for m in inbox.messages] == [["me@example.org"], ["desk@example.org"]]
    assert {m.sender for m in inbox.messages} == {"briefing@example.org"}
    # aiosmtpd adds no transport headers to `content`: what arrived is the .eml itself.
    assert inbox.messages[0].content == built_eml(newsroom)
    assert inbox.messages[1].content == built_eml(newsroom)
    assert run("build", ISSUE).exit_code == 0
    assert inbox.messages[0].content == (newsroom / "build/2026-11-27/email.eml").read_bytes()


def test_send_writes_no_build_folder_and_the_lock_file_as_build_does(newsroom: Path) -> None:
    lock = newsroom / "issues" / "2026-11-27.lock.json"
    lock.unlink()
    assert run("fetch").exit_code == 0
    with mail_server(Inbox()) as port:
        assert send(port, "me@example.org").exit_code == 0
    assert not (newsroom / "build").exists()
    assert lock.exists()
    kept = lock.read_bytes()
    assert run("build", ISSUE).exit_code == 0
    assert lock.read_bytes() == kept


def test_a_second_send_needs_again(newsroom: Path) -> None:
    inbox = Inbox()
    with mail_server(inbox) as port:
        assert send(port, "me@example.org").exit_code == 0
        again = send(port, "Me@Example.org")
        assert again.exit_code == 1
        assert again.stdout == ""
        line = again.stderr.strip()
        assert line.startswith(
            f"error: already sent issue 42 through smtp://127.0.0.1:{port} to me@example.org on "
        )
        assert line.endswith("; pass --again to send it again")
        assert "+0430" in line  # when, in the newsletter's time zone
        assert len(inbox.messages) == 1
        forced = send(port, "Me@example.org", "me@example.org", extra=("--again",))
        assert forced.exit_code == 0, forced.output
    assert inbox.recipients == ["me@example.org", "Me@example.org"]  # as first written, once
    target = f"smtp://127.0.0.1:{port}"
    assert sends_in_store(newsroom) == [("2026-11-27", target, "me@example.org")] * 2


def test_another_target_or_issue_is_a_new_send(newsroom: Path) -> None:
    inbox = Inbox()
    with mail_server(inbox) as port:
        assert send(port, "me@example.org").exit_code == 0
    with mail_server(inbox) as other:
        assert send(other, "me@example.org").exit_code == 0
        fa = run(
            "send",
            "issues/2026-11-27-fa.yaml",
            "--to",
            f"smtp://127.0.0.1:{other}",
            "--rcpt",
            "me@example.org",
        )
        assert fa.exit_code == 0, fa.output
    assert len(inbox.messages) == 3


def test_only_new_recipients_are_sent_and_the_others_named(newsroom: Path) -> None:
    inbox = Inbox()
    with mail_server(inbox) as port:
        assert send(port, "me@example.org").exit_code == 0
        result = send(port, "me@example.org", "desk@example.org")
    assert result.exit_code == 0, result.output
    assert "  desk@example.org\n" in result.stdout
    assert "skipped me@example.org: got this issue on 2026-" in result.stdout
    assert "(--again sends it again)" in result.stdout
    assert inbox.recipients == ["me@example.org", "desk@example.org"]


def test_a_refused_recipient_is_named_and_a_rerun_sends_only_to_them(newsroom: Path) -> None:
    inbox = Inbox(refuse={"gone@example.org"})
    with mail_server(inbox) as port:
        result = send(port, "me@example.org", "gone@example.org", "desk@example.org")
        assert result.exit_code == 1
        assert "  me@example.org\n  desk@example.org\n" in result.stdout
        assert result.stderr == (
            f"error: smtp://127.0.0.1:{port} refused gone@example.org "
            "(550 5.1.1 no mailbox by that name here)\n"
            "  hint: not sent to gone@example.org; run the same command again to send to them "
            "only\n"
        )
        assert inbox.recipients == ["me@example.org", "desk@example.org"]
        assert [r for _, _, r in sends_in_store(newsroom)] == inbox.recipients
        inbox.refuse.clear()
        rerun = send(port, "me@example.org", "gone@example.org", "desk@example.org")
    assert rerun.exit_code == 0, rerun.output
    assert inbox.recipients == ["me@example.org", "desk@example.org", "gone@example.org"]


def test_a_dropped_connection_keeps_the_record_of_who_got_it(newsroom: Path) -> None:
    inbox = Inbox(drop_at=3)
    everyone = ("a@example.org", "b@example.org", "c@example.org", "d@example.org")
    with mail_server(inbox) as port:
        result = send(port, *everyone)
    assert result.exit_code == 1
    assert result.stdout.endswith("to:\n  a@example.org\n  b@example.org\n")
    assert result.stderr == (
        f"error: smtp://127.0.0.1:{port} closed the connection after 2 of 4 messages\n"
        "  hint: not sent to c@example.org, d@example.org; run the same command again to send "
        "to them only\n"
    )
    assert "Traceback" not in result.output
    assert [r for _, _, r in sends_in_store(newsroom)] == ["a@example.org", "b@example.org"]
    inbox.drop_at = None
    with mail_server(inbox, port=port):  # the same target, back up
        rerun = send(port, *everyone)
    assert rerun.exit_code == 0, rerun.output
    assert inbox.recipients == list(everyone)
    assert "skipped a@example.org" in rerun.stdout and "skipped b@example.org" in rerun.stdout


def test_a_connection_dropped_on_the_first_message_delivers_nothing(newsroom: Path) -> None:
    with mail_server(Inbox(drop_at=1)) as port:
        result = send(port, "a@example.org", "b@example.org")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: smtp://127.0.0.1:{port} closed the connection after 0 of 2 messages\n"
    )
    assert sends_in_store(newsroom) == []


def test_starttls_is_used_when_offered_and_logs_in(
    newsroom: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    authority = make_authority(tmp_path)
    monkeypatch.setenv("NEWSLETTER_SMTP_CAFILE", str(authority.pem))
    monkeypatch.setenv("NEWSLETTER_SMTP_USER", "desk")
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    inbox = Inbox()
    # aiosmtpd refuses AUTH before STARTTLS: the login works only if TLS came first.
    checker = password_checker("desk", PASSWORD)
    with mail_server(inbox, starttls=authority, authenticator=checker) as port:
        result = send(port, "me@example.org", extra=("--starttls", "--json"))
    assert result.exit_code == 0, result.output
    assert inbox.messages[0].content == built_eml(newsroom)
    report = json.loads(result.stdout)
    assert report["delivered"] == ["me@example.org"] and report["login"] is True
    assert PASSWORD not in result.output and "desk" not in result.output


def test_an_untrusted_certificate_is_one_line(newsroom: Path, tmp_path: Path) -> None:
    inbox = Inbox()
    with mail_server(inbox, starttls=make_authority(tmp_path)) as port:
        result = send(port, "me@example.org")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: smtp://127.0.0.1:{port}: the server's TLS certificate is not trusted "
        "(unable to get local issuer certificate); set NEWSLETTER_SMTP_CAFILE to the "
        "certificate of its authority\n"
    )
    assert inbox.messages == []


def test_no_starttls_sends_in_the_clear_even_when_offered(newsroom: Path, tmp_path: Path) -> None:
    inbox = Inbox()
    with mail_server(inbox, starttls=make_authority(tmp_path)) as port:
        result = send(port, "me@example.org", extra=("--no-starttls",))
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 1


def test_smtps_speaks_tls_from_the_start(
    newsroom: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    authority = make_authority(tmp_path)
    monkeypatch.setenv("NEWSLETTER_SMTP_CAFILE", str(authority.pem))
    inbox = Inbox()
    with mail_server(inbox, implicit_tls=authority) as port:
        result = send(port, "me@example.org", scheme="smtps")
    assert result.exit_code == 0, result.output
    assert inbox.messages[0].content == built_eml(newsroom)
    assert f"through smtps://127.0.0.1:{port} to:" in result.stdout


def test_starttls_asked_of_a_server_without_it(newsroom: Path) -> None:
    inbox = Inbox()
    with mail_server(inbox) as port:
        result = send(port, "me@example.org", extra=("--starttls",))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: smtp://127.0.0.1:{port}: the server does not offer STARTTLS, and --starttls "
        "asks for TLS\n"
    )
    assert inbox.messages == []


def test_smtps_asked_of_a_plain_server(newsroom: Path) -> None:
    inbox = Inbox()
    with mail_server(inbox) as port:
        result = send(port, "me@example.org", scheme="smtps")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: smtps://127.0.0.1:{port}: the server does not speak TLS on port {port} "
        "(smtps://); for a server that offers STARTTLS, use smtp://\n"
    )
    assert inbox.messages == []


def test_a_bad_login_never_shows_the_password(
    newsroom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_USER", "desk")
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    inbox = Inbox()
    checker = password_checker("desk", "another-password")
    with mail_server(inbox, authenticator=checker, auth_require_tls=False) as port:
        result = send(port, "me@example.org")
        as_json = send(port, "me@example.org", extra=("--json",))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: smtp://127.0.0.1:{port}: the server refused the login (535 5.7.8 "
        "Authentication credentials invalid): check NEWSLETTER_SMTP_USER and "
        "NEWSLETTER_SMTP_PASSWORD\n"
    )
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["not_sent"] == ["me@example.org"]
    for output in (result.output, as_json.output):
        assert PASSWORD not in output
    assert inbox.messages == []
    assert not (newsroom / "data" / "articles.sqlite3").exists() or sends_in_store(newsroom) == []


def test_a_server_that_repeats_the_password_does_not_get_it_printed(
    newsroom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_USER", "desk")
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    checker = password_checker("desk", "another-password", echo=True)
    with mail_server(Inbox(), authenticator=checker, auth_require_tls=False) as port:
        result = send(port, "me@example.org", extra=("--json",))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"] == (
        f"smtp://127.0.0.1:{port}: the server refused the login (535 5.7.8 *** is wrong): "
        "check NEWSLETTER_SMTP_USER and NEWSLETTER_SMTP_PASSWORD"
    )
    assert PASSWORD not in result.output


def test_a_login_to_a_server_without_auth(newsroom: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_USER", "desk")
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    with mail_server(Inbox()) as port:
        result = send(port, "me@example.org")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: smtp://127.0.0.1:{port}: the server offers no login (AUTH): unset "
        "NEWSLETTER_SMTP_USER and NEWSLETTER_SMTP_PASSWORD to send without one\n"
    )


def test_half_the_credentials_is_an_error(newsroom: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    monkeypatch.delenv("NEWSLETTER_SMTP_USER", raising=False)
    result = send(free_port(), "me@example.org")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: NEWSLETTER_SMTP_PASSWORD is set but NEWSLETTER_SMTP_USER is not: set both, "
        "or neither\n"
    )


def test_an_unreachable_server_is_one_line(newsroom: Path) -> None:
    port = free_port()
    result = send(port, "me@example.org")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: cannot connect to smtp://127.0.0.1:{port}: connection refused (is the server "
        "running?)\n"
    )


def test_a_dry_run_says_what_would_go_where_and_sends_nothing(newsroom: Path) -> None:
    inbox = Inbox()
    lock = newsroom / "issues" / "2026-11-27.lock.json"
    before = lock.read_bytes()
    with mail_server(inbox) as port:
        result = send(port, "me@example.org", "desk@example.org", extra=("--dry-run",))
        as_json = send(port, "me@example.org", extra=("--dry-run", "--json"))
    assert result.exit_code == 0, result.output
    size = len(built_eml(newsroom))
    assert result.stdout == (
        f"would send issue 42 ({size:,} bytes) from briefing@example.org through "
        f"smtp://127.0.0.1:{port} (STARTTLS when offered, no login) to:\n"
        "  me@example.org\n  desk@example.org\n"
    )
    report = json.loads(as_json.stdout)
    assert report["bytes"] == size and report["dry_run"] is True
    assert report["to_send"] == ["me@example.org"] and report["delivered"] == []
    assert inbox.messages == []
    assert lock.read_bytes() == before
    assert not (newsroom / "data").exists() and not (newsroom / "build").exists()


def test_a_dry_run_after_a_send_says_it_would_need_again(newsroom: Path) -> None:
    with mail_server(Inbox()) as port:
        assert send(port, "me@example.org").exit_code == 0
        result = send(port, "me@example.org", extra=("--dry-run",))
    assert result.exit_code == 1
    assert "pass --again to send it again" in result.stderr


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "ftp://files.example.org/out",
            "unsupported target 'ftp://files.example.org/out': use smtp://HOST:PORT or "
            "smtps://HOST:PORT, or dir:PATH, listmonk+https://",
        ),
        (
            "mailchimp+https://us1.api.mailchimp.com",
            "unsupported target 'mailchimp+https://us1.api.mailchimp.com': use smtp://HOST:PORT",
        ),
        ("mail.example.org", "unsupported target 'mail.example.org': use smtp://HOST:PORT or"),
        ("smtp://", "'smtp://' names no host"),
        ("smtp://127.0.0.1:99999", "'smtp://127.0.0.1:99999' has no valid port"),
        ("smtp://127.0.0.1:0", "'smtp://127.0.0.1:0' has no valid port"),
        ("smtp://127.0.0.1:25/inbox", "has more than a host and port"),
        ("smtp://127.0.0.1:25?starttls=yes", "has more than a host and port"),
        (
            f"listmonk+https://desk:{PASSWORD}@lists.example.org/api",
            "put no credentials in the listmonk address; they come from the environment",
        ),
        (
            f"smtp://desk:{PASSWORD}@127.0.0.1:25",
            "smtp:// addresses carry no user or password: set NEWSLETTER_SMTP_USER and",
        ),
    ],
)
def test_a_target_we_cannot_send_to_is_a_usage_error(
    newsroom: Path, target: str, message: str
) -> None:
    result = run("send", ISSUE, "--to", target, "--rcpt", "me@example.org")
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.replace("│", "").split())
    assert PASSWORD not in result.output


@pytest.mark.parametrize(
    "address",
    [
        "Me <me@example.org>",
        "me",
        "a@b@example.org",
        "me@example.org,you@example.org",
        "me@",
        "m e@example.org",
        "me@exämple.org",
    ],
)
def test_a_recipient_must_be_a_bare_address(newsroom: Path, address: str) -> None:
    result = run("send", ISSUE, "--to", "smtp://127.0.0.1:25", "--rcpt", address)
    assert result.exit_code == 2
    assert "expected a bare email address such as me@example.org" in result.stderr


def test_starttls_options_are_for_smtp_only(newsroom: Path) -> None:
    result = run(
        "send", ISSUE, "--to", "smtps://127.0.0.1:465", "--rcpt", "me@example.org", "--starttls"
    )
    assert result.exit_code == 2
    assert "smtps:// is TLS from the start" in result.stderr


def test_a_bad_issue_sends_nothing(newsroom: Path) -> None:
    issue = newsroom / ISSUE
    issue.write_text(
        issue.read_text(encoding="utf-8").replace("number: 42", "number: x"), encoding="utf-8"
    )
    inbox = Inbox()
    with mail_server(inbox) as port:
        result = send(port, "me@example.org")
    assert result.exit_code == 1
    assert "2026-11-27.yaml:" in result.stderr and "nothing was written" in result.stderr
    assert inbox.messages == []


def test_targets_are_parsed_and_written_out_in_full() -> None:
    assert parse_target("smtp://Mail.Example.org") == Target("smtp", "mail.example.org", 25)
    assert parse_target("SMTPS://mail.example.org/").address == "smtps://mail.example.org:465"
    assert parse_target("smtp://[::1]:2525").address == "smtp://[::1]:2525"
    assert parse_target("smtp://[::1]:2525").is_loopback
    assert parse_target("smtp://localhost:25").is_loopback
    assert parse_target("smtp://127.0.0.2:25").is_loopback
    assert not parse_target("smtp://mail.example.org:25").is_loopback
    assert not parse_target("smtp://192.0.2.1:25").is_loopback
    assert parse_recipient("me+test@example.org") == "me+test@example.org"
    with pytest.raises(TargetError):
        parse_target("smtp:mail.example.org")


def test_the_password_is_not_sent_in_the_clear_beyond_this_machine(
    newsroom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ::ffff:127.0.0.1 reaches the server on 127.0.0.1, but is not one of the addresses the
    # sender counts as this machine (localhost, 127.0.0.0/8, ::1): it stands for a remote host.
    monkeypatch.setenv("NEWSLETTER_SMTP_USER", "desk")
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    inbox = Inbox()
    checker = password_checker("desk", PASSWORD)
    with mail_server(inbox, authenticator=checker, auth_require_tls=False) as port:
        target = f"smtp://[::ffff:127.0.0.1]:{port}"
        result = run("send", ISSUE, "--to", target, "--rcpt", "me@example.org")
        if "cannot connect" in result.stderr or "cannot talk" in result.stderr:
            pytest.skip("no IPv6 on this machine")
        assert result.stderr == (
            f"error: {target}: the connection is not encrypted, so the password is not sent: "
            "use smtps:// or a server that offers STARTTLS\n"
        )
        assert inbox.messages == []
        local = send(port, "me@example.org")
    assert local.exit_code == 0, local.output
    assert len(inbox.messages) == 1


def test_an_error_of_the_caller_between_two_copies_is_not_taken_for_the_servers() -> None:
    inbox = Inbox()

    def full_disk(recipient: str) -> None:
        raise OSError(28, "No space left on device")

    with mail_server(inbox) as port, pytest.raises(OSError, match="No space left"):
        send_copies(
            Target("smtp", "127.0.0.1", port),
            b"Subject: x\r\n\r\nhello\r\n",
            "briefing@example.org",
            ["a@example.org", "b@example.org"],
            on_delivered=full_disk,
        )
    assert inbox.recipients == ["a@example.org"]  # it stopped at the first failed record


def test_the_issues_warnings_are_shown_and_the_copy_still_goes(newsroom: Path) -> None:
    issue = newsroom / ISSUE
    lines = issue.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = ["preheader: Too short.\n" if line.startswith("preheader:") else line for line in lines]
    issue.write_text("".join(lines), encoding="utf-8")
    inbox = Inbox()
    with mail_server(inbox) as port:
        result = send(port, "me@example.org")
        as_json = send(port, "desk@example.org", extra=("--json",))
    assert result.exit_code == 0, result.output
    assert ": warning: preheader:" in result.stderr
    assert [p["key"] for p in json.loads(as_json.stdout)["problems"]] == ["preheader"]
    assert inbox.recipients == ["me@example.org", "desk@example.org"]
