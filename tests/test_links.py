"""The link policy: campaign tags on the newsroom's own links, only where a link has none,
never changing what a link already says; trackers from feeds stay stripped; the email the
build writes, the one `send` hands off and the preview's are tagged alike, the web archive not.
"""

from __future__ import annotations

import email
import email.policy
import json
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from lxml import html as lxml_html

from newsletter.config import load_settings, own_domains
from newsletter.errors import ProblemsError, format_problems
from newsletter.models import Campaign
from newsletter.render.links import campaign_tags, tag_html, tag_text, tag_url
from tests.conftest import FeedServer, Route, run

TAGS = (("utm_source", "briefing"), ("utm_medium", "email"), ("utm_campaign", "issue-42"))
ADDED = "utm_source=briefing&utm_medium=email&utm_campaign=issue-42"
OWN = ("example.org",)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a", f"https://example.org/a?{ADDED}"),
        ("https://www.example.org/a", f"https://www.example.org/a?{ADDED}"),
        ("http://EXAMPLE.org./a", f"http://EXAMPLE.org./a?{ADDED}"),
        # The link's own parameters and fragment are kept as written, the tags appended.
        ("https://example.org/a?b=1&c=%20x#top", f"https://example.org/a?b=1&c=%20x&{ADDED}#top"),
        ("https://example.org/a?", f"https://example.org/a?{ADDED}"),
        ("https://example.org/a?b=1&", f"https://example.org/a?b=1&{ADDED}"),
        # Someone else's domain, however alike.
        ("https://other.example.net/a", "https://other.example.net/a"),
        ("https://badexample.org/a", "https://badexample.org/a"),
        ("https://example.org.evil.example/a", "https://example.org.evil.example/a"),
        ("https://user@evil.example/?u=example.org", "https://user@evil.example/?u=example.org"),
        ("mailto:desk@example.org", "mailto:desk@example.org"),
        ("https://[::1", "https://[::1"),
        # A link that names a campaign already keeps it, whole.
        ("https://example.org/a?utm_source=partner", "https://example.org/a?utm_source=partner"),
        (
            "https://example.org/a?UTM_Medium=social&x=1",
            "https://example.org/a?UTM_Medium=social&x=1",
        ),
    ],
)
def test_tag_url(url: str, expected: str) -> None:
    assert tag_url(url, TAGS, OWN) == expected


def test_the_placeholders_are_the_issues_number_date_and_language() -> None:
    from newsletter.models import Author, Issue

    campaign = Campaign("news letter", "{lang}", "briefing-{date}-{number}", OWN)
    issue = Issue(
        number=42,
        date=date(2026, 11, 27),
        lang="fa",
        title="T",
        subject=None,
        preheader="P",
        author=Author(key="a", name="A", role="", bio=""),
        hero=None,
        sections=(),
        signoff_md="",
        labels=(),
        source=Path("issues/2026-11-27-fa.yaml"),
    )
    tags = campaign_tags(campaign, issue)
    assert tags == (
        ("utm_source", "news letter"),
        ("utm_medium", "fa"),
        ("utm_campaign", "briefing-2026-11-27-42"),
    )
    assert tag_url("https://example.org/", tags, OWN) == (
        "https://example.org/?utm_source=news%20letter&utm_medium=fa"
        "&utm_campaign=briefing-2026-11-27-42"
    )


def test_html_hrefs_are_tagged_and_nothing_else() -> None:
    page = (
        '<p><a class="x" href="https://example.org/a?b=1&amp;c=2">own</a> '
        "<a href='https://example.org/q'>single</a> "
        '<a href="https://other.example.net/a">other</a> '
        '<img src="https://example.org/p.jpg"> https://example.org/bare '
        '<a href="https://newsletter.invalid/__unsubscribe__">u</a></p>'
    )
    assert tag_html(page, TAGS, OWN) == (
        '<p><a class="x" href="https://example.org/a?b=1&amp;c=2&amp;'
        + ADDED.replace("&", "&amp;")
        + '">own</a> '
        "<a href='https://example.org/q?" + ADDED.replace("&", "&amp;") + "'>single</a> "
        '<a href="https://other.example.net/a">other</a> '
        '<img src="https://example.org/p.jpg"> https://example.org/bare '
        '<a href="https://newsletter.invalid/__unsubscribe__">u</a></p>'
    )


def test_text_addresses_are_tagged_without_the_sentence_around_them() -> None:
    text = (
        "[1] https://example.org/a\n"
        "See https://example.org/b. And (https://example.org/c) or "
        "https://en.example.org/wiki/Dam_(water), https://other.example.net/d\n"
    )
    assert tag_text(text, TAGS, OWN) == (
        f"[1] https://example.org/a?{ADDED}\n"
        f"See https://example.org/b?{ADDED}. And (https://example.org/c?{ADDED}) or "
        f"https://en.example.org/wiki/Dam_(water)?{ADDED}, https://other.example.net/d\n"
    )


def test_own_domains_come_from_the_archive_and_subscribe_pages() -> None:
    assert own_domains("https://www.example.org/briefing/", "https://lists.example.net/s") == (
        "example.org",
        "lists.example.net",
    )


SETTINGS = """\
[newsletter]
name = "The Valley Briefing"
from = "Valley Desk <desk@example.org>"
timezone = "UTC"
archive_url = "https://briefing.example.org/"
subscribe_url = "https://briefing.example.org/subscribe"

[authors.ruiz]
name = "Ana Ruiz"

[[feeds]]
name = "wire"
url = "FEED"

[delivery]
unsubscribe_url = "https://lists.example.net/unsubscribe"
"""

CAMPAIGN = """
[campaign]
utm_source = "valley-briefing"
utm_campaign = "issue-{number}-{date}"
domains = ["example.org"]
"""

FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>w</title>'
    "<link>https://example.org/</link>"
    "<item><title>Dam Talks Resume</title>"
    "<link>https://www.example.org/news/dam.html?utm_source=rss&amp;utm_medium=feed"
    "&amp;fbclid=XYZ&amp;id=7</link>"
    "<pubDate>Tue, 24 Nov 2026 10:00:00 +0000</pubDate></item>"
    "<item><title>Wire Story</title>"
    "<link>https://other.example.net/story?utm_campaign=wire&amp;ref=w</link>"
    "<pubDate>Wed, 25 Nov 2026 10:00:00 +0000</pubDate></item>"
    "</channel></rss>"
)

ISSUE = """\
number: 42
date: 2026-11-27
title: Dam Talks Resume
preheader: One sentence that shows in the inbox after the subject line, long enough.
author: ruiz
sections:
  - layout: feature
    items:
      - article: {own}
        body: >-
          The [partner's report](https://example.org/partner?utm_source=partner) and
          [ours](https://example.org/ours?lang=en#map), [the agency's](https://agency.example.net/x).
        notes:
          - label: Why It's Important
            text: It matters.
  - layout: list
    items:
      - article: {other}
        blurb: From the wire.
"""

TAGGED = "utm_source=valley-briefing&utm_medium=email&utm_campaign=issue-42-2026-11-27"


def _hrefs(page: str) -> list[str]:
    return [str(link.get("href")) for link in lxml_html.fromstring(page).iter("a")]


@pytest.fixture
def tagged_room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, feed_server: FeedServer) -> Path:
    """A newsroom with a [campaign] table whose one feed, served on loopback, links to the
    newsroom's own site with a feed's trackers and to another site; its issue is fetched."""
    feed_server.routes["/feed.xml"] = Route(
        FEED.encode(), headers={"Content-Type": "application/rss+xml"}
    )
    settings = SETTINGS.replace("FEED", feed_server.url("/feed.xml")) + CAMPAIGN
    (tmp_path / "newsletter.toml").write_text(settings, encoding="utf-8")
    (tmp_path / "issues").mkdir()
    monkeypatch.chdir(tmp_path)
    assert run("fetch").exit_code == 0
    listed = json.loads(run("articles", "--week", "2026-11-27", "--json").stdout)
    ids = {article["title"]: article["id"] for article in listed}
    issue = ISSUE.format(own=ids["Dam Talks Resume"], other=ids["Wire Story"])
    (tmp_path / "issues" / "2026-11-27.yaml").write_text(issue, encoding="utf-8")
    return tmp_path


EXPECTED = [
    # The subscribe page is the newsroom's own: tagged.
    f"https://briefing.example.org/subscribe?{TAGGED}",
    # The feed's own trackers are gone (utm_source=rss, fbclid); ours are added.
    f"https://www.example.org/news/dam.html?id=7&{TAGGED}",
    # The editor's link with a campaign of its own keeps it; another keeps its fragment.
    "https://example.org/partner?utm_source=partner",
    f"https://example.org/ours?lang=en&{TAGGED}#map",
    "https://agency.example.net/x",
]


def test_the_built_email_tags_the_newsrooms_own_links(tagged_room: Path) -> None:
    result = run("build", "issues/2026-11-27.yaml")
    assert result.exit_code == 0, result.output
    folder = tagged_room / "build" / "2026-11-27"
    html = (folder / "email.html").read_text(encoding="utf-8")
    hrefs = _hrefs(html)
    for url in EXPECTED:
        assert url in hrefs
    # The wire story: stripped of the feed's utm_campaign, not the newsroom's, so not tagged.
    assert "https://other.example.net/story?ref=w" in hrefs
    # The mail-service links are filled in after tagging and are not tagged.
    assert "https://lists.example.net/unsubscribe" in hrefs
    assert "https://briefing.example.org/2026-11-27/" in hrefs
    assert "fbclid" not in html and "utm_source=rss" not in html
    text = (folder / "email.txt").read_text(encoding="utf-8")
    for url in [*EXPECTED, "https://other.example.net/story?ref=w"]:
        assert f"] {url}\n" in text
    assert "fbclid" not in text
    message = email.message_from_bytes(
        (folder / "email.eml").read_bytes(), policy=email.policy.default
    )
    assert isinstance(message, EmailMessage)
    part = message.get_body(("html",))
    assert part is not None
    assert _hrefs(part.get_content()) == hrefs


def test_send_and_the_preview_carry_the_same_tagged_links(tagged_room: Path) -> None:
    from newsletter.commands.build import prepare_build

    assert run("build", "issues/2026-11-27.yaml").exit_code == 0
    built = (tagged_room / "build" / "2026-11-27" / "email.html").read_bytes()
    settings = load_settings(tagged_room / "newsletter.toml")
    prepared = prepare_build(settings, Path("issues/2026-11-27.yaml"))
    assert prepared.files["email.html"] == built
    # The lint measured the email with its tags.
    rendered = prepared.rendered
    assert TAGGED.replace("&", "&amp;") in rendered.html
    assert rendered.sizes.html_bytes == len(rendered.html.encode("utf-8"))
    assert run("send", "issues/2026-11-27.yaml", "--to", "dir:out").exit_code == 0
    handed = (tagged_room / "out" / "2026-11-27" / "email.html").read_text(encoding="utf-8")
    assert _hrefs(handed) == _hrefs(built.decode("utf-8"))


def test_the_web_archive_is_not_tagged(tagged_room: Path) -> None:
    result = run("archive", "--until", "2026-11-27")
    assert result.exit_code == 0, result.output
    page = (tagged_room / "site" / "2026-11-27" / "index.html").read_text(encoding="utf-8")
    assert "https://www.example.org/news/dam.html?id=7" in _hrefs(page)
    assert "utm_medium" not in page


def test_without_a_campaign_table_nothing_is_tagged(tagged_room: Path) -> None:
    settings = tagged_room / "newsletter.toml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(CAMPAIGN, ""), "utf-8")
    assert run("build", "issues/2026-11-27.yaml").exit_code == 0
    html = (tagged_room / "build" / "2026-11-27" / "email.html").read_text(encoding="utf-8")
    assert "utm_" not in html.replace("utm_source=partner", "")
    assert "https://www.example.org/news/dam.html?id=7" in _hrefs(html)


def test_the_domains_default_to_the_archive_and_subscribe_pages(tagged_room: Path) -> None:
    settings = tagged_room / "newsletter.toml"
    text = settings.read_text(encoding="utf-8").replace('domains = ["example.org"]\n', "")
    settings.write_text(text, encoding="utf-8")
    assert load_settings(settings).campaign == Campaign(
        "valley-briefing", "email", "issue-{number}-{date}", ("briefing.example.org",)
    )
    assert run("build", "issues/2026-11-27.yaml").exit_code == 0
    hrefs = _hrefs((tagged_room / "build" / "2026-11-27" / "email.html").read_text("utf-8"))
    assert f"https://briefing.example.org/subscribe?{TAGGED}" in hrefs
    assert "https://www.example.org/news/dam.html?id=7" in hrefs  # not briefing.example.org


def _settings_problems(tmp_path: Path, campaign: str) -> str:
    path = tmp_path / "newsletter.toml"
    path.write_text(SETTINGS.replace("FEED", "https://example.org/f.xml") + campaign, "utf-8")
    with pytest.raises(ProblemsError) as caught:
        load_settings(path)
    return format_problems(caught.value.problems).replace(str(path), "newsletter.toml")


def test_an_unknown_placeholder_is_reported_where_it_is(tmp_path: Path) -> None:
    printed = _settings_problems(tmp_path, '\n[campaign]\nutm_campaign = "issue-{numbr}"\n')
    assert printed == (
        "newsletter.toml:19:1: error: campaign.utm_campaign: unknown placeholder {numbr}\n"
        ' > 19 | utm_campaign = "issue-{numbr}"\n'
        "      | ^^^^^^^^^^^^\n"
        "  hint: did you mean {number}? the value may use {number}, {date}, {lang}, e.g. "
        'utm_campaign = "issue-{number}"\n'
        "\n"
        "1 error in newsletter.toml; nothing was written.\n"
    )


def test_a_domain_is_a_domain(tmp_path: Path) -> None:
    printed = _settings_problems(tmp_path, '\n[campaign]\ndomains = ["https://example.org/"]\n')
    assert "newsletter.toml:19:1: error: campaign.domains: expected a domain such as " in printed
    assert "found 'https://example.org/'" in printed
    printed = _settings_problems(tmp_path, '\n[campaign]\ndomains = "example.org"\n')
    assert "expected a list of domains, found 'example.org'" in printed
    printed = _settings_problems(tmp_path, '\n[campaign]\nutm_sorce = "x"\n')
    assert "unknown key 'utm_sorce'" in printed and "did you mean 'utm_source'?" in printed
