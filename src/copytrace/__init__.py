"""copytrace: find reused text in news.

Stages, each a module of pure functions over batches:
ingest → text → candidates → align → compare → provenance → store → front ends.
"""

__version__ = "0.1.0"
