"""Stories (connected components) and derivation trees from verified pairs."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from copytrace.provenance.graph import ReuseGraph
from copytrace.provenance.stories import Graph, PairEdge, _story_tree, build_stories


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


def test_a_copy_that_inherits_its_parents_changed_words_hangs_under_it():
    """A -> B (B changes a fifth of A's words) -> C (a copy of B): every text covers the
    others whole, but C shares B's changed words, so C keeps B's words word for word and
    only 80% of A's (stemmatology's shared innovations)."""
    pairs = [
        PairEdge("A", "B", "A", 0.9, 1.0, 1.0, verbatim_share=0.8),
        PairEdge("B", "C", "B", 0.9, 1.0, 1.0, verbatim_share=1.0),
        PairEdge("A", "C", "A", 0.9, 1.0, 1.0, verbatim_share=0.8),
    ]
    dates = {"A": dt.date(2024, 5, 1), "B": dt.date(2024, 5, 2), "C": dt.date(2024, 5, 3)}
    assert parents(build_stories(pairs, dates)) == {"A": None, "B": "A", "C": "B"}


def test_a_copy_that_inherits_its_parents_moved_paragraphs_hangs_under_it():
    """A -> B (paragraphs moved) -> C (B's first paragraphs): C covers A and B alike,
    but its passages follow B's order and break A's twice."""
    pairs = [
        PairEdge("A", "B", "A", 0.9, 1.0, 1.0, moves=3),
        PairEdge("B", "C", "B", 0.9, 0.6, 1.0),
        PairEdge("A", "C", "A", 0.9, 0.6, 1.0, moves=2),
    ]
    assert parents(build_stories(pairs, {})) == {"A": None, "B": "A", "C": "B"}


def test_a_parent_is_never_dated_after_its_child():
    """The pair's source decision favours the later article (say, by containment), but a
    parent may not be dated after its child."""
    pair = PairEdge("early", "late", "late", 0.95, 0.5, 0.5)
    dates = {"early": dt.date(2024, 5, 1), "late": dt.date(2024, 5, 3)}
    assert parents(build_stories([pair], dates)) == {"early": None, "late": "early"}


def test_a_document_without_an_earlier_neighbour_is_an_original_of_its_story():
    """B (day 3) quotes A (day 1) and C (day 2), which share nothing: A and C are both
    originals of the one story, and B hangs under one of them."""
    pairs = [edge("A", "B"), edge("C", "B", coverage=0.9)]
    dates = {"A": dt.date(2024, 5, 1), "B": dt.date(2024, 5, 3), "C": dt.date(2024, 5, 2)}
    forest = build_stories(pairs, dates)
    assert parents(forest) == {"A": None, "B": "C", "C": None}
    assert {n.story_id for n in forest.nodes} == {"C"}


def test_identical_copies_of_one_day_are_ordered_by_id():
    """Three identical copies dated the same day: nothing tells them apart, so the
    smallest id is the original and the others hang under it, whatever the pair order."""
    copies = [PairEdge(a, b, a, 0.5, 1.0, 1.0) for a, b in (("c2", "c3"), ("c1", "c3"), ("c1", "c2"))]
    dates = dict.fromkeys(("c1", "c2", "c3"), dt.date(2024, 5, 1))
    for ordering in (copies, copies[::-1]):
        assert parents(build_stories(ordering, dates)) == {"c1": None, "c2": "c1", "c3": "c1"}


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


def test_the_root_does_not_depend_on_the_order_its_edge_weights_come_in():
    """0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in their last bit: x's weight ties with w's
    0.6 whatever order its edges arrived in (Spark hands a story's pairs in any order), and
    the tie goes to the first id."""
    stories = []
    for weights in ((0.1, 0.2, 0.3), (0.3, 0.2, 0.1)):
        outgoing = {"x": dict(zip(("c1", "c2", "c3"), weights)), "w": {"c1": 0.6}}
        incoming: dict[str, dict[str, float]] = {}
        for parent, children in outgoing.items():
            for child, weight in children.items():
                incoming.setdefault(child, {})[parent] = weight
        nodes, _ = _story_tree(["c1", "c2", "c3", "w", "x"], Graph(outgoing, incoming), {})
        stories.append(nodes)
    assert stories[0] == stories[1] and {node.story_id for node in stories[0]} == {"w"}


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


random_dates = st.dictionaries(
    st.integers(0, 9).map(lambda n: f"d{n}"), st.one_of(st.none(), st.dates(dt.date(2024, 1, 1), dt.date(2024, 1, 5)))
)


@settings(max_examples=200, deadline=None)
@given(random_pairs, random_dates)
def test_dated_stories_are_trees_without_a_parent_dated_after_its_child(raw, dates):
    edges = as_edges(raw)
    forest = build_stories(edges, dates)
    by_id = {n.document_id: n for n in forest.nodes}
    stories = {d: by_id[d].story_id for d in by_id}
    for e in edges:
        assert stories[e.a] == stories[e.b]
    for node in forest.nodes:
        assert by_id[node.story_id].parent_id is None
        if node.parent_id is None:
            assert node.depth == 0
            continue
        parent = by_id[node.parent_id]
        assert parent.story_id == node.story_id and parent.depth == node.depth - 1
        if dates.get(node.parent_id) and dates.get(node.document_id):
            assert dates[node.parent_id] <= dates[node.document_id]


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
@given(random_pairs, random_dates, st.randoms())
def test_trees_do_not_depend_on_pair_order(raw, dates, rng: random.Random):
    edges = as_edges(raw)
    shuffled = edges[:]
    rng.shuffle(shuffled)
    assert build_stories(edges, dates) == build_stories(shuffled, dates)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_reuse_graph_rebuilds_the_stories_around_a_change_as_a_rebuild_of_all_would(data):
    documents = [f"d{n}" for n in range(12)]
    dates = {d: dt.date(2024, 1, 1 + n % 5) for n, d in enumerate(documents)}
    pair = st.tuples(st.sampled_from(documents), st.sampled_from(documents)).filter(lambda p: p[0] != p[1])
    before = {tuple(sorted(p)) for p in data.draw(st.lists(pair, max_size=20))}
    added = {tuple(sorted(p)) for p in data.draw(st.lists(pair, max_size=4))} - before
    dropped = data.draw(st.lists(st.sampled_from(sorted(before)), max_size=4)) if before else []
    graph = ReuseGraph([edge(a, b) for a, b in before], dates)
    graph.add([edge(b, a, 0.7) for a, b in added], dates)
    graph.drop(dropped)
    changed = {d for p in [*added, *dropped] for d in p}
    members, forest = graph.stories_around(changed)
    now = [edge(b, a, 0.7) for a, b in added] + [edge(a, b) for a, b in before - set(dropped)]
    whole = build_stories(now, dates)
    assert forest.nodes == [n for n in whole.nodes if n.document_id in members]
    assert forest.edges == [e for e in whole.edges if e.child_id in members]
    # Every document of a story that held a changed one is rebuilt (or left out of all).
    was = build_stories([edge(a, b) for a, b in before], dates)
    touched = {n.story_id for n in was.nodes if n.document_id in changed}
    assert {n.document_id for n in was.nodes if n.story_id in touched} <= set(members)
