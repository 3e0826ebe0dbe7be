"""Command `init`: a new newsroom in a folder: a commented `newsletter.toml`, an `issues/`
folder and, when asked, a copy of the default theme to make its own. Takes the newsroom's
particulars; writes the files (never over existing ones) and gives an `InitResult` with the
commands to run next. The settings it writes are read back before it reports success.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsletter.config import feed_name, load_settings
from newsletter.errors import Problem, ProblemsError
from newsletter.files import write_atomic
from newsletter.options import Invalid
from newsletter.render.theme import default_theme


@dataclass(frozen=True, slots=True)
class InitResult:
    """What `init` wrote, and what to run next."""

    folder: Path
    settings: Path
    theme: Path | None
    feeds: tuple[str, ...]
    next_steps: tuple[str, ...]


def _commented(setting: str, comment: str) -> str:
    return f"{setting:<36} # {comment}"


def _quote(text: str) -> str:
    # A JSON string is a TOML basic string: the same quotes and escapes.
    return json.dumps(text, ensure_ascii=False)


def _slug(text: str, fallback: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:30] or fallback


def feed_names(urls: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(name, url) for each feed given as `NAME=URL` or a bare URL (named after its host)."""
    named: list[tuple[str, str]] = []
    for given in urls:
        name, _, url = given.partition("=") if "=" in given.split("://")[0] else ("", "", given)
        if not name:  # named after its host; a second feed from the same host gets "-2"
            host = urlsplit(url).hostname or ""
            if host.replace(".", "").isdigit() or ":" in host:
                host = ""  # an IP address names nothing
            base = name = _slug(host.removeprefix("www.").split(".")[0], "feed")
            number = 2
            while name in {taken for taken, _ in named}:
                name, number = f"{base}-{number}", number + 1
        named.append((name.strip(), url.strip()))
    return tuple(named)


def _check(name: str, sender: str, timezone: str, feeds: tuple[tuple[str, str], ...]) -> None:
    problems = []
    if not name.strip() or "\n" in name:
        problems.append(Problem("the newsletter needs a name on one line", key="--name"))
    if "@" not in sender or "\n" in sender:
        problems.append(
            Problem(
                f"expected an email address, found '{sender}'",
                key="--from",
                hint='e.g. --from "The Briefing <briefing@example.org>"',
            )
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            Problem(
                f"no time zone '{timezone}'",
                key="--timezone",
                hint="a name such as Europe/Prague, Asia/Kabul or UTC",
            )
        )
    seen: set[str] = set()
    for feed, url in feeds:
        if feed in seen:
            problems.append(
                Problem(
                    f"two feeds are named '{feed}'",
                    key="--feed",
                    hint="give each feed its own name: --feed NAME=URL",
                )
            )
        seen.add(feed)
        try:
            feed_name(feed, Path.cwd())
        except Invalid as exc:
            problems.append(
                Problem(
                    f"feed '{feed}': {exc.message}",
                    key="--feed",
                    hint="--feed NAME=URL, the name in a-z, 0-9, '-' and '_'",
                )
            )
        if not url.startswith(("http://", "https://")):
            problems.append(
                Problem(
                    f"expected an http(s) address for feed '{feed}', found '{url}'",
                    key="--feed",
                    hint="--feed https://example.org/feed.xml, or --feed NAME=URL; a feed "
                    'file on disk goes in newsletter.toml as url = "feeds/news.xml"',
                )
            )
    if problems:
        raise ProblemsError(problems)


def settings_text(
    *,
    name: str,
    sender: str,
    timezone: str,
    author: str,
    feeds: tuple[tuple[str, str], ...],
    theme: bool,
) -> str:
    """The commented `newsletter.toml` of a new newsroom."""
    author_key = _slug(author.split()[-1] if author.split() else "", "editor")
    lines = [
        "# The newsroom's settings, read by every `newsletter` command in this folder.",
        "# Paths are relative to this file. The README's table lists every key.",
        "",
        "[newsletter]",
        _commented(f"name = {_quote(name)}", "the masthead; subjects are '<name>: <title>'"),
        _commented(f"timezone = {_quote(timezone)}", "the week and printed times are in this zone"),
        'send_day = "friday"',
        f"from = {_quote(sender)}",
        _commented('# reply_to = "tips@example.org"', "where readers' replies go"),
        'store = "data/articles.sqlite3"      # the articles `newsletter fetch` collects',
    ]
    if theme:
        lines.append(_commented('theme = "theme"', "your copy of the default theme"))
    lines += [
        _commented('# subscribe_url = "https://example.org/subscribe"', "the welcome's link"),
        _commented('# archive_url = "https://example.org/briefing/"', "issues read online"),
        "",
        "# Who writes the issues; an issue's `author:` names one of these keys.",
    ]
    if author.strip():
        lines += [
            f"[authors.{author_key}]",
            f"name = {_quote(author.strip())}",
            '# role = "a senior correspondent"',
        ]
    else:
        lines += ["# [authors.karimi]", '# name = "Nadia Karimi"', '# role = "a correspondent"']
    lines += ["", "# The feeds `newsletter fetch` reads: http(s) addresses or files."]
    for feed, url in feeds:
        lines += ["[[feeds]]", f"name = {_quote(feed)}", f"url = {_quote(url)}", ""]
    if not feeds:
        lines += ["# [[feeds]]", '# name = "news"', '# url = "https://example.org/feed.xml"', ""]
    lines += [
        "[delivery]",
        "# The unsubscribe page of your mail service; `check` reminds you until it is set.",
        '# unsubscribe_url = "https://example.org/unsubscribe"',
        "# Where mail clients send an unsubscribe request by email; the `from` address if unset.",
        '# unsubscribe_mailto = "unsubscribe@example.org"',
        "",
        "# An edition in another language (issues with `lang: fa`) under its own name; the",
        "# [newsletter] organisation and from serve it unless it gives its own.",
        "# [editions.fa]",
        '# name = "The name in Dari"',
        '# organisation = "The publisher\'s line in Dari"',
        '# from = "The name in Dari <briefing@example.org>"',
        "",
    ]
    return "\n".join(lines)


def init_newsroom(
    folder: Path,
    *,
    name: str,
    sender: str,
    timezone: str = "UTC",
    author: str = "",
    feeds: tuple[str, ...] = (),
    theme: bool = False,
) -> InitResult:
    """Start a newsroom in `folder`; refuse to overwrite an existing one."""
    named = feed_names(feeds)
    _check(name, sender, timezone, named)
    settings = folder / "newsletter.toml"
    theme_folder = folder / "theme"
    taken = [path for path in (settings, theme_folder if theme else None) if path and path.exists()]
    if taken:
        raise ProblemsError(
            [
                Problem(
                    "already exists; nothing was written",
                    path=path,
                    hint="choose another folder, or remove it first",
                )
                for path in taken
            ]
        )
    text = settings_text(
        name=name, sender=sender, timezone=timezone, author=author, feeds=named, theme=theme
    )
    (folder / "issues").mkdir(parents=True, exist_ok=True)
    if theme:
        shutil.copytree(default_theme(), theme_folder)
    write_atomic(settings, text)
    load_settings(settings)  # what init writes must read back; a failure here is a bug
    steps = [] if folder.resolve() == Path.cwd().resolve() else [f"cd {folder}"]
    if named:
        steps += ["newsletter fetch", "newsletter articles", "newsletter draft"]
    else:
        steps += [f"# add your feeds under [[feeds]] in {settings.name}, then:", "newsletter fetch"]
    return InitResult(
        folder, settings, theme_folder if theme else None, tuple(n for n, _ in named), tuple(steps)
    )
