"""Stage 1 (feed reader), untrusted HTML: a feed's markup bounded in size and depth,
sanitised once by nh3 to a small safe subset, tracking pixels dropped however they are
hidden, relative links made absolute, and plain text taken from it. Every string it gives is
safe to store, render and print.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Mapping
from urllib.parse import urljoin

import nh3

from newsletter.untrusted import clean_text

# A long article is some 50 KB of HTML; nh3's time grows with the square of the nesting
# depth (16,000 levels: 0.8 s), while real markup nests a dozen levels at most.
MAX_HTML_CHARS = 200_000
MAX_DEPTH = 64

_SUMMARY_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "em",
    "figcaption",
    "figure",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "strong",
    "ul",
}
# `style` is let through on images only to recognise CSS-sized tracking pixels; it is removed
# from every image that is kept.
_SUMMARY_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height", "style"}}
# An <img> tag and its attributes in markup nh3 wrote (every attribute double-quoted).
IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
ATTR = re.compile(r'\b(src|alt|width|height|style)\s*=\s*"([^"]*)"', re.IGNORECASE)
_STYLE_ATTR = re.compile(r'\s+style="[^"]*"')
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_LENGTH = re.compile(r"\s*([-+]?\d*\.?\d+(?:e[-+]?\d+)?)\s*(px|pt|em|rem|%|ex|ch|vw|vh)?\s*", re.I)
# Any tag, for counting depth in untrusted markup (before it is sanitised).
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")
# Any tag of markup nh3 has already written (attributes double-quoted, `<` escaped in text).
_SAFE_TAG = re.compile(r'<(?:[^>"]|"[^"]*")*>')
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
_BLOCK_END = re.compile(r"</(p|li|div|h\d|blockquote)>|<br\s*/?>", re.IGNORECASE)


def _pixel_size(value: object) -> bool:
    """True for a width or height too small to see, however it is written: "1", "1px",
    "01px", "1e0", "0.1em", "1pt", "1%", or negative."""
    match = _LENGTH.fullmatch(str(value or ""))
    if match is None:
        return False
    try:
        number = float(match.group(1))
    except (ValueError, OverflowError):
        return False
    unit = (match.group(2) or "px").lower()
    limit = {"px": 2, "pt": 2, "%": 2}.get(unit, 0.2)  # em, rem, ex, ch, vw, vh: 0.2 of one
    return number <= limit


def _hidden_by_style(style: str) -> bool:
    """True when inline CSS makes an image invisible: a tiny size, no opacity, no display,
    scaled to nothing, or placed far off the page."""
    for declaration in _CSS_COMMENT.sub("", style).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip().lower(), value.lower().replace("!important", "").strip()
        if name in {"width", "height", "max-width", "max-height"} and _pixel_size(value):
            return True
        if name == "opacity" and _pixel_size(value.rstrip("%") if "%" in value else value):
            return True
        if (name, value) in {("display", "none"), ("visibility", "hidden")}:
            return True
        if name == "transform" and re.search(r"scale[xy]?\(\s*0*\.?0*\s*[,)]", value):
            return True
        if name in {"left", "top", "right", "margin-left", "text-indent"} and re.match(
            r"-\s*\d{3,}", value
        ):
            return True
    return False


def is_tracking_pixel(attributes: Mapping[str, str]) -> bool:
    """True for an image a reader cannot see: sized, styled or hidden away to nothing."""
    return (
        _pixel_size(attributes.get("width"))
        or _pixel_size(attributes.get("height"))
        or _hidden_by_style(attributes.get("style", ""))
    )


def bound_html(fragment: str, max_chars: int = MAX_HTML_CHARS, max_depth: int = MAX_DEPTH) -> str:
    """Untrusted HTML cut to `max_chars`, with every tag nested deeper than `max_depth`
    dropped (its text kept), in one pass: what reaches the sanitiser is bounded in both."""
    fragment = fragment[:max_chars]
    if fragment.count("<") <= max_depth:
        return fragment  # cannot nest deeper than it has tags
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # open elements: (name, whether its tag was kept)
    open_names: Counter[str] = Counter()
    position = 0
    for match in _TAG.finditer(fragment):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        keep = True
        if closing:
            if open_names[name]:
                # Close it and whatever was left open inside it; each element is popped once.
                while stack:
                    top, kept = stack.pop()
                    open_names[top] -= 1
                    if top == name:
                        keep = kept
                        break
            else:
                keep = False  # closes nothing: the sanitiser would drop it anyway
        elif name not in _VOID and not self_closing:
            keep = len(stack) < max_depth
            stack.append((name, keep))
            open_names[name] += 1
        if not keep:
            out.append(fragment[position : match.start()])
            position = match.end()
    if not out:
        return fragment
    out.append(fragment[position:])
    return "".join(out)


def sanitise_html(fragment: str) -> str:
    """Untrusted HTML from a feed → a small safe subset (no script, style, events, iframes,
    javascript:/data: URLs, tracking pixels), bounded in size and depth first."""
    cleaned = nh3.clean(
        bound_html(clean_text(fragment[:MAX_HTML_CHARS])),
        tags=_SUMMARY_TAGS,
        attributes=_SUMMARY_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )

    # nh3 has normalised every attribute to double quotes, so this pattern is reliable here.
    def drop_pixels(match: re.Match[str]) -> str:
        attrs = {k.lower(): html.unescape(v) for k, v in ATTR.findall(match.group(0))}
        if is_tracking_pixel(attrs) or "src" not in attrs:
            return ""
        return _STYLE_ATTR.sub("", match.group(0))

    return clean_text(IMG.sub(drop_pixels, cleaned).strip())


def html_to_text(fragment: str, max_chars: int = MAX_HTML_CHARS) -> str:
    """Plain text of an untrusted HTML fragment: tags removed, entities decoded, control
    characters dropped, whitespace collapsed."""
    if "<" not in fragment and "&" not in fragment:  # most titles: skip the sanitiser
        return " ".join(clean_text(fragment[:max_chars]).split())
    spaced = _BLOCK_END.sub(" ", bound_html(clean_text(fragment[:max_chars]), max_chars))
    return " ".join(clean_text(html.unescape(nh3.clean(spaced, tags=set()))).split())


def safe_html_to_text(fragment: str) -> str:
    """Plain text of HTML that `sanitise_html` wrote: no second pass through the sanitiser,
    since its output is well-formed and its attributes quoted."""
    if "<" not in fragment and "&" not in fragment:
        return " ".join(fragment.split())
    spaced = _SAFE_TAG.sub("", _BLOCK_END.sub(" ", fragment))
    return " ".join(clean_text(html.unescape(spaced)).split())


_RELATIVE = re.compile(r'\b(href|src)="(?!https?:|mailto:)([^"]*)"')


def absolute_links(fragment: str, base: str) -> str:
    """Resolve relative href/src in sanitised HTML (nh3 has double-quoted every attribute).

    feedparser could do this, but its resolver walks the markup a second time and costs a
    fifth of a fetch's parsing time; we only need it for the few attributes we keep."""
    if '="' not in fragment:
        return fragment

    def resolve(match: re.Match[str]) -> str:
        target = urljoin(base, html.unescape(match.group(2)))
        if not target.startswith(("http://", "https://")):
            return ""  # nothing that is not http(s) survives, relative or not
        return f'{match.group(1)}="{html.escape(target, quote=True)}"'

    return _RELATIVE.sub(resolve, fragment)
