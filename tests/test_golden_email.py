"""Golden files of the email: `email.html`, `email.txt` and `email.eml` exactly as `build`
makes them, for five issues: the sample, its Dari edition, a minimal issue, one with images,
and one near Gmail's size budget. A change to the theme or the renderer shows here as a
readable diff; `pytest --update-golden` accepts it."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.commands.build import prepare_build
from newsletter.config import load_settings
from newsletter.render.checks import HTML_BUDGET
from tests.golden import assert_golden

MINIMAL = """\
number: 1
date: 2026-11-27
title: A Quiet Week In The Capital
preheader: Little happened in the capital this week, and here is the little that did.
author: karimi
sections:
  - layout: list
    items:
      - url: https://example.org/darvana/2026/11/market-reopens
        title: The Old Market Reopens After Repairs
        blurb: Traders are back under the new roof, a month later than promised.
"""

IMAGES = """\
number: 2
date: 2026-11-27
title: A Dam Rises On The Upper Tamar
preheader: The reservoir will start filling in spring; the villages below it are still waiting for answers.
author: karimi
hero:
  url: https://example.org/briefing/images/radio-mast.jpg
  alt: A radio mast on a hillside above the city at dusk.
  caption: A radio mast above Sarvan.
  credit: Meridian Radio
  width: 1200
  height: 675
sections:
  - heading: The Key Issue
    layout: feature
    items:
      - url: https://example.org/darvana/2026/11/dam
        title: The Dam At Upper Tamar
        image:
          url: https://example.org/briefing/images/dam.jpg
          alt: Concrete walls of a dam under construction in a narrow valley.
          width: 1200
          height: 800
        body: |
          Engineers at the Upper Tamar dam say the walls will be finished by March.
        notes:
          - label: Why It's Important
            text: |
              Three villages below the dam have not been told where they will move.
signoff: |
  Questions or tips? Just reply to this email.
"""


def _near_budget(items: int) -> str:
    """An issue of `items` roundup stories with long blurbs."""
    lines = [
        "number: 3",
        "date: 2026-11-27",
        "title: Every Story Of A Long Week",
        "preheader: A long week in Darvana, told story by story, with each one's link below.",
        "author: karimi",
        "sections:",
        "  - heading: The Key Issue",
        "    layout: feature",
        "    items:",
        "      - body: |",
        "          A long week: every story that mattered, one after another.",
        "  - layout: list",
        "    items:",
    ]
    for n in range(1, items + 1):
        lines += [
            f"      - url: https://example.org/darvana/2026/11/story-{n}",
            f"        title: Story Number {n} Of A Long Week In The Provinces",
            "        blurb: >-",
            "          A district council met, argued about the budget for the coming winter,",
            "          and agreed to meet again next week; traders in the market said prices",
            f"          of flour and fuel had risen again, the {n}th such report this month.",
        ]
    return "\n".join(lines) + "\n"


# About 480 bytes of HTML a story: enough of them to come within 10% of the budget.
NEAR_BUDGET_ITEMS = 160


def _case_file(newsroom: Path, case: str) -> Path:
    sources = {"minimal": MINIMAL, "images": IMAGES, "near-budget": _near_budget(NEAR_BUDGET_ITEMS)}
    if case == "sample":
        return Path("issues/2026-11-27.yaml")
    if case == "dari":
        return Path("issues/2026-11-27-fa.yaml")
    path = Path(f"issues/golden-{case}.yaml")
    (newsroom / path).write_text(sources[case], encoding="utf-8")
    return path


@pytest.mark.parametrize("case", ["sample", "dari", "minimal", "images", "near-budget"])
def test_the_email_is_as_golden(newsroom: Path, update_golden: bool, case: str) -> None:
    settings = load_settings(newsroom / "newsletter.toml")
    prepared = prepare_build(settings, _case_file(newsroom, case))
    for name in ("email.html", "email.txt", "email.eml"):
        assert_golden(f"email/{case}/{name}", prepared.files[name], update=update_golden)


def test_the_near_budget_case_is_near_the_budget(newsroom: Path) -> None:
    settings = load_settings(newsroom / "newsletter.toml")
    prepared = prepare_build(settings, _case_file(newsroom, "near-budget"))
    size = len(prepared.files["email.html"])
    assert 0.9 * HTML_BUDGET < size < HTML_BUDGET, size
