"""Entry point, the issue commands: `draft` (the scaffold of a new issue), `check` (every
problem, compiler style) and `build` (the email files and the lock file). Each parses its
options, calls one function of `newsletter.commands` and prints what it returns.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.shared import (
    config_option,
    connect_to_option,
    echo_json,
    handle_errors,
    load,
    parse_day,
)
from newsletter.errors import Problem, format_problems, has_errors

if TYPE_CHECKING:
    from newsletter.commands.check import FileCheck
    from newsletter.commands.links import IssueLinks
    from newsletter.commands.spam import IssueSpam
    from newsletter.config import Settings


@click.command()
@config_option
@click.option(
    "--date",
    "day",
    metavar="DATE",
    help="The issue's send date (YYYY-MM-DD). [default: the next send day]",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write it. [default: issues/DATE.yaml]",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@handle_errors
def draft(config: Path | None, day: str | None, output: Path | None, force: bool) -> None:
    """Scaffold a new issue file from the week's articles.

    Writes the sections with placeholder text and every candidate article of the week as a
    commented-out entry, grouped by feed, newest first: uncomment, write, then `check`.
    """
    from newsletter.commands.draft import draft_issue_file

    settings = load(config)
    when = parse_day(day, "--date")
    drafted = draft_issue_file(settings, day=when, output=output, force=force)
    more = f" ({drafted.left_out} older ones left out)" if drafted.left_out else ""
    click.echo(f"wrote {drafted.path} with {drafted.candidates} candidate articles{more}")


@click.command()
@config_option
@click.argument(
    "issue_files", metavar="ISSUE.yaml...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--links",
    is_flag=True,
    help="Also try every link of each email over the network (HEAD, then GET), and report "
    "dead links and permanent redirects where they were written.",
)
@click.option(
    "--refresh",
    is_flag=True,
    help="With --links: try every link again, even one a check tried within [links] cache_hours.",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="With --links: also try addresses on this machine or in a private network "
    "(refused by default).",
)
@connect_to_option
@click.option(
    "--deliverability",
    is_flag=True,
    help="Also score each email as a receiving server would, with SpamAssassin offline "
    "(Debian's spamassassin package), and list every rule that fired.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a list of each file's problems.")
@handle_errors
def check(
    config: Path | None,
    issue_files: tuple[Path, ...],
    strict: bool,
    links: bool,
    refresh: bool,
    allow_private: bool,
    connect_to: tuple[tuple[str, int, str, int], ...],
    deliverability: bool,
    as_json: bool,
) -> None:
    """Report every problem in issue files, compiler style (exit 1 on any error).

    Errors stop a build; warnings (a long subject, a story from outside the week, an article
    already featured, a missing key issue) do not, unless --strict. Each file is reported on
    its own.

    With --links, each email is rendered and every distinct link in it is tried once, at most
    [fetch] per_host requests to a server at a time; answers are remembered in the store for
    [links] cache_hours (default 24). A dead link is an error at the line and column where it
    was written; a permanent redirect is a warning naming the new address; the mail
    service's own links (unsubscribe, view in browser) are skipped.

    With --deliverability, the email.eml that build would write is scored by SpamAssassin
    with its local tests only: a score of 5 or more is an error, above 2 a warning, and a
    table names every rule that fired and what to change.
    """
    from newsletter.commands.check import check_issues
    from newsletter.present import (
        console,
        links_json,
        links_summary,
        links_table,
        spam_json,
        spam_table,
    )

    if (refresh or allow_private or connect_to) and not links:
        raise click.UsageError("--refresh, --allow-private and --connect-to go with --links")
    settings = load(config)
    results = check_issues(settings, issue_files, strict=strict)
    checked_links = (
        _check_links(settings, results, refresh, allow_private, connect_to, as_json)
        if links
        else {}
    )
    spam = _spam_scores(settings, results, as_json) if deliverability else {}

    def found(result: FileCheck) -> tuple[Problem, ...]:
        scored = spam.get(result.path)
        return (*_link_problems(checked_links, result), *(scored.problems if scored else ()))

    if as_json:
        echo_json(
            [
                {
                    "file": str(result.path),
                    "ok": result.ok and not has_errors(found(result)),
                    "problems": [p.to_dict() for p in (*result.problems, *found(result))],
                    **(
                        {"links": links_json(checked_links[result.path], settings.root)}
                        if result.path in checked_links
                        else {}
                    ),
                    **({"spam": spam_json(spam[result.path])} if result.path in spam else {}),
                }
                for result in results
            ]
        )
    failed = 0
    for result in results:
        problems = sorted((*result.problems, *found(result)), key=lambda p: p.sort_key())
        if strict:
            problems = [replace(p, severity="error") for p in problems]
        bad = not result.ok or has_errors(problems)
        failed += bad
        if as_json:
            continue
        if result.path in checked_links:
            console().print(links_table(checked_links[result.path], settings.root))
        scored = spam.get(result.path)
        if scored is not None and scored.score is not None:
            console().print(spam_table(scored))
        if problems:
            click.echo(format_problems(problems), err=True, nl=False)
        if result.checked is not None and not bad:
            issue, count = result.checked.issue, len(problems)
            click.echo(
                f"{result.path}: ok, issue {issue.number} of {issue.date}, "
                f"{len(issue.articles)} articles, {count} warning{'s' if count != 1 else ''}"
            )
    if checked_links and not as_json:
        click.echo(links_summary(list(checked_links.values())))
    if len(results) > 1 and not as_json:
        click.echo(f"{len(results)} files checked, {failed} with errors", err=True)
    if failed:
        sys.exit(1)


def _check_links(
    settings: Settings,
    results: Sequence[FileCheck],
    refresh: bool,
    allow_private: bool,
    connect_to: tuple[tuple[str, int, str, int], ...],
    as_json: bool,
) -> dict[Path, IssueLinks]:
    """Render each file that has no error and try its email's links, with a progress bar."""
    from newsletter.commands.links import check_email_links, count_links, links_to_check
    from newsletter.present import progress_bar
    from newsletter.render import render_issue
    from newsletter.render.theme import load_theme

    theme = load_theme(settings.theme)
    emails = []
    for result in results:
        if result.checked is not None:
            rendered = render_issue(result.checked.issue, settings, theme)
            emails.append((result.path, links_to_check(settings, rendered, theme.folder)))
    with progress_bar("checking links", count_links(emails), enabled=not as_json) as advance:
        reports = check_email_links(
            settings,
            emails,
            refresh=refresh,
            allow_private=allow_private,
            connect_to=connect_to,
            on_link=advance,
        )
    return {report.path: report for report in reports}


def _spam_scores(
    settings: Settings, results: Sequence[FileCheck], as_json: bool
) -> dict[Path, IssueSpam]:
    """Score each file that has no error with SpamAssassin, with a progress bar."""
    from newsletter.commands.spam import email_eml, score_issue
    from newsletter.present import progress_bar
    from newsletter.render.theme import load_theme

    theme = load_theme(settings.theme)
    scores = {}
    todo = [result for result in results if result.checked is not None]
    with progress_bar("scoring", len(todo), enabled=not as_json) as advance:
        for result in todo:
            assert result.checked is not None
            eml = email_eml(settings, result.checked, theme)
            scores[result.path] = score_issue(result.path, eml)
            advance(str(result.path))
    return scores


def _link_problems(checked: dict[Path, IssueLinks], result: FileCheck) -> tuple[Problem, ...]:
    report = checked.get(result.path)
    return report.problems if report is not None else ()


@click.command()
@config_option
@click.argument("issue_file", metavar="ISSUE.yaml", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("build"),
    show_default=True,
    help="The build folder.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--refresh",
    is_flag=True,
    help="Take every article from the store, not from the issue's lock file.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Treat warnings (the issue's and the email lint's) as errors: build nothing.",
)
@click.option(
    "--check-links",
    is_flag=True,
    help="Try every link of the email first, as `check --links` does: a dead one stops the build.",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="With --check-links: also try addresses on this machine or in a private network.",
)
@connect_to_option
@handle_errors
def build(
    config: Path | None,
    issue_file: Path,
    output: Path,
    as_json: bool,
    refresh: bool,
    strict: bool,
    check_links: bool,
    allow_private: bool,
    connect_to: tuple[tuple[str, int, str, int], ...],
) -> None:
    """Build an issue: build/NAME/email.html, email.txt, email.eml and report.json.

    Also records the articles the issue used in ISSUE.lock.json beside it, so that building
    it again, even after the store is gone, gives the same email.
    """
    from newsletter.commands.build import PreparedBuild, build_issue

    if (allow_private or connect_to) and not check_links:
        raise click.UsageError("--allow-private and --connect-to go with --check-links")
    settings = load(config)

    def links(prepared: PreparedBuild) -> tuple[Problem, ...]:
        from newsletter.commands.links import check_email_links, links_to_check
        from newsletter.present import progress_bar
        from newsletter.render.theme import default_theme

        found = links_to_check(settings, prepared.rendered, settings.theme or default_theme())
        with progress_bar("checking links", len(found), enabled=not as_json) as advance:
            (report,) = check_email_links(
                settings,
                [(issue_file, found)],
                allow_private=allow_private,
                connect_to=connect_to,
                on_link=advance,
            )
        return report.problems

    built = build_issue(
        settings,
        issue_file,
        output=output,
        refresh=refresh,
        strict=strict,
        check_links=links if check_links else None,
    )
    if as_json:
        click.echo(built.report.read_text(encoding="utf-8"), nl=False)
        return
    if built.problems:
        click.echo(format_problems(built.problems, wrote_nothing=False), err=True, nl=False)
    click.echo(f"built issue {built.rendered.issue.number}: {built.rendered.subject}")
    for name in ("email.html", "email.txt", "email.eml", "report.json"):
        click.echo(f"  {built.folder / name}")
