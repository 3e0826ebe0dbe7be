"""Entry point, the delivery commands: `send` (test copies of an issue's email through a mail
server, or the hand-off to a mail service: a bundle in a folder or a draft campaign through
its API). Parses the options, calls `newsletter.commands.send.send_issue` (mail servers) or
`newsletter.commands.handoff.hand_off` (the rest) and prints what it returns: who got a copy,
who had one already, who did not, and one line for what went wrong; or what was handed off.
"""

from __future__ import annotations

import sys
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.shared import config_option, echo_json, handle_errors, load
from newsletter.deliver.dialects import DIALECT_NAMES
from newsletter.deliver.targets import (
    TARGET_FORMS,
    DirTarget,
    ServiceTarget,
    Target,
    TargetError,
    parse_recipient,
    parse_target,
)
from newsletter.errors import format_problems
from newsletter.untrusted import terminal_text

if TYPE_CHECKING:
    from newsletter.commands.send import SendResult
    from newsletter.deliver.smtp import StartTls


def _target(
    ctx: click.Context, param: click.Parameter, value: str
) -> Target | DirTarget | ServiceTarget:
    try:
        return parse_target(value)
    except TargetError as exc:
        raise click.BadParameter(str(exc)) from None


def _recipients(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    try:
        return [parse_recipient(address) for address in value]
    except TargetError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@config_option
@click.argument("issue_file", metavar="ISSUE.yaml", type=click.Path(path_type=Path))
@click.option(
    "--to",
    "target",
    required=True,
    metavar="TARGET",
    callback=_target,
    help="A mail server for test copies: smtp://HOST:PORT (STARTTLS when offered) or "
    "smtps://HOST:PORT (TLS from the start); or a hand-off to a mail service: "
    + ", ".join(TARGET_FORMS)
    + ".",
)
@click.option(
    "--dialect",
    type=click.Choice(DIALECT_NAMES),
    default=None,
    help="Whose merge tags the unsubscribe and view-online links become, for dir: targets. "
    "[default: plain URLs; a service's API target uses its own]",
)
@click.option(
    "--rcpt",
    "recipients",
    multiple=True,
    metavar="ADDR",
    callback=_recipients,
    help="A recipient's address (smtp:// and smtps:// targets); repeat for more.",
)
@click.option(
    "--starttls/--no-starttls",
    default=None,
    help="smtp:// only: require STARTTLS (an error if the server does not offer it), or never "
    "use it. [default: use it when offered]",
)
@click.option("--dry-run", is_flag=True, help="Say what would go where, with sizes; send nothing.")
@click.option(
    "--again", is_flag=True, help="Send to recipients who already got this issue through TARGET."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handle_errors
def send(
    config: Path | None,
    issue_file: Path,
    target: Target | DirTarget | ServiceTarget,
    dialect: str | None,
    recipients: list[str],
    starttls: bool | None,
    dry_run: bool,
    again: bool,
    as_json: bool,
) -> None:
    """Send test copies of an issue's email, or hand it to a mail service.

    Through a mail server (smtp://, smtps://), each recipient gets the exact email.eml `build`
    writes, made in memory. Log in with NEWSLETTER_SMTP_USER and NEWSLETTER_SMTP_PASSWORD from
    the environment; trust a private certificate authority with NEWSLETTER_SMTP_CAFILE. A
    recipient who already got the issue through TARGET is skipped unless --again; after a
    failure, run the same command again to reach the rest.

    To a mail service: dir:PATH writes a bundle (email.html, email.txt, email.eml,
    campaign.json) with --dialect's merge tags; listmonk+https://… and buttondown+https://…
    create a draft campaign through the service's API (never scheduled or sent), with the
    token from the environment.
    """
    if not isinstance(target, Target):
        _hand_off(
            config, issue_file, target, dialect, recipients, starttls, dry_run, again, as_json
        )
        return
    from newsletter.commands.send import send_issue

    if dialect is not None:
        raise click.BadParameter(
            "a test copy through a mail server keeps real links; --dialect is for dir: and "
            "service targets",
            param_hint="--dialect",
        )
    if not recipients:
        raise click.BadParameter("name at least one recipient", param_hint="--rcpt")
    if starttls is not None and target.implicit_tls:
        raise click.BadParameter(
            "smtps:// is TLS from the start; --starttls and --no-starttls are for smtp://",
            param_hint="--starttls",
        )
    mode: StartTls = "auto" if starttls is None else "require" if starttls else "never"
    settings = load(config)
    result = send_issue(
        settings,
        issue_file,
        target,
        recipients,
        starttls=mode,
        dry_run=dry_run,
        again=again,
    )
    if as_json:
        echo_json(
            {
                "issue": result.number,
                "slug": result.slug,
                "subject": result.subject,
                "target": result.target,
                "from": result.sender,
                "bytes": result.size,
                "dry_run": result.dry_run,
                "login": result.login,
                "to_send": list(result.to_send),
                "delivered": list(result.delivered),
                "skipped": [
                    {"recipient": copy.recipient, "sent_at": copy.sent_at.isoformat()}
                    for copy in result.skipped
                ],
                "unsure": [
                    {
                        "recipient": copy.recipient,
                        "begun_at": copy.sent_at.isoformat(),
                        "by": copy.owner,
                    }
                    for copy in result.unsure
                ],
                "refused": [
                    {"recipient": recipient, "reply": reply} for recipient, reply in result.refused
                ],
                "not_sent": list(result.not_sent),
                "problems": [problem.to_dict() for problem in result.problems],
                "ok": result.ok,
                "error": result.error,
            }
        )
    else:
        _echo_result(result, mode, settings.timezone)
    if not result.ok:
        sys.exit(1)


def _hand_off(
    config: Path | None,
    issue_file: Path,
    target: DirTarget | ServiceTarget,
    dialect: str | None,
    recipients: list[str],
    starttls: bool | None,
    dry_run: bool,
    again: bool,
    as_json: bool,
) -> None:
    from newsletter.commands.handoff import hand_off

    given = [
        name
        for name, used in (
            ("--rcpt", recipients),
            ("--starttls/--no-starttls", starttls is not None),
            ("--dry-run", dry_run),
            ("--again", again),
        )
        if used
    ]
    if given:
        raise click.BadParameter(
            f"{given[0]} is for smtp:// and smtps:// targets: dir: writes only a folder, and a "
            "service's draft is never sent",
            param_hint=given[0],
        )
    result = hand_off(load(config), issue_file, target, dialect)
    if as_json:
        echo_json(result.to_dict())
        return
    if result.problems:
        click.echo(format_problems(result.problems, wrote_nothing=False), err=True, nl=False)
    click.echo(terminal_text(result.summary))


def _echo_result(result: SendResult, mode: str, zone: tzinfo) -> None:
    if result.problems:
        click.echo(format_problems(result.problems, wrote_nothing=False), err=True, nl=False)
    size = f"{result.size:,} bytes"
    if result.dry_run:
        tls = "TLS" if result.target.startswith("smtps:") else _STARTTLS[mode]
        login = "log in from the environment" if result.login else "no login"
        click.echo(
            f"would send issue {result.number} ({size}) from {result.sender} "
            f"through {result.target} ({tls}, {login}) to:"
        )
        for recipient in result.to_send:
            click.echo(f"  {recipient}")
    elif result.delivered:
        click.echo(f"sent issue {result.number} ({size}) through {result.target} to:")
        for recipient in result.delivered:
            click.echo(f"  {recipient}")
    if result.to_send:
        for copy in result.skipped:
            when = copy.sent_at.astimezone(zone)
            click.echo(
                f"skipped {copy.recipient}: got this issue on {when:%Y-%m-%d %H:%M %Z} "
                "(--again sends it again)"
            )
    for copy in result.unsure:
        when = copy.sent_at.astimezone(zone)
        click.echo(
            f"unsure {copy.recipient}: a send by {copy.owner or 'an earlier run'} began "
            f"delivering at {when:%Y-%m-%d %H:%M %Z} and never recorded the answer; it may "
            "have arrived (--again sends it again)"
        )
    if result.error is not None:
        click.echo(f"error: {terminal_text(result.error)}", err=True)
    missed = [recipient for recipient, _ in result.refused] + list(result.not_sent)
    if result.delivered and missed:
        click.echo(
            f"  hint: not sent to {', '.join(missed)}; run the same command again to send "
            "to them only",
            err=True,
        )


_STARTTLS = {"auto": "STARTTLS when offered", "require": "STARTTLS required", "never": "no TLS"}
