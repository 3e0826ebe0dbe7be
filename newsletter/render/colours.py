"""Stage 3 (renderer), the theme's colours: the newsroom's accent → text colours that keep
7:1 contrast (WCAG AAA) on the light and the dark background.

The accent in `newsletter.toml` is a brand colour, chosen to look right, not to be read; a
deep orange gives 5:1 on white. Labels and links are text, so they get the accent darkened
(light scheme) or lightened (dark scheme) just enough to reach 7:1, keeping its hue.
"""

from __future__ import annotations

import re

LIGHT_BACKGROUND = "#ffffff"
DARK_BACKGROUND = "#121212"
TEXT_CONTRAST = 7.0

_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


def _rgb(colour: str) -> tuple[int, int, int]:
    match = _HEX.fullmatch(colour.strip())
    if match is None:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def luminance(colour: str) -> float:
    """The relative luminance of a `#rrggbb` colour, as WCAG defines it."""
    linear = [
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        for c in (channel / 255 for channel in _rgb(colour))
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours, from 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(colour: str, background: str, ratio: float = TEXT_CONTRAST) -> str:
    """`colour` mixed towards black (on a light background) or white (on a dark one) in the
    smallest step that reaches `ratio` against `background`; unchanged when it already does."""
    if contrast(colour, background) >= ratio:
        return _hex(_rgb(colour))
    towards = 0 if luminance(background) > 0.18 else 255
    red, green, blue = _rgb(colour)
    for step in range(1, 101):
        share = step / 100
        mixed = tuple(round(c + (towards - c) * share) for c in (red, green, blue))
        if contrast(_hex(mixed), background) >= ratio:
            return _hex(mixed)
    return _hex((towards, towards, towards))


def _hex(rgb: tuple[int, ...]) -> str:
    return "#" + "".join(f"{c:02x}" for c in rgb)
