"""The synthetic benchmark collections (benchmarks/synthetic.py): planted reuse only."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import require_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synthetic  # noqa: E402


def eight_grams(text: str) -> set[tuple[str, ...]]:
    words = text.casefold().split()
    return {tuple(words[i : i + 8]) for i in range(len(words) - 7)}


def test_windows_sharing_an_8_gram_are_dropped():
    shared = "one two three four five six seven eight".split()
    windows = [["a", *shared, "b"], ["c", *shared], "nine ten eleven twelve thirteen fourteen fifteen sixteen".split(),
               ["the"] * 9]
    assert synthetic.without_shared_ngrams(windows, fixed_words={"the"}) == [2]


@pytest.fixture(scope="module")
def english():
    require_data("pan13-text-alignment-train/src")
    generator = synthetic.Generator(600, 7, synthetic.load_sentences())
    return list(generator.articles())


def test_articles_of_different_lineages_share_no_text(english):
    owner: dict[tuple[str, ...], str] = {}
    for article, _ in english:
        for gram in eight_grams(article.body()):
            assert owner.setdefault(gram, article.root) == article.root


def test_snippets_quote_two_to_four_sentences_of_their_parent(english):
    articles = {article.id: article for article, _ in english}
    snippets = [(articles[t["a"]], articles[t["b"]]) for _, t in english if t and t["kind"] == "snippet"]
    assert snippets
    for snippet, parent in snippets:
        shared = [s for p in snippet.paragraphs for s in p if s.id in {s.id for p in parent.paragraphs for s in p}]
        assert 2 <= len(shared) <= 4 and 30 <= sum(len(s.words) for s in shared) <= 90


def test_footers_are_per_outlet_on_about_half_of_its_articles(english):
    footers: dict[str, set[str]] = defaultdict(set)
    carrying = 0
    for article, truth in english:
        for label, text in article.boilerplate:
            if label.startswith("footer:") and not (truth and truth["kind"] == "verbatim"):
                assert label == f"footer:{article.outlet}"
                footers[article.outlet].add(text)
                carrying += 1
    assert all(len(texts) == 1 for texts in footers.values())
    assert len(set().union(*footers.values())) == len(footers)  # worded differently per outlet
    assert 0.35 < carrying / len(english) < 0.65


def test_derived_articles_are_dated_no_earlier_than_their_parent(english):
    assert all(t["date"] >= t["parent_date"] for _, t in english if t)
