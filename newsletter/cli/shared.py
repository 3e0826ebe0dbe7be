"""Entry point, the parts every command of the command line shares: the error handling
(problems printed compiler-style, exit 1; a bug says so, its traceback with --debug), the
--config option, the settings, dates given as options, and JSON output.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from newsletter.config import Settings, find_config, load_settings
from newsletter.errors import NewsletterError, ProblemsError, format_problems
from newsletter.untrusted import terminal_text
from newsletter.week import FIRST_DAY, LAST_DAY, is_supported_day

F = TypeVar("F", bound=Callable[..., Any])


def debugging() -> bool:
    """True when the command line was given --debug."""
    return bool(click.get_current_context().find_root().params.get("debug"))


def handle_errors(func: F) -> F:
    """Print problems compiler-style and exit 1; a bug says so (its traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ProblemsError as exc:
            click.echo(
                format_problems(exc.problems, wrote_nothing=exc.wrote_nothing), err=True, nl=False
            )
            sys.exit(1)
        except NewsletterError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, KeyboardInterrupt, BrokenPipeError):
            raise
        except Exception as exc:
            if debugging():
                raise
            click.echo(
                f"internal error: {type(exc).__name__}: {terminal_text(str(exc))}\n"
                "  hint: this is a bug in newsletter; run again with --debug for the details",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def config_option(func: F) -> F:
    """The --config option every command takes."""
    return click.option(
        "--config",
        "config",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="The newsroom's settings file. [default: ./newsletter.toml]",
    )(func)


def load(config: Path | None) -> Settings:
    """The settings from --config, or from newsletter.toml in the current folder."""
    return load_settings(find_config(config))


def parse_day(value: str | None, param: str) -> date | None:
    """A date given as an option (YYYY-MM-DD, in the supported range), or a usage error."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"expected a date as YYYY-MM-DD, found '{value}'", param_hint=param
        ) from None
    if not is_supported_day(day):
        raise click.BadParameter(
            f"{day} is outside the dates newsletter supports, {FIRST_DAY} to {LAST_DAY}",
            param_hint=param,
        )
    return day


def echo_json(data: object) -> None:
    """Print data as indented JSON, non-ASCII letters as they are."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def parse_connect_to(text: str) -> tuple[str, int, str, int]:
    """A --connect-to value: HOST:PORT:TO_HOST:TO_PORT, as curl writes it ([brackets]
    around an IPv6 address)."""
    parts = re.fullmatch(r"(\[[^\]]+\]|[^:\[\]]+):(\d{1,5}):(\[[^\]]+\]|[^:\[\]]+):(\d{1,5})", text)
    if parts is None or not all(0 < int(parts[n]) < 65536 for n in (2, 4)):
        raise click.BadParameter(
            f"expected HOST:PORT:TO_HOST:TO_PORT, found '{text}' "
            "(e.g. example.org:443:staging.example.org:8443)",
            param_hint="--connect-to",
        )
    return parts[1].strip("[]"), int(parts[2]), parts[3].strip("[]"), int(parts[4])


connect_to_option = click.option(
    "--connect-to",
    "connect_to",
    metavar="HOST:PORT:TO_HOST:TO_PORT",
    multiple=True,
    callback=lambda ctx, param, value: tuple(parse_connect_to(text) for text in value),
    help="With the link check: ask TO_HOST:TO_PORT for the links to HOST:PORT, as curl's "
    "option of the name does (a site's staging server before it goes live). Repeatable.",
)
