"""Entry point (preview), the web application: the routes the page and its frames use.

A Starlette app over a `Hub` that holds the latest `Snapshot`. It serves the workspace page
and its two static files, the state as JSON, server-sent events carrying that state after
each rebuild, each edition's build files, exactly the bytes `build` would write (nothing is
injected into the email: the page reloads its frames itself), the local copies of the
issue's images that the issue file names (`file:`), which the page shows in place of the
https addresses the email keeps, and the panel's pre-send checks (`checks`), which only
the page itself may start. Every path is a fixed route or a lookup in a fixed table (an
image by its number in the issue's own list), so no request can name a file. A guard refuses
any `Host` header but the address served, against DNS rebinding.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from importlib.resources import files as package_files
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from newsletter.archive.images import image_extension, read_local_image
from newsletter.deliver.build import FILE_NAMES
from newsletter.errors import format_problem
from newsletter.preview.checks import Checks, same_origin
from newsletter.preview.workspace import Edition, Snapshot

# Seconds between keep-alive comments on the event stream: a closed tab is noticed by then.
PING_SECONDS = 10.0

_TYPES = {
    "email.html": "text/html; charset=utf-8",
    "email.txt": "text/plain; charset=utf-8",
    "email.eml": "message/rfc822",
    "report.json": "application/json",
}
_STATIC = {
    "": ("shell.html", "text/html; charset=utf-8"),
    "preview.js": ("shell.js", "text/javascript; charset=utf-8"),
    "preview.css": ("shell.css", "text/css; charset=utf-8"),
}
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
# The email may show remote images and nothing else from outside; it runs no script.
_EMAIL_POLICY = (
    "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; font-src * data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)
# The page writes each email into a frame of its own origin: what the email may load
# applies there too.
_PAGE_POLICY = (
    "default-src 'self'; img-src * data:; style-src 'self' 'unsafe-inline'; font-src * data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class Hub:
    """The latest snapshot and a way to wait for the next one; closing ends every wait."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.closing = asyncio.Event()
        self._changed = asyncio.Event()

    def publish(self, snapshot: Snapshot) -> None:
        """Make `snapshot` current and wake everyone waiting for a newer one."""
        self.snapshot = snapshot
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_newer(self, version: int, timeout: float) -> bool:
        """Wait until a snapshot newer than `version` is published (True), the hub closes
        or `timeout` seconds pass (False)."""
        while self.snapshot.version <= version:
            if self.closing.is_set():
                return False
            changed = asyncio.ensure_future(self._changed.wait())
            closing = asyncio.ensure_future(self.closing.wait())
            done, pending = await asyncio.wait(
                {changed, closing}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            if not done:
                return False
        return True


class HostGuard:
    """Refuse requests whose `Host` header is not one of the served addresses (with the
    port), so a web page on another name that resolves to this machine cannot read it."""

    def __init__(self, app: ASGIApp, hosts: set[str]) -> None:
        self.app = app
        self.hosts = {host.lower() for host in hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass allowed requests on; answer others with 403."""
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            if host not in self.hosts:
                served = sorted(self.hosts)[0]
                response = PlainTextResponse(
                    f"this preview answers only to http://{served}/\n", status_code=403
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def allowed_hosts(host: str, port: int) -> set[str]:
    """The Host headers a browser sends for the served address (loopback by every name)."""
    names = {host}
    if host in {"127.0.0.1", "localhost", "::1"}:
        names = {"127.0.0.1", "localhost", "[::1]"}
    elif ":" in host:
        names = {f"[{host}]"}
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:
        hosts |= names
    return hosts


def edition_json(edition: Edition, primary: bool) -> dict[str, Any]:
    """One edition for the page: its build's figures and its problems, compiler style."""
    cache: dict[Any, list[str]] = {}
    summary = edition.summary
    html = edition.files["email.html"] if edition.files else b""
    return {
        "slug": edition.slug,
        "file": str(edition.path.name),
        "primary": primary,
        "failed": edition.failed,
        "built": edition.files is not None,
        "built_at": edition.built_at.strftime("%H:%M:%S") if edition.built_at else None,
        "build_ms": round(edition.build_ms),
        # The page reloads a frame only when its email changed.
        "hash": hashlib.sha256(html).hexdigest()[:16] if html else None,
        # Shown in the frame in place of the addresses, which need not be online yet.
        "images": [
            {"url": url, "src": f"/edition/{edition.slug}/image/{number}"}
            for number, (url, _) in enumerate(edition.images)
        ],
        "problems": [
            {**problem.to_dict(), "text": format_problem(problem, cache)}
            for problem in edition.problems
        ],
        "summary": None
        if summary is None
        else {
            "number": summary.number,
            "date": summary.date.isoformat(),
            "lang": summary.lang,
            "subject": summary.subject,
            "preheader": summary.preheader,
            "sender_name": summary.sender_name,
            "sender_address": summary.sender_address,
            "snippet": summary.snippet,
            "html_bytes": summary.html_bytes,
            "style_bytes": summary.style_bytes,
            "text_bytes": summary.text_bytes,
            "html_budget": summary.html_budget,
            "style_budget": summary.style_budget,
            "words": summary.words,
            "minutes": summary.minutes,
        },
    }


def snapshot_json(snapshot: Snapshot) -> dict[str, Any]:
    """The whole state the page shows, as JSON."""
    return {
        "version": snapshot.version,
        "editions": [
            edition_json(edition, edition.path == snapshot.primary) for edition in snapshot.editions
        ],
        "week": [day.isoformat() for day in snapshot.week] if snapshot.week else None,
        "store_note": snapshot.store_note,
        "candidates": [
            {
                "id": c.id,
                "feed": c.feed,
                "when": c.when,
                "title": c.title,
                "used": c.used,
                "item": c.item,
            }
            for c in snapshot.candidates
        ],
    }


def create_app(hub: Hub, hosts: set[str], checks: Checks | None = None) -> ASGIApp:
    """The preview's ASGI application, guarded to answer only to `hosts`; `checks` runs
    the panel's link check and spam score."""
    static = {
        route: ((package_files("newsletter.preview") / name).read_bytes(), kind)
        for route, (name, kind) in _STATIC.items()
    }

    async def page(request: Request) -> Response:
        body, kind = static[request.path_params.get("name", "")]
        headers = {**_NO_STORE, "Content-Security-Policy": _PAGE_POLICY}
        return Response(body, media_type=kind, headers=headers)

    async def static_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in static or not name:
            return PlainTextResponse("not found\n", status_code=404)
        body, kind = static[name]
        return Response(body, media_type=kind, headers=_NO_STORE)

    async def state(request: Request) -> Response:
        return JSONResponse(snapshot_json(hub.snapshot), headers=_NO_STORE)

    async def edition_file(request: Request) -> Response:
        edition = hub.snapshot.edition(request.path_params["slug"])
        name = request.path_params["name"]
        if edition is None or name not in FILE_NAMES:
            return PlainTextResponse("not found\n", status_code=404)
        if edition.files is None:
            return PlainTextResponse("not built yet: see the problems\n", status_code=409)
        headers = dict(_NO_STORE)
        if name == "email.html":
            headers["Content-Security-Policy"] = _EMAIL_POLICY
        if name == "email.eml":
            headers["Content-Disposition"] = f'attachment; filename="{edition.slug}.eml"'
        return Response(edition.files[name], media_type=_TYPES[name], headers=headers)

    async def edition_image(request: Request) -> Response:
        edition = hub.snapshot.edition(request.path_params["slug"])
        number = request.path_params["number"]
        if edition is None or not number.isdigit() or int(number) >= len(edition.images):
            return PlainTextResponse("not found\n", status_code=404)
        data, _ = read_local_image(edition.images[int(number)][1])
        if data is None:
            return PlainTextResponse("not found\n", status_code=404)
        kind = "image/" + {"jpg": "jpeg"}.get(ext := image_extension(data) or "", ext)
        return Response(data, media_type=kind, headers=_NO_STORE)

    async def edition_check(request: Request) -> Response:
        # A check makes requests to the email's servers: only the preview's own page may
        # start one, never a form on another site posted to this address.
        if not same_origin(request.headers.get("origin"), hosts):
            return PlainTextResponse("only the preview's page starts checks\n", status_code=403)
        edition = hub.snapshot.edition(request.path_params["slug"])
        kind = request.path_params["kind"]
        if edition is None or kind not in ("links", "spam") or checks is None:
            return PlainTextResponse("not found\n", status_code=404)
        refresh = request.query_params.get("refresh") == "1"
        report = await checks.run(kind, edition, refresh)
        return JSONResponse(report, headers=_NO_STORE)

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            # A reconnecting page (after a restart of the preview) gets the state at once.
            seen = -1
            yield "retry: 500\n\n"
            while not hub.closing.is_set():
                if hub.snapshot.version > seen:
                    # The whole state rides on the event: the page need not ask for it.
                    snapshot = hub.snapshot
                    seen = snapshot.version
                    data = json.dumps(snapshot_json(snapshot), ensure_ascii=False)
                    yield f"event: build\ndata: {data}\n\n"
                elif not await hub.wait_newer(seen, PING_SECONDS) and not hub.closing.is_set():
                    yield ": ping\n\n"

        headers = {**_NO_STORE, "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/static/{name}", static_file),
            Route("/state.json", state),
            Route("/events", events),
            Route("/edition/{slug}/image/{number}", edition_image),
            Route("/edition/{slug}/check/{kind}", edition_check, methods=["POST"]),
            Route("/edition/{slug}/{name}", edition_file),
        ]
    )
    return HostGuard(app, hosts)
