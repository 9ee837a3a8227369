"""Stage 1: read articles into :class:`Document` objects.

:func:`read_documents` streams .txt files, folders, JSONL, CSV and Parquet and
yields a :class:`Document` or a :class:`Rejection` per record read;
:func:`read_document` reads one article; :func:`document_from_text` wraps a
string and :func:`document_from_record` a structured record (an API request). :func:`extract_metadata` finds the date header, bylines, datelines and
credit lines that plain text carries.
"""

from copytrace.ingest.document import Document
from copytrace.ingest.metadata import TextMetadata, extract_metadata, parse_date
from copytrace.ingest.readers import (
    MAX_TEXT_BYTES,
    FieldMap,
    Record,
    Rejection,
    document_from_record,
    document_from_text,
    read_document,
    read_documents,
)

__all__ = [
    "MAX_TEXT_BYTES",
    "Document",
    "FieldMap",
    "Record",
    "Rejection",
    "TextMetadata",
    "document_from_record",
    "document_from_text",
    "extract_metadata",
    "parse_date",
    "read_document",
    "read_documents",
]
