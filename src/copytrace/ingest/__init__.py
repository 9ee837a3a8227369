"""Stage 1: read articles into :class:`Document` objects."""

from copytrace.ingest.document import Document

__all__ = ["Document"]
