"""Stage 4 (delivery), the hand-off targets: the text of `--to` → a folder for a bundle
(`dir:PATH`) or a mail service's API address (`listmonk+https://…`, `buttondown+https://…`).
Takes a string; gives a `DirTarget` or a `ServiceTarget`, or a one-line `NewsletterError`.

A token goes to a service only over https; plain http is allowed to the loopback address
alone, where a local or tunnelled instance (and the tests' server) listens.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from newsletter.errors import NewsletterError

SERVICES = ("listmonk", "buttondown")

TARGET_FORMS: tuple[str, ...] = (
    "dir:PATH",
    "listmonk+https://HOST[/PATH]?list=ID[&list=ID…][&template=ID]",
    "buttondown+https://api.buttondown.com",
)

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


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


def parse_target(text: str) -> DirTarget | ServiceTarget:
    """The target `text` names, or a `NewsletterError` listing the forms accepted."""
    if text.startswith("dir:"):
        path = text[len("dir:") :]
        if not path:
            raise NewsletterError("--to dir: needs a folder after the colon, e.g. dir:out/")
        return DirTarget(Path(path))
    service, plus, url = text.partition("+")
    if plus and service in SERVICES:
        return _service_target(service, url)
    raise NewsletterError(f"cannot hand off to '{text}': expected one of {', '.join(TARGET_FORMS)}")


def _service_target(service: str, url: str) -> ServiceTarget:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in {"https", "http"} or not host:
        raise NewsletterError(
            f"{service}+ needs an https address with a host, e.g. {service}+https://HOST"
        )
    if parts.scheme == "http" and host not in _LOOPBACK:
        raise NewsletterError(
            f"refusing to send the {service} token to {host} over plain http; use https"
        )
    if parts.username or parts.password:
        raise NewsletterError(
            f"put no credentials in the {service} address; they come from the environment"
        )
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    if service == "buttondown":
        if query:
            raise NewsletterError("a buttondown+ address takes no query (?…)")
        base = base.removesuffix("/v1")
        return ServiceTarget(service, base)
    return _listmonk_target(base.removesuffix("/api"), query)


def _listmonk_target(base: str, query: list[tuple[str, str]]) -> ServiceTarget:
    lists: list[int] = []
    template: int | None = None
    for key, value in query:
        if key not in {"list", "template"}:
            raise NewsletterError(
                f"unknown '{key}' in the listmonk address: it takes list=ID and template=ID"
            )
        for item in value.split(","):
            if not item.strip().isdecimal() or not item.strip().isascii():
                raise NewsletterError(
                    f"listmonk {key} ids are numbers (Lists and Templates show them), "
                    f"found '{item}'"
                )
            if key == "list":
                lists.append(int(item))
            else:
                template = int(item)
    if not lists:
        raise NewsletterError(
            "listmonk needs the lists the campaign is for: add ?list=ID (several with "
            "&list=ID) to the address"
        )
    return ServiceTarget("listmonk", base, tuple(dict.fromkeys(lists)), template)
