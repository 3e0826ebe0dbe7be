"""Settings: every mistake in newsletter.toml at its line, with a hint."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.config import FetchLimits, load_settings
from newsletter.errors import ProblemsError, format_problems
from tests.conftest import ROOT


def _report(tmp_path: Path, text: str) -> str:
    path = tmp_path / "newsletter.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemsError) as caught:
        load_settings(path)
    return format_problems(caught.value.problems).replace(str(path), "newsletter.toml")


def test_the_demo_settings_load() -> None:
    settings = load_settings(ROOT / "newsletter.toml")
    assert settings.name == "The Darvana Briefing"
    assert settings.timezone.key == "Asia/Kabul"
    assert [feed.name for feed in settings.feeds] == ["news", "analysis", "dari"]
    assert all(Path(feed.url).is_file() for feed in settings.feeds)
    assert settings.authors["karimi"].name == "Nadia Karimi"


def test_a_misspelt_time_zone(tmp_path: Path) -> None:
    text = '[newsletter]\nname = "B"\nfrom = "b@example.org"\ntimezone = "Asia/Kabol"\n'
    assert _report(tmp_path, text) == (
        "newsletter.toml:4:1: error: newsletter.timezone: unknown time zone 'Asia/Kabol'\n"
        ' > 4 | timezone = "Asia/Kabol"\n'
        "     | ^^^^^^^^\n"
        "  hint: did you mean 'Asia/Kabul'? use an IANA name such as Asia/Kabul or "
        "Europe/Prague\n"
        "\n"
        "1 error in newsletter.toml; nothing was written.\n"
    )


def test_toml_syntax_error_has_its_position(tmp_path: Path) -> None:
    assert _report(tmp_path, "[newsletter]\nname = The Briefing\n") == (
        "newsletter.toml:2:8: error: TOML syntax: Invalid value\n"
        " > 2 | name = The Briefing\n"
        "     |        ^\n"
        '  hint: strings need double quotes, e.g. name = "The Briefing"\n'
        "\n"
        "1 error in newsletter.toml; nothing was written.\n"
    )


def test_all_feed_mistakes_at_once(tmp_path: Path) -> None:
    text = (
        '[newsletter]\nname = "B"\nfrom = "b@example.org"\n'
        '[[feeds]]\nname = "News Feed"\nurl = "a.xml"\n'
        '[[feeds]]\nnme = "b"\nurl = "b.xml"\n'
        '[[feeds]]\nname = "c"\nurl = "ftp://example.org/c"\n'
    )
    report = _report(tmp_path, text)
    assert [line for line in report.splitlines() if ": error: " in line] == [
        "newsletter.toml:5:1: error: feeds[0].name: expected a short feed name "
        "(a-z, 0-9, '-', '_'), found 'News Feed'",
        "newsletter.toml:8:1: error: feeds[1]: unknown key 'nme'",
        "newsletter.toml:12:1: error: feeds[2].url: unsupported address 'ftp://example.org/c'",
    ]


def test_fetch_limits_are_read_and_checked(tmp_path: Path) -> None:
    head = '[newsletter]\nname = "B"\nfrom = "b@example.org"\n'
    path = tmp_path / "newsletter.toml"
    path.write_text(head + "[fetch]\nper_host = 4\nread_timeout = 7.5\n", encoding="utf-8")
    limits = load_settings(path).fetch
    assert (limits.per_host, limits.concurrency, limits.read_timeout) == (4, 256, 7.5)
    report = _report(
        tmp_path,
        head + '[fetch]\nper_host = 0\nconcurrency = 2.5\nread_timeout = "20"\nper_hots = 3\n',
    )
    assert [line for line in report.splitlines() if ": error: " in line] == [
        "newsletter.toml:5:1: error: fetch.per_host: expected a whole number above 0 and at "
        "most 64, found 0",
        "newsletter.toml:6:1: error: fetch.concurrency: expected a whole number above 0 and at "
        "most 1024, found 2.5",
        "newsletter.toml:7:1: error: fetch.read_timeout: expected a number of seconds above 0 "
        "and at most 300, found '20'",
        "newsletter.toml:8:1: error: fetch: unknown key 'per_hots'",
    ]
    assert "  hint: the default is 8" in report
    assert "  hint: did you mean 'per_host'? known keys: concurrency, connect_timeout" in report


def test_missing_settings_file(tmp_path: Path) -> None:
    with pytest.raises(ProblemsError) as caught:
        load_settings(tmp_path / "newsletter.toml")
    assert "no settings file here" in format_problems(caught.value.problems)


SETTINGS_LINES = (ROOT / "newsletter.toml").read_text(encoding="utf-8").splitlines()
TOML_GARBAGE = st.sampled_from(
    [
        '""',
        "1",
        "true",
        "[]",
        "{}",
        '"Asia/Nowhere"',
        '"#zzz"',
        '"ftp://x"',
        '"a b"',
        "= =",
        "[newsletter]",
        "[[feeds]]",
        "[authors.x]",
        'url = "x"',
        "1979-05-27",
        '"\\u0000"',
        "nan",
    ]
)


@st.composite
def mutated_settings(draw: st.DrawFn) -> str:
    lines = list(SETTINGS_LINES)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "value", "key", "insert"]))
        if kind == "delete":
            del lines[index]
        elif kind == "value" and "=" in lines[index]:
            lines[index] = lines[index].split("=", 1)[0] + "= " + draw(TOML_GARBAGE)
        elif kind == "key" and "=" in lines[index]:
            lines[index] = (
                draw(st.from_regex(r"[a-z_]{1,8}", fullmatch=True))
                + " ="
                + (lines[index].split("=", 1)[1])
            )
        else:
            lines.insert(index, draw(TOML_GARBAGE))
    return "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None)
@given(mutated_settings())
def test_mutated_settings_are_reported_never_raised(text: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="newsletter-settings-"))
    shutil.copytree(ROOT / "feeds", folder / "feeds")
    (folder / "newsletter.toml").write_text(text, encoding="utf-8")
    try:
        load_settings(folder / "newsletter.toml")
    except ProblemsError as exc:
        assert exc.problems
        assert format_problems(exc.problems).endswith("nothing was written.\n")
    finally:
        shutil.rmtree(folder)


def test_control_characters_in_paths_are_reported(tmp_path: Path) -> None:
    text = (
        '[newsletter]\nname = "B"\nfrom = "b@example.org"\nstore = "data/\\u0000.db"\n'
        '[[feeds]]\nname = "a"\nurl = "feeds/\\u0000.xml"\n'
    )
    report = _report(tmp_path, text)
    assert [line for line in report.splitlines() if ": error: " in line] == [
        "newsletter.toml:4:1: error: newsletter.store: the value contains a control character",
        "newsletter.toml:7:1: error: feeds[0].url: the value contains a control character",
    ]


def test_a_setting_that_reaches_a_header_is_one_line(tmp_path: Path) -> None:
    text = (
        '[newsletter]\nname = "Two\\nLines"\nfrom = "b@example.org"\n'
        'organisation = "A\\u2028B"\n\n[authors.ed]\nname = "Ed"\nbio = "One.\\nTwo."\n'
    )
    report = _report(tmp_path, text)
    assert [line for line in report.splitlines() if ": error: " in line] == [
        "newsletter.toml:2:1: error: newsletter.name: expected one line, found a line break",
        "newsletter.toml:4:1: error: newsletter.organisation: expected one line, found a line "
        "break",
    ]
    assert "hint: write it on one line, without \\n or a multi-line string" in report


HEAD = '[newsletter]\nname = "B"\nfrom = "b@example.org"\n'


def test_a_typo_inside_an_inline_table_is_at_its_key(tmp_path: Path) -> None:
    text = HEAD + '\n[authors]\nkarimi = { name = "N", rol = "x" }\n'
    assert _report(tmp_path, text) == (
        "newsletter.toml:6:24: error: authors.karimi: unknown key 'rol'\n"
        ' > 6 | karimi = { name = "N", rol = "x" }\n'
        "     |                        ^^^\n"
        "  hint: did you mean 'role'? known keys: bio, name, role\n"
        "\n"
        "1 error in newsletter.toml; nothing was written.\n"
    )


def test_dotted_keys_are_placed_at_their_last_part(tmp_path: Path) -> None:
    text = (
        'newsletter.name = "B"\nnewsletter.from = "b@example.org"\n'
        'newsletter.timezone = "Asia/Kabol"\nauthors.karimi.name = "N"\nauthors.karimi.rol = "x"\n'
    )
    report = _report(tmp_path, text)
    assert [line for line in report.splitlines() if ": error: " in line] == [
        "newsletter.toml:3:12: error: newsletter.timezone: unknown time zone 'Asia/Kabol'",
        "newsletter.toml:5:16: error: authors.karimi: unknown key 'rol'",
    ]


def test_each_feeds_entry_is_its_own(tmp_path: Path) -> None:
    text = (
        HEAD
        + '\n[[feeds]]\nname = "a"\nurl = "a.xml"\n\n[[feeds]]   # the evening bulletin\nname = "b"\n'
    )
    assert _report(tmp_path, text) == (
        "newsletter.toml:9:1: error: feeds[1]: missing required key 'url'\n"
        " > 9 | [[feeds]]   # the evening bulletin\n"
        "     | ^^^^^^^^^\n"
        '  hint: for example url = "https://example.org/feed.xml"\n'
        "\n"
        "1 error in newsletter.toml; nothing was written.\n"
    )


def test_feeds_written_as_an_array_of_inline_tables(tmp_path: Path) -> None:
    text = (
        "feeds = [\n"
        '  { name = "a", url = "a.xml" },\n'
        '  { name = "b", uri = "b.xml" },\n'
        '  { name = "a", url = "c d.xml" },\n'
        "]\n" + HEAD
    )
    report = _report(tmp_path, text)
    assert [line for line in report.splitlines() if ": error: " in line] == [
        "newsletter.toml:3:17: error: feeds[1]: unknown key 'uri'",
        "newsletter.toml:4:5: error: feeds[2].name: feed name 'a' is used twice",
        "newsletter.toml:4:17: error: feeds[2].url: the address contains a space",
    ]
    # The misspelt key is the one mistake: no second error for the missing url.
    assert "did you mean 'url'? known keys: name, url" in report


def test_multi_line_strings_do_not_hide_or_fake_keys(tmp_path: Path) -> None:
    text = HEAD + (
        '\n[authors.karimi]\nname = "N"\nbio = """\nShe covers:\n[feeds]\nrol = "the border"\n"""\n'
        "role = '''\nsenior\ncorrespondent'''\nrol = \"x\"\n"
    )
    report = _report(tmp_path, text)
    assert [line for line in report.splitlines() if ": error: " in line] == [
        "newsletter.toml:12:1: error: authors.karimi.role: expected one line, found a line break",
        "newsletter.toml:15:1: error: authors.karimi: unknown key 'rol'",
    ]


def test_quoted_keys_are_underlined_with_their_quotes(tmp_path: Path) -> None:
    text = (
        '[newsletter]\n"name" = "B"\n\'from\' = "b@example.org"\n"time zone" = "Asia/Kabul"\n'
        '[authors."karimi"]\n"name" = "N"\n"rol\\u0065" = 1\n'
    )
    assert _report(tmp_path, text) == (
        "newsletter.toml:4:1: error: newsletter: unknown key 'time zone'\n"
        ' > 4 | "time zone" = "Asia/Kabul"\n'
        "     | ^^^^^^^^^^^\n"
        "  hint: did you mean 'timezone'? known keys: accent, archive_url, from, name, "
        "organisation, reply_to, send_day, store, subscribe_url, theme, timezone\n"
        "\n"
        "newsletter.toml:7:1: error: authors.karimi.role: expected a non-empty string, found 1\n"
        ' > 7 | "rol\\u0065" = 1\n'
        "     | ^^^^^^^^^^^\n"
        '  hint: for example role = "senior correspondent"\n'
        "\n"
        "2 errors in newsletter.toml; nothing was written.\n"
    )


def test_lines_are_counted_as_the_report_shows_them(tmp_path: Path) -> None:
    # A U+2028 in a comment and Windows line ends: the caret still sits under the key.
    text = '# Settings\u2028for the demo\r\n[newsletter]\r\nname = "B"\r\nfrom = "b"\r\n'
    assert _report(tmp_path, text).splitlines()[:3] == [
        "newsletter.toml:5:1: error: newsletter.from: expected an email address, found 'b'",
        ' > 5 | from = "b"',
        "     | ^^^^",
    ]


def test_a_misspelt_required_key_is_one_error(tmp_path: Path) -> None:
    report = _report(tmp_path, '[newsletter]\nnme = "B"\nfrom = "b@example.org"\n')
    assert [line for line in report.splitlines() if ": error: " in line] == [
        "newsletter.toml:2:1: error: newsletter: unknown key 'nme'",
    ]


def test_tables_of_the_wrong_type_are_reported(tmp_path: Path) -> None:
    text = 'fetch = 3\ndelivery = "x"\nauthors = []\nfeeds = {}\n' + HEAD
    report = _report(tmp_path, text)
    assert [line for line in report.splitlines() if ": error: " in line] == [
        "newsletter.toml:1:1: error: fetch: expected a [fetch] table, found 3",
        "newsletter.toml:2:1: error: delivery: expected a [delivery] table, found 'x'",
        "newsletter.toml:3:1: error: authors: expected [authors.KEY] tables, found an array",
        "newsletter.toml:4:1: error: feeds: expected [[feeds]] entries, found a table",
    ]


def test_a_time_zone_folder_is_reported_not_raised(tmp_path: Path) -> None:
    # "Asia" is a folder of the time zone database: ZoneInfo raised IsADirectoryError.
    report = _report(tmp_path, HEAD + 'timezone = "Asia"\n')
    assert "newsletter.toml:4:1: error: newsletter.timezone: unknown time zone 'Asia'" in report


def test_a_feed_path_through_a_symlink_loop_still_loads(tmp_path: Path) -> None:
    (tmp_path / "one").symlink_to(tmp_path / "two")
    (tmp_path / "two").symlink_to(tmp_path / "one")
    path = tmp_path / "newsletter.toml"
    path.write_text(HEAD + '[[feeds]]\nname = "a"\nurl = "one/feed.xml"\n', encoding="utf-8")
    # `fetch` reports the unreadable file, for this feed alone.
    assert load_settings(path).feeds[0].url == str(tmp_path / "one" / "feed.xml")


def test_the_demo_settings_fill_every_field() -> None:
    settings = load_settings(ROOT / "newsletter.toml")
    assert settings.fetch == FetchLimits()
    assert settings.organisation.startswith("Meridian Radio")
    assert settings.unsubscribe_url == "https://example.org/briefing/unsubscribe"
    assert settings.feeds[0].span.line == 25  # the url of the first [[feeds]]


def test_a_key_above_its_table_says_where_it_belongs(tmp_path: Path) -> None:
    report = _report(tmp_path, 'timezone = "Asia/Kabul"\n' + HEAD)
    assert (
        report.splitlines()[0] == "newsletter.toml:1:1: error: timezone: unknown table [timezone]"
    )
    assert (
        "  hint: timezone is a key of [newsletter]: write it below the [newsletter] line" in report
    )


def test_a_settings_file_saved_with_a_byte_order_mark_reads(tmp_path: Path) -> None:
    path = tmp_path / "newsletter.toml"
    path.write_bytes(b'\xef\xbb\xbf[newsletter]\nname = "B"\nfrom = "b@example.org"\n')
    assert load_settings(path).name == "B"


def test_reply_to_is_an_address(tmp_path: Path) -> None:
    report = _report(
        tmp_path, '[newsletter]\nname = "B"\nfrom = "b@example.org"\nreply_to = "tips"\n'
    )
    assert "newsletter.reply_to: expected an email address" in report
