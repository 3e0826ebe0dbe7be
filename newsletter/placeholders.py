"""Leaf: the URL-safe sentinels that stand for mail-service links while an email is rendered.

MJML and premailer escape `{{ }}` and `*|X|*` inside `href`, so templates write these plain
https addresses instead; an exporter swaps them for the real links or a mail service's merge
tags after rendering, never before.
"""

from __future__ import annotations

UNSUBSCRIBE = "https://newsletter.invalid/__unsubscribe__"
VIEW_IN_BROWSER = "https://newsletter.invalid/__view_in_browser__"


def fill_placeholders(text: str, *, unsubscribe: str, view_in_browser: str) -> str:
    """Replace every sentinel in rendered HTML or text with the given links."""
    return text.replace(UNSUBSCRIBE, unsubscribe).replace(VIEW_IN_BROWSER, view_in_browser)
