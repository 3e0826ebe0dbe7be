"""Entry point, the `preview` command: the live workspace in the browser. Parses its options,
binds the port, starts `newsletter.preview` and prints where it listens; Ctrl-C stops it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsletter.cli.shared import config_option, connect_to_option, handle_errors


@click.command()
@config_option
@click.argument("issue_file", metavar="ISSUE.yaml", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port to listen on; when it is taken, the next free one. 0: any free port.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on. Anything but loopback lets other machines read the preview.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in the browser.")
@click.option(
    "--allow-private",
    is_flag=True,
    help="For the panel's link check: also try addresses on this machine or in a private "
    "network (refused by default).",
)
@connect_to_option
@handle_errors
def preview(
    config: Path | None,
    issue_file: Path,
    port: int,
    host: str,
    open_browser: bool,
    allow_private: bool,
    connect_to: tuple[tuple[str, int, str, int], ...],
) -> None:
    """Preview an issue in the browser while you edit it, rebuilt on every save.

    Serves the email exactly as `build` would write it, in every view an inbox shows (600 px,
    wide, phone, dark, images off, plain text, the inbox row, editions side by side), beside
    the issue's problems, its size budget, word count, and the week's stories with a YAML
    item to copy for each. Saving the issue, the theme or newsletter.toml, or a `fetch`,
    refreshes the page and keeps its scroll position. Writes nothing. Ctrl-C stops it.

    The panel's buttons run the pre-send checks on the latest build, as `check --links
    --deliverability` does: every link tried, and the spam score when SpamAssassin is
    installed.
    """
    # Imported here: asyncio alone is a twentieth of a `build`, which needs none of these.
    import asyncio
    import contextlib
    import threading
    import webbrowser

    from newsletter.preview.checks import CheckOptions
    from newsletter.preview.server import bind, serve
    from newsletter.preview.workspace import Workspace

    if not issue_file.is_file():
        raise click.BadParameter(f"no such file: {issue_file}", param_hint="ISSUE.yaml")
    workspace = Workspace(issue_file, config)
    sock, listening = bind(host, port)
    loopback = host in {"127.0.0.1", "localhost", "::1"} or host.startswith("127.")

    def ready() -> None:
        if listening.wanted is not None:
            click.echo(f"port {listening.wanted} is taken; using {listening.port}", err=True)
        if not loopback:
            click.echo(f"warning: listening on {host}: other machines can read it", err=True)
        click.echo(f"previewing {issue_file} at {listening.url}  (Ctrl-C stops)")
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(listening.url,), daemon=True).start()

    # uvicorn raises Ctrl-C's signal again once it has stopped: the stop asked for.
    with contextlib.suppress(KeyboardInterrupt):
        options = CheckOptions(allow_private, connect_to)
        asyncio.run(serve(workspace, sock, listening, ready, options))
    click.echo("preview stopped")
    sys.exit(0)
