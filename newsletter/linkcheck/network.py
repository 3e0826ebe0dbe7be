"""Pre-send checks, the link prober's wire: one HTTP/1.1 request and its answer's status
and headers, with h11 over asyncio's own streams.

Not httpx, which the fetcher uses: a link check is nothing but header-only requests, and
httpx with httpcore spent 0.8 ms of CPU on each (cookies, its models, anyio's cancel scopes
around every read), five times what h11 over asyncio spends; for a few hundred links that
was more than the servers' own time. Bodies are never read: after a GET's headers the
connection is closed, after a HEAD it is kept for the next link to the same host.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl

import h11


def _readable(sock: socket.socket) -> bool:
    """True when an idle connection has something to read: the server closed it (or sent
    what it should not have); either way it cannot carry another request."""
    try:
        if hasattr(select, "poll"):
            poll = select.poll()
            poll.register(sock, select.POLLIN)
            return bool(poll.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class WireTimeout(Exception):
    """The server did not accept a connection, or did not answer, in time."""


class BrokeOff(Exception):
    """The server closed the connection or answered something that is not HTTP/1.1."""


class Connection:
    """One connection to a server, asked one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._h11 = h11.Connection(h11.CLIENT)
        self.used = False

    def reusable(self) -> bool:
        """True when the last exchange ended cleanly and the server has not closed the
        connection since (an idle connection a server dropped reads as readable)."""
        if self._h11.our_state is not h11.DONE or self._h11.their_state is not h11.DONE:
            return False
        sock = self._writer.get_extra_info("socket")
        return sock is not None and not _readable(sock)

    def close(self) -> None:
        """Close without waiting for the server."""
        self._writer.close()

    async def ask(
        self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], timeout: float
    ) -> tuple[int, list[tuple[bytes, bytes]]]:
        """Send one request and read its answer's status and headers (and, for HEAD, its
        empty end); `timeout` for each wait on the server."""
        if self.used:
            self._h11.start_next_cycle()
        self.used = True
        try:
            self._writer.write(
                self._h11.send(h11.Request(method=method, target=target, headers=headers))
                + self._h11.send(h11.EndOfMessage())
            )
            async with asyncio.timeout(timeout):
                await self._writer.drain()
            answer: h11.Response | None = None
            while True:
                event = self._h11.next_event()
                if event is h11.NEED_DATA:
                    async with asyncio.timeout(timeout):
                        self._h11.receive_data(await self._reader.read(65536))
                elif isinstance(event, h11.Response):
                    answer = event
                    if method != "HEAD":
                        return answer.status_code, list(answer.headers)
                elif isinstance(event, h11.EndOfMessage) and answer is not None:
                    return answer.status_code, list(answer.headers)
                elif isinstance(event, h11.ConnectionClosed):
                    raise BrokeOff("ConnectionClosed")
                # InformationalResponse (1xx), Data: read on
        except TimeoutError:
            raise WireTimeout("the server took too long to answer (timeout)") from None
        except h11.RemoteProtocolError as exc:
            raise BrokeOff(f"RemoteProtocolError: {exc}") from None
        except (ConnectionError, EOFError) as exc:
            raise BrokeOff(type(exc).__name__) from None


async def connect(
    ip: str,
    port: int,
    *,
    tls: ssl.SSLContext | None,
    server_hostname: str,
    timeout: float,
) -> Connection:
    """A connection to a vetted address; TLS, when `tls` is given, verified for
    `server_hostname` (the link's own host, whatever address it is reached at)."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                ip,
                port,
                ssl=tls,
                server_hostname=server_hostname if tls is not None else None,
            )
    except TimeoutError:
        raise WireTimeout(f"the server did not take the connection within {timeout:g} s") from None
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Connection(reader, writer)
