"""Entry point: the `newsletter` command line (click). The group and its options live here;
each command lives with its family (`feeds`: fetch, articles; `issues`: draft, check, build;
`preview`; `delivery`: send; `archive`: archive; `newsroom`: init) and only parses its
options, calls one function of `newsletter.commands` (or, for `preview`, starts
`newsletter.preview`) and prints what it returns. Bad input is printed as problems and exits
1, never as a traceback; a usage error exits 2. The commands' modules load what they need when
they run, so `check` in an editor's save loop never loads the HTTP stack and `fetch` never the
renderer.
"""

from __future__ import annotations

import gc
import os
import sys

import click

from newsletter import __version__
from newsletter.cli.archive import archive
from newsletter.cli.delivery import send
from newsletter.cli.feeds import articles, fetch
from newsletter.cli.issues import build, check, draft
from newsletter.cli.newsroom import init
from newsletter.cli.preview import preview
from newsletter.cli.stores import store

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="newsletter")
@click.option("--debug", is_flag=True, help="Show a traceback for internal errors.")
def cli(debug: bool) -> None:
    """Assemble a newsroom's weekly email briefing from its RSS/Atom feeds.

    \b
    The weekly loop:
      newsletter fetch                          read every feed into the store
      newsletter articles --week 2026-11-27     see what the week holds
      newsletter draft --date 2026-11-27        scaffold issues/2026-11-27.yaml
      newsletter check issues/2026-11-27.yaml   every mistake, with line and hint
      newsletter preview issues/2026-11-27.yaml live preview in the browser while you edit
      newsletter build issues/2026-11-27.yaml   build/2026-11-27/email.html, .txt, .eml
      newsletter send issues/2026-11-27.yaml --to smtp://127.0.0.1:8025 --rcpt me@example.org
      newsletter archive                        site/: a web page per issue, Atom feeds

    A newsroom of your own: newsletter init ../my-briefing --name "My Briefing"
    """


for command in (fetch, articles, draft, check, preview, build, send, archive, init, store):
    cli.add_command(command)


def main() -> None:
    """Run the command line, then let the process end without a last sweep of its heap."""
    try:
        cli(prog_name="newsletter")
    except BrokenPipeError:
        # The reader went away (`newsletter articles | head`): stop quietly, as Unix tools
        # do, and keep Python from complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    finally:
        # The interpreter's shutdown collects garbage over every object still alive, a tenth
        # of a `build`; frozen, they are left to the process's end. Open files are closed and
        # buffers flushed by then (context managers, atexit, the standard streams' flush).
        gc.freeze()
