"""Stage 4 (delivery), the .eml message: a `RenderedIssue` → a MIME multipart/alternative email.

Built with the standard library's `email` package (text part first, HTML second, as RFC 2046
orders them by preference), both parts quoted-printable in lines of at most 76 characters
(RFC 2045) and every header folded at 78 but a Subject in ASCII. The message carries what mail
clients and services read from a list: `Content-Language`, `List-Id` (RFC 2919) and a one-click
`List-Unsubscribe` with an https link and a mailto (RFC 2369, RFC 8058). Date and Message-ID come
from the issue, not the clock, and the MIME boundary from the content, so the same issue always
gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, time
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr, quote
from urllib.parse import quote as quote_url

from newsletter.config import Settings
from newsletter.models import RenderedIssue

# RFC 2045 limits quoted-printable lines to 76 characters; the encoder is told this length.
BODY_LINE = 76
# RFC 5322's advice for header lines, before the CRLF.
HEADER_LINE = 78
_LABEL_CHARS = re.compile(r"[^a-z0-9-]+")
# Characters a phrase may hold without quotes (RFC 5322 atext and spaces).
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*")


class _Policy(EmailPolicy):
    """SMTP's policy (CRLF) that leaves a Subject in ASCII on one line.

    RFC 5322 allows 998 characters per line; the standard library's folder would otherwise break
    a long Subject right after "Subject:", which some clients show as a leading space. A Subject
    in other scripts is folded: it is written as encoded words, which RFC 2047 limits to 75
    characters each, and the folds between them vanish when read."""

    def fold_binary(self, name: str, value: str) -> bytes:
        """The header as bytes, folded at `max_line_length`, an ASCII Subject never."""
        if name.lower() == "subject" and value.isascii():
            return EmailPolicy.fold_binary(self.clone(max_line_length=998), name, value)
        return super().fold_binary(name, value)


_BODIES = _Policy(linesep="\r\n", max_line_length=BODY_LINE)
_HEADERS = _BODIES.clone(max_line_length=HEADER_LINE)


def list_id(settings: Settings) -> str:
    """The List-Id (RFC 2919): the newsletter's name, then the sender's address made a dotted
    label, `The Darvana Briefing <briefing.example.org>` for `briefing@example.org`.

    The local part is lower-cased and every run of characters other than a-z, 0-9 and `-`
    becomes `-`, so `Weekly+News@Example.org` gives `weekly-news.example.org`."""
    local, _, domain = parseaddr(settings.sender)[1].rpartition("@")
    label = _LABEL_CHARS.sub("-", local.lower()).strip("-") or "newsletter"
    namespace = domain.lower() or "localhost"
    name = settings.name
    if name.isascii() and not _ATOMS.fullmatch(name):
        name = f'"{quote(name)}"'  # a name in other scripts becomes encoded words instead
    return f"{name} <{label}.{namespace}>"


def unsubscribe_mailto(settings: Settings) -> str:
    """The mailto of List-Unsubscribe: `[delivery] unsubscribe_mailto`, else the sender's
    address, with the subject `unsubscribe`."""
    address = settings.unsubscribe_mailto or parseaddr(settings.sender)[1]
    return f"mailto:{quote_url(address, safe='@!$&*+-._~')}?subject=unsubscribe"


def build_message(rendered: RenderedIssue, settings: Settings, html: str, text: str) -> bytes:
    """The complete message as bytes with CRLF line ends, ready for SMTP or a mail client."""
    issue = rendered.issue
    message = EmailMessage(policy=_BODIES)
    message["Subject"] = rendered.subject
    message["From"] = settings.edition(issue.lang).sender
    message["To"] = "undisclosed-recipients:;"
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    sent = datetime.combine(issue.date, time(6, 0), tzinfo=settings.timezone)
    message["Date"] = format_datetime(sent)
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    slug = Address(addr_spec=f"issue-{issue.number}.{issue.slug}@{domain}").addr_spec
    message["Message-ID"] = f"<{slug}>"
    message["List-Id"] = list_id(settings)
    message["List-Unsubscribe"] = f"<{settings.unsubscribe_url}>, <{unsubscribe_mailto(settings)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # Set once the message is multipart: `set_content` clears every Content-* header, and a
    # single part made multipart takes them with it into the first part.
    message["Content-Language"] = issue.lang
    for part in message.iter_parts():
        del part["MIME-Version"]  # `add_alternative` gives the HTML part one; only the top has it
    # A boundary from the content, not a random one, so rebuilding gives the same bytes.
    digest = hashlib.sha256((text + html).encode("utf-8")).hexdigest()[:32]
    message.set_boundary(f"=_newsletter_{digest}")
    return message.as_bytes(policy=_HEADERS)
