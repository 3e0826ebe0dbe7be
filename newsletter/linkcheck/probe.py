"""Pre-send checks, the link prober: one address of an email → a `LinkCheck`, by asking its
server, politely.

HEAD first; GET (headers only, the body never read) when a server refuses HEAD or answers
it with an error, since many servers answer HEAD wrongly. Redirects are followed by hand, a
loop stopped, a permanent move reported with where it ends. Every host is resolved before it
is asked: an address in the loopback, a private or a reserved range is not asked at all
unless `allow_private`, so an issue file cannot make the tool probe the newsroom's network.
Idle connections are kept per host (`network` speaks HTTP), at most `per_host` requests go
to one server at once, and one deadline holds for a link's whole time, redirects included.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import certifi

from newsletter import __version__
from newsletter._httpx import httpx
from newsletter.linkcheck import network
from newsletter.models import LinkCheck
from newsletter.untrusted import clean_text

USER_AGENT = f"newsletter/{__version__} (+link check of a newsroom briefing)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
# Answers that say the server would not tell us, not that the page is gone: a paywall, a
# bot wall, a rate limit. Readers in a browser may well see the page.
_DOUBTFUL = frozenset({401, 403, 429, 451, 999})
MAX_REDIRECTS = 10
_NO_NAME = "the host name does not exist (DNS lookup failed)"


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    """How hard the prober may press on servers: the fetcher's limits and the link's time."""

    per_host: int = 8
    concurrency: int = 64
    connect_timeout: float = 10.0
    read_timeout: float = 15.0
    timeout: float = 15.0  # a link's whole time, redirects included
    allow_private: bool = False
    # Where to connect instead, as curl's --connect-to: (host, port) → (host, port). The
    # request still names, and TLS still verifies, the address's own host.
    connect_to: tuple[tuple[str, int, str, int], ...] = ()


class _Stop(Exception):
    """A link's check ends here with this verdict and detail."""

    def __init__(
        self, verdict: str, detail: str, status: int | None = None, *, try_get: bool = False
    ) -> None:
        super().__init__(detail)
        self.verdict, self.detail, self.status = verdict, detail, status
        self.try_get = try_get  # a HEAD the server may mishandle: GET may still work


def _quote(url: str) -> str:
    text = clean_text(url)
    return text if len(text) <= 120 else text[:119] + "…"


def _unusable(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address outside the public internet: loopback, private, link-local,
    shared (carrier NAT), reserved, multicast, unspecified."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _failure(exc: BaseException) -> str:
    """What went wrong on the way to a server, in plain words (httpx wraps the cause)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            reason = seen.verify_message or "not trusted"
            return f"TLS: the server's certificate cannot be trusted ({reason})"
        if isinstance(seen, ssl.SSLError):
            return f"TLS: the secure connection failed ({seen.reason or 'handshake'})"
        if isinstance(seen, ConnectionRefusedError):
            return "the server refused the connection"
        text = str(seen)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return "TLS: the server's certificate cannot be trusted"
        if "refused" in text.lower():
            return "the server refused the connection"
        seen = seen.__cause__ or seen.__context__
    return f"cannot connect ({type(exc).__name__})"


def _status_verdict(status: int) -> tuple[str, str]:
    """The verdict and the plain words for a final HTTP status that is not a redirect."""
    if 200 <= status < 300:
        return "ok", f"HTTP {status}"
    if status == 404:
        return "broken", "HTTP 404: no page at this address"
    if status == 410:
        return "broken", "HTTP 410: the page was removed for good"
    if status in _DOUBTFUL:
        return (
            "doubtful",
            f"HTTP {status}: the server would not show the page to a program; "
            "open it in a browser to be sure",
        )
    if status >= 500:
        return "broken", f"HTTP {status}: the server failed"
    return "broken", f"HTTP {status}: the server did not give the page"


class Prober:
    """Checks addresses under one overall limit and a limit per host; close with `aclose`."""

    def __init__(self, options: ProbeOptions) -> None:
        self.options = options
        self.total = asyncio.Semaphore(options.concurrency)
        self.hosts: dict[tuple[str, str, int], _Host] = {}
        self.resolved: dict[tuple[str, int], asyncio.Future[list[str]]] = {}
        self.lookups: dict[tuple[str, int], str] = {}  # why a name did not resolve
        self._tls: ssl.SSLContext | None = None

    def _host(self, scheme: str, host: str, port: int) -> _Host:
        key = (scheme, host, port)
        known = self.hosts.get(key)
        if known is None:
            known = self.hosts[key] = _Host(asyncio.Semaphore(self.options.per_host))
        return known

    def _tls_context(self) -> ssl.SSLContext:
        # Loading the authorities takes as long as a dozen plain requests: once, and only
        # when a link is https.
        if self._tls is None:
            # SSL_CERT_FILE, as OpenSSL and httpx read it: a newsroom's own authority.
            self._tls = ssl.create_default_context(
                cafile=os.environ.get("SSL_CERT_FILE") or certifi.where()
            )
        return self._tls

    async def aclose(self) -> None:
        """Close every connection still open."""
        for known in self.hosts.values():
            for connection in known.idle:
                connection.close()
            known.idle.clear()

    async def _addresses(self, host: str, port: int) -> list[str]:
        """The host's addresses, looked up once per run however many links it has."""
        future = self.resolved.get((host, port))
        if future is None:
            future = asyncio.ensure_future(self._lookup(host, port))
            self.resolved[(host, port)] = future
        return await asyncio.shield(future)

    async def _lookup(self, host: str, port: int) -> list[str]:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            if exc.errno not in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
                self.lookups[(host, port)] = (
                    f"the host name could not be looked up (DNS: {exc.strerror}); "
                    "is this machine offline?"
                )
            return []
        except (UnicodeError, OSError):
            return []
        return sorted({str(info[4][0]) for info in infos})

    async def addresses(self, host: str, port: int) -> list[str]:
        """Where a connection to host:port may go: its addresses (after `connect_to`), or
        `_Stop` when the name does not resolve or points into a private network."""
        for name, number, to_host, to_port in self.options.connect_to:
            if (name.lower(), number) == (host.lower(), port):
                host, port = to_host, to_port
                break
        try:
            found = [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            found = await self._addresses(host, port)
            if not found:
                raise _Stop("broken", self.lookups.get((host, port), _NO_NAME)) from None
        private = [a for a in found if _unusable(ipaddress.ip_address(a.split("%")[0]))]
        if private and not self.options.allow_private:
            raise _Stop(
                "refused",
                f"{host} is at {private[0]}, a private or local address: not tried "
                "(--allow-private tries it)",
            )
        return [f"{a}:{port}" for a in found]

    @staticmethod
    def _vet(url: str) -> httpx.URL:
        """An address that can be asked, parsed, or `_Stop` saying why not."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  # raises for a port out of range
            parsed = httpx.URL(url)  # host in IDNA, path and query percent-encoded
        except (ValueError, UnicodeError, httpx.InvalidURL) as exc:
            raise _Stop("broken", f"not an address a browser can open ({exc})") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise _Stop("broken", f"redirects to an address that is not http(s): {_quote(url)}")
        return parsed

    async def _connect(self, scheme: str, host: str, port: int) -> network.Connection:
        """A new connection to the first of the host's vetted addresses that takes it."""
        tls = self._tls_context() if scheme == "https" else None
        failure: OSError | None = None
        for address in await self.addresses(host, port):
            ip, _, number = address.rpartition(":")
            try:
                return await network.connect(
                    ip,
                    int(number),
                    tls=tls,
                    server_hostname=host,
                    timeout=self.options.connect_timeout,
                )
            except OSError as exc:  # refused, unreachable, TLS (ssl.SSLError is one)
                failure = exc
        assert failure is not None
        raise failure

    async def _ask(self, method: str, url: str, deadline: list[float]) -> tuple[int, str]:
        """One request: the answer's status and Location header; the body is never read."""
        parsed = self._vet(url)
        scheme, host = parsed.scheme, parsed.raw_host.decode("ascii")
        port = parsed.port or (443 if scheme == "https" else 80)
        known = self._host(scheme, host, port)
        headers = [
            (b"Host", parsed.netloc),
            (b"User-Agent", USER_AGENT.encode()),
            (b"Accept", b"*/*"),
        ]
        async with known.slots, self.total:
            loop = asyncio.get_running_loop()
            if not deadline:  # the link's time starts with its first request, not its queue
                deadline.append(loop.time() + self.options.timeout)
            try:
                async with asyncio.timeout_at(deadline[0]):
                    return await self._exchange(known, method, parsed, headers)
            except TimeoutError:
                raise _Stop(
                    "broken",
                    f"no whole answer within {self.options.timeout:g} s "
                    "([links] timeout in newsletter.toml waits longer)",
                ) from None
            except network.WireTimeout as exc:
                raise _Stop("broken", str(exc)) from None
            except network.BrokeOff as exc:
                raise _Stop(
                    "broken",
                    f"the server broke off its answer ({str(exc).split(':')[0]})",
                    try_get=method == "HEAD",
                ) from None
            except OSError as exc:
                raise _Stop("broken", _failure(exc)) from None

    async def _exchange(
        self,
        known: _Host,
        method: str,
        parsed: httpx.URL,
        headers: list[tuple[bytes, bytes]],
    ) -> tuple[int, str]:
        scheme, host = parsed.scheme, parsed.raw_host.decode("ascii")
        port = parsed.port or (443 if scheme == "https" else 80)
        while True:
            connection = known.idle.pop() if known.idle else None
            if connection is not None and not connection.reusable():
                connection.close()
                continue
            reused = connection is not None
            if connection is None:
                connection = await self._connect(scheme, host, port)
            try:
                status, answer = await connection.ask(
                    method, parsed.raw_path, headers, self.options.read_timeout
                )
            except network.BrokeOff:
                connection.close()
                if reused:  # the server dropped an idle connection as we used it: anew
                    continue
                raise
            except BaseException:
                connection.close()
                raise
            if connection.reusable():
                known.idle.append(connection)
            else:
                connection.close()
            location = next((v for k, v in answer if k.lower() == b"location"), b"")
            return status, location.decode("latin-1")

    async def _hop(self, url: str, deadline: list[float]) -> tuple[int, str]:
        """HEAD, and GET when the server refuses HEAD or answers it with an error."""
        try:
            answer = await self._ask("HEAD", url, deadline)
        except _Stop as stop:
            if not stop.try_get:
                raise
        else:
            if answer[0] < 400:
                return answer
        return await self._ask("GET", url, deadline)

    async def check(self, url: str) -> LinkCheck:
        """Try one http(s) address; never raises for anything a server or the network does."""
        deadline: list[float] = []
        current, seen, permanent, status = url, {url}, None, None
        try:
            for _ in range(MAX_REDIRECTS + 1):
                status, location = await self._hop(current, deadline)
                if status not in _REDIRECTS or not location:
                    verdict, detail = _status_verdict(status)
                    if current != url:
                        detail = f"redirected to {_quote(current)}, which answers {detail}"
                    if verdict == "ok" and permanent:
                        return self._done(
                            url,
                            "moved",
                            status,
                            current,
                            f"moved for good (HTTP {permanent}) to {_quote(current)}: "
                            "link to the new address",
                        )
                    if verdict == "ok" and current != url:
                        detail = f"redirected to {_quote(current)} (HTTP {status})"
                    return self._done(url, verdict, status, current, detail)
                if permanent is None and current == url:
                    permanent = status if status in _PERMANENT else 0
                try:
                    current = urljoin(current, location)
                except ValueError:
                    raise _Stop(
                        "broken", f"redirects to an address that cannot be read: {_quote(location)}"
                    ) from None
                if current in seen:
                    raise _Stop("broken", "the server redirects in a loop", status)
                seen.add(current)
            raise _Stop("broken", f"more than {MAX_REDIRECTS} redirects; not followed", status)
        except _Stop as stop:
            return self._done(url, stop.verdict, stop.status or status, None, stop.detail)

    @staticmethod
    def _done(
        url: str, verdict: str, status: int | None, final: str | None, detail: str
    ) -> LinkCheck:
        return LinkCheck(url, verdict, status, final, detail, datetime.now(UTC))


@dataclass
class _Host:
    """One server (scheme, host, port): its share of the per-host limit and its idle
    connections."""

    slots: asyncio.Semaphore
    idle: list[network.Connection] = field(default_factory=list)
