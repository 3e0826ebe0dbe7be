"""A real web server on 127.0.0.1 for the link check: plain HTTP and TLS (a certificate from
a throwaway authority, which only a client told to trust it trusts), every kind of answer a
link can get, and a log of what was asked."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme


@dataclass
class Answer:
    """What the server answers for one path: a status (`head` for HEAD, when it differs),
    where a redirect goes, a wait before answering, a drip of the answer's bytes."""

    status: int = 200
    location: str | None = None
    head: int | None = None
    delay: float = 0.0
    drip: float = 0.0


@dataclass
class LinkServer:
    """`routes[path]` answers; any other path gets `fallback` (None: 404)."""

    host: str = "127.0.0.1"
    port: int = 0
    tls_port: int = 0
    routes: dict[str, Answer] = field(default_factory=dict)
    fallback: Answer | None = None
    delay: float = 0.0  # before every answer: a far-away server
    asked: list[tuple[str, str, str, str]] = field(default_factory=list)  # method, host, path, UA
    ca_file: Path | None = None

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def tls_url(self, path: str) -> str:
        return f"https://{self.host}:{self.tls_port}{path}"

    def paths(self, method: str | None = None) -> list[str]:
        return [path for m, _, path, _ in self.asked if method in (None, m)]


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops the sixth connection that arrives at once, which the
    # client then sends again a second later: a server slower than any real one.
    request_queue_size = 128
    daemon_threads = True


def _handler(server: LinkServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, method: str) -> None:
            server.asked.append(
                (
                    method,
                    self.headers.get("Host", ""),
                    self.path,
                    self.headers.get("User-Agent", ""),
                )
            )
            answer = server.routes.get(self.path.split("?")[0], server.fallback) or Answer(404)
            time.sleep(server.delay + answer.delay)
            status = answer.head if method == "HEAD" and answer.head else answer.status
            body = b"<!doctype html><title>page</title><p>A page.</p>\n"
            head = f"HTTP/1.1 {status} Answer\r\n"
            if answer.location is not None:
                head += f"Location: {answer.location}\r\n"
            head += f"Content-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n"
            data = head.encode() + (b"" if method == "HEAD" else body)
            try:
                if answer.drip:
                    for byte in data[:200]:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(answer.drip)
                else:
                    self.wfile.write(data)
            except OSError:
                pass

        def do_HEAD(self) -> None:
            self._answer("HEAD")

        def do_GET(self) -> None:
            self._answer("GET")

    return Handler


@contextmanager
def link_server(folder: Path, host: str = "127.0.0.1") -> Iterator[LinkServer]:
    """Start the plain and the TLS server on `host` (a loopback address); the authority's
    certificate goes to `folder`."""
    state = LinkServer(host=host)
    plain = _Server((host, 0), _handler(state))
    secure = _Server((host, 0), _handler(state))
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("example.org", "localhost", "127.0.0.1").configure_cert(context)
    secure.socket = context.wrap_socket(secure.socket, server_side=True)
    state.ca_file = folder / f"test-authority-{host}.pem"
    authority.cert_pem.write_to_path(str(state.ca_file))
    state.port, state.tls_port = plain.server_address[1], secure.server_address[1]
    for server in (plain, secure):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        for server in (plain, secure):
            server.shutdown()
            server.server_close()
