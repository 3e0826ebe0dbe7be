"""Stage 4 (delivery), the campaign requests: an issue's subject, preheader, HTML and text (already
in a service's dialect) → the request bodies that service's campaign API takes, field names as
its reference writes them. The hand-off bundle writes them to campaign.json; the API drafts send
the same bodies, so what a bundle shows is what a draft gets.

Each body creates a campaign *as a draft* and nothing more: no schedule time, no send flag
set, no send or status request. The references followed:

- Mailchimp Marketing API: `POST /3.0/campaigns` (type, settings.subject_line, preview_text,
  title, from_name, reply_to), then `PUT /3.0/campaigns/{campaign_id}/content` (html,
  plain_text); https://mailchimp.com/developer/marketing/api/campaigns/
- listmonk: `POST /api/campaigns` (name, subject, lists, type, content_type, body, altbody;
  no send_at); https://listmonk.app/docs/apis/campaigns/#post-apicampaigns
- Buttondown: `POST /v1/emails` (subject, body, status "draft": without it an email created
  through the API goes out at once); https://docs.buttondown.email/api-reference/emails
- Sendy: `POST /api/campaigns/create.php`, form fields (from_name, from_email, reply_to, title,
  subject, plain_text, html_text, send_campaign 0); https://sendy.co/api
- Brevo: `POST /v3/emailCampaigns` (name, subject, sender, replyTo, htmlContent,
  previewText; no scheduledAt); https://developers.brevo.com/reference/create-email-campaign
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from newsletter.config import Settings
from newsletter.models import Issue

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Content:
    """An issue's parts as a service receives them: subject, preheader, and HTML and text
    with the service's merge tags in place."""

    issue: Issue
    subject: str
    preheader: str
    html: str
    text: str


@dataclass(frozen=True, slots=True)
class CampaignRequest:
    """One request of a service's campaign API: method, path (below the service's base
    address), the body's content type, and the body's fields."""

    method: str
    path: str
    content_type: str
    body: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for campaign.json."""
        return {
            "method": self.method,
            "path": self.path,
            "content_type": self.content_type,
            "body": self.body,
        }


@dataclass(frozen=True, slots=True)
class Campaign:
    """How one service takes a campaign: the requests in order, the reference they follow,
    and the fields the newsroom must add itself (list ids, keys) before using them."""

    dialect: str
    reference: str | None
    requests: tuple[CampaignRequest, ...]
    to_add: tuple[str, ...] = ()


def campaign_name(settings: Settings, issue: Issue) -> str:
    """The campaign's internal name in the service: newsletter, number and issue file."""
    return f"{settings.name} #{issue.number} ({issue.slug})"


def _sender(settings: Settings, lang: str) -> tuple[str, str, str]:
    edition = settings.edition(lang)
    name, address = parseaddr(edition.sender)
    reply_to = parseaddr(settings.reply_to)[1] if settings.reply_to else address
    return name or edition.name, address, reply_to


def campaign_for(dialect: str, content: Content, settings: Settings) -> Campaign:
    """The campaign requests of `dialect`'s service for this content (none for `plain`)."""
    name, address, reply_to = _sender(settings, content.issue.lang)
    title = campaign_name(settings, content.issue)
    if dialect == "mailchimp":
        settings_body = {
            "subject_line": content.subject,
            "preview_text": content.preheader,
            "title": title,
            "from_name": name,
            "reply_to": reply_to,
        }
        return Campaign(
            dialect,
            "https://mailchimp.com/developer/marketing/api/campaigns/",
            (
                CampaignRequest(
                    "POST", "/3.0/campaigns", JSON, {"type": "regular", "settings": settings_body}
                ),
                CampaignRequest(
                    "PUT",
                    "/3.0/campaigns/{campaign_id}/content",
                    JSON,
                    {"html": content.html, "plain_text": content.text},
                ),
            ),
            ("recipients.list_id", "{campaign_id} from the first answer"),
        )
    if dialect == "listmonk":
        return Campaign(
            dialect,
            "https://listmonk.app/docs/apis/campaigns/#post-apicampaigns",
            (CampaignRequest("POST", "/api/campaigns", JSON, listmonk_body(content, title, ())),),
            ("lists",),
        )
    if dialect == "buttondown":
        return Campaign(
            dialect,
            "https://docs.buttondown.email/api-reference/emails",
            (CampaignRequest("POST", "/v1/emails", JSON, buttondown_body(content)),),
        )
    if dialect == "sendy":
        form = {
            "from_name": name,
            "from_email": address,
            "reply_to": reply_to,
            "title": title,
            "subject": content.subject,
            "plain_text": content.text,
            "html_text": content.html,
            "send_campaign": "0",
        }
        return Campaign(
            dialect,
            "https://sendy.co/api",
            (CampaignRequest("POST", "/api/campaigns/create.php", FORM, form),),
            ("api_key", "brand_id"),
        )
    if dialect == "brevo":
        body: dict[str, Any] = {
            "name": title,
            "subject": content.subject,
            "sender": {"name": name, "email": address},
            "replyTo": reply_to,
            "htmlContent": content.html,
            "previewText": content.preheader,
        }
        return Campaign(
            dialect,
            "https://developers.brevo.com/reference/create-email-campaign",
            (CampaignRequest("POST", "/v3/emailCampaigns", JSON, body),),
            ("recipients.listIds",),
        )
    return Campaign(dialect, None, ())


def listmonk_body(content: Content, name: str, lists: tuple[int, ...]) -> dict[str, Any]:
    """listmonk's `POST /api/campaigns` body: a regular HTML campaign with its text part,
    sent to `lists`, with no `send_at` (a draft)."""
    return {
        "name": name,
        "subject": content.subject,
        "lists": list(lists),
        "type": "regular",
        "content_type": "html",
        "body": content.html,
        "altbody": content.text,
    }


def buttondown_body(content: Content) -> dict[str, Any]:
    """Buttondown's `POST /v1/emails` body, with `status` "draft" so that it is not sent."""
    return {"subject": content.subject, "body": content.html, "status": "draft"}
