"""Stage 4 (delivery), the hand-off bundle: a `RenderedIssue` in a service's dialect → the bytes
of email.html, email.txt, email.eml and campaign.json (`make_bundle`), then DIR/<slug>/ on disk
(`write_bundle`), each file atomically.

email.html and email.txt carry the service's merge tags, ready to paste or upload;
campaign.json holds the request bodies of the service's campaign API (`deliver.campaign`).
email.eml is the build's message with the newsroom's real links, in every dialect: none of
these services imports an .eml as a campaign, so it serves a test send or a look in a mail
client, where a merge tag would be a dead link; and its `List-Unsubscribe` header must hold a
real https address (RFC 8058), which no merge tag is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsletter.config import Settings
from newsletter.deliver.campaign import Campaign, Content, campaign_for
from newsletter.deliver.dialects import Dialect, apply_dialect, refuse_reserved
from newsletter.files import named, write_folder
from newsletter.models import RenderedIssue

BUNDLE_FILES = ("email.html", "email.txt", "email.eml", "campaign.json")


@dataclass(frozen=True, slots=True)
class Bundle:
    """A hand-off bundle made but not yet written: its folder name (the issue's slug), the
    dialect, the content and campaign it holds, and each file's bytes in `BUNDLE_FILES` order."""

    slug: str
    dialect: str
    content: Content
    campaign: Campaign
    files: tuple[tuple[str, bytes], ...]

    def __getitem__(self, name: str) -> bytes:
        """The bytes of one file, by name (`campaign.json`, …)."""
        return named(self.files, name)


def dialect_content(
    rendered: RenderedIssue, settings: Settings, dialect: Dialect, view_url: str
) -> Content:
    """The issue's subject, preheader, HTML and text with `dialect`'s links in place."""
    source = rendered.issue.source
    # Services read their template syntax in the subject and preheader, too.
    refuse_reserved(rendered.subject, dialect, part="subject", source=source)
    refuse_reserved(rendered.preheader, dialect, part="preheader", source=source)

    def swap(text: str, part: str) -> str:
        return apply_dialect(
            text,
            dialect,
            unsubscribe_url=settings.unsubscribe_url,
            view_url=view_url,
            part=part,
            source=source,
        )

    return Content(
        issue=rendered.issue,
        subject=rendered.subject,
        preheader=rendered.preheader,
        html=swap(rendered.html, "HTML"),
        text=swap(rendered.text, "plain text"),
    )


def campaign_document(content: Content, campaign: Campaign, service: str) -> dict[str, Any]:
    """What campaign.json holds: the service, the reference followed, the subject and
    preheader, the fields left for the newsroom to add, and the requests' bodies (in `plain`,
    the message itself, for any service)."""
    document: dict[str, Any] = {
        "dialect": campaign.dialect,
        "service": service,
        "reference": campaign.reference,
        "subject": content.subject,
        "preheader": content.preheader,
        "to_add": list(campaign.to_add),
        "requests": [request.to_dict() for request in campaign.requests],
    }
    if not campaign.requests:
        document["message"] = {"html": content.html, "text": content.text}
    return document


def make_bundle(
    rendered: RenderedIssue, settings: Settings, dialect: Dialect, *, eml: bytes, view_url: str
) -> Bundle:
    """The four files of a hand-off bundle, in memory; `eml` is the build's email.eml."""
    content = dialect_content(rendered, settings, dialect, view_url)
    campaign = campaign_for(dialect.name, content, settings)
    document = campaign_document(content, campaign, dialect.service)
    campaign_json = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    contents = (
        content.html.encode("utf-8"),
        content.text.encode("utf-8"),
        eml,
        campaign_json.encode("utf-8"),
    )
    return Bundle(
        rendered.issue.slug,
        dialect.name,
        content,
        campaign,
        tuple(zip(BUNDLE_FILES, contents, strict=True)),
    )


def write_bundle(bundle: Bundle, out_dir: Path) -> Path:
    """Write a bundle's files to out_dir/<slug>/ and return that folder."""
    return write_folder(out_dir / bundle.slug, bundle.files, "the bundle")
