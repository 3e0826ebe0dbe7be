"""Stage 4 (delivery), the mail-service dialects: the one table of each service's merge tags for
the per-recipient links, and the swap of the renderer's sentinels for them. Takes rendered
HTML or text; gives the same text in a service's dialect, or raises `ProblemsError` when a
sentinel would survive or the issue's own text would be read as the service's template syntax.

The renderer writes URL-safe sentinels (`newsletter.placeholders`) because MJML and premailer
escape `{{ }}` and `*|X|*` inside `href`; they are swapped here, in the final strings, so no
later step can escape a merge tag. Where each tag comes from (each service's own reference):

- Mailchimp: `*|UNSUB|*` (the unsubscribe merge tag every campaign must carry) and
  `*|ARCHIVE|*` (the campaign's archive page, "view this email in your browser");
- listmonk: `{{ UnsubscribeURL }}` and `{{ MessageURL }}` (templating docs, "Functions");
- Buttondown: `{{ unsubscribe_url }}` and `{{ email_url }}` (docs, "Template variables");
- Sendy: `[unsubscribe]` and `[webversion]` (the "Essential tags" of its campaign editor);
- Brevo: `{{ unsubscribe }}` and `{{ mirror }}` (template language, predefined placeholders);
- plain: the newsroom's real links from the settings, exactly as `build` writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import NewsletterError, Problem, ProblemsError, Span
from newsletter.placeholders import UNSUBSCRIBE, VIEW_IN_BROWSER

# What every sentinel shares: if this survives a swap, a link would go nowhere.
SENTINEL_HOST = "newsletter.invalid"


@dataclass(frozen=True, slots=True)
class Dialect:
    """One mail service's way of writing the per-recipient links: its merge tags (None in
    `plain`, whose links come from the settings) and the marks its template engine would read
    in the issue's own text."""

    name: str
    service: str
    unsubscribe: str | None
    view_in_browser: str | None
    # Text the service's template engine would take for its own syntax if the issue held it.
    reserved: tuple[str, ...] = ()


DIALECTS: tuple[Dialect, ...] = (
    Dialect("plain", "any service (real links)", None, None),
    Dialect("mailchimp", "Mailchimp", "*|UNSUB|*", "*|ARCHIVE|*", ("*|",)),
    Dialect("listmonk", "listmonk", "{{ UnsubscribeURL }}", "{{ MessageURL }}", ("{{",)),
    Dialect("buttondown", "Buttondown", "{{ unsubscribe_url }}", "{{ email_url }}", ("{{", "{%")),
    Dialect("sendy", "Sendy", "[unsubscribe]", "[webversion]", ("[unsubscribe]", "[webversion]")),
    Dialect("brevo", "Brevo", "{{ unsubscribe }}", "{{ mirror }}", ("{{", "{%")),
)

DIALECT_NAMES: tuple[str, ...] = tuple(dialect.name for dialect in DIALECTS)


def get_dialect(name: str) -> Dialect:
    """The dialect called `name`, or an error naming the known ones."""
    for dialect in DIALECTS:
        if dialect.name == name:
            return dialect
    raise NewsletterError(f"unknown dialect '{name}': use one of {', '.join(DIALECT_NAMES)}")


def apply_dialect(
    text: str,
    dialect: Dialect,
    *,
    unsubscribe_url: str,
    view_url: str,
    part: str,
    source: Path | None = None,
) -> str:
    """Rendered HTML or text (`part` names it in messages) with every sentinel swapped for the
    dialect's merge tag (or, in `plain`, for the given real links). `source`, the issue file,
    lets a problem point at the line that brought the service's syntax in."""
    refuse_reserved(text, dialect, part=part, source=source)
    unsubscribe = dialect.unsubscribe or unsubscribe_url
    view = dialect.view_in_browser or view_url
    swapped = text.replace(UNSUBSCRIBE, unsubscribe).replace(VIEW_IN_BROWSER, view)
    if SENTINEL_HOST in swapped:
        # A sentinel the renderer escaped or split (a wrapped text line): a dead link.
        raise ProblemsError(
            [
                Problem(
                    f"the {part} still holds a link to {SENTINEL_HOST} after the swap for "
                    f"{dialect.service}, so one of its links would go nowhere",
                    hint="the theme must write links.unsubscribe and links.view_in_browser "
                    "as they are, unescaped and on one line",
                )
            ]
        )
    return swapped


def refuse_reserved(text: str, dialect: Dialect, *, part: str, source: Path | None) -> None:
    """Raise a `ProblemsError` when `text` (the issue's `part`: HTML, text, subject…) holds
    what `dialect`'s service would take for its own template syntax."""
    for mark in dialect.reserved:
        if mark in text:
            raise ProblemsError(
                [
                    Problem(
                        f"the {part} of this issue contains '{mark}', which {dialect.service} "
                        "would read as its own template syntax",
                        span=_find(source, mark),
                        path=source,
                        hint="reword that text (it may come from a story's title), or hand "
                        "off in another dialect",
                    )
                ]
            )


def _find(source: Path | None, mark: str) -> Span | None:
    """Where `mark` is first written in the issue file, if it is there at all (it may come
    from a stored article instead)."""
    if source is None:
        return None
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for number, line in enumerate(lines, start=1):
        column = line.find(mark)
        if column >= 0:
            return Span(source, number, column + 1, len(mark))
    return None
