"""Stage 5: what changed between a source and a derived text: edits, quotations,
names and figures, derivation level — gathered in a :class:`Comparison`."""

from copytrace.compare.result import SCHEMA, Comparison, compare

__all__ = ["SCHEMA", "Comparison", "compare"]
