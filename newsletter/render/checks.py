"""Stage 3 (renderer), the email lint: finished HTML → `Problem`s (warnings) and sizes.

Checks what inboxes punish: size past Gmail's clipping point, too much `<style>`, images
without `alt` or a numeric `width`, a missing `lang`/`dir`, left-over MJML tags, links that are not
http(s) or mailto. Parsed with lxml, which premailer already brings.
"""

from __future__ import annotations

from lxml import html as lxml_html

from newsletter.errors import Problem
from newsletter.models import Sizes
from newsletter.placeholders import UNSUBSCRIBE, VIEW_IN_BROWSER

HTML_BUDGET = 102 * 1024
STYLE_BUDGET = 16 * 1024


def check_html(html: str) -> tuple[list[Problem], Sizes]:
    """Warnings about the finished email HTML (none when it keeps every rule), and its byte
    sizes: the whole HTML and its `<style>` blocks. The HTML is parsed once for both."""
    problems: list[Problem] = []

    def warn(message: str, hint: str = "") -> None:
        problems.append(Problem(message, hint=hint, severity="warning", key="email.html"))

    doc = lxml_html.document_fromstring(html)
    style = sum(len((node.text or "").encode("utf-8")) for node in doc.iter("style"))
    sizes = Sizes(html_bytes=len(html.encode("utf-8")), style_bytes=style)
    if sizes.html_bytes > HTML_BUDGET:
        warn(
            f"the email is {sizes.html_bytes // 1024} KB; Gmail clips messages over 102 KB",
            "shorten the issue or drop images",
        )
    if sizes.style_bytes > STYLE_BUDGET:
        warn(f"the <style> blocks hold {sizes.style_bytes} bytes; keep them under 16 KB")
    if "<mj-" in html:
        warn("MJML tags are left in the HTML", "the theme uses a tag MRML does not know")
    root = doc.getroottree().getroot()
    if not root.get("lang") or not root.get("dir"):
        warn("<html> lacks lang or dir", "screen readers and right-to-left text need both")
    for image in doc.iter("img"):
        src = image.get("src", "")
        if image.get("alt") is None:
            warn(f"image {src} has no alt attribute", "give the image alt text")
        width = image.get("width")
        if not width:
            warn(f"image {src} has no width attribute", "Outlook needs width on images")
        elif not width.isdigit():
            warn(
                f'image {src} has width="{width}", not a number of pixels',
                "Outlook for Windows reads anything but a number as the file's own width",
            )
    for link in doc.iter("a"):
        href = (link.get("href") or "").strip()
        if href in {UNSUBSCRIBE, VIEW_IN_BROWSER}:
            continue
        if not href.startswith(("https://", "http://", "mailto:")):
            warn(f"a link goes to '{href}'", "links in email must be http(s) or mailto")
    return problems, sizes
