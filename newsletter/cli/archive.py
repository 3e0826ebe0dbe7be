"""Entry point, the publishing command `archive`: every issue into a static web archive (a
page per issue, an index, an Atom feed per language edition). Parses its options, calls
`newsletter.commands.archive` and prints what it did, as lines or as JSON.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newsletter.cli.shared import config_option, echo_json, handle_errors, load, parse_day
from newsletter.errors import ProblemsError, format_problems
from newsletter.untrusted import terminal_text

if TYPE_CHECKING:
    from newsletter.commands.archive import ArchiveResult


def _json(result: ArchiveResult) -> dict[str, Any]:
    return {
        "ok": True,
        "output": str(result.output),
        "until": result.until.isoformat(),
        "issues": [
            {
                "file": str(issue.source),
                "slug": issue.slug,
                "number": issue.number,
                "date": issue.date.isoformat(),
                "lang": issue.lang,
                "title": issue.title,
                "url": issue.url,
                "page": str(result.output / issue.slug / "index.html"),
                "warnings": issue.warnings,
            }
            for issue in result.issues
        ],
        "feeds": {lang: str(result.output / name) for lang, name in result.feeds},
        "skipped": [
            {"file": str(s.source), "problems": [p.to_dict() for p in s.problems]}
            for s in result.skipped
        ],
        "later": [str(path) for path in result.later],
        "image_problems": [p.to_dict() for p in result.image_problems],
        "written": list(result.written),
        "unchanged": list(result.unchanged),
        "removed": list(result.removed),
    }


def _count(items: tuple[str, ...], noun: str) -> str:
    return f"{len(items)} {noun}{'s' if len(items) != 1 else ''}"


def _report(result: ArchiveResult) -> None:
    for skipped in result.skipped:
        click.echo(format_problems(skipped.problems, wrote_nothing=False), err=True, nl=False)
        click.echo(
            f"skipped {terminal_text(str(skipped.source))}: it has errors; an earlier page of "
            "it stays as it was (--strict makes this fail the archive)\n",
            err=True,
        )
    if result.image_problems:
        click.echo(format_problems(result.image_problems), err=True, nl=False)
    if result.later:
        names = ", ".join(terminal_text(str(path)) for path in result.later)
        click.echo(f"left out, dated after {result.until} (use --until): {names}", err=True)
    count = len(result.issues)
    click.echo(
        f"archived {count} issue{'s' if count != 1 else ''} in {terminal_text(str(result.output))}"
        f": {_count(result.written, 'file')} written, {len(result.unchanged)} unchanged, "
        f"{len(result.removed)} removed"
    )
    # Where to look, written this time or not.
    click.echo(f"  index: {result.output / 'index.html'}")
    for _, name in result.feeds:
        click.echo(f"  feed:  {result.output / name}")


@click.command()
@config_option
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("site"),
    show_default=True,
    help="The site folder.",
)
@click.option(
    "--until",
    "until",
    metavar="DATE",
    help="Leave out issues dated after DATE (YYYY-MM-DD). [default: today]",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1, write nothing) if an issue has errors.")
@click.option(
    "--remote-images",
    is_flag=True,
    help="Leave images on their own servers instead of copying them into the site.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was archived as JSON.")
@handle_errors
def archive(
    config: Path | None,
    output: Path,
    until: str | None,
    strict: bool,
    remote_images: bool,
    as_json: bool,
) -> None:
    """Build the web archive of every issue: pages, an index and Atom feeds.

    Every issue in issues/ gets OUTPUT/NAME/index.html, the address of the email's "read it
    in your browser" link once OUTPUT is published at archive_url. An issue with errors is
    reported and skipped (its earlier page stays), unless --strict. The issues' images are
    copied beside their pages. Only files whose bytes changed are written.
    """
    from newsletter.commands.archive import archive_issues, issue_files
    from newsletter.issue import issues_folder
    from newsletter.present import progress_bar

    settings = load(config)
    day = parse_day(until, "--until")
    total = len(issue_files(issues_folder(settings)))
    try:
        with progress_bar("archiving", total, enabled=not as_json) as advance:
            result = archive_issues(
                settings,
                output,
                until=day,
                strict=strict,
                copy_images=not remote_images,
                on_issue=advance,
            )
    except ProblemsError as exc:
        if not as_json:
            raise
        echo_json({"ok": False, "problems": [p.to_dict() for p in exc.problems]})
        sys.exit(1)
    if as_json:
        echo_json(_json(result))
    else:
        _report(result)
