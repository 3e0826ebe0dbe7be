"""Stage 1, the feed reader's HTTP client: one request after another for one feed, within
its limits, and a plain-words `FetchFailed` for every way a server can fail us.

One small httpx client per host under one overall limit; connect and read timeouts and a
deadline for the whole feed; retries with backoff on connection errors, 429 and 5xx
(honouring Retry-After); redirects followed by hand, a permanent move noted, an address that
cannot be fetched refused by name; conditional GET; and a size cap that holds through every
layer of compression as the bytes stream in. `feeds` turns what it gets into a `FeedResult`.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import ssl
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import certifi

from newsletter import __version__
from newsletter._httpx import httpx
from newsletter.config import FetchLimits
from newsletter.untrusted import clean_text

USER_AGENT = f"newsletter/{__version__} (+feed reader of a newsroom briefing)"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
# Only what `_Decoder` undoes (httpx would also offer br and zstd when those are installed).
ACCEPT_ENCODING = "gzip, deflate"
_CHUNK = 64 * 1024  # the most one step of decompression may produce
_MAX_LAYERS = 3  # "gzip, gzip" has a use (rarely); a deeper stack is a bomb
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """The knobs of a fetch: the settings' [fetch] limits, and the rest (which newsletter.toml
    does not expose: tests and benchmarks set them)."""

    limits: FetchLimits = field(default_factory=FetchLimits)
    attempts: int = 3
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    max_retry_after: float = 60.0  # a server asking for a longer wait fails the feed for now
    max_redirects: int = 5
    max_bytes: int = 10 * 1024 * 1024
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)

    @classmethod
    def of(cls, limits: FetchLimits) -> FetchOptions:
        """The default options with the settings' limits."""
        return cls(limits=limits)


class FetchFailed(Exception):
    """A feed could not be fetched; `problem` says why in plain words."""

    def __init__(self, problem: str, status: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.status = status


class _Decoder:
    """Undoes the Content-Encoding layers as the body streams in, in steps of at most
    `_CHUNK` bytes at every layer, and stops the moment the decoded size passes the cap: a
    few KB of "gzip, gzip" that would expand to gigabytes never takes more than the cap."""

    def __init__(self, header: str, cap: int, too_big: str) -> None:
        codings = [c.strip().lower() for c in header.split(",") if c.strip()]
        self.layers: list[Any] = []
        for coding in reversed(codings):  # the last one applied is undone first
            if coding == "identity":
                continue
            if coding in {"gzip", "x-gzip"}:
                self.layers.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
            elif coding == "deflate":
                self.layers.append(None)  # zlib-wrapped or raw: decided by its first bytes
            else:
                raise FetchFailed(
                    f"the server compressed the feed as '{clean_text(coding)[:40]}', "
                    "which we did not ask for and cannot read"
                )
        if len(self.layers) > _MAX_LAYERS:
            raise FetchFailed(
                f"the server compressed the feed {len(self.layers)} times over; not read "
                "(a compression bomb, or a broken server)"
            )
        self.cap = cap
        self.too_big = too_big
        self.size = 0
        self.parts: list[bytes] = []

    def feed(self, data: bytes) -> None:
        """Decode the next bytes of the body."""
        try:
            self._push(0, data)
        except zlib.error as exc:
            raise FetchFailed(f"the feed's compressed bytes are damaged ({exc})") from None

    def result(self) -> bytes:
        """The whole decoded body. A compressed body that stops before its end is refused:
        without a Content-Length, that is all a cut connection looks like, and part of a
        feed stored as the whole would lose its other stories silently."""
        if any(layer is not None and not layer.eof for layer in self.layers):
            raise FetchFailed(
                "the feed's compressed bytes end too early (a cut connection, or a broken "
                "server); nothing of it was stored"
            )
        return b"".join(self.parts)

    def _push(self, level: int, data: bytes) -> None:
        if level == len(self.layers):
            self.size += len(data)
            if self.size > self.cap:
                raise FetchFailed(self.too_big)
            self.parts.append(data)
            return
        layer = self.layers[level]
        if layer is None:
            # RFC 9110's deflate is zlib-wrapped; many servers send it raw.
            wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            layer = self.layers[level] = zlib.decompressobj(
                zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS
            )
        while True:
            chunk = layer.decompress(data, _CHUNK)
            data = layer.unconsumed_tail
            if chunk:
                self._push(level + 1, chunk)
            # Less than a full step and no input left: zlib has given all it has.
            if not data and len(chunk) < _CHUNK:
                return


@dataclass(slots=True)
class _Response:
    status: int
    url: str
    headers: dict[str, str]
    body: bytes
    moved_to: str | None
    attempts: int


def _connect_problem(exc: BaseException) -> str:
    """Name the cause of a failed connection: httpx wraps it, the chain still holds it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return "the host name does not exist (DNS lookup failed)"
        if isinstance(seen, ConnectionRefusedError):
            return "the server refused the connection"
        text = str(seen).lower()
        if "name or service not known" in text or "name resolution" in text:
            return "the host name does not exist (DNS lookup failed)"
        if "refused" in text:
            return "the server refused the connection"
        seen = seen.__cause__ or seen.__context__
    return f"cannot connect ({type(exc).__name__})"


def http_problem(status: int) -> str:
    """What an HTTP status other than 200 and 304 means for a feed, in plain words."""
    if status == 404:
        return "HTTP 404: the feed is not at this address any more; check the URL"
    if status == 410:
        return "HTTP 410: the feed was removed for good; take it out of newsletter.toml"
    if status in {401, 403}:
        return f"HTTP {status}: the server refuses to give the feed to us"
    if status == 429:
        return "HTTP 429: the server asks us to slow down; try again later"
    if status >= 500:
        return f"HTTP {status}: the server failed; try again later"
    return f"HTTP {status}: the server did not give the feed"


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if re.fullmatch(r"[0-9]{1,9}", value):  # str.isdigit() would take "²" too
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError, OverflowError):
        return None


async def _vet_redirect(response: httpx.Response) -> None:
    """Refuse a redirect to an address we would not fetch, naming it.

    httpx reads a redirect's Location as soon as the answer arrives, even when it is not
    asked to follow it, and fails on "javascript:x" with a message about URL paths; response
    hooks run just before that, so the problem can be said in plain words here."""
    if not response.has_redirect_location:
        return
    location = response.headers["location"]
    try:
        target = urljoin(str(response.request.url), location)
    except ValueError as exc:
        raise FetchFailed(
            f"redirected to an address that cannot be fetched: {_quote(location)} ({exc})",
            response.status_code,
        ) from None
    if not target.startswith(("http://", "https://")):
        raise FetchFailed(
            f"redirected to an address that is not http(s): {_quote(target)}",
            response.status_code,
        )
    _check_address(target, "redirected to an address that cannot be fetched")


def _check_address(url: str, what: str = "the address cannot be fetched") -> None:
    """Refuse an address no request can reach (a port past 65535, no host, a host name
    that cannot be encoded) with a plain problem, before httpx fails on it in its own way."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port out of range
        if not parts.hostname:
            raise ValueError("no host name")
        httpx.URL(url).host  # noqa: B018  # the host is decoded (IDNA) only when read
        if port == 0:
            raise ValueError("port 0")
    except (ValueError, UnicodeError, httpx.InvalidURL) as exc:
        raise FetchFailed(f"{what}: {_quote(url)} ({clean_text(str(exc))[:120]})") from None


def _quote(url: str) -> str:
    """An address from a server, short and clean enough to show in the health table, and
    without the user name and password it may carry."""
    text = re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#@]*@", r"\1", clean_text(url))
    return text if len(text) <= 100 else text[:99] + "…"


class _Clock:
    """A feed's deadline: it starts when the feed's first request is sent (not while it
    waits for a free slot behind other feeds) and covers its redirects and retries."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started: float | None = None

    def deadline(self) -> float:
        """The event loop time by which the feed must be done."""
        if self.started is None:
            self.started = asyncio.get_running_loop().time()
        return self.started + self.seconds


class Fetcher:
    """One small httpx client per host, under one overall limit.

    httpcore's pool scans every connection for every queued request; with a hundred feeds in
    flight through one client that scan cost more CPU than the requests themselves. A pool
    per host stays as small as the per-host limit, which also makes that limit exact.
    """

    def __init__(self, options: FetchOptions) -> None:
        self.options = options
        self.total = asyncio.Semaphore(options.limits.concurrency)
        self.clients: dict[str, tuple[httpx.AsyncClient, asyncio.Semaphore]] = {}
        self._tls: ssl.SSLContext | None = None

    def _client(self, url: str) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        """The host's client, and the slot a request must hold before it takes an overall one."""
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc.lower()}"
        known = self.clients.get(host)
        if known is None:
            tls: ssl.SSLContext | bool = False  # a client per scheme: an http one never does TLS
            if parts.scheme == "https":
                if self._tls is None:
                    # httpx would load the CA bundle (~15 ms) for every client; do it once.
                    self._tls = ssl.create_default_context(cafile=certifi.where())
                tls = self._tls
            limits = httpx.Limits(
                max_connections=self.options.limits.per_host,
                max_keepalive_connections=self.options.limits.per_host,
            )
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(
                    self.options.limits.read_timeout, connect=self.options.limits.connect_timeout
                ),
                limits=limits,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": ACCEPT,
                    "Accept-Encoding": ACCEPT_ENCODING,
                },
                trust_env=False,
                verify=tls,
                event_hooks={"response": [_vet_redirect]},
            )
            known = self.clients[host] = (client, asyncio.Semaphore(self.options.limits.per_host))
        return known

    async def aclose(self) -> None:
        """Close every client."""
        await asyncio.gather(*(client.aclose() for client, _ in self.clients.values()))

    async def _once(
        self, url: str, headers: dict[str, str], clock: _Clock
    ) -> tuple[httpx.Response, bytes]:
        """One request, body read with the size cap; no redirects followed here."""
        _check_address(url)
        client, host_slots = self._client(url)
        # The host's slot first: a request queued behind its own host must not hold one of
        # the overall slots meanwhile, or a few busy hosts would keep the others waiting.
        async with host_slots, self.total:
            try:
                async with asyncio.timeout_at(clock.deadline()):
                    return await self._request(client, url, headers)
            except TimeoutError:
                raise FetchFailed(self._too_slow()) from None

    async def _request(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str]
    ) -> tuple[httpx.Response, bytes]:
        request = client.build_request("GET", url, headers=headers)
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            if response.status_code == 304:
                # Has no body; reading its end lets the connection serve the next feed.
                await response.aread()
                return response, b""
            if response.status_code != 200:
                return response, b""  # closed by the finally below
            declared = response.headers.get("content-length", "")
            cap = self.options.max_bytes
            if declared.isdigit() and int(declared) > cap:
                raise FetchFailed(self._too_big(), response.status_code)
            decoder = _Decoder(response.headers.get("content-encoding", ""), cap, self._too_big())
            received = 0
            # Raw bytes, decoded here: httpx's own decoder inflates a whole chunk at once.
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received > cap:
                    raise FetchFailed(self._too_big(), response.status_code)
                decoder.feed(chunk)
            return response, decoder.result()
        except FetchFailed as failure:
            failure.status = failure.status or response.status_code
            raise
        finally:
            await response.aclose()

    def _too_slow(self) -> str:
        return (
            f"the server took more than {self.options.limits.deadline:g} s to send the feed; "
            "gave up "
            "(a longer [fetch] deadline in newsletter.toml waits longer)"
        )

    def _too_big(self) -> str:
        cap = self.options.max_bytes
        size = f"{cap / (1024 * 1024):g} MB" if cap >= 1024 * 1024 else f"{cap / 1024:g} KB"
        return f"the feed is larger than {size}; not read (a feed this big is probably wrong)"

    async def _with_retries(
        self, url: str, headers: dict[str, str], clock: _Clock
    ) -> tuple[httpx.Response, bytes, int]:
        options = self.options
        for attempt in range(1, options.attempts + 1):
            last = attempt == options.attempts
            wait = options.backoff * 2 ** (attempt - 1) * (1 + random.random() / 4)
            try:
                response, body = await self._once(url, headers, clock)
            except httpx.TimeoutException as exc:
                # A slow server is not retried: waiting twice as long rarely helps.
                raise FetchFailed(
                    "timed out connecting to the server"
                    if isinstance(exc, httpx.ConnectTimeout)
                    else "the server took too long to answer (timeout)"
                ) from None
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                problem = _connect_problem(exc)
                if last or "DNS" in problem:
                    raise FetchFailed(problem) from None
                await self._sleep(wait, clock)
                continue
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError, UnicodeError) as exc:
                # httpx reads a redirect's Location as it receives the answer, before we see
                # it: a Location such as "javascript:x" or "http://[::1" fails there.
                raise FetchFailed(
                    "the server redirects to an address that cannot be fetched "
                    f"({clean_text(str(exc))[:120]})"
                ) from None
            except httpx.HTTPError as exc:
                raise FetchFailed(
                    f"the request failed ({type(exc).__name__}: {clean_text(str(exc))[:200]})"
                ) from None
            if response.status_code in _RETRY_STATUSES:
                asked = _retry_after(response.headers)
                if asked is not None and asked > options.max_retry_after:
                    raise FetchFailed(
                        f"{http_problem(response.status_code)} (it asks us to wait {asked:.0f} s)",
                        response.status_code,
                    )
                if last:
                    raise FetchFailed(http_problem(response.status_code), response.status_code)
                await self._sleep(asked if asked is not None else wait, clock)
                continue
            return response, body, attempt
        raise AssertionError("unreachable")  # pragma: no cover

    async def _sleep(self, seconds: float, clock: _Clock) -> None:
        """Wait before a retry, unless the wait would run past the feed's deadline."""
        if asyncio.get_running_loop().time() + seconds >= clock.deadline():
            raise FetchFailed(self._too_slow())
        await asyncio.sleep(seconds)

    async def get(self, url: str, headers: dict[str, str]) -> _Response:
        """GET with retries, following redirects by hand (loops stopped, permanence noted)."""
        seen = {url}
        permanent = True
        current = url
        attempts = 0
        clock = _Clock(self.options.limits.deadline)
        for _ in range(self.options.max_redirects + 1):
            response, body, tries = await self._with_retries(current, headers, clock)
            attempts += tries
            if response.status_code not in _REDIRECTS:
                moved = current if permanent and current != url else None
                return _Response(
                    response.status_code,
                    current,
                    dict(response.headers),
                    body,
                    moved,
                    attempts,
                )
            location = response.headers.get("location", "")
            if not location:
                raise FetchFailed(
                    f"HTTP {response.status_code} redirect without a Location",
                    response.status_code,
                )
            permanent = permanent and response.status_code in _PERMANENT
            current = urljoin(current, location)
            if not current.startswith(("http://", "https://")):
                raise FetchFailed(
                    f"redirected to an address that is not http(s): {_quote(current)}"
                )
            if current in seen:
                raise FetchFailed("the server redirects in a loop", response.status_code)
            seen.add(current)
        raise FetchFailed(f"more than {self.options.max_redirects} redirects; not followed")
