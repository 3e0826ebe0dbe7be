"""Command `send`: an issue file → test copies of its email through a mail server. Takes the
settings, the file, a `Target` and the recipients; gives a `SendResult`.

The message is the very `email.eml` a build writes, made in memory (no build folder), sent
unchanged to each recipient in the SMTP envelope: what a reader gets is byte for byte what is
handed to a mail service, so its To: stays `undisclosed-recipients:;`. Each copy is claimed in
the store (issue, target, recipient, time, who) right before it goes, and marked sent right
after the server accepts it: the store is the newsroom's private, transactional record
(recipient addresses are personal data, and the issues folder is shared and published from),
shared by every machine when it is on a server. Two sends at the same moment deliver one copy
between them; a send killed between the claim and the answer leaves the copy unsure, which the
next send names and passes over. A recipient who already got the issue through the same target
is skipped unless `again`; a send that fails midway records only the copies delivered, so
running it again reaches only the rest. Like `build`, a send (but not a dry run) writes the
issue's lock file, before it connects, so the email sent can be built again byte for byte.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path

from newsletter.config import Settings
from newsletter.deliver.smtp import Credentials, StartTls, send_copies
from newsletter.deliver.targets import Target
from newsletter.errors import NewsletterError, Problem
from newsletter.models import SentCopy

USER_VARIABLE = "NEWSLETTER_SMTP_USER"
PASSWORD_VARIABLE = "NEWSLETTER_SMTP_PASSWORD"
CAFILE_VARIABLE = "NEWSLETTER_SMTP_CAFILE"


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a send did, or with `dry_run` would do: the issue, the target, the message's size,
    the issue's warnings, who got a copy now, who had one already (and was skipped), whom the
    server refused (with its answer), who was not reached, and the one-line reason when it did
    not all go."""

    number: int
    slug: str
    subject: str
    target: str
    sender: str
    size: int
    dry_run: bool
    login: bool
    to_send: tuple[str, ...]
    problems: tuple[Problem, ...] = ()
    delivered: tuple[str, ...] = ()
    skipped: tuple[SentCopy, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()
    not_sent: tuple[str, ...] = ()
    error: str | None = None
    # Copies whose delivery began (here or on another machine) and whose answer was never
    # recorded: each may have arrived, so none is sent again without --again.
    unsure: tuple[SentCopy, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every recipient it set out to reach was reached."""
        return self.error is None


def recipient_key(address: str) -> str:
    """A recipient as recorded: lower-cased, so `Me@Example.org` counts as `me@example.org`."""
    return address.lower()


def smtp_credentials(environ: Mapping[str, str]) -> Credentials | None:
    """The login from NEWSLETTER_SMTP_USER and NEWSLETTER_SMTP_PASSWORD, or None when neither
    is set; one without the other is an error (that never shows the password)."""
    user = environ.get(USER_VARIABLE, "")
    password = environ.get(PASSWORD_VARIABLE, "")
    if not user and not password:
        return None
    if not user or not password:
        given, missing = (
            (USER_VARIABLE, PASSWORD_VARIABLE) if user else (PASSWORD_VARIABLE, USER_VARIABLE)
        )
        raise NewsletterError(f"{given} is set but {missing} is not: set both, or neither")
    return Credentials(user, password)


def _cafile(environ: Mapping[str, str]) -> Path | None:
    value = environ.get(CAFILE_VARIABLE, "")
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise NewsletterError(f"{CAFILE_VARIABLE} names no file: {value}")
    return path


def _already_sent(copies: Sequence[SentCopy], settings: Settings) -> str:
    named = ", ".join(
        f"{copy.recipient} on {copy.sent_at.astimezone(settings.timezone):%Y-%m-%d %H:%M %Z}"
        for copy in copies
    )
    return f"already sent issue {copies[0].number} through {copies[0].target} to {named}"


def _unsure(copies: Sequence[SentCopy], settings: Settings) -> str:
    named = ", ".join(
        f"{copy.recipient} (begun {copy.sent_at.astimezone(settings.timezone):%Y-%m-%d %H:%M %Z}"
        f" by {copy.owner})"
        for copy in copies
    )
    return (
        f"a send of issue {copies[0].number} through {copies[0].target} began delivering to "
        f"{named} and never recorded the server's answer: the copy may have arrived; check "
        "the inbox, then pass --again to send it again"
    )


def send_issue(
    settings: Settings,
    issue_file: Path,
    target: Target,
    recipients: Sequence[str],
    *,
    starttls: StartTls = "auto",
    dry_run: bool = False,
    again: bool = False,
    environ: Mapping[str, str] | None = None,
) -> SendResult:
    """Build the issue's email in memory and send a copy to each recipient through `target`
    (with `dry_run`, only say what would go where). Raises `ProblemsError` for an issue with
    an error and `NewsletterError` for half-set credentials; whatever happens with the server
    is in the result."""
    from newsletter.commands.build import prepare_build
    from newsletter.files import write_atomic
    from newsletter.issue import lock_path, lock_text
    from newsletter.store import open_store

    environ = os.environ if environ is None else environ
    credentials = smtp_credentials(environ)
    cafile = _cafile(environ)
    prepared = prepare_build(settings, issue_file)
    issue = prepared.checked.issue
    message = prepared.files["email.eml"]
    digest = hashlib.sha256(message).hexdigest()
    sender = parseaddr(settings.edition(issue.lang).sender)[1]
    # Each address once, as first written; recorded and compared in lower case.
    wanted: dict[str, str] = {}
    for address in recipients:
        wanted.setdefault(recipient_key(address), address)
    with open_store(settings.store, create=not dry_run) as store:
        earlier = store.sent_copies(issue.slug, target.address)
        unsure = store.unsure_copies(issue.slug, target.address)
    skipped = () if again else tuple(earlier[key] for key in wanted if key in earlier)
    doubtful = () if again else tuple(unsure[key] for key in wanted if key in unsure)
    to_send = tuple(
        address
        for key, address in wanted.items()
        if again or (key not in earlier and key not in unsure)
    )
    result = SendResult(
        number=issue.number,
        slug=issue.slug,
        subject=prepared.rendered.subject,
        target=target.address,
        sender=sender,
        size=len(message),
        dry_run=dry_run,
        login=credentials is not None,
        to_send=to_send,
        problems=prepared.problems,
        skipped=skipped,
        unsure=doubtful,
    )
    if not to_send:
        if doubtful and not skipped:
            return replace(result, error=_unsure(doubtful, settings))
        again_hint = f"{_already_sent(skipped, settings)}; pass --again to send it again"
        return replace(result, error=again_hint)
    if dry_run:
        return result

    lock = lock_path(issue_file)
    try:
        write_atomic(lock, lock_text(issue.number, issue.date, issue.articles))
    except OSError as exc:
        raise NewsletterError(
            f"cannot write the lock file {lock} ({exc.strerror or exc}); nothing was sent"
        ) from None

    claims: dict[str, int] = {}
    raced: list[SentCopy] = []
    with open_store(settings.store) as store:

        def claim(recipient: str) -> bool:
            # The intent is recorded before the message goes: whoever claims second (another
            # machine, at the same moment) finds the claim and passes the recipient over.
            key = recipient_key(recipient)
            if again and key in unsure:
                store.settle_unsure(issue.slug, target.address, key)
            copy = SentCopy(issue.slug, issue.number, target.address, key, _now(), digest)
            got = store.claim_send(copy, again=again)
            if isinstance(got, SentCopy):
                raced.append(got)
                return False
            claims[recipient] = got
            return True

        def record(recipient: str) -> None:
            store.confirm_send(claims.pop(recipient), _now())

        outcome = send_copies(
            target,
            message,
            sender,
            to_send,
            starttls=starttls,
            credentials=credentials,
            cafile=cafile,
            on_delivered=record,
            before_delivery=claim,
        )
        # The session ended with every claim still held unanswered: refused, or cut off
        # before the server said 250, which in SMTP means it did not take the message (the
        # protocol's answer is to send again). Only a send killed between its claim and the
        # server's answer, or a store lost right after it, leaves a copy unsure.
        for token in claims.values():
            store.release_send(token)
    raced_sent = tuple(copy for copy in raced if not copy.unsure)
    raced_unsure = tuple(copy for copy in raced if copy.unsure)
    result = replace(
        result,
        skipped=(*result.skipped, *raced_sent),
        unsure=(*result.unsure, *raced_unsure),
    )
    error = outcome.error
    if error is None and raced and not outcome.delivered:
        # Another send (another machine, at the same moment) got there first.
        error = (
            _unsure(raced_unsure, settings)
            if raced_unsure and not raced_sent
            else f"{_already_sent(raced_sent, settings)}; pass --again to send it again"
        )
    if error is None and outcome.refused:
        (recipient, reply), *others = outcome.refused
        more = f" and {len(others)} more" if others else ""
        error = f"{target.address} refused {recipient} ({reply}){more}"
    return replace(
        result,
        delivered=outcome.delivered,
        refused=outcome.refused,
        not_sent=outcome.not_sent,
        error=error,
    )


def _now() -> datetime:
    return datetime.now(UTC)
