"""Stage 3 (renderer), the link policy: the finished email's links → the same, campaign-tagged.

Takes the email's final HTML and plain text (after premailer, before the lint measures them),
the settings' `Campaign` and the issue; gives both with `utm_source`, `utm_medium` and
`utm_campaign` (its {number}, {date} and {lang} filled in) added to every http(s) link to the
newsroom's own domains that carries no `utm_` parameter of its own. A link to anyone else is
left as written, and so is every byte of a link's own address, parameters and fragment: the
tags are only appended. Trackers that came with a feed's links never get this far, as the
store keeps articles at their canonical address (`urls.canonical_url`). Tagging here, in
`render_issue`, means the preview, `build`, `send` and every hand-off carry the same links;
the mail-service sentinels are not the newsroom's domains, so they stay as they are for the
exporter to fill in.
"""

from __future__ import annotations

import html as html_escapes
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, quote, urlsplit

from newsletter.labels import fill_label
from newsletter.models import Campaign, Issue

# An <a> tag's href, quoted either way, as premailer writes it (or a theme by hand).
_ANCHOR = re.compile(r"<a\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(r"""(\shref\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
# An address in plain text, where nothing but a space or the end of the line ends it.
_TEXT_URL = re.compile(r"(?<![\w/.])https?://[^\s<>\"\[\]]+", re.IGNORECASE)
# What ends a sentence after an address rather than belongs to it.
_TRAILING = ".,;:!?'\""


def campaign_tags(campaign: Campaign, issue: Issue) -> tuple[tuple[str, str], ...]:
    """The three tags, in order, with the issue's number, date and language filled in."""
    values = {"number": str(issue.number), "date": issue.date.isoformat(), "lang": issue.lang}
    return (
        ("utm_source", fill_label(campaign.source, values)),
        ("utm_medium", fill_label(campaign.medium, values)),
        ("utm_campaign", fill_label(campaign.name, values)),
    )


def is_own(url: str, domains: Sequence[str]) -> bool:
    """True for an http(s) address on one of `domains` or a subdomain of one."""
    if not url[:8].lower().startswith(("http://", "https://")):
        return False
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:  # a broken [IPv6] host is no one's
        return False
    return any(host == name or host.endswith("." + name) for name in domains)


def tag_url(url: str, tags: Sequence[tuple[str, str]], domains: Sequence[str]) -> str:
    """`url` with the campaign `tags` appended to its query, when it is the newsroom's own
    and has no utm_ parameter yet; otherwise `url` unchanged."""
    if not is_own(url, domains):
        return url
    base, hash_mark, fragment = url.partition("#")
    path, _, query = base.partition("?")
    # A link that already names a campaign keeps it whole: adding the rest of ours would
    # credit its clicks to two campaigns at once.
    if any(key.lower().startswith("utm_") for key, _ in parse_qsl(query, keep_blank_values=True)):
        return url
    added = "&".join(f"{key}={quote(value, safe='-_.~')}" for key, value in tags)
    joined = f"{query}&{added}" if query and not query.endswith("&") else query + added
    return f"{path}?{joined}{hash_mark}{fragment}"


def tag_html(html: str, tags: Sequence[tuple[str, str]], domains: Sequence[str]) -> str:
    """Every `<a href>` of the HTML tagged as `tag_url` tags an address."""

    def href(match: re.Match[str]) -> str:
        quoted = match.group(2) if match.group(2) is not None else match.group(3)
        url = html_escapes.unescape(quoted)
        tagged = tag_url(url, tags, domains)
        if tagged == url:
            return match.group()
        mark = '"' if match.group(2) is not None else "'"
        escaped = tagged.replace("&", "&amp;").replace(mark, "&quot;" if mark == '"' else "&#39;")
        return f"{match.group(1)}{mark}{escaped}{mark}"

    return _ANCHOR.sub(lambda anchor: _HREF.sub(href, anchor.group(), count=1), html)


def _trimmed(url: str) -> str:
    """An address found in text without the punctuation that ends the sentence around it
    (a closing parenthesis only when the address has no opening one to match)."""
    while url:
        unmatched = url[-1] == ")" and url.count(")") > url.count("(")
        if url[-1] not in _TRAILING and not unmatched:
            break
        url = url[:-1]
    return url


def tag_text(text: str, tags: Sequence[tuple[str, str]], domains: Sequence[str]) -> str:
    """Every http(s) address of the plain text tagged as `tag_url` tags it."""

    def one(match: re.Match[str]) -> str:
        url = _trimmed(match.group())
        return tag_url(url, tags, domains) + match.group()[len(url) :]

    return _TEXT_URL.sub(one, text)


def tag_links(html: str, text: str, campaign: Campaign | None, issue: Issue) -> tuple[str, str]:
    """The email's HTML and text with the newsroom's own links tagged for `campaign`; both
    as they are when there is no campaign."""
    if campaign is None or not campaign.domains:
        return html, text
    tags = campaign_tags(campaign, issue)
    return tag_html(html, tags, campaign.domains), tag_text(text, tags, campaign.domains)


def html_links(html: str) -> list[str]:
    """Every `<a href>` address of the HTML, entities undone, in order (read as `tag_html`
    reads them, so the link check sees what tagging wrote)."""
    found = []
    for anchor in _ANCHOR.finditer(html):
        match = _HREF.search(anchor.group())
        if match is not None:
            quoted = match.group(2) if match.group(2) is not None else match.group(3)
            found.append(html_escapes.unescape(quoted).strip())
    return found


def text_links(text: str) -> list[str]:
    """Every http(s) address of the plain text, without the punctuation around it, in order."""
    return [_trimmed(match.group()) for match in _TEXT_URL.finditer(text)]
