"""The synthetic benchmark collections (benchmarks/synthetic.py): planted reuse only."""

from __future__ import annotations

import random
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
    windows = [["a", *shared, "b"], ["c", *shared], "nine ten eleven twelve thirteen fourteen fifteen sixteen".split()]
    assert synthetic.without_shared_ngrams(windows) == [2]


def random_pool() -> list[list[str]]:
    """40 sentences in which nearly every word is one of the 300 most frequent, as in a
    skeleton of function words."""
    rng = random.Random(5)
    return [[f"w{rng.randrange(400)}" for _ in range(15)] for _ in range(40)]


def test_sentences_holding_a_url_are_left_out():
    url = ["see", "http://example.org/news/2024/05/17/story.html", "for", "more"]
    prose = synthetic.Prose([*random_pool(), url], random.Random(1))
    assert url not in prose.sentences and len(prose.sentences) == 40


def test_a_sentence_drawn_in_several_passes_shares_no_5_gram_across_them():
    pool = random_pool()
    prose = synthetic.Prose(pool, random.Random(1))
    passes = [[prose.sentence() for _ in prose.sentences] for _ in range(3)]
    grams = [{s.words[i : i + 5] for s in drawn for i in range(len(s.words) - 4)} for drawn in passes]
    assert len(prose.sentences) == len(pool)
    assert not grams[0] & grams[1] and not grams[0] & grams[2] and not grams[1] & grams[2]


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
