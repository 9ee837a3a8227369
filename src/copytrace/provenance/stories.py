"""Stories and their derivation trees, from the verified pairs of a collection.

A **story** is a connected component of the reuse graph (documents linked by
verified pairs), found with union-find (Tarjan, "Efficiency of a good but not
linear set union algorithm", JACM 1975).

Inside a story each pair gives a weighted edge in each direction that the
dates allow: a parent is never dated after its child (when both are dated).
``w(parent → child) = P(parent is the source) × √(coverage(child) ×
coverage(parent)) × verbatim share / (1 + 0.1 × moves)``, where ``P`` is the
pair's source-decision confidence (or its complement), coverage is the share
of a document's body covered by the shared passages, the verbatim share is the
share of the passages kept word for word (weighted by length), and moves are
the places where the passages change order between the two texts. The last
three are the evidence stemmatology uses (Maas, "Textkritik", 1927: a witness
derives from the one whose cuts, changed readings and transpositions it
shares): a reprint of a trimmed reprint covers more of the trimmed reprint than
of the original, a copy of an edited copy keeps the edited words word for word,
and a copy of a reordered copy follows its order. On the 10k benchmark
collection (planted pairs found, identical-copy ties left out) the dates took
the share of right parents from 0.824 to 0.927, the verbatim share to 0.936
and the moves to 0.959.

The **original** is the document with the heaviest outgoing edges, ties broken
by earliest date, then id. The **derivation tree** is a greedy maximum spanning
arborescence rooted there: grown as in Prim's algorithm, always attaching the
outside document with the heaviest edge from the tree, then improved by moving
each document to its heaviest parent that is not one of its descendants until
no move helps (a local optimum of the Chu-Liu/Edmonds objective; Edmonds,
"Optimum branchings", 1967). Growing from roots makes the tree span the story
with no cycle. A document that no edge from the tree reaches (every neighbour
is dated after it) starts a tree of its own: a story may have several originals
(nodes without a parent); its id is the one with the heaviest outgoing edges.
Ties are broken by date and id, so the trees depend only on the pairs, never on
their order. Identical copies dated the same day cannot be told apart: the
tree hangs them under the one whose id sorts first.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

SCHEMA = "copytrace.stories/1"
MOVE_PENALTY = 0.1  # weight lost per place where the shared passages change order


# A named tuple, not a dataclass: a live archive holds one per pair, and at 1.6M pairs
# a frozen dataclass took 4.6 s to build (its __init__ sets each field through
# object.__setattr__); tuples take a fraction of that.
class PairEdge(NamedTuple):
    """A verified pair as the story stage needs it."""

    a: str
    b: str
    source_id: str
    confidence: float
    coverage_a: float
    coverage_b: float
    moves: int = 0
    verbatim_share: float = 1.0


@dataclass(frozen=True)
class StoryNode:
    """A document's place in its story: parent (None for the original) and depth."""

    story_id: str
    document_id: str
    parent_id: str | None
    depth: int


@dataclass(frozen=True)
class DerivationEdge:
    """``child`` derives from ``parent``; ``weight`` is the edge weight used."""

    story_id: str
    parent_id: str
    child_id: str
    weight: float


@dataclass(frozen=True)
class StoryForest:
    """Every story: nodes ordered by story then document; the story id is its original's id."""

    nodes: list[StoryNode]
    edges: list[DerivationEdge]

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.stories/1``."""
        return {
            "schema": SCHEMA,
            "nodes": [vars(node) for node in self.nodes],
            "edges": [vars(edge) for edge in self.edges],
        }


def build_stories(pairs: Iterable[PairEdge], dates: Mapping[str, dt.date | None]) -> StoryForest:
    """Stories and derivation trees of the reuse graph given by ``pairs``."""
    links: dict[str, set[str]] = defaultdict(set)  # the reuse graph, both ways
    incoming: dict[str, dict[str, float]] = defaultdict(dict)  # incoming[child][parent], dates allowing
    for pair in pairs:
        links[pair.a].add(pair.b)
        links[pair.b].add(pair.a)
        for parent, child in ((pair.a, pair.b), (pair.b, pair.a)):
            if _dated_in_order(parent, child, dates):
                weight = _direction_weight(pair, parent, child)
                incoming[child][parent] = max(weight, incoming[child].get(parent, 0.0))
    outgoing: dict[str, dict[str, float]] = defaultdict(dict)
    for child, parents in incoming.items():
        for parent, weight in parents.items():
            outgoing[parent][child] = weight
    nodes: list[StoryNode] = []
    edges: list[DerivationEdge] = []
    for members in _components(links):
        tree_nodes, tree_edges = _story_tree(members, Graph(outgoing, incoming), dates)
        nodes += tree_nodes
        edges += tree_edges
    nodes.sort(key=lambda n: (n.story_id, n.document_id))
    edges.sort(key=lambda e: (e.story_id, e.child_id))
    return StoryForest(nodes, edges)


@dataclass(frozen=True)
class Graph:
    """Derivation edges allowed by the dates, weighted: ``outgoing[parent][child]`` and
    the same edges as ``incoming[child][parent]``."""

    outgoing: Mapping[str, Mapping[str, float]]
    incoming: Mapping[str, Mapping[str, float]]


def _dated_in_order(parent: str, child: str, dates: Mapping[str, dt.date | None]) -> bool:
    """May ``parent`` be the parent of ``child`` by their dates (not dated after it)?"""
    parent_date, child_date = dates.get(parent), dates.get(child)
    return parent_date is None or child_date is None or parent_date <= child_date


def _direction_weight(pair: PairEdge, parent: str, child: str) -> float:
    decided = pair.confidence if parent == pair.source_id else 1.0 - pair.confidence
    child_coverage, parent_coverage = (
        (pair.coverage_b, pair.coverage_a) if child == pair.b else (pair.coverage_a, pair.coverage_b)
    )
    faithful = pair.verbatim_share / (1.0 + MOVE_PENALTY * pair.moves)
    return decided * math.sqrt(child_coverage * parent_coverage) * faithful


def component_roots(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each node of the graph with edges ``pairs``, and its connected component's
    smallest node, by union-find with path halving."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    return {node: find(node) for node in list(parent)}


def _components(links: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Connected components, each sorted."""
    roots = component_roots((a, b) for a, others in links.items() for b in others)
    groups: dict[str, list[str]] = defaultdict(list)
    for node in sorted(roots):
        groups[roots[node]].append(node)
    return list(groups.values())


def _story_tree(
    members: list[str], graph: Graph, dates: Mapping[str, dt.date | None]
) -> tuple[list[StoryNode], list[DerivationEdge]]:
    def order(node: str) -> tuple[int, str]:
        date = dates.get(node)
        return (date.toordinal() if date else dt.date.max.toordinal(), node)

    def outgoing(node: str) -> float:
        # Exactly rounded, so the same whatever order the pairs came in (Spark's shuffle
        # hands a story's pairs in any order; a plain sum could differ in its last bit).
        return math.fsum(graph.outgoing.get(node, {}).values())

    parents: dict[str, str] = {}
    attached: set[str] = set()
    while len(attached) < len(members):
        root = min((m for m in members if m not in attached), key=lambda node: (-outgoing(node), order(node)))
        _grow(root, graph.outgoing, order, parents, attached)
    _improve(members, parents, graph, order)
    roots = sorted((m for m in members if m not in parents), key=lambda node: (-outgoing(node), order(node)))
    depths = _depths(roots, parents)
    story = roots[0]
    nodes = [StoryNode(story, node, parents.get(node), depths[node]) for node in members]
    edges = [
        DerivationEdge(story, parent, child, graph.outgoing[parent][child]) for child, parent in parents.items()
    ]
    return nodes, edges


def _grow(root: str, outgoing: Mapping[str, Mapping[str, float]], order, parents: dict[str, str], attached: set[str]) -> None:
    """Prim-style growth: attach the outside node with the heaviest edge from the tree."""
    attached.add(root)
    frontier: list = []

    def push_edges(parent: str) -> None:
        for child, weight in outgoing.get(parent, {}).items():
            if child not in attached:
                heapq.heappush(frontier, (-weight, order(child), order(parent), child, parent))

    push_edges(root)
    while frontier:
        *_, child, parent = heapq.heappop(frontier)
        if child in attached:
            continue
        attached.add(child)
        parents[child] = parent
        push_edges(child)


def _improve(members: list[str], parents: dict[str, str], graph: Graph, order) -> None:
    """Move each node to its heaviest parent that is not its descendant until no move
    helps; a root moves too, under any node that the dates allow as its parent."""
    changed = True
    while changed:
        changed = False
        for child in sorted(members, key=order):
            current = graph.outgoing[parents[child]][child] if child in parents else 0.0
            candidates = [p for p, w in graph.incoming.get(child, {}).items() if w > 0 and not _descends(p, child, parents)]
            if not candidates:
                continue
            best = min(candidates, key=lambda p: (-graph.incoming[child][p], order(p)))
            if graph.incoming[child][best] > current:
                parents[child] = best
                changed = True


def _descends(node: str, ancestor: str, parents: Mapping[str, str]) -> bool:
    while node in parents:
        if node == ancestor:
            return True
        node = parents[node]
    return node == ancestor


def _depths(roots: list[str], parents: Mapping[str, str]) -> dict[str, int]:
    depths = dict.fromkeys(roots, 0)
    for start in parents:
        path = []
        node = start
        while node not in depths:
            path.append(node)
            node = parents[node]
        for step in reversed(path):
            depths[step] = depths[node] + 1
            node = step
    return depths
