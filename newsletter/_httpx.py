"""Leaf: httpx, imported without its command-line client.

httpx imports its own command-line client (and with it click, rich and pygments) whenever
those happen to be installed, as they are here: 40 ms at every start of a fetch, for a module
we never use. A None entry in `sys.modules` makes that optional import fail the way httpx
expects, and httpx leaves its command line out. Everything else in httpx is untouched.
"""

from __future__ import annotations

import sys

sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx  # noqa: E402

__all__ = ["httpx"]
