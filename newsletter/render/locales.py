"""Stage 3 (renderer), locales: an issue's language code → its dates and numbers as that
language writes them, from Babel's CLDR data.

`fa` gets Persian digits and month names ("۲۷ نوامبر ۲۰۲۶"), `ps` Pashto ones, `en` "November
27, 2026". Babel formats dates and chooses a language's numbering system but writes every
number in Latin digits, so the digits are swapped here for the numbering system's own. Babel
is imported on first use: an English build, whose date is the same without it, never pays the
import (about a tenth of a second of a build that is timed against the MJML CLI).
"""

from __future__ import annotations

import functools
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

# CLDR's decimal numbering systems by the code point of their zero (Unicode keeps each
# script's ten digits in a row), for the languages a newsroom is likely to publish in.
_ZEROS = {
    "arab": 0x0660,
    "arabext": 0x06F0,
    "beng": 0x09E6,
    "deva": 0x0966,
    "mymr": 0x1040,
    "olck": 0x1C50,
    "tibt": 0x0F20,
}
_ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@functools.lru_cache(maxsize=64)
def babel_locale(lang: str) -> Locale:
    """The Babel locale of a language code (`fa`, `ps`, `fa-AF`): the code's own, else its
    language's, else English for a code CLDR does not know."""
    from babel import Locale, UnknownLocaleError

    for code in (lang, lang.split("-")[0], "en"):
        try:
            return Locale.parse(code, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    raise AssertionError("CLDR always has English")  # pragma: no cover


def _plain_english(lang: str) -> bool:
    return lang in {"en", "en-US"}


def local_digits(text: str, lang: str) -> str:
    """`text` with its ASCII digits written in the language's own numbering system."""
    if _plain_english(lang):
        return text
    zero = _ZEROS.get(babel_locale(lang).default_numbering_system)
    if zero is None:
        return text
    return text.translate({ord("0") + n: zero + n for n in range(10)})


def local_number(value: int, lang: str) -> str:
    """A whole number as the language writes it: `42` → `۴۲` in `fa`."""
    if _plain_english(lang):
        return str(value)
    from babel.numbers import format_decimal

    locale = babel_locale(lang)
    # "default": the separators of the numbering system the digits are swapped for below.
    return local_digits(format_decimal(value, locale=locale, numbering_system="default"), lang)


def long_date(day: date, lang: str) -> str:
    """A date as the language writes it in full: "November 27, 2026", "۲۷ نوامبر ۲۰۲۶"."""
    if _plain_english(lang):
        return f"{_ENGLISH_MONTHS[day.month - 1]} {day.day}, {day.year}"
    from babel.dates import format_date

    return local_digits(format_date(day, "long", locale=babel_locale(lang)), lang)
