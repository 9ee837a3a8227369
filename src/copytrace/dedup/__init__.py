"""Near-duplicate removal for training-data pipelines: a scanned collection without its
near-duplicates, keeping the original of each group, and the list of what was dropped
(docs/dedup.md). :mod:`.decide` holds the rule as pure functions; :mod:`.run` reads a
store or a Spark scan's Parquet dataset and streams the outputs."""

from copytrace.dedup.decide import MEASURES, Duplicate, ScoredPair, near_duplicates, pair_scores
from copytrace.dedup.run import DEFAULT_THRESHOLD, DedupSummary, dedup

__all__ = ["DEFAULT_THRESHOLD", "MEASURES", "DedupSummary", "Duplicate", "ScoredPair", "dedup",
           "near_duplicates", "pair_scores"]
