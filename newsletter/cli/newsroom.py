"""Entry point, `init`: a new newsroom in a folder. Asks for what the options leave out when
run in a terminal, then calls `newsletter.commands.init` and prints the next steps.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsletter.cli.shared import handle_errors


@click.command()
@click.argument("folder", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--name", help='The newsletter\'s name, e.g. "The Valley Briefing".')
@click.option("--from", "sender", metavar="ADDRESS", help='The sender, e.g. "Name <a@b.org>".')
@click.option("--timezone", help="The newsroom's time zone, e.g. Europe/Prague. [default: UTC]")
@click.option("--author", help="The name of the person who writes the issues.")
@click.option("--feed", "feeds", multiple=True, metavar="[NAME=]URL", help="A feed; repeatable.")
@click.option("--theme", is_flag=True, help="Copy the default theme into FOLDER/theme to edit.")
@handle_errors
def init(
    folder: Path,
    name: str | None,
    sender: str | None,
    timezone: str | None,
    author: str | None,
    feeds: tuple[str, ...],
    theme: bool,
) -> None:
    """Start a newsroom in FOLDER (default: here) with its settings and issues/.

    Writes a commented newsletter.toml, an issues/ folder and, with --theme, a copy of the
    default theme to make your own. Asks for what the options leave out when run in a
    terminal; otherwise uses defaults you can change in newsletter.toml. Never overwrites
    an existing newsroom.
    """
    from newsletter.commands.init import init_newsroom

    asking = sys.stdin.isatty()

    def ask(value: str | None, question: str, default: str) -> str:
        if value is not None or not asking:
            return value if value is not None else default
        return str(click.prompt(question, default=default, show_default=bool(default)))

    title = folder.resolve().name.replace("-", " ").replace("_", " ").title() or "Briefing"
    name = ask(name, "The newsletter's name", title)
    sender = ask(sender, "The sender's address", "briefing@example.org")
    timezone = ask(timezone, "The newsroom's time zone", "UTC")
    author = ask(author, "Who writes the issues", "")
    if not feeds and asking:
        first = click.prompt("A feed's address (empty to add feeds later)", default="")
        feeds = (first,) if first.strip() else ()
    made = init_newsroom(
        folder, name=name, sender=sender, timezone=timezone, author=author, feeds=feeds, theme=theme
    )
    click.echo(f"wrote {made.settings} and {made.folder / 'issues'}/")
    if made.theme:
        click.echo(f"copied the default theme to {made.theme}/")
    click.echo("next:")
    for step in made.next_steps:
        click.echo(f"  {step}")
