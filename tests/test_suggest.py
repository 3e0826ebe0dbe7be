"""The one did-you-mean: the nearest known word, or None."""

from __future__ import annotations

from newsletter.suggest import did_you_mean


def test_the_nearest_choice_whatever_their_order() -> None:
    keys = ["number", "date", "title", "subject", "preheader"]
    assert did_you_mean("titel", keys) == "title"
    assert did_you_mean("titel", reversed(keys)) == "title"
    assert did_you_mean("titel", {"title": 1, "date": 2}) == "title"  # any iterable of words


def test_a_tie_goes_the_same_way_in_any_order() -> None:
    first = did_you_mean("abcd", ["abce", "abcf"])
    assert first is not None
    assert did_you_mean("abcd", ["abcf", "abce"]) == first


def test_nothing_close_enough_is_none() -> None:
    assert did_you_mean("sections", ["number", "date"]) is None
    assert did_you_mean("anything", []) is None
    # A stricter cutoff, as for URLs, where many share a long prefix.
    assert did_you_mean("https://example.org/a/1", ["https://example.org/b/22"]) is not None
    assert did_you_mean("https://example.org/a/1", ["https://example.org/b/22"], cutoff=0.9) is None
