"""Stage 3 (renderer), email HTML: MJML text → HTML (mjml-python, i.e. MRML) → CSS inlined.

Two functions, so each step can be measured and swapped: `compile_mjml` runs MRML (includes
only through our loader, confined to the theme folder), `inline_css` runs premailer with no
network, keeping media queries and `!important` in a `<style>` block for dark mode and phones,
and leaving MJML's numeric `width`/`height` attributes as they are.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from mjml import mjml2html

from newsletter.errors import Problem, ProblemsError
from newsletter.render._premailer import Premailer


def compile_mjml(source: str, theme: Path) -> str:
    """MJML → HTML; `mj-include` may only read files inside the theme folder."""
    root = theme.resolve()

    def include(path: str) -> str:
        target = (root / path).resolve()
        if not target.is_relative_to(root):
            raise ValueError(f"mj-include outside the theme: {path}")
        return target.read_text(encoding="utf-8")

    try:
        return _repair_aria_label(mjml2html(source, disable_comments=True, include_loader=include))
    except Exception as exc:  # MRML raises plain exceptions with its parser's message
        raise ProblemsError(
            [
                Problem(
                    f"the theme produced MJML that does not compile: {exc}",
                    path=theme / "email.mjml.jinja",
                    hint="check the template for unclosed tags or unquoted attributes",
                )
            ]
        ) from None


# MRML writes the title into the body's `aria-label` through Rust's debug escaping, which
# turns every combining mark and format character into `\u{...}`: the hamza of "خبرنامهٔ",
# the zero-width non-joiner of "می‌خوانید", bidi controls. A screen reader would spell them out.
_ARIA_LABEL = re.compile(r'(<div aria-label=")((?:[^"\\]|\\.)*)(")')
_RUST_ESCAPE = re.compile(r"\\(?:u\{([0-9a-fA-F]{1,6})\}|(.))")
_RUST_NAMED = {"t": "\t", "n": "\n", "r": "\r", "0": "", '"': "&#34;"}


def _repair_aria_label(html: str) -> str:
    def unescape(match: re.Match[str]) -> str:
        if match.group(1):
            return chr(int(match.group(1), 16))
        return _RUST_NAMED.get(match.group(2), match.group(2))

    return _ARIA_LABEL.sub(
        lambda found: found.group(1) + _RUST_ESCAPE.sub(unescape, found.group(2)) + found.group(3),
        html,
        count=1,
    )


def inline_css(html: str) -> str:
    """Move the CSS of `<style>` blocks into `style` attributes (premailer, offline)."""
    inlined = str(
        Premailer(
            html,
            allow_network=False,
            keep_style_tags=False,
            strip_important=False,
            remove_classes=False,
            disable_validation=True,
            disable_leftover_css=False,
            cssutils_logging_level=logging.CRITICAL,
            align_floating_images=False,
            allow_loading_external_files=False,
            # MJML's pixel width/height attributes are what Outlook for Windows sizes images
            # by; premailer would overwrite them from the CSS (width="100%").
            disable_basic_attributes=["width", "height"],
        ).transform(pretty_print=False)
    ).strip()
    # lxml drops the doctype; without it browsers render the email in quirks mode.
    if not inlined.lower().startswith("<!doctype"):
        inlined = "<!doctype html>\n" + inlined
    return inlined + "\n"
