"""Stage 6: provenance — which text is the source of which."""

from copytrace.provenance.source import Evidence, SourceDecision, decide_source

__all__ = ["Evidence", "SourceDecision", "decide_source"]
