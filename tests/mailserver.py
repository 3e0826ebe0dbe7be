"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, with plain SMTP, STARTTLS or TLS from
the start (a certificate authority made at test time with trustme), an optional login, and
recipients it refuses or a message after which it drops the connection."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    """One message as the server got it: the envelope and the bytes of DATA."""

    sender: str
    recipients: list[str]
    content: bytes


@dataclass
class Inbox:
    """What the server got, and how it misbehaves: refused recipients, dropping the connection
    when the `drop_at`-th message (counting from 1) comes in."""

    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    drop_at: int | None = None
    data_seen: int = 0
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no mailbox by that name here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_seen += 1
        if self.drop_at is not None and self.data_seen >= self.drop_at:
            server.transport.close()  # the line goes dead before the server answers
            return "421 closing"
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 OK"

    @property
    def recipients(self) -> list[str]:
        """Every recipient of every message, in the order they came."""
        return [address for message in self.messages for address in message.recipients]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Authority:
    """A certificate authority made for the test, its certificate as a PEM file, and a server
    certificate for 127.0.0.1 it signed."""

    ca: trustme.CA
    pem: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        return context


def make_authority(folder: Path) -> Authority:
    ca = trustme.CA()
    pem = folder / "test-ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return Authority(ca, pem)


def password_checker(user: str, password: str, echo: bool = False) -> Callable[..., AuthResult]:
    """An aiosmtpd authenticator that lets in one user with one password; with `echo`, a
    careless server that repeats the password it was given in its refusal."""

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == user
            and data.password.decode() == password
        )
        if echo and not ok:
            given = data.password.decode() if isinstance(data, LoginPassword) else ""
            return AuthResult(success=False, handled=False, message=f"535 5.7.8 {given} is wrong")
        return AuthResult(success=ok, handled=False)

    return check


@contextmanager
def mail_server(
    inbox: Inbox,
    *,
    starttls: Authority | None = None,
    implicit_tls: Authority | None = None,
    authenticator: Callable[..., AuthResult] | None = None,
    auth_require_tls: bool = True,
    port: int | None = None,
) -> Iterator[int]:
    """Run an SMTP server on 127.0.0.1 (on `port`, or a free one) for the block; gives its
    port."""
    port = port or free_port()
    options: dict[str, Any] = {}
    if starttls is not None:
        options["tls_context"] = starttls.server_context()
    if authenticator is not None:
        options["authenticator"] = authenticator
        options["auth_require_tls"] = auth_require_tls
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        ssl_context=implicit_tls.server_context() if implicit_tls else None,
        **options,
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
