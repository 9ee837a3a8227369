"""Stories (connected components) and derivation trees from verified pairs."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from copytrace.provenance.stories import PairEdge, build_stories


def edge(source: str, reprint: str, confidence: float = 0.9, coverage: float = 0.8) -> PairEdge:
    a, b = sorted((source, reprint))
    return PairEdge(a, b, source, confidence, coverage, coverage)


def parents(forest) -> dict[str, str | None]:
    return {node.document_id: node.parent_id for node in forest.nodes}


def test_chain_of_reprints_becomes_a_path_from_the_original():
    pairs = [edge("orig", "copy"), edge("copy", "copy2", coverage=0.95), edge("orig", "copy2", coverage=0.5)]
    forest = build_stories(pairs, {})
    assert parents(forest) == {"orig": None, "copy": "orig", "copy2": "copy"}
    assert {n.document_id: n.depth for n in forest.nodes} == {"orig": 0, "copy": 1, "copy2": 2}
    assert {n.story_id for n in forest.nodes} == {"orig"}


def test_a_reprint_of_a_trimmed_reprint_hangs_from_the_closest_ancestor():
    """orig → trimmed (half of orig) → retrim (half of trimmed): retrim is wholly
    contained in both ancestors; it covers half of trimmed but a quarter of orig."""
    pairs = [
        PairEdge("orig", "trimmed", "orig", 0.9, coverage_a=0.5, coverage_b=1.0),
        PairEdge("orig", "retrim", "orig", 0.9, coverage_a=0.25, coverage_b=1.0),
        PairEdge("retrim", "trimmed", "trimmed", 0.9, coverage_a=1.0, coverage_b=0.5),
    ]
    assert parents(build_stories(pairs, {})) == {"orig": None, "trimmed": "orig", "retrim": "trimmed"}


def test_components_are_separate_stories():
    forest = build_stories([edge("a1", "a2"), edge("b1", "b2"), edge("b1", "b3")], {})
    stories = {n.document_id: n.story_id for n in forest.nodes}
    assert stories == {"a1": "a1", "a2": "a1", "b1": "b1", "b2": "b1", "b3": "b1"}
    assert len(forest.edges) == 3


def test_an_original_added_later_re_roots_the_story():
    before = build_stories([edge("reprint1", "reprint2", confidence=0.6)], {})
    assert {n.story_id for n in before.nodes} == {"reprint1"}
    after = build_stories(
        [edge("reprint1", "reprint2", confidence=0.6), edge("orig", "reprint1"), edge("orig", "reprint2")], {}
    )
    assert parents(after)["orig"] is None
    assert {n.story_id for n in after.nodes} == {"orig"}


def test_undecided_pairs_are_broken_by_date_then_id():
    pair = PairEdge("x", "y", "x", 0.5, 0.9, 0.9)
    dates = {"x": dt.date(2024, 5, 2), "y": dt.date(2024, 5, 1)}
    assert parents(build_stories([pair], dates)) == {"y": None, "x": "y"}
    assert parents(build_stories([pair], {})) == {"x": None, "y": "x"}


def test_to_json_is_versioned():
    assert build_stories([edge("a", "b")], {}).to_json()["schema"] == "copytrace.stories/1"


random_pairs = st.lists(
    st.tuples(
        st.integers(0, 9), st.integers(0, 9), st.booleans(),
        st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0),
    ).filter(lambda t: t[0] != t[1]),
    min_size=1, max_size=30,
)


def as_edges(raw) -> list[PairEdge]:
    edges = []
    for x, y, first_is_source, confidence, cov_a, cov_b in raw:
        a, b = sorted((f"d{x}", f"d{y}"))
        edges.append(PairEdge(a, b, a if first_is_source else b, confidence, cov_a, cov_b))
    return edges


@settings(max_examples=200, deadline=None)
@given(random_pairs)
def test_every_story_is_one_tree_without_cycles(raw):
    edges = as_edges(raw)
    forest = build_stories(edges, {})
    by_id = {n.document_id: n for n in forest.nodes}
    assert set(by_id) == {e.a for e in edges} | {e.b for e in edges}
    for node in forest.nodes:
        steps, current = 0, node
        while current.parent_id is not None:
            parent = by_id[current.parent_id]
            assert parent.story_id == node.story_id and parent.depth == current.depth - 1
            current, steps = parent, steps + 1
        assert current.document_id == node.story_id and steps == node.depth
    # a story holds exactly its root: one node without parent per story
    roots = [n for n in forest.nodes if n.parent_id is None]
    assert sorted(n.document_id for n in roots) == sorted({n.story_id for n in forest.nodes})


@settings(max_examples=100, deadline=None)
@given(random_pairs, st.randoms())
def test_trees_do_not_depend_on_pair_order(raw, rng: random.Random):
    edges = as_edges(raw)
    shuffled = edges[:]
    rng.shuffle(shuffled)
    assert build_stories(edges, {}) == build_stories(shuffled, {})
