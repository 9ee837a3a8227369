"""Documents spilled to a flat file, read back by position from any process.

Verification asks for documents in the order of the candidate graph, a few
hundred at a time, thousands of times. DuckDB decompresses a column a vector
of rows at a time, so fetching a few hundred texts by id scans the table
(measured: 0.5 s at 100,000 documents, growing with the store). The engine
therefore streams the documents it needs out of the store once, in one
sequential scan, into a spill file, and each worker reads the ones of its
pairs back with one ``pread`` each. The file is a scratch copy: it is removed
when verification ends, and rebuilt from the store if a scan is resumed.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from copytrace.ingest import Document

Location = tuple[int, int]  # offset and length of one document in the spill file


class DocumentSpill:
    """A spill file in ``folder``: :meth:`write` documents, :meth:`locate` them by id,
    and :func:`read_spilled` them in any process; removed on :meth:`close`."""

    def __init__(self, folder: str | Path | None = None) -> None:
        handle, self.path = tempfile.mkstemp(prefix="copytrace-", suffix=".spill", dir=folder)
        self._file = os.fdopen(handle, "wb")
        self._locations: dict[str, Location] = {}

    def write(self, documents: Iterable[Document]) -> int:
        """Append documents; the number written."""
        written = 0
        for document in documents:
            data = pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL)
            self._locations[document.id] = (self._file.tell(), len(data))
            self._file.write(data)
            written += 1
        self._file.flush()
        return written

    def locate(self, id_: str) -> Location:
        return self._locations[id_]

    def close(self) -> None:
        self._file.close()
        Path(self.path).unlink(missing_ok=True)

    def __enter__(self) -> DocumentSpill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_spilled(path: str, locations: Sequence[Location]) -> list[Document]:
    """The documents at ``locations`` of the spill file ``path``."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        return [pickle.loads(os.pread(descriptor, length, offset)) for offset, length in locations]
    finally:
        os.close(descriptor)
