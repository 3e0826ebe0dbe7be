"""Stage 4 (delivery), the .eml message: a `RenderedIssue` → a MIME multipart/alternative email.

Built with the standard library's `email` package (text part first, HTML second, as RFC 2046
orders them by preference). Date and Message-ID come from the issue, not the clock, so the same
issue always gives the same bytes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from newsletter.config import Settings
from newsletter.models import RenderedIssue


def build_message(rendered: RenderedIssue, settings: Settings, html: str, text: str) -> bytes:
    """The complete message as bytes with CRLF line ends, ready for SMTP or a mail client."""
    issue = rendered.issue
    # Long subjects stay on one line (RFC 5322 allows 998 characters): the stdlib folder
    # otherwise breaks right after "Subject:", which some clients show as a leading space.
    message = EmailMessage(policy=SMTP.clone(max_line_length=998))
    message["Subject"] = rendered.subject
    message["From"] = settings.sender
    message["To"] = "undisclosed-recipients:;"
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    sent = datetime.combine(issue.date, time(6, 0), tzinfo=settings.timezone)
    message["Date"] = format_datetime(sent)
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    slug = Address(addr_spec=f"issue-{issue.number}.{issue.slug}@{domain}").addr_spec
    message["Message-ID"] = f"<{slug}>"
    message["List-Unsubscribe"] = f"<{settings.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Content-Language"] = issue.lang
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # A boundary from the content, not a random one, so rebuilding gives the same bytes.
    digest = hashlib.sha256((text + html).encode("utf-8")).hexdigest()[:32]
    message.set_boundary(f"=_newsletter_{digest}")
    return message.as_bytes()
