"""The live archive's index: which stored documents hold an n-gram or an LSH band key.

An inverted index (as passim's n-gram postings) over what candidate generation keeps
of each document (:func:`copytrace.candidates.lookup.index_keys`): its distinct
sampled n-grams and its band keys. It answers one document's look-up in well under a
millisecond, where DuckDB scans its table for keys that are not a primary key
(75 keys against 20M rows: 150-600 ms, measured), so it lives beside the store:

* a **base** of sorted arrays in ``<db>.index/<generation>/``, memory-mapped, so a
  server starts without reading it (the pages it touches are read on demand);
* a **delta** in memory: the documents stored since the base was written, found on
  open as the store's documents the base does not list, and each document added.

The process that adds indexes a batch's documents before it stores them (later
documents of the batch are matched against them); readers look up through
:meth:`ArchiveIndex.committed`, which leaves out the documents not stored yet. Folding
the delta into a new base (:meth:`ArchiveIndex.compacted`) makes a new index, so a
reader still looking up in the old one sees it whole.

It also keeps each indexed document's row (:data:`ARCHIVE_ROWS`: its text, metadata and
signatures), the base's in ``rows.arrow`` (Arrow IPC, memory-mapped): DuckDB reads a
text by id by scanning the table (five texts from a store of 100,000: 48 ms, measured),
the index in microseconds. A copy of the collection's texts beside the store is the
price, in disk, not memory.

The store is the truth; the index is derived from it and rebuilt when it does not
match: written to a new generation folder, then named in ``CURRENT`` by an atomic
rename, so a crash leaves the old generation or the new one, never half of one.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import pyarrow as pa

from copytrace.candidates import CandidateConfig, Signatures
from copytrace.candidates.groups import distinct
from copytrace.candidates.lookup import IndexKeys, index_keys
from copytrace.candidates.lsh import band_keys, signed_rows
from copytrace.ingest import Document
from copytrace.ingest.document import DOCUMENT_COLUMNS
from copytrace.store.blobs import signature_blobs, signatures_from_rows
from copytrace.store.postings import PostingsSpill

if TYPE_CHECKING:
    from copytrace.store.base import ArchiveStore
    from copytrace.store.records import SignedBatch

# A document's row: what matching needs of it besides its keys (DOCUMENT_COLUMNS and
# the signature blobs of copytrace.store.blobs).
ARCHIVE_ROWS = pa.schema([
    ("id", pa.string()), ("text", pa.string()), ("date", pa.date32()),
    *((name, pa.string()) for name in ("source", "url", "title", "language", "credit")),
    ("body_start", pa.int32()), ("body_end", pa.int32()),
    ("minhash", pa.binary()), ("shingle_count", pa.int64()), ("sampled", pa.binary()),
])
RowsOf = Callable[[Sequence[str] | None], Iterator[pa.RecordBatch]]

_KINDS = (("ngram_hashes", "ngram_docs"), ("band_keys", "band_docs"))  # keys, and the documents holding them
_ARRAYS = tuple(name for kind in _KINDS for name in kind)
# The delta is folded into a new base once it holds this many documents and this share
# of the base: look-ups in a dict of lists cost more memory per key than sorted arrays.
COMPACT_AT = 50_000
COMPACT_SHARE = 0.1
BUILD_ROWS = 65_536  # rows per batch of the rows file


class ArchiveIndex:
    """Postings of n-grams and band keys, by document id (see the module's docstring)."""

    def __init__(self, folder: Path | None, config: CandidateConfig, writable: bool = True) -> None:
        self.folder = folder
        self.config = config
        self.writable = writable  # a reader (copytrace query) builds what it lacks in memory only
        self._ids: list[str] = []
        self._rows = _empty_rows()  # the base's rows, in the order of _ids
        self._row_of: dict[str, int] = {}
        self._sources: list[str | None] = []  # the base's sources, dictionary-coded: names ...
        self._source_codes = np.zeros(0, dtype=np.int32)  # ... and each row's code
        self._delta_rows: dict[str, pa.Table] = {}
        self._base = _empty_base()
        self._base_most_of: dict[int, int] = {}  # see _base_most
        self._delta_ngrams: dict[int, list[str]] = defaultdict(list)
        self._delta_bands: dict[int, list[str]] = defaultdict(list)
        self._delta_sources: dict[str, str | None] = {}  # the delta's documents, with their sources
        self._delta_number: dict[str, int] = {}  # ... and the order they were added in
        self._stored = 0  # how many of the delta's first documents the store holds (committed)
        self._seen: int | None = None  # a reader's view: the delta's first documents it sees (None: all)

    # --- building and opening ------------------------------------------------

    @classmethod
    def open(cls, db: str, config: CandidateConfig, ids: Sequence[str], rows_of: RowsOf, writable: bool = True
             ) -> ArchiveIndex:
        """The index of the store ``db`` holding documents ``ids``: the base written
        earlier if it was built with ``config``, plus a delta of the documents it
        lacks, whose rows ``rows_of(some_ids)`` streams (:data:`ARCHIVE_ROWS`; every
        document's, in any order, for None). When the base is missing, stale or would
        need a large delta, a new one is built from every document's row. A store in
        memory gets an index in memory."""
        index, missing = cls._with_base(db, config, ids, rows_of, writable)
        for batch in rows_of(missing) if missing else ():
            rows = pa.Table.from_batches([batch])
            index.add(rows.column("id").to_pylist(), index_keys(signatures_from_rows(rows), config), rows)
        index.stored(len(index._delta_sources))
        return index

    @classmethod
    def prepare(cls, store: ArchiveStore, config: CandidateConfig, advance: Callable[[int], None] = lambda rows: None
                ) -> None:
        """Write the base that :meth:`open` would build for ``store`` now, if any (the last
        step of a scan or an import, so that a server on a large new store starts without
        building it); the documents a smaller delta would hold are left to open.
        ``advance(rows)`` follows the rows read."""
        def rows_of(ids: Sequence[str] | None) -> Iterator[pa.RecordBatch]:
            for batch in store.archive_rows(ids):
                advance(batch.num_rows)
                yield batch

        if store.path != ":memory:":
            cls._with_base(store.path, config, store.document_ids(), rows_of, writable=True)

    @classmethod
    def _with_base(cls, db: str, config: CandidateConfig, ids: Sequence[str], rows_of: RowsOf, writable: bool
                   ) -> tuple[ArchiveIndex, list[str]]:
        """An index of ``db`` with its base (loaded, or built from every row when it is
        missing, stale or would need a large delta), and the ids its delta lacks."""
        index = cls(None if db == ":memory:" else index_folder(db), config, writable)
        index._load_base()
        missing = sorted(set(ids) - index._row_of.keys())
        if len(index._row_of) + len(missing) != len(ids) or index._delta_too_large(len(missing)):
            index = cls(index.folder, config, writable)
            missing = sorted(ids)
        if len(missing) > COMPACT_AT and not index._ids:
            index._build_base(rows_of(None))
            missing = []
        return index, missing

    def needs_compaction(self) -> bool:
        """Whether the delta has grown enough to be folded into the base."""
        return self._delta_too_large(0)

    def _delta_too_large(self, adding: int) -> bool:
        size = len(self._delta_sources) + adding
        return size >= COMPACT_AT and size >= COMPACT_SHARE * len(self._ids)

    def _load_base(self) -> None:
        current = self._current()
        if current is None or current.get("config") != asdict(self.config):
            return
        generation = self.folder / current["generation"]
        try:
            base = _mapped_arrays(generation)
            rows = pa.ipc.open_file(pa.memory_map(str(generation / "rows.arrow"))).read_all()
        except (OSError, ValueError, pa.ArrowException):
            return  # an unreadable base is rebuilt from the store
        self._use_base(base, rows)

    def _use_base(self, base: dict[str, np.ndarray], rows: pa.Table) -> None:
        self._base, self._rows = base, rows
        self._base_most_of = {}
        self._ids = rows.column("id").to_pylist()
        self._row_of = {id_: n for n, id_ in enumerate(self._ids)}
        coded = rows.column("source").combine_chunks().dictionary_encode()
        self._sources = [*coded.dictionary.to_pylist(), None]
        self._source_codes = coded.indices.fill_null(len(coded.dictionary)).to_numpy()

    def _current(self) -> dict | None:
        if self.folder is None:
            return None
        try:
            return json.loads((self.folder / "CURRENT").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _build_base(self, batches: Iterator[pa.RecordBatch]) -> None:
        """A base of every document (an empty index), as sorted arrays (no Python object
        per key), from their rows streamed in batches: each batch's rows go to the new
        generation's file as they come (a 1M-article archive's texts are 6 GB), and its
        postings to disk (:mod:`copytrace.store.postings`)."""
        with self._spills() as spills:
            def posted(first: int = 0) -> Iterator[pa.Table]:
                for batch in batches:
                    rows = pa.Table.from_batches([batch])
                    self._add_postings(spills, signatures_from_rows(rows), first)
                    first += rows.num_rows
                    yield rows

            self._new_base(posted(), spills)

    def _add_postings(self, spills: dict[str, PostingsSpill], signatures: Signatures, first: int) -> None:
        """Spill the n-grams and band keys of signed documents numbered from ``first``."""
        numbers = np.arange(first, first + len(signatures), dtype=np.uint32)
        spills["ngram_hashes"].add(signatures.sampled.hashes, np.repeat(numbers, np.diff(signatures.sampled.offsets)))
        present = signed_rows(signatures.minhash)
        per_band = self.config.num_perm // self.config.bands
        bands = [band_keys(signatures.minhash, present, band, per_band) for band in range(self.config.bands)]
        spills["band_keys"].add(np.concatenate(bands), np.tile(numbers[present], self.config.bands))

    @contextmanager
    def _spills(self) -> Iterator[dict[str, PostingsSpill]]:
        """Spills for a new base's postings, by kind (keys' name), in a folder removed
        afterwards: beside the base where the index is on disk."""
        on_disk = self.folder is not None and self.writable
        if on_disk:
            self.folder.mkdir(parents=True, exist_ok=True)
            for left in self.folder.glob("building-*"):  # by a build that crashed
                shutil.rmtree(left, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix="building-", dir=self.folder if on_disk else None) as folder:
            spills = {}
            for keys_name, _ in _KINDS:
                (Path(folder) / keys_name).mkdir()
                spills[keys_name] = PostingsSpill(Path(folder) / keys_name)
            yield spills

    def compacted(self) -> ArchiveIndex:
        """A new index: this one's base with its delta folded in (this one stays whole, for
        readers looking up in it)."""
        new = ArchiveIndex(self.folder, self.config, self.writable)
        new._base = self._base  # what the new base merges with
        delta_ids = sorted(self._delta_sources)
        number = {id_: len(self._ids) + n for n, id_ in enumerate(delta_ids)}
        with new._spills() as spills:
            for (keys_name, _), delta in zip(_KINDS, (self._delta_ngrams, self._delta_bands)):
                keys = np.fromiter((key for key, holders in delta.items() for _ in holders), np.uint64)
                docs = np.fromiter((number[id_] for holders in delta.values() for id_ in holders), np.uint32)
                spills[keys_name].add(keys, docs)
            new._new_base(iter([self._rows, *(self._delta_rows[id_] for id_ in delta_ids)]), spills)
        return new

    def _new_base(self, rows: Iterator[pa.Table], spills: dict[str, PostingsSpill]) -> None:
        """Replace the base by one of ``rows`` (every document's, in number order; read
        before ``spills`` are) and the postings of the base merged with ``spills``. For a
        store on disk it is written as a new generation, named in CURRENT once whole."""
        if self.folder is None or not self.writable:
            all_rows = pa.concat_tables([_empty_rows(), *(table.cast(ARCHIVE_ROWS) for table in rows)])
            self._use_base(_postings_in_memory(self._base, spills), all_rows)
            return
        number = (self._current() or {}).get("number", 0) + 1
        generation = self.folder / f"generation-{number:06d}"
        shutil.rmtree(generation, ignore_errors=True)
        generation.mkdir()
        with pa.OSFile(str(generation / "rows.arrow"), "wb") as sink, pa.ipc.new_file(sink, ARCHIVE_ROWS) as writer:
            for table in rows:
                writer.write_table(table.cast(ARCHIVE_ROWS), max_chunksize=BUILD_ROWS)
        _write_postings(generation, self._base, spills)
        for file in generation.iterdir():
            _synced(file)
        _synced(generation)
        pointer = self.folder / "CURRENT.tmp"
        pointer.write_text(
            json.dumps({"generation": generation.name, "number": number, "config": asdict(self.config)}),
            encoding="utf-8",
        )
        _synced(pointer)
        os.replace(pointer, self.folder / "CURRENT")
        _synced(self.folder)
        for old in self.folder.glob("generation-*"):
            if old != generation:
                shutil.rmtree(old, ignore_errors=True)
        self._use_base(_mapped_arrays(generation), pa.ipc.open_file(pa.memory_map(str(generation / "rows.arrow"))).read_all())

    # --- using ---------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ids) + (len(self._delta_sources) if self._seen is None else self._seen)

    def __contains__(self, id_: object) -> bool:
        return id_ in self._row_of or (id_ in self._delta_sources and self._sees(id_))

    def add(self, ids: Sequence[str], keys: Sequence[IndexKeys], rows: pa.Table) -> None:
        """Index documents (each id once) with their rows; :meth:`stored` once the store
        holds them."""
        sources = rows.column("source").to_pylist()
        for n, (id_, document_keys) in enumerate(zip(ids, keys)):
            self._delta_number[id_] = len(self._delta_sources)
            self._delta_sources[id_] = sources[n]
            self._delta_rows[id_] = rows.slice(n, 1)
            for ngram in document_keys.ngrams.tolist():
                self._delta_ngrams[ngram].append(id_)
            for band in document_keys.bands.tolist():
                self._delta_bands[band].append(id_)

    def stored(self, count: int) -> None:
        """The store now holds ``count`` more of the documents added, the first not marked."""
        self._stored += count

    def committed(self) -> ArchiveIndex:
        """A view of the index for a reader: the documents the store holds as it is taken
        (the index goes on growing, the view does not)."""
        view = copy.copy(self)
        view._seen = self._stored
        return view

    def _sees(self, id_: str) -> bool:
        """Whether this index (or view) sees a document of the delta."""
        return self._seen is None or self._delta_number[id_] < self._seen

    def _delta_holders(self, holders: Sequence[str]) -> Sequence[str]:
        return holders if self._seen is None else [id_ for id_ in holders if self._delta_number[id_] < self._seen]

    def documents_with_signatures(self, ids: Sequence[str]) -> tuple[list[Document], Signatures]:
        """Indexed documents ``ids`` and their signatures, in that order."""
        rows = self._rows_of(ids)
        columns = [rows.column(name).to_pylist() for name in DOCUMENT_COLUMNS]
        return [Document(*values) for values in zip(*columns)], signatures_from_rows(rows)

    def sources_of(self, ids: Sequence[str]) -> dict[str, str | None]:
        """The source (outlet) of each of indexed documents ``ids``."""
        return {
            id_: self._sources[self._source_codes[self._row_of[id_]]] if id_ in self._row_of
            else self._delta_sources[id_]
            for id_ in ids
        }

    def _rows_of(self, ids: Sequence[str]) -> pa.Table:
        # Slices, never take(): take() copies the whole record batch a row falls in.
        if not ids:
            return _empty_rows()
        return pa.concat_tables(
            [self._rows.slice(self._row_of[id_], 1) if id_ in self._row_of else self._delta_rows[id_] for id_ in ids]
        )

    def ngram_holders(self, ngrams: np.ndarray, max_holders: int | None
                      ) -> tuple[dict[int, int], dict[int, list[str]]]:
        """How many indexed documents hold each n-gram, and which ones for the n-grams
        held by at most ``max_holders`` (all of them for None)."""
        return self._lookup(ngrams, "ngram_hashes", "ngram_docs", self._delta_ngrams, max_holders)

    def boilerplate_among(self, ngrams: np.ndarray, least: int, leaving_out: frozenset[str] = frozenset()
                          ) -> np.ndarray:
        """Those of ``ngrams`` held by at least ``least`` indexed documents of one source
        (the scan's boilerplate rule, docs/boilerplate.md), sorted; none when ``least`` < 2.
        Every holder counts, as in a scan (also those of n-grams too common to pair), but
        those of ``leaving_out``, documents of the delta (what was boilerplate before them)."""
        ngrams = distinct(ngrams)
        if least < 2 or not len(ngrams):
            return np.zeros(0, dtype=np.uint64)
        keys = self._base["ngram_hashes"]
        starts, ends = np.searchsorted(keys, ngrams, "left"), np.searchsorted(keys, ngrams, "right")
        delta = {h: self._delta_holders(self._delta_ngrams[h]) for h in ngrams.tolist() if h in self._delta_ngrams}
        extra = np.fromiter((len(delta.get(h, ())) for h in ngrams.tolist()), np.int64, len(ngrams))
        held = np.flatnonzero(ends - starts + extra >= least)  # few: most n-grams are rare
        most = self._base_most(ngrams[held], starts[held], ends[held])
        found = []
        for n, base_most in zip(held.tolist(), most.tolist()):
            delta_holders = [id_ for id_ in delta.get(int(ngrams[n]), ()) if id_ not in leaving_out]
            if base_most >= least or (base_most + len(delta_holders) >= least
                                      and self._most_of_one_source(starts[n], ends[n], delta_holders) >= least):
                found.append(ngrams[n])
        return np.array(found, dtype=np.uint64)

    def _base_most(self, ngrams: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """For each n-gram (its run ``starts[i]:ends[i]`` of the base's postings), the most
        base documents of one named source that hold it; remembered until the base changes
        (an n-gram of an outlet's footer is asked about with every article of the outlet)."""
        known = self._base_most_of
        new = [n for n, ngram in enumerate(ngrams.tolist()) if ngram not in known]
        if new:
            counts = self._base_source_counts(starts[new], ends[new])
            known.update(zip(ngrams[new].tolist(), counts.max(axis=1, initial=0).tolist()))
        return np.array([known[ngram] for ngram in ngrams.tolist()], dtype=np.int64)

    def _most_of_one_source(self, start: int, end: int, delta_holders: Sequence[str]) -> int:
        """The most documents of one named source among the base's run ``start:end`` of
        postings and ``delta_holders``."""
        counts = self._base_source_counts(np.array([start]), np.array([end]))[0]
        per_source = Counter(self.sources_of(delta_holders).values())
        for code in np.flatnonzero(counts).tolist():
            per_source[self._sources[code]] += int(counts[code])
        return max((count for source, count in per_source.items() if source), default=0)

    def _base_source_counts(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """For each run ``starts[i]:ends[i]`` of the base's n-gram postings, how many of
        its documents each named source holds (one row per run, one column per source
        code; documents without a source hold no boilerplate, so their column is 0)."""
        lengths = ends - starts
        runs = np.repeat(np.arange(len(starts)), lengths)
        positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        codes = self._source_codes[self._base["ngram_docs"][positions]].astype(np.int64)
        width = max(len(self._sources), 1)
        counts = np.bincount(runs * width + codes, minlength=len(starts) * width).reshape(len(starts), width)
        counts[:, [code for code, name in enumerate(self._sources) if not name]] = 0
        return counts

    def band_holders(self, bands: np.ndarray) -> set[str]:
        """The indexed documents that share at least one band key."""
        _, holders = self._lookup(bands, "band_keys", "band_docs", self._delta_bands, None)
        return {holder for ids in holders.values() for holder in ids}

    def _lookup(
        self, keys: np.ndarray, key_name: str, doc_name: str, delta: dict[int, list[str]], max_holders: int | None
    ) -> tuple[dict[int, int], dict[int, list[str]]]:
        sorted_keys, docs = self._base[key_name], self._base[doc_name]
        starts = np.searchsorted(sorted_keys, keys, "left")
        ends = np.searchsorted(sorted_keys, keys, "right")
        key_list = keys.tolist()
        # Only the keys some document holds are visited in Python: most of an arriving
        # article's n-grams are held by none (at 1M articles a loop over every key took
        # a quarter of an add).
        extras = {i: self._delta_holders(delta[key]) for i, key in enumerate(key_list) if key in delta}
        held = set(np.flatnonzero(ends > starts).tolist()) | {i for i, extra in extras.items() if extra}
        counts: dict[int, int] = {}
        holders: dict[int, list[str]] = {}
        for i in sorted(held):
            key, start, end, extra = key_list[i], int(starts[i]), int(ends[i]), extras.get(i, ())
            counts[key] = count = end - start + len(extra)
            if max_holders is None or count <= max_holders:
                holders[key] = [self._ids[n] for n in docs[start:end].tolist()] + list(extra)
        return counts, holders


def _postings_in_memory(base: dict[str, np.ndarray], spills: dict[str, PostingsSpill]) -> dict[str, np.ndarray]:
    """The postings of ``base`` (on other documents) and ``spills``, sorted."""
    arrays = {}
    for keys_name, docs_name in _KINDS:
        ranges = list(spills[keys_name].merged(base[keys_name], base[docs_name]))
        arrays[keys_name] = np.concatenate([_empty_base()[keys_name], *(keys for keys, _ in ranges)])
        arrays[docs_name] = np.concatenate([_empty_base()[docs_name], *(docs for _, docs in ranges)])
    return arrays


def _write_postings(generation: Path, base: dict[str, np.ndarray], spills: dict[str, PostingsSpill]) -> None:
    """Write the postings of ``base`` (on other documents) and ``spills``, sorted, as
    ``.npy`` files of ``generation``, range by range (plain writes: pages of a mapped
    output would count as the process's memory)."""
    for keys_name, docs_name in _KINDS:
        size = spills[keys_name].merged_size(base[keys_name])
        with _npy_file(generation / f"{keys_name}.npy", np.uint64, size) as keys_file, \
                _npy_file(generation / f"{docs_name}.npy", np.uint32, size) as docs_file:
            for keys, docs in spills[keys_name].merged(base[keys_name], base[docs_name]):
                keys_file.write(keys.tobytes())
                docs_file.write(docs.tobytes())


def index_folder(db: str) -> Path:
    """Where the index of the store file ``db`` lives: beside it."""
    return Path(f"{db}.index")


def discard_index(db: str) -> None:
    """Remove an index left beside a store file that is being created: it belonged to a
    store deleted since, whose documents may have the new one's ids and other texts
    (a rescan of a changed collection would have answered from the old texts)."""
    shutil.rmtree(index_folder(db), ignore_errors=True)


@contextmanager
def _npy_file(path: Path, dtype: type, size: int) -> Iterator[BinaryIO]:
    """A ``.npy`` file of ``size`` values of ``dtype``, its header written: write them."""
    with path.open("wb") as file:
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": (size,)}
        np.lib.format.write_array_header_1_0(file, header)
        yield file


def _synced(path: Path) -> None:
    """Flush the file or folder ``path`` to disk. A generation is on disk before CURRENT
    names it, and CURRENT before the old one goes, so that a power cut, not only a
    crash, leaves one whole."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _mapped_arrays(generation: Path) -> dict[str, np.ndarray]:
    """A generation's sorted arrays, memory-mapped; as plain ndarray views, since each
    slice of a np.memmap builds a memmap object (a third of a look-up's time, measured)."""
    return {name: np.load(generation / f"{name}.npy", mmap_mode="r").view(np.ndarray) for name in _ARRAYS}


def _empty_base() -> dict[str, np.ndarray]:
    return {name: np.zeros(0, dtype=np.uint32 if name.endswith("docs") else np.uint64) for name in _ARRAYS}


def _empty_rows() -> pa.Table:
    return ARCHIVE_ROWS.empty_table()


def archive_rows_of(signed: SignedBatch) -> pa.Table:
    """The rows of a signed batch's documents, as the index keeps them."""
    blobs = signature_blobs(signed)
    rows = signed.documents.select(list(DOCUMENT_COLUMNS))
    for name in ("minhash", "shingle_count", "sampled"):
        rows = rows.append_column(name, blobs.column(name))
    return rows.cast(ARCHIVE_ROWS)
