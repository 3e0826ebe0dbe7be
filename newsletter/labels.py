"""Leaf: the names of the theme's labels, and which of them take placeholders.

A label is a piece of theme wording ("The Key Issue", "Why It's Important") that an issue may
override and a theme translates. Both the issue reader and the theme loader check labels
against the same list, so it lives here, below both, with the small substitution that fills
the labels that take placeholders (never `str.format`, whose format specs let a 20-byte label
such as `{name:>300000000}` ask for 300 MB).
"""

from __future__ import annotations

import re

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
    "issue_number",
    "links",
    "edition",
    "all_issues",
    "feed",
)

# Labels that are filled in: what each may mention.
LABEL_PLACEHOLDERS = {
    "author_line": ("name", "role"),
    "welcome": ("name",),
    "footer_why": ("name",),
    "issue_number": ("number",),
}


# `{{`, `}}`, a `{...}` with no brace inside, or a brace on its own.
_BRACES = re.compile(r"\{\{|\}\}|\{[^{}]*\}|[{}]")
_NAME = re.compile(r"[a-z_]+")


def label_placeholder_problem(key: str, text: str) -> tuple[str, str] | None:
    """(message, hint) when a label uses a placeholder it cannot have, else None. A label
    that is filled in takes `{name}`-style placeholders and nothing of `str.format`'s: no
    format specs, conversions, indexes or attributes; `{{` and `}}` are literal braces."""
    allowed = LABEL_PLACEHOLDERS.get(key)
    if allowed is None:
        return None
    braces = ", ".join("{" + name + "}" for name in allowed)
    for match in _BRACES.finditer(text):
        found = match.group()
        if found in {"{{", "}}"} or found[1:-1] in allowed:
            continue
        if found in {"{", "}"}:
            shown = "a stray { or }"
        else:
            shown = found if len(found) <= 40 else found[:37] + "...}"
        if _NAME.fullmatch(found[1:-1]) or found in {"{", "}"}:
            return (
                f"the label uses {shown}, which it cannot fill in",
                f"this label may use {braces}; write {{{{ and }}}} for a literal brace",
            )
        return (
            f"the label uses {shown}, which it cannot fill in",
            f"this label may use {braces}, written just so: no format specs, conversions, "
            "indexes or attributes; write {{ and }} for a literal brace",
        )
    return None


def fill_label(text: str, values: dict[str, str]) -> str:
    """A label with its placeholders filled in and `{{`/`}}` made single braces; the values
    are inserted as they are, never read for placeholders themselves. Anything else in
    braces is left as written (`label_placeholder_problem` has refused it already)."""

    def replace(match: re.Match[str]) -> str:
        found = match.group()
        if found in {"{{", "}}"}:
            return found[0]
        return values.get(found[1:-1], found)

    return _BRACES.sub(replace, text)
