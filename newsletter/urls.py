"""Leaf: canonical article URLs and the short stable ids derived from them.

The same story reached through two feeds, or with tracking parameters appended, must be one
article. `canonical_url` lower-cases the scheme and host, drops the fragment, credentials,
default ports and tracking parameters, percent-encodes stray whitespace, and sorts the query;
`article_id` hashes the result into eight characters an editor can type.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_")
_TRACKING = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mkt_tok",
        "_hsenc",
        "_hsmi",
        "ref_src",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WHITESPACE = re.compile(r"\s")


def canonical_url(url: str) -> str:
    """The URL in its canonical form, used to recognise the same article anywhere."""
    # Whitespace inside an address is a typo; percent-encoded, the link still works in mail.
    parts = urlsplit(_WHITESPACE.sub(lambda space: f"%{ord(space.group(0)):02X}", url.strip()))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port if parts.port and parts.port != _DEFAULT_PORTS.get(scheme) else None
    # No user name or password: "https://www.bank.example@evil.example/" in a briefing reads
    # as the bank's address, and a feed's credentials have no place in an email.
    netloc = f"{host}:{port}" if port else host
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith(_TRACKING_PREFIXES) and key.lower() not in _TRACKING
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def article_id(url: str) -> str:
    """Eight lower-case letters and digits, stable for every spelling of the same URL."""
    return id_of_canonical(canonical_url(url))


def id_of_canonical(canonical: str) -> str:
    """`article_id` of a URL already in canonical form (saves canonicalising it twice)."""
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.b32encode(digest[:5]).decode("ascii").lower()


def is_web_address(url: str) -> bool:
    """True for a full http(s) address with a host and a port in range; never raises
    ("https://", "https://[::1" and "http://h:99999/" are not addresses)."""
    if not url.startswith(("http://", "https://")):
        return False
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port out of range
    except ValueError:  # that, or a broken [IPv6] host
        return False
    return bool(parts.hostname)
