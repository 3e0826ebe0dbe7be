"""Entry point (preview), the server: uvicorn serving the app, watchfiles watching the inputs
(and, for a store on a server, a poll of its change counter), and one builder rebuilding the
workspace and publishing each finished build.

Changes that arrive while a build runs are gathered and built once it is done (the edited
issue first, then its sibling editions), so rapid saves coalesce and the page only ever hears
of finished builds. Ctrl-C ends the event streams at once, so the server stops within a
second.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import uvicorn
from watchfiles import Change, awatch

from newsletter.dburl import DatabaseUrl
from newsletter.errors import NewsletterError
from newsletter.issue import remembered_locks
from newsletter.preview.app import Hub, allowed_hosts, create_app
from newsletter.preview.checks import NO_OPTIONS, CheckOptions, Checks
from newsletter.preview.workspace import Workspace

# How long watchfiles waits for more events after one before reporting a batch (ms): an
# editor's save (a temporary file, a rename) is done within it.
WATCH_STEP_MS = 12
PORTS_TRIED = 20
# Seconds between showing a build and finding the week's stories again.
STORIES_DELAY = 0.25
# Seconds between two questions to a store on a server: has a fetch changed it?
POLL_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Listening:
    """Where the preview listens; `wanted` is the port asked for when another was taken."""

    url: str
    host: str
    port: int
    wanted: int | None = None


def bind(host: str, port: int) -> tuple[socket.socket, Listening]:
    """A listening socket on `host` at `port`, or at the next free port when it is taken
    (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    last = port if port == 0 else port + PORTS_TRIED - 1
    for candidate in range(port, last + 1):
        # IPPROTO_TCP named, not left 0: asyncio sets TCP_NODELAY only on sockets that say
        # they are TCP, and without it every answer on a kept-alive connection waits 40 ms
        # for the browser's delayed acknowledgement.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE and candidate < last:
                continue
            if exc.errno == errno.EADDRINUSE:
                raise NewsletterError(
                    f"ports {port} to {last} are all taken; try --port with another number"
                ) from None
            raise NewsletterError(
                f"cannot listen on {host} port {candidate}: {exc.strerror}"
            ) from None
        sock.setblocking(False)
        actual = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        wanted = port if port not in (0, actual) else None
        return sock, Listening(f"http://{shown}:{actual}/", host, actual, wanted)
    raise AssertionError("unreachable")


class _Server(uvicorn.Server):
    """uvicorn's server, telling the preview when Ctrl-C asks it to stop."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Stop the preview's own loops, then let uvicorn stop."""
        self._on_exit()
        super().handle_exit(sig, frame)


class Builder:
    """Gathers changes and rebuilds the workspace, one build at a time, in a thread."""

    def __init__(self, workspace: Workspace, hub: Hub) -> None:
        self.workspace = workspace
        self.hub = hub
        self._pending: set[tuple[str, Path]] = set()
        self._wake = asyncio.Event()

    def add(self, changes: set[tuple[str, Path]]) -> None:
        """Queue changes (kind, path) for the next rebuild."""
        self._pending |= changes
        self._wake.set()

    async def run(self) -> None:
        """Rebuild whenever changes are queued, until the hub closes; then, with nothing
        left to build, find the week's stories again if the edited issue or the store
        changed."""
        stories = False
        while not self.hub.closing.is_set():
            await self._wake.wait()
            self._wake.clear()
            changes, self._pending = self._pending, set()
            plan = self.workspace.plan(changes)
            stories |= self.workspace.primary in plan
            for index, path in enumerate(plan):
                await asyncio.to_thread(self.workspace.rebuild, path)
                self.hub.publish(self.workspace.snapshot())
                if self._pending:
                    # Newer saves first; the editions not rebuilt yet go with them.
                    self.add({("issue", rest.absolute()) for rest in plan[index + 1 :]})
                    break
            if stories and not self._pending:
                # After the page has had the new email: finding stories competes for the CPU.
                await asyncio.sleep(STORIES_DELAY)
                if self._pending:
                    continue
                stories = False
                await asyncio.to_thread(self.workspace.refresh_candidates)
                self.hub.publish(self.workspace.snapshot())


async def watch(workspace: Workspace, builder: Builder, closing: asyncio.Event) -> None:
    """Watch the workspace's folders and queue the changes that matter; start again when
    the folders to watch change (a new store folder, another theme)."""
    while not closing.is_set():
        folders = workspace.watch_folders()
        async for batch in awatch(
            *folders,
            stop_event=closing,
            recursive=False,
            step=WATCH_STEP_MS,
            debounce=400,
            rust_timeout=500,
            ignore_permission_denied=True,
        ):
            changes = set()
            for change, name in batch:
                path = Path(name)
                kind = workspace.classify(
                    path,
                    added_or_modified=change in (Change.added, Change.modified),
                    modified=change is Change.modified,
                )
                if kind is not None:
                    changes.add((kind, path))
            wanted = {c for c in changes if c[0] != "folder"}
            if wanted:
                builder.add(wanted)
            if workspace.watch_folders() != folders:
                break


async def follow_server(
    workspace: Workspace, builder: Builder, closing: asyncio.Event, every: float = POLL_SECONDS
) -> None:
    """For a store on a PostgreSQL server, which no file watch can see: ask the server for
    its change counter every `every` seconds and queue a store change when it moves. A server
    that cannot be reached is asked again next time (the rebuild reports the problem)."""
    from newsletter.store import Store, open_store

    store: Store | None = None
    where: DatabaseUrl | None = None
    seen: int | None = None

    def poll(url: DatabaseUrl) -> int:
        nonlocal store, where
        if store is None or where != url:
            if store is not None:
                store.close()
            store, where = open_store(url), url
        return store.change_counter()

    try:
        while not closing.is_set():
            url = workspace.store_server()
            if url is not None:
                try:
                    counter = await asyncio.to_thread(poll, url)
                except NewsletterError:
                    if store is not None:
                        store.close()
                    store = None
                else:
                    if seen is not None and counter != seen:
                        builder.add({("store", Path(url.where))})
                    seen = counter
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), every)
    finally:
        if store is not None:
            store.close()


async def serve(
    workspace: Workspace,
    sock: socket.socket,
    listening: Listening,
    on_ready: Callable[[], None] = lambda: None,
    checks: CheckOptions = NO_OPTIONS,
) -> None:
    """Build the issue, then serve it and rebuild on every change until Ctrl-C; `checks`
    are the options of the panel's link check."""
    # Checking an issue reads every other issue's lock file; read each once while unchanged.
    with remembered_locks():
        await _serve(workspace, sock, listening, on_ready, checks)


async def _serve(
    workspace: Workspace,
    sock: socket.socket,
    listening: Listening,
    on_ready: Callable[[], None],
    checks: CheckOptions,
) -> None:
    await asyncio.to_thread(_first_build, workspace)
    hub = Hub(workspace.snapshot())
    builder = Builder(workspace, hub)
    loop = asyncio.get_running_loop()
    config = uvicorn.Config(
        create_app(hub, allowed_hosts(listening.host, listening.port), Checks(workspace, checks)),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        ws="none",
    )

    def stop() -> None:
        # Called from the signal handler: wake the loop rather than touch it directly.
        loop.call_soon_threadsafe(hub.closing.set)

    server = _Server(config, stop)
    tasks = [
        asyncio.create_task(builder.run()),
        asyncio.create_task(watch(workspace, builder, hub.closing)),
        asyncio.create_task(follow_server(workspace, builder, hub.closing)),
    ]
    loop.call_soon(on_ready)
    try:
        await server.serve(sockets=[sock])
    finally:
        hub.closing.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _first_build(workspace: Workspace) -> None:
    for path in workspace.plan({("all", Path())}):
        workspace.rebuild(path)
    workspace.refresh_candidates()
