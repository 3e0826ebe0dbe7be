"""Leaf: the one did-you-mean for every file an editor writes.

Takes a word that is not one of the known ones (a misspelt key, author, layout, article id or
URL) and the known ones; gives the one the editor most likely meant, or None. The issue file,
its lock file and the settings all suggest with this, so a near miss is judged alike in each.
"""

from __future__ import annotations

from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The choice most like `word` (difflib's similarity of at least `cutoff`, 0 to 1), or
    None when none is that close. Ties go the same way whatever the order of `choices`."""
    # Imported here: every command reads the settings, few of them have a typo to suggest for.
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return close[0] if close else None
