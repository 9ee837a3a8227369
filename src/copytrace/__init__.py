"""copytrace: find reused text in news.

Stages, each a module of pure functions over batches:
ingest → text → candidates → align → compare → provenance → store → front ends.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    """``copytrace.scan`` and ``copytrace.open_store``, imported on first use so that
    ``import copytrace`` stays light."""
    if name == "scan":
        from copytrace.engine import scan

        return scan
    if name == "open_store":
        from copytrace.store import open_store

        return open_store
    raise AttributeError(f"module 'copytrace' has no attribute {name!r}")

# Imported eagerly: the function must replace the subpackage attribute `copytrace.compare`.
from copytrace.compare import Comparison, compare  # noqa: E402,F401
