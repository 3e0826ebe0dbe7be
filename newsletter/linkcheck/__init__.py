"""Pre-send checks, the link check: the addresses of finished emails → a `LinkCheck` each,
and the problems they make at the places the links were written.

Addresses that need no server are judged here: the mail service's placeholders (unsubscribe,
view in browser) are skipped and said so, a `mailto:` is checked for its syntax, another
scheme is skipped. The rest are tried once per run by `probe.Prober`, unless the store
remembers a check of the same address younger than `[links] cache_hours`; what is tried is
remembered for next time when it works (a broken link is what the editor is fixing, or a
story not yet published: it is tried every time; nor an address refused as private).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

from newsletter.errors import Problem, Severity
from newsletter.linkcheck.found import EmailLink
from newsletter.linkcheck.probe import ProbeOptions, Prober
from newsletter.models import FetchLimits, LinkCheck, LinkLimits
from newsletter.placeholders import UNSUBSCRIBE, VIEW_IN_BROWSER
from newsletter.store import Store

_PLACEHOLDERS = {
    UNSUBSCRIBE: "the unsubscribe link: the mail service fills it in when it sends",
    VIEW_IN_BROWSER: "the view-in-browser link: the mail service fills it in when it sends",
}
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")
# What each verdict is, for an email about to go out.
ERRORS = frozenset({"broken", "refused"})
WARNINGS = frozenset({"moved", "doubtful"})
REMEMBERED = frozenset({"ok", "moved", "doubtful"})


def _mailto(url: str) -> tuple[str, str]:
    """A mailto link's verdict and plain words: its addresses must be addresses."""
    target = unquote(url[len("mailto:") :].split("?", 1)[0])
    addresses = [part.strip() for part in target.split(",") if part.strip()]
    if not addresses:
        return "broken", "a mailto link with no address"
    for address in addresses:
        local, at, domain = address.rpartition("@")
        try:
            ascii_domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            ascii_domain = ""
        if not at or not _LOCAL.fullmatch(local) or not _DOMAIN.fullmatch(ascii_domain):
            return "broken", f"'{address}' is not an email address"
        if ".." in local or local.startswith(".") or local.endswith("."):
            return "broken", f"'{address}' is not an email address"
    return "ok", "an email address (not tried: the check reads its syntax only)"


def judged_locally(url: str, now: datetime) -> LinkCheck | None:
    """The verdict on an address that needs no server, or None for an http(s) one."""
    if url in _PLACEHOLDERS:
        return LinkCheck(url, "skipped", None, None, _PLACEHOLDERS[url], now)
    scheme = urlsplit(url).scheme.lower() if ":" in url else ""
    if scheme == "mailto":
        verdict, detail = _mailto(url)
        return LinkCheck(url, verdict, None, None, detail, now)
    if scheme in ("http", "https"):
        return None
    return LinkCheck(url, "skipped", None, None, "not a web address: not tried", now)


async def _probe_all(
    urls: Sequence[str], options: ProbeOptions, on_link: Callable[[str], None]
) -> list[LinkCheck]:
    prober = Prober(options)
    try:

        async def one(url: str) -> LinkCheck:
            checked = await prober.check(url)
            on_link(url)
            return checked

        return list(await asyncio.gather(*(one(url) for url in urls)))
    finally:
        await prober.aclose()


def _redirected(url: str, connect_to: tuple[tuple[str, int, str, int], ...]) -> bool:
    """True when `connect_to` sends the address's host and port elsewhere."""
    if not connect_to:
        return False
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return False
    port = port or (443 if parts.scheme == "https" else 80)
    return any((name.lower(), number) == (host, port) for name, number, _, _ in connect_to)


def check_links(
    urls: Sequence[str],
    store: Store,
    *,
    limits: LinkLimits,
    fetch: FetchLimits,
    refresh: bool = False,
    allow_private: bool = False,
    connect_to: tuple[tuple[str, int, str, int], ...] = (),
    on_link: Callable[[str], None] = lambda url: None,
) -> dict[str, LinkCheck]:
    """Each distinct address's check: judged here, remembered by the store, or tried."""
    now = datetime.now(UTC)
    results: dict[str, LinkCheck] = {}
    web: list[str] = []
    for url in dict.fromkeys(urls):
        local = judged_locally(url, now)
        if local is None:
            web.append(url)
        else:
            results[url] = local
            on_link(url)
    # A link tried at another server (--connect-to: staging, a test server) says nothing
    # about the real one: neither answered from the store nor kept in it.
    redirected = {url for url in web if _redirected(url, connect_to)}
    cacheable = [url for url in web if url not in redirected]
    remembered = (
        {} if refresh else store.link_checks(cacheable, now - timedelta(hours=limits.cache_hours))
    )
    for url, checked in remembered.items():
        results[url] = checked
        on_link(url)
    to_try = [url for url in web if url not in remembered]
    options = ProbeOptions(
        per_host=fetch.per_host,
        concurrency=fetch.concurrency,
        connect_timeout=fetch.connect_timeout,
        read_timeout=fetch.read_timeout,
        timeout=limits.timeout,
        allow_private=allow_private,
        connect_to=connect_to,
    )
    tried = asyncio.run(_probe_all(to_try, options, on_link)) if to_try else []
    # Only a working link is remembered. A dead one is what the editor is fixing (or a story
    # not yet published, or this machine offline): it is tried again every time.
    store.save_link_checks(
        [c for c in tried if c.verdict in REMEMBERED and c.url not in redirected]
    )
    results.update((checked.url, checked) for checked in tried)
    return {url: results[url] for url in dict.fromkeys(urls)}


def link_problems(link: EmailLink, checked: LinkCheck) -> list[Problem]:
    """The problems a link's check makes, one at each place it was written; none when it
    is fine."""
    if checked.verdict not in ERRORS | WARNINGS:
        return []
    severity: Severity = "error" if checked.verdict in ERRORS else "warning"
    hint = {
        "broken": "fix the address or take the link out; `newsletter check --links --refresh` "
        "tries it again",
        "refused": "--allow-private tries addresses in the newsroom's own network",
        "moved": f"link to {checked.final_url} instead",
        "doubtful": "open the link in a browser; if it works there, it works for readers",
    }[checked.verdict]
    problems = []
    for site in link.sites:
        where = "" if site.what == "the issue file" else f" ({site.what})"
        problems.append(
            Problem(
                f"link {checked.url}{where}: {checked.detail}",
                span=site.span,
                path=site.path if site.span is None else None,
                hint=hint,
                severity=severity,
            )
        )
    return problems
