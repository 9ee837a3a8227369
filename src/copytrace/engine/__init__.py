"""Engines that run the stages over a collection. :mod:`.stages` holds the stages as
pure functions over batches; :mod:`.local` runs them on one machine."""

from copytrace.engine.local import DEFAULT_DB, ScanConfig, ScanSummary, scan

__all__ = ["DEFAULT_DB", "ScanConfig", "ScanSummary", "scan"]
