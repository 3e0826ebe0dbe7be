"""newsletter: assemble a newsroom's weekly email briefing from its RSS/Atom feeds."""

from __future__ import annotations

__version__ = "0.1.0"
