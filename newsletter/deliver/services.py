"""Stage 4 (delivery), campaign drafts through a mail service's API: a `ServiceTarget` and an
issue's content in that service's dialect → one request that creates the campaign as a draft →
a `Draft` (the service's id and status). Every failure is one `NewsletterError` line.

It sends exactly one request, the create call of `deliver.campaign`, and never a schedule,
status or send request: the editor looks at the draft in the service and sends it from there.
Credentials come from the environment (`CREDENTIALS`) and never appear in a message or a
result, even when a server echoes them back. The API references followed:

- listmonk `POST /api/campaigns`, header `Authorization: token USER:TOKEN`
  (https://listmonk.app/docs/apis/apis/ "Auth"; answers `{"data": {"id", "status": "draft"}}`,
  failures `{"message": …}`);
- Buttondown `POST /v1/emails`, header `Authorization: Token TOKEN`
  (https://docs.buttondown.email/api-reference/authentication; answers 201 with the email,
  failures `{"detail": …}` or the fields' messages).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from newsletter._httpx import httpx
from newsletter.config import Settings
from newsletter.deliver.campaign import (
    CampaignRequest,
    Content,
    buttondown_body,
    campaign_name,
    listmonk_body,
)
from newsletter.deliver.targets import ServiceTarget
from newsletter.errors import NewsletterError
from newsletter.untrusted import visible_line

# The environment variables each service's credentials come from.
CREDENTIALS: dict[str, tuple[str, ...]] = {
    "listmonk": ("NEWSLETTER_LISTMONK_USER", "NEWSLETTER_LISTMONK_TOKEN"),
    "buttondown": ("NEWSLETTER_BUTTONDOWN_TOKEN",),
}

_WHERE_TOKENS = {
    "listmonk": "an API user and its token (listmonk: Admin → Users)",
    "buttondown": "an API key (Buttondown: Settings → Programming)",
}


@dataclass(frozen=True, slots=True)
class Draft:
    """A campaign a service holds as a draft: the service, its id there and the status it
    reported (always "draft")."""

    service: str
    campaign_id: str
    status: str


def credentials(service: str, env: Mapping[str, str]) -> tuple[str, ...]:
    """The service's credentials from `env`, or an error naming every variable missing."""
    names = CREDENTIALS[service]
    missing = [name for name in names if not env.get(name, "").strip()]
    if missing:
        raise NewsletterError(
            f"{service} needs {' and '.join(missing)} in the environment "
            f"({_WHERE_TOKENS[service]}); nothing was sent"
        )
    return tuple(env[name].strip() for name in names)


def draft_request(target: ServiceTarget, content: Content, settings: Settings) -> CampaignRequest:
    """The one request that creates the campaign as a draft at `target`."""
    if target.service == "listmonk":
        body = listmonk_body(content, campaign_name(settings, content.issue), target.lists)
        if target.template_id is not None:
            body["template_id"] = target.template_id
        return CampaignRequest("POST", "/api/campaigns", "application/json", body)
    return CampaignRequest("POST", "/v1/emails", "application/json", buttondown_body(content))


def create_draft(
    target: ServiceTarget,
    content: Content,
    settings: Settings,
    env: Mapping[str, str],
    *,
    timeout: float = 30.0,
) -> Draft:
    """Create the campaign as a draft at `target` and return what the service reports."""
    secrets = credentials(target.service, env)
    if target.service == "listmonk":
        authorization = f"token {secrets[0]}:{secrets[1]}"
    else:
        authorization = f"Token {secrets[0]}"
    request = draft_request(target, content, settings)
    try:
        # No redirects: one could turn the POST into a GET, or carry the token elsewhere.
        with httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            trust_env=False,
        ) as client:
            response = client.request(
                request.method,
                target.base_url + request.path,
                json=request.body,
                headers={"Authorization": authorization, "Accept": "application/json"},
            )
    except httpx.TimeoutException:
        raise NewsletterError(
            f"{target.label} did not answer within {timeout:g} s; the draft may or may not "
            f"exist: look in {target.service} before trying again"
        ) from None
    except httpx.HTTPError as exc:
        reason = _scrub(str(exc) or type(exc).__name__, secrets)
        raise NewsletterError(
            f"could not reach {target.label}: {reason}; nothing was sent"
        ) from None
    return _draft_from(response, target, secrets)


def _draft_from(response: httpx.Response, target: ServiceTarget, secrets: tuple[str, ...]) -> Draft:
    status = response.status_code
    if status in {401, 403}:
        names = " and ".join(CREDENTIALS[target.service])
        raise NewsletterError(
            f"{target.label} refused the credentials ({status}): check {names}; nothing was created"
        )
    if 300 <= status < 400:
        where = _scrub(response.headers.get("location", "elsewhere"), secrets)
        raise NewsletterError(
            f"{target.label} redirects ({status}) to {where}; give that address instead"
        )
    if status == 404:
        raise NewsletterError(
            f"{target.label} has no {response.request.url.path} (404): is this the address "
            f"of a {target.service} server?"
        )
    if status >= 400:
        detail = _error_text(response, secrets)
        verb = "rejected the campaign" if status in {400, 422} else "failed"
        raise NewsletterError(f"{target.label} {verb} ({status}): {detail}")
    try:
        answer = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        answer = None
    record = (
        answer.get("data") if target.service == "listmonk" and isinstance(answer, dict) else answer
    )
    if not isinstance(record, dict) or not isinstance(record.get("id"), int | str):
        raise NewsletterError(
            f"{target.label} answered {status} without the campaign it created; "
            f"look in {target.service} before trying again"
        )
    campaign_id = str(record["id"])
    state = record.get("status")
    if state != "draft":
        shown = _scrub(str(state), secrets)
        raise NewsletterError(
            f"{target.label} created campaign {campaign_id} with status '{shown}', not as a "
            f"draft: check it in {target.service} now"
        )
    return Draft(target.service, campaign_id, "draft")


def _error_text(response: httpx.Response, secrets: tuple[str, ...]) -> str:
    """The service's own words from an error answer, on one line and without credentials."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = response.text
    text = ""
    if isinstance(body, dict):
        for key in ("message", "detail", "error"):
            if isinstance(body.get(key), str):
                text = body[key]
                break
        else:
            # Field errors, as Django REST framework writes them: {"subject": ["…"]}.
            text = "; ".join(
                f"{field}: {' '.join(map(str, value)) if isinstance(value, list) else value}"
                for field, value in body.items()
            )
    elif isinstance(body, str):
        text = body
    text = " ".join(text.split()) or "no reason given"
    if len(text) > 300:
        text = text[:299] + "…"
    return _scrub(text, secrets)


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    # The token, the last credential; listmonk's user name is no secret and may be short.
    for secret in secrets[-1:]:
        text = text.replace(secret, "***")
    return visible_line(text)
