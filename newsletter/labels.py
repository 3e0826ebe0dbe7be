"""Leaf: the names of the theme's labels, and which of them take placeholders.

A label is a piece of theme wording ("The Key Issue", "Why It's Important") that an issue may
override and a theme translates. Both the issue reader and the theme loader check labels
against the same list, so it lives here, below both.
"""

from __future__ import annotations

LABEL_KEYS = (
    "key_issue",
    "keep_an_eye_on",
    "roundup",
    "why_important",
    "whats_next",
    "welcome",
    "welcome_link",
    "author_line",
    "role_separator",
    "read_more",
    "until_next_time",
    "footer_why",
    "unsubscribe",
    "view_in_browser",
)

# Labels that are filled in: what each may mention.
LABEL_PLACEHOLDERS = {
    "author_line": ("name", "role"),
    "welcome": ("name",),
    "footer_why": ("name",),
}


def label_placeholder_problem(key: str, text: str) -> tuple[str, str] | None:
    """(message, hint) when a label uses a placeholder it cannot have, else None."""
    allowed = LABEL_PLACEHOLDERS.get(key)
    if allowed is None:
        return None
    try:
        text.format(**dict.fromkeys(allowed, ""))
    except (KeyError, IndexError, ValueError) as exc:
        braces = ", ".join("{" + name + "}" for name in allowed)
        found = f"{{{exc.args[0]}}}" if isinstance(exc, KeyError) else "a stray { or }"
        return (
            f"the label uses {found}, which it cannot fill in",
            f"this label may use {braces}; write {{{{ and }}}} for a literal brace",
        )
    return None
