"""Campaign drafts through a mail service's API, against local stand-ins for listmonk and
Buttondown on 127.0.0.1 that check every request against the service's published reference
(method, path, auth header, content type, required fields and their types) and answer as the
service does. A draft only: the servers flag any schedule, status or send request."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsletter.commands.handoff import HandoffResult, hand_off
from newsletter.config import load_settings
from newsletter.deliver.campaign import Content
from newsletter.deliver.services import create_draft
from newsletter.deliver.targets import ServiceTarget
from newsletter.errors import NewsletterError

ISSUE = Path("issues/2026-11-27.yaml")
USER, TOKEN = "briefing-api", "lm-7f3e9c2a1b"
BD_TOKEN = "bd-51c0ffee2d"
LISTMONK_ENV = {"NEWSLETTER_LISTMONK_USER": USER, "NEWSLETTER_LISTMONK_TOKEN": TOKEN}
BUTTONDOWN_ENV = {"NEWSLETTER_BUTTONDOWN_TOKEN": BD_TOKEN}


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Service:
    """A stand-in service: its address, what it saw, what broke its reference, and an
    answer to give instead of the real one (status, JSON body, headers)."""

    base: str
    seen: list[Seen] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    answer: tuple[int, Any, dict[str, str]] | None = None
    delay: float = 0.0


Check = Callable[[Service, Seen], tuple[int, Any]]


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def check_fields(
    service: Service, body: Any, required: dict[str, Any], optional: dict[str, Any]
) -> list[str]:
    """Every way `body` breaks the reference's table of fields (name → type or check)."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    problems = []
    for name in required:
        if name not in body:
            problems.append(f"{name} is required")
    for name, value in body.items():
        kind = required.get(name, optional.get(name))
        if kind is None:
            problems.append(f"{name} is not a field of this endpoint")
        elif callable(kind) and not isinstance(kind, type | tuple):
            if not kind(value):
                problems.append(f"{name} has a wrong value: {value!r:.60}")
        elif not _is(value, kind):
            problems.append(f"{name} must be {kind}, found {type(value).__name__}")
    service.violations.extend(problems)
    return problems


def listmonk_check(service: Service, seen: Seen) -> tuple[int, Any]:
    """listmonk's `POST /api/campaigns` (docs: APIs → Campaigns, APIs → Auth)."""
    if (seen.method, seen.path) != ("POST", "/api/campaigns"):
        service.violations.append(f"{seen.method} {seen.path} is not the create-campaign call")
        return 405, {"message": "Method Not Allowed"}
    basic = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
    if seen.headers.get("authorization") not in {f"token {USER}:{TOKEN}", basic}:
        return 403, {"message": "invalid API credentials"}
    if not seen.headers.get("content-type", "").startswith("application/json"):
        service.violations.append("the body is not application/json")
        return 400, {"message": "invalid JSON"}
    body = json.loads(seen.body)
    problems = check_fields(
        service,
        body,
        required={
            "name": str,
            "subject": str,
            "lists": lambda v: isinstance(v, list) and v and all(_is(i, int) for i in v),
            "type": lambda v: v in {"regular", "optin"},
            "content_type": lambda v: v in {"richtext", "html", "markdown", "plain", "visual"},
            "body": str,
        },
        # send_at is left out on purpose: a draft has no schedule.
        optional={
            "altbody": str,
            "from_email": str,
            "messenger": str,
            "template_id": int,
            "tags": list,
            "headers": list,
        },
    )
    if problems:
        return 400, {"message": problems[0]}
    if not set(body["lists"]) <= {3, 4}:
        return 400, {"message": "Invalid list IDs."}
    number = 7 + len([s for s in service.seen if s.path == "/api/campaigns"]) - 1
    return 200, {
        "data": {
            "id": number,
            "uuid": f"6a0e1b2c-0000-4000-8000-{number:012d}",
            "created_at": "2026-11-27T06:00:00.000000+04:30",
            "updated_at": "2026-11-27T06:00:00.000000+04:30",
            "name": body["name"],
            "subject": body["subject"],
            "lists": [{"id": i, "name": f"List {i}"} for i in body["lists"]],
            "type": body["type"],
            "content_type": body["content_type"],
            "body": body["body"],
            "altbody": body.get("altbody"),
            "send_at": None,
            "status": "draft",
            "template_id": body.get("template_id", 1),
            "messenger": "email",
            "tags": [],
            "to_send": 0,
            "sent": 0,
        }
    }


def buttondown_check(service: Service, seen: Seen) -> tuple[int, Any]:
    """Buttondown's `POST /v1/emails` (docs: API reference → Emails, Authentication, and the
    guide to drafting emails through the API)."""
    if (seen.method, seen.path) != ("POST", "/v1/emails"):
        service.violations.append(f"{seen.method} {seen.path} is not the create-email call")
        return 405, {"detail": f'Method "{seen.method}" not allowed.'}
    if seen.headers.get("authorization") != f"Token {BD_TOKEN}":
        return 401, {"detail": "Invalid token."}
    if not seen.headers.get("content-type", "").startswith("application/json"):
        service.violations.append("the body is not application/json")
        return 415, {"detail": "Unsupported media type."}
    body = json.loads(seen.body)
    problems = check_fields(
        service,
        body,
        required={
            "subject": str,
            "body": str,
            # Without it the email goes to every subscriber the moment it is created.
            "status": lambda v: v == "draft",
        },
        optional={
            "email_type": str,
            "included_tags": list,
            "excluded_tags": list,
            "metadata": dict,
        },
    )
    if problems:
        return 400, {"detail": problems[0]}
    return 201, {
        "id": "497f6eca-6276-4993-bfeb-53cbbbba6f08",
        "creation_date": "2026-11-27T01:30:00Z",
        "publish_date": None,
        "subject": body["subject"],
        "body": body["body"],
        "status": "draft",
        "email_type": "public",
        "included_tags": [],
        "excluded_tags": [],
        "metadata": {},
        "secondary_id": 42,
    }


def serve(check: Check) -> Iterator[Service]:
    """Run a stand-in service on a free loopback port while a test runs."""
    service = Service("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            service.seen.append(seen)
            status, answer = check(service, seen)
            headers: dict[str, str] = {}
            if service.answer is not None:
                status, answer, headers = service.answer
            if service.delay:
                time.sleep(service.delay)
            data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service.base = f"http://127.0.0.1:{server.server_port}"
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def listmonk() -> Iterator[Service]:
    """A stand-in listmonk server."""
    yield from serve(listmonk_check)


@pytest.fixture
def buttondown() -> Iterator[Service]:
    """A stand-in Buttondown API."""
    yield from serve(buttondown_check)


def draft(newsroom: Path, target: str, env: dict[str, str]) -> HandoffResult:
    settings = load_settings(newsroom / "newsletter.toml")
    return hand_off(settings, ISSUE, target, None, env=env)


def failure(newsroom: Path, target: str, env: dict[str, str]) -> str:
    with pytest.raises(NewsletterError) as caught:
        draft(newsroom, target, env)
    message = str(caught.value)
    assert "\n" not in message
    for secret in (TOKEN, BD_TOKEN):
        assert secret not in message
    return message


def test_listmonk_draft(newsroom: Path, listmonk: Service) -> None:
    result = draft(newsroom, f"listmonk+{listmonk.base}/?list=3&list=4&template=5", LISTMONK_ENV)
    assert (result.service, result.campaign_id, result.status) == ("listmonk", "7", "draft")
    assert result.target == f"listmonk at {listmonk.base}"
    assert result.folder is None
    assert listmonk.violations == []
    # One request, the create call: nothing schedules, tests or starts the campaign.
    assert [(s.method, s.path) for s in listmonk.seen] == [("POST", "/api/campaigns")]
    seen = listmonk.seen[0]
    assert seen.headers["authorization"] == f"token {USER}:{TOKEN}"
    body = json.loads(seen.body)
    assert body["lists"] == [3, 4]
    assert body["template_id"] == 5
    assert body["name"] == "The Darvana Briefing #42 (2026-11-27)"
    assert 'href="{{ UnsubscribeURL }}"' in body["body"]
    assert "Unsubscribe:\n{{ UnsubscribeURL }}" in body["altbody"]
    assert "newsletter.invalid" not in seen.body.decode()
    assert TOKEN not in json.dumps(result.to_dict())


def test_buttondown_draft(newsroom: Path, buttondown: Service) -> None:
    result = draft(newsroom, f"buttondown+{buttondown.base}/v1", BUTTONDOWN_ENV)
    assert result.campaign_id == "497f6eca-6276-4993-bfeb-53cbbbba6f08"
    assert (result.dialect, result.status) == ("buttondown", "draft")
    assert buttondown.violations == []
    assert [(s.method, s.path) for s in buttondown.seen] == [("POST", "/v1/emails")]
    seen = buttondown.seen[0]
    assert seen.headers["authorization"] == f"Token {BD_TOKEN}"
    assert seen.headers["content-type"] == "application/json"
    body = json.loads(seen.body)
    assert body["status"] == "draft"
    assert body["subject"].startswith("The Darvana Briefing: ")
    assert 'href="{{ unsubscribe_url }}"' in body["body"]


def test_the_stand_ins_hold_requests_to_the_reference(
    listmonk: Service, buttondown: Service
) -> None:
    # The checks above mean something only if the servers catch a request that breaks the rules.
    auth = {"Authorization": f"token {USER}:{TOKEN}"}
    body = {"name": "n", "subject": "s", "lists": [3], "type": "regular"}
    scheduled = {**body, "content_type": "html", "body": "b", "send_at": "2026-11-27T06:00:00"}
    answer = httpx.post(listmonk.base + "/api/campaigns", json=scheduled, headers=auth)
    assert answer.status_code == 400
    answer = httpx.put(listmonk.base + "/api/campaigns/7/status", json={"status": "running"})
    assert answer.status_code == 405
    answer = httpx.post(listmonk.base + "/api/campaigns", json=body, headers=auth)
    assert listmonk.violations == [
        "send_at is not a field of this endpoint",
        "PUT /api/campaigns/7/status is not the create-campaign call",
        "content_type is required",
        "body is required",
    ]
    sent_at_once = {"subject": "s", "body": "b"}
    answer = httpx.post(
        buttondown.base + "/v1/emails",
        json=sent_at_once,
        headers={"Authorization": f"Token {BD_TOKEN}"},
    )
    assert answer.status_code == 400
    assert buttondown.violations == ["status is required"]


def test_wrong_listmonk_credentials(newsroom: Path, listmonk: Service) -> None:
    env = {**LISTMONK_ENV, "NEWSLETTER_LISTMONK_TOKEN": "stale-token"}
    assert failure(newsroom, f"listmonk+{listmonk.base}?list=3", env) == (
        f"listmonk at {listmonk.base} refused the credentials (403): check "
        "NEWSLETTER_LISTMONK_USER and NEWSLETTER_LISTMONK_TOKEN; nothing was created"
    )


def test_wrong_buttondown_token(newsroom: Path, buttondown: Service) -> None:
    env = {"NEWSLETTER_BUTTONDOWN_TOKEN": "stale-token"}
    assert failure(newsroom, f"buttondown+{buttondown.base}", env) == (
        f"buttondown at {buttondown.base} refused the credentials (401): check "
        "NEWSLETTER_BUTTONDOWN_TOKEN; nothing was created"
    )


def test_listmonk_rejects_the_campaign(newsroom: Path, listmonk: Service) -> None:
    assert failure(newsroom, f"listmonk+{listmonk.base}?list=99", LISTMONK_ENV) == (
        f"listmonk at {listmonk.base} rejected the campaign (400): Invalid list IDs."
    )


def test_buttondown_rejects_the_email_with_field_errors(
    newsroom: Path, buttondown: Service
) -> None:
    buttondown.answer = (
        422,
        {"subject": ["An email with this subject already exists."], "email_type": ["Invalid."]},
        {},
    )
    assert failure(newsroom, f"buttondown+{buttondown.base}", BUTTONDOWN_ENV) == (
        f"buttondown at {buttondown.base} rejected the campaign (422): subject: An email with "
        "this subject already exists.; email_type: Invalid."
    )


def test_a_token_echoed_by_the_server_is_not_repeated(newsroom: Path, buttondown: Service) -> None:
    buttondown.answer = (400, {"detail": f"Token {BD_TOKEN} may not create emails."}, {})
    assert failure(newsroom, f"buttondown+{buttondown.base}", BUTTONDOWN_ENV) == (
        f"buttondown at {buttondown.base} rejected the campaign (400): Token *** may not "
        "create emails."
    )


def test_an_unreachable_server(newsroom: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = failure(newsroom, f"listmonk+http://127.0.0.1:{port}?list=3", LISTMONK_ENV)
    assert message.startswith(f"could not reach listmonk at http://127.0.0.1:{port}: ")
    assert message.endswith("; nothing was sent")


def test_a_missing_token(newsroom: Path, listmonk: Service) -> None:
    only_user = {"NEWSLETTER_LISTMONK_USER": USER}
    assert failure(newsroom, f"listmonk+{listmonk.base}?list=3", only_user) == (
        "listmonk needs NEWSLETTER_LISTMONK_TOKEN in the environment (an API user and its "
        "token (listmonk: Admin → Users)); nothing was sent"
    )
    assert failure(newsroom, f"buttondown+{listmonk.base}", {}) == (
        "buttondown needs NEWSLETTER_BUTTONDOWN_TOKEN in the environment (an API key "
        "(Buttondown: Settings → Programming)); nothing was sent"
    )
    assert listmonk.seen == []


def test_a_campaign_not_created_as_a_draft_is_reported(newsroom: Path, listmonk: Service) -> None:
    listmonk.answer = (200, {"data": {"id": 8, "status": "scheduled"}}, {})
    assert failure(newsroom, f"listmonk+{listmonk.base}?list=3", LISTMONK_ENV) == (
        f"listmonk at {listmonk.base} created campaign 8 with status 'scheduled', not as a "
        "draft: check it in listmonk now"
    )


def test_an_answer_without_the_campaign(newsroom: Path, buttondown: Service) -> None:
    buttondown.answer = (200, "<html>Welcome</html>", {})
    assert failure(newsroom, f"buttondown+{buttondown.base}", BUTTONDOWN_ENV) == (
        f"buttondown at {buttondown.base} answered 200 without the campaign it created; "
        "look in buttondown before trying again"
    )


def test_a_redirect_is_not_followed(newsroom: Path, listmonk: Service) -> None:
    listmonk.answer = (301, {}, {"Location": "https://lists.example.org/api/campaigns"})
    assert failure(newsroom, f"listmonk+{listmonk.base}?list=3", LISTMONK_ENV) == (
        f"listmonk at {listmonk.base} redirects (301) to "
        "https://lists.example.org/api/campaigns; give that address instead"
    )
    assert len(listmonk.seen) == 1


def test_a_wrong_address(newsroom: Path, listmonk: Service) -> None:
    listmonk.answer = (404, {"message": "not found"}, {})
    assert failure(newsroom, f"listmonk+{listmonk.base}/lists?list=3", LISTMONK_ENV) == (
        f"listmonk at {listmonk.base}/lists has no /lists/api/campaigns (404): is this the "
        "address of a listmonk server?"
    )


def test_a_server_that_does_not_answer(buttondown: Service) -> None:
    buttondown.delay = 2.0
    target = ServiceTarget("buttondown", buttondown.base)
    content = Content(issue=None, subject="s", preheader="p", html="<p>h</p>", text="t")  # type: ignore[arg-type]
    with pytest.raises(NewsletterError) as caught:
        create_draft(target, content, None, BUTTONDOWN_ENV, timeout=0.3)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"buttondown at {buttondown.base} did not answer within 0.3 s; the draft may or may "
        "not exist: look in buttondown before trying again"
    )
