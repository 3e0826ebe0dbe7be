"""Robustness on feeds nobody here wrote: feedparser's own test corpus (about 2,200 files of
well-formed, ill-formed, oddly encoded and hostile feeds) through our parse-and-normalise path.

No exception may escape, and every entry yields an article or a recorded reason; every entry
with an http(s) link that we did not skip is an article with that link.
"""

from __future__ import annotations

import os
from pathlib import Path

import feedparser
import pytest

from newsletter.entries import parse_feed
from newsletter.urls import canonical_url
from tests.conftest import ROOT

CORPUS = Path(os.environ.get("NEWSLETTER_CORPUS", ROOT / ".cache/feedparser-6.0.12/tests"))


@pytest.mark.slow
def test_every_corpus_file_parses_without_escaping_exceptions() -> None:
    if not CORPUS.is_dir():
        pytest.fail(f"the corpus is missing at {CORPUS}: `make corpus` downloads it")
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".py")
    assert len(files) > 2000
    totals = {"files": 0, "entries": 0, "articles": 0, "skipped": 0, "problems": 0}
    for path in files:
        data = path.read_bytes()
        location = f"http://127.0.0.1/{path.relative_to(CORPUS).as_posix()}"
        parsed = parse_feed(data, feed_name="corpus", location=location)
        totals["files"] += 1
        totals["entries"] += parsed.entries
        totals["articles"] += len(parsed.articles)
        totals["skipped"] += len(parsed.skipped)
        totals["problems"] += parsed.problem is not None
        assert len(parsed.articles) + len(parsed.skipped) == parsed.entries, path
        reference = feedparser.parse(
            data, response_headers={"content-location": location}, sanitize_html=False
        )
        ours = {article.url for article in parsed.articles}
        skipped = {entry.number for entry in parsed.skipped}
        for number, entry in enumerate(reference.entries, start=1):
            link = str(entry.get("link", "") or "").strip()
            if link.startswith(("http://", "https://")) and number not in skipped:
                assert canonical_url(link) in ours, (path, number, link)
    print(f"corpus: {totals}")
    # Most corpus entries exercise one element and carry no link; they must be skipped with
    # a reason, the rest must be articles.
    assert totals["entries"] > 1000 and totals["articles"] > 50
