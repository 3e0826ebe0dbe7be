"""Stage 4 (delivery), where a send goes: the `--to` text of `newsletter send` → a frozen
`Target`. The one place that knows which targets exist: today a mail server, `smtp://HOST:PORT`
(STARTTLS when the server offers it) or `smtps://HOST:PORT` (TLS from the first byte). Anything
else is refused with a message naming the accepted forms, so a new kind of target is one more
branch here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

Scheme = Literal["smtp", "smtps"]
DEFAULT_PORTS: dict[str, int] = {"smtp": 25, "smtps": 465}
ACCEPTED = "smtp://HOST:PORT or smtps://HOST:PORT"


class TargetError(ValueError):
    """A `--to` value that names no target we can send to; the message says what is accepted.
    It never repeats a password written into the address."""


@dataclass(frozen=True, slots=True)
class Target:
    """A mail server to send through: `smtps` speaks TLS from the first byte, `smtp` upgrades
    with STARTTLS when offered."""

    scheme: Scheme
    host: str
    port: int

    @property
    def address(self) -> str:
        """The target written out in full, `smtp://127.0.0.1:8025`: how sends are recorded."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def implicit_tls(self) -> bool:
        """True for smtps://, where the connection is TLS before the server's greeting."""
        return self.scheme == "smtps"

    @property
    def is_loopback(self) -> bool:
        """True for this machine (localhost, 127.0.0.0/8, ::1): no one can listen in between."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def __str__(self) -> str:
        return self.address


def parse_target(text: str) -> Target:
    """The target a `--to` value names; `TargetError` when it names none we know."""
    scheme, colon, _ = text.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in DEFAULT_PORTS or not text[len(scheme) :].startswith("://"):
        shown = _without_userinfo(text) if "://" in text else text
        raise TargetError(f"unsupported target '{shown}': use {ACCEPTED}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise TargetError(
            f"'{_without_userinfo(text)}' has no valid port: use {ACCEPTED} (port 1 to 65535)"
        ) from None
    if parts.username is not None or parts.password is not None:
        raise TargetError(
            f"{scheme}:// addresses carry no user or password: set NEWSLETTER_SMTP_USER and "
            "NEWSLETTER_SMTP_PASSWORD in the environment instead"
        )
    if not parts.hostname:
        raise TargetError(f"'{text}' names no host: use {ACCEPTED}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise TargetError(f"'{text}' has more than a host and port: use {ACCEPTED}")
    if port == 0:
        raise TargetError(f"'{text}' has no valid port: use {ACCEPTED} (port 1 to 65535)")
    resolved: Scheme = "smtps" if scheme == "smtps" else "smtp"
    return Target(resolved, parts.hostname.lower(), port or DEFAULT_PORTS[scheme])


def _without_userinfo(text: str) -> str:
    scheme, _, rest = text.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


def parse_recipient(text: str) -> str:
    """A recipient given as a bare address (`me@example.org`); `TargetError` for anything
    else, such as a name with the address or two addresses in one."""
    local, at, domain = text.rpartition("@")
    if (
        not at
        or not local
        or not domain
        or "@" in local
        or not text.isascii()
        or not text.isprintable()
        or any(char in text for char in ' <>(),;:"[]\\')
    ):
        raise TargetError(f"expected a bare email address such as me@example.org, found '{text}'")
    return text
