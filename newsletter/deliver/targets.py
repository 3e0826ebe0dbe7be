"""Stage 4 (delivery), where a send goes: the `--to` text of `newsletter send` → a frozen
target. The one place that knows which targets exist: a mail server for test copies,
`smtp://HOST:PORT` (STARTTLS when the server offers it) or `smtps://HOST:PORT` (TLS from the
first byte), as a `Target`; a folder for a mail service's hand-off bundle (`dir:PATH`, a
`DirTarget`); or a mail service's API for a draft campaign (`listmonk+https://…`,
`buttondown+https://…`, a `ServiceTarget`). Anything else is refused with a message naming
the accepted forms, so a new kind of target is one more branch here.

A token goes to a service only over https; plain http is allowed to the loopback address
alone, where a local or tunnelled instance (and the tests' server) listens.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from newsletter.errors import NewsletterError

Scheme = Literal["smtp", "smtps"]
DEFAULT_PORTS: dict[str, int] = {"smtp": 25, "smtps": 465}
ACCEPTED = "smtp://HOST:PORT or smtps://HOST:PORT"
SERVICES = ("listmonk", "buttondown")

TARGET_FORMS: tuple[str, ...] = (
    "dir:PATH",
    "listmonk+https://HOST[/PATH]?list=ID[&list=ID…][&template=ID]",
    "buttondown+https://api.buttondown.com",
)

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class TargetError(NewsletterError, ValueError):
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


def parse_target(text: str) -> Target | DirTarget | ServiceTarget:
    """The target a `--to` value names; `TargetError` when it names none we know."""
    if not text.lower().startswith(("smtp:", "smtps:")):
        return parse_handoff(text)
    return parse_mail_server(text)


def parse_mail_server(text: str) -> Target:
    """A mail server named as smtp://HOST:PORT or smtps://HOST:PORT; `TargetError` else."""
    scheme, colon, _ = text.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in DEFAULT_PORTS or not text[len(scheme) :].startswith("://"):
        shown = _without_userinfo(text) if "://" in text else text
        raise TargetError(
            f"unsupported target '{shown}': use {ACCEPTED}, or {', '.join(TARGET_FORMS)}"
        )
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


@dataclass(frozen=True, slots=True)
class DirTarget:
    """A folder to write the hand-off bundle in (the bundle goes to PATH/<slug>/)."""

    path: Path


@dataclass(frozen=True, slots=True)
class ServiceTarget:
    """A mail service's API: which service, its base address (scheme, host, any path
    prefix; no query), and for listmonk the list ids and the campaign template id."""

    service: str
    base_url: str
    lists: tuple[int, ...] = ()
    template_id: int | None = None

    @property
    def label(self) -> str:
        """The target as messages name it: service and base address, never a credential."""
        return f"{self.service} at {self.base_url}"


def parse_handoff(text: str) -> DirTarget | ServiceTarget:
    """The hand-off target `text` names, or a `TargetError` listing the forms accepted."""
    if text.startswith("dir:"):
        path = text[len("dir:") :]
        if not path:
            raise TargetError("--to dir: needs a folder after the colon, e.g. dir:out/")
        return DirTarget(Path(path))
    service, plus, url = text.partition("+")
    if plus and service in SERVICES:
        return _service_target(service, url)
    shown = _without_userinfo(text) if "://" in text else text
    raise TargetError(f"unsupported target '{shown}': use {ACCEPTED}, or {', '.join(TARGET_FORMS)}")


def _service_target(service: str, url: str) -> ServiceTarget:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in {"https", "http"} or not host:
        raise TargetError(
            f"{service}+ needs an https address with a host, e.g. {service}+https://HOST"
        )
    if parts.scheme == "http" and host not in _LOOPBACK:
        raise TargetError(
            f"refusing to send the {service} token to {host} over plain http; use https"
        )
    if parts.username or parts.password:
        raise TargetError(
            f"put no credentials in the {service} address; they come from the environment"
        )
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    if service == "buttondown":
        if query:
            raise TargetError("a buttondown+ address takes no query (?…)")
        base = base.removesuffix("/v1")
        return ServiceTarget(service, base)
    return _listmonk_target(base.removesuffix("/api"), query)


def _listmonk_target(base: str, query: list[tuple[str, str]]) -> ServiceTarget:
    lists: list[int] = []
    template: int | None = None
    for key, value in query:
        if key not in {"list", "template"}:
            raise TargetError(
                f"unknown '{key}' in the listmonk address: it takes list=ID and template=ID"
            )
        for item in value.split(","):
            if not item.strip().isdecimal() or not item.strip().isascii():
                raise TargetError(
                    f"listmonk {key} ids are numbers (Lists and Templates show them), "
                    f"found '{item}'"
                )
            if key == "list":
                lists.append(int(item))
            else:
                template = int(item)
    if not lists:
        raise TargetError(
            "listmonk needs the lists the campaign is for: add ?list=ID (several with "
            "&list=ID) to the address"
        )
    return ServiceTarget("listmonk", base, tuple(dict.fromkeys(lists)), template)
