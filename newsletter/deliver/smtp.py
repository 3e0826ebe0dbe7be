"""Stage 4 (delivery), SMTP: the bytes of a built .eml → copies delivered through a mail server.

Takes a `Target`, the message, the envelope sender and the recipients; gives an `SmtpOutcome`
saying who got a copy, whom the server refused, who was not reached, and the one line that
explains a failure. Each recipient gets a transaction of their own (MAIL, RCPT, DATA) on one
connection, so a refusal or a dropped connection leaves an exact account of who has the
message; `on_delivered` is called after each accepted copy, before the next is tried, so that
the caller can record it even if the next one fails. Uses the standard library's `smtplib`.
The password is sent to the server only, after TLS unless the server is this machine, and is
scrubbed from every message this module writes.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from newsletter.deliver.targets import Target

StartTls = Literal["auto", "require", "never"]
TIMEOUT = 30.0  # seconds to wait for a connection and for each of the server's answers


@dataclass(frozen=True, slots=True)
class Credentials:
    """A login for the mail server; the password never shows in a repr."""

    user: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class SmtpOutcome:
    """What one send did: recipients that got a copy, those the server refused (with its
    answer), those never tried, and, when something stopped or refused, the reason in one line."""

    delivered: tuple[str, ...]
    refused: tuple[tuple[str, str], ...] = ()
    not_sent: tuple[str, ...] = ()
    error: str | None = None
    encrypted: bool = False


class _Stop(Exception):
    """Ends the session with a message for the editor."""


class _CallerFailed(Exception):
    """`on_delivered` raised: its error is the caller's, not the server's, and goes up as is."""


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"


def _tls_context(cafile: Path | None) -> ssl.SSLContext:
    if cafile is None:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=str(cafile))
    except (OSError, ssl.SSLError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _Stop(f"cannot read the certificates in NEWSLETTER_SMTP_CAFILE ({reason})") from None


def _open(target: Target, starttls: StartTls, context: ssl.SSLContext) -> smtplib.SMTP:
    """A connection, greeted and, when asked or offered, encrypted."""
    host, port = target.host, target.port
    client: smtplib.SMTP
    if target.implicit_tls:
        client = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=TIMEOUT)
    try:
        client.ehlo_or_helo_if_needed()
        if not target.implicit_tls and starttls != "never":
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif starttls == "require":
                raise _Stop("the server does not offer STARTTLS, and --starttls asks for TLS")
    except BaseException:
        client.close()
        raise
    return client


def _login(client: smtplib.SMTP, target: Target, credentials: Credentials, tls: bool) -> None:
    if not tls and not target.is_loopback:
        raise _Stop(
            "the connection is not encrypted, so the password is not sent: use smtps:// or a "
            "server that offers STARTTLS"
        )
    if not client.has_extn("auth"):
        raise _Stop(
            "the server offers no login (AUTH): unset NEWSLETTER_SMTP_USER and "
            "NEWSLETTER_SMTP_PASSWORD to send without one"
        )
    try:
        client.login(credentials.user, credentials.password)
    except smtplib.SMTPAuthenticationError as exc:
        raise _Stop(
            f"the server refused the login ({_reply(exc.smtp_code, exc.smtp_error)}): check "
            "NEWSLETTER_SMTP_USER and NEWSLETTER_SMTP_PASSWORD"
        ) from None


def send_copies(
    target: Target,
    message: bytes,
    sender: str,
    recipients: Sequence[str],
    *,
    starttls: StartTls = "auto",
    credentials: Credentials | None = None,
    cafile: Path | None = None,
    on_delivered: Callable[[str], None] = lambda recipient: None,
    before_delivery: Callable[[str], bool] = lambda recipient: True,
) -> SmtpOutcome:
    """Send `message` unchanged to each recipient in turn, one transaction each.

    `before_delivery` is asked right before each recipient's transaction and may pass it
    over (False: it is then in none of the outcome's lists but `not_sent`). Every failure of
    the server, the network or TLS ends in the outcome's `error`, never in an exception;
    `on_delivered` and `before_delivery` may raise, which stops the session."""
    delivered: list[str] = []
    refused: list[tuple[str, str]] = []
    tls = target.implicit_tls
    where = target.address

    def scrub(text: str) -> str:
        if credentials is None or not credentials.password:
            return text
        return text.replace(credentials.password, "***")

    def outcome(error: str | None) -> SmtpOutcome:
        done = set(delivered) | {recipient for recipient, _ in refused}
        left = tuple(recipient for recipient in recipients if recipient not in done)
        answers = tuple((recipient, scrub(reply)) for recipient, reply in refused)
        return SmtpOutcome(tuple(delivered), answers, left, error and scrub(error), tls)

    try:
        client = _open(target, starttls, _tls_context(cafile))
        with client:
            tls = tls or isinstance(client.sock, ssl.SSLSocket)
            if credentials is not None:
                _login(client, target, credentials, tls)
            for recipient in recipients:
                try:
                    go = before_delivery(recipient)
                except Exception as exc:
                    raise _CallerFailed from exc
                if not go:
                    continue
                try:
                    client.sendmail(sender, [recipient], message)
                except smtplib.SMTPRecipientsRefused as exc:
                    code, answer = exc.recipients[recipient]
                    refused.append((recipient, _reply(code, answer)))
                    continue
                except smtplib.SMTPDataError as exc:
                    refused.append((recipient, _reply(exc.smtp_code, exc.smtp_error)))
                    client.rset()
                    continue
                delivered.append(recipient)
                try:
                    on_delivered(recipient)
                except Exception as exc:
                    raise _CallerFailed from exc
    except _CallerFailed as failed:
        assert failed.__cause__ is not None
        raise failed.__cause__ from None
    except _Stop as stop:
        return outcome(f"{where}: {stop}")
    except smtplib.SMTPSenderRefused as exc:
        reply = _reply(exc.smtp_code, exc.smtp_error)
        return outcome(f"{where} refused the sender {sender} ({reply})")
    except smtplib.SMTPServerDisconnected:
        count = f"after {len(delivered)} of {len(recipients)} messages"
        return outcome(f"{where} closed the connection {count}")
    except smtplib.SMTPConnectError as exc:
        reply = _reply(exc.smtp_code, exc.smtp_error)
        return outcome(f"{where} turned the connection away ({reply})")
    except smtplib.SMTPResponseException as exc:
        reply = _reply(exc.smtp_code, exc.smtp_error)
        return outcome(f"{where} answered with an error ({reply})")
    except smtplib.SMTPException as exc:
        return outcome(f"{where}: {' '.join(str(exc).split())}")
    except ssl.SSLCertVerificationError as exc:
        return outcome(
            f"{where}: the server's TLS certificate is not trusted ({exc.verify_message}); "
            "set NEWSLETTER_SMTP_CAFILE to the certificate of its authority"
        )
    except ssl.SSLError as exc:
        return outcome(f"{where}: {_tls_failure(target, exc)}")
    except socket.gaierror:
        return outcome(f"cannot find the host {target.host} of {where}")
    except TimeoutError:
        return outcome(f"{where} did not answer within {TIMEOUT:g} seconds")
    except ConnectionRefusedError:
        return outcome(f"cannot connect to {where}: connection refused (is the server running?)")
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        return outcome(f"cannot talk to {where}: {reason}")
    return outcome(None)


def _tls_failure(target: Target, exc: ssl.SSLError) -> str:
    """What a failed TLS handshake most likely means."""
    if target.implicit_tls and exc.reason in (
        "WRONG_VERSION_NUMBER",
        "UNEXPECTED_EOF_WHILE_READING",
    ):
        port = target.port
        return (
            f"the server does not speak TLS on port {port} (smtps://); for a server that "
            "offers STARTTLS, use smtp://"
        )
    return f"TLS failed ({exc.reason or exc})"
