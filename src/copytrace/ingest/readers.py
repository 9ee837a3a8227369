"""Read articles from .txt files, folders, JSONL, CSV and Parquet as a stream.

:func:`read_documents` yields one :data:`Record` per record read: a
:class:`Document`, or a :class:`Rejection` saying where and why a record was
refused, so a caller can account for every record (accepted + rejected = read).
Readers hold one record at a time (one JSONL line, one CSV row, one Parquet
record batch); the only state that grows with the input is the set of ids seen,
used to refuse duplicate ids, which is O(number of documents).

Folders are walked with their symlinks followed, each folder and file once (by device
and inode), so a link loop ends and a file reached twice is read once; the outputs of
the run that reads them (its store, its rejects file) are never read.

Reading is done in three steps, so that a caller can run the costly middle one
(decoding, JSON, metadata: about 45 µs an article) in worker processes:
:func:`read_unparsed` yields each record as found, with its parsing deferred;
:func:`parse_records` parses a batch of them (a pure function); and
:func:`accept_records`, in read order, refuses repeated ids and applies
``on_error``. :func:`read_documents` chains the three in one process.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from copytrace.errors import InputError
from copytrace.ingest.document import Document
from copytrace.ingest.metadata import extract_metadata, parse_date

MAX_TEXT_BYTES = 10_000_000
# A JSONL line may hold a text of MAX_TEXT_BYTES with every character \u-escaped.
MAX_LINE_BYTES = 6 * MAX_TEXT_BYTES + 1_000_000
PARQUET_BATCH_ROWS = 128
TEXT_SUFFIXES = frozenset({".txt"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
CSV_SUFFIXES = frozenset({".csv"})
PARQUET_SUFFIXES = frozenset({".parquet"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES | PARQUET_SUFFIXES
_READ_CHUNK = 1 << 20
# Binary sniffing, as file(1) and git do: look at the first bytes for NULs.
_SNIFF_BYTES = 8192
_BINARY_NUL_SHARE = 0.1
# A rejected record keeps this much of itself (and its length): a 50 MB line is not copied whole.
RAW_EXCERPT_CHARS = 1000
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_FILE_URI = re.compile(r"^file:(?://)?(?=/)")  # file:/a and file:///a are /a
# An id names an article in URLs (/pairs/{a}/{b}: each id quoted, 3 characters a UTF-8
# byte), which servers cap at 8-16 KB: two ids of this many bytes take 6 KB.
MAX_ID_BYTES = 1024
# C0 and C1 controls (NUL, line breaks, NEL): unusable in a URL, a terminal or a CSV cell.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_VALUE_EXCERPT_CHARS = 40  # of a value quoted in a reason


@dataclass(frozen=True)
class FieldMap:
    """Which column or JSON key holds each document field."""

    id: str = "id"
    text: str = "text"
    date: str = "date"
    source: str = "source"
    url: str = "url"
    title: str = "title"
    language: str = "language"

    @classmethod
    def parse(cls, spec: str) -> FieldMap:
        """Parse ``"id=doc_id,text=body"``; fields not named keep their default column."""
        known = [field.name for field in fields(cls)]
        mapping: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            name, equals, column = (part.strip() for part in item.partition("="))
            if not equals or not column:
                raise InputError("field map", f"'{item}' is not FIELD=COLUMN")
            if name not in known:
                raise InputError("field map", f"unknown field '{name}' (known: {', '.join(known)})")
            if name in mapping:
                raise InputError("field map", f"field '{name}' is mapped twice")
            mapping[name] = column
        return cls(**mapping)

    def columns(self) -> list[str]:
        return [getattr(self, field.name) for field in fields(self)]

    def mapped(self) -> dict[str, str]:
        """The fields mapped to a column other than their own name (``--fields``)."""
        return {field.name: column for field in fields(self) if (column := getattr(self, field.name)) != field.default}


@dataclass(frozen=True)
class Rejection:
    """A record that was read but refused: ``where`` is ``file:line`` (or ``file:row N``,
    or a file or folder that could not be read). ``raw`` is the record as found, cut to
    its first :data:`RAW_EXCERPT_CHARS` characters; ``raw_length`` is its whole length."""

    where: str
    reason: str
    raw: str | None = None
    raw_length: int | None = None

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.rejection/2``."""
        return {
            "schema": "copytrace.rejection/2",
            "where": self.where,
            "reason": self.reason,
            "raw": self.raw,
            "raw_length": self.raw_length,
        }


Record = Document | Rejection
OnError = Literal["fail", "skip"]


class _Invalid(ValueError):
    """Why a record is refused; the reader adds where it is."""


class Read(NamedTuple):
    """A record as read: where it is, its raw form, and a document or why not.

    ``raw`` is the record as found (a JSONL line, a CSV row, a Parquet row), turned
    into text only when the record is rejected. ``outcome`` is deferred (a picklable
    call, see :func:`parse_records`) until the record is parsed.
    """

    where: str
    raw: bytes | list[str] | dict[str, Any] | None
    outcome: Document | str | Callable[[], Document | str]


def read_documents(
    paths: Sequence[str | Path],
    field_map: FieldMap | None = None,
    on_error: OnError = "fail",
    places: dict[str, str] | None = None,
) -> Iterator[Record]:
    """Stream the documents in ``paths`` (.txt files, folders, .jsonl, .csv, .parquet).

    Paths that do not exist or have an unknown format are refused at once.
    Each record read is yielded as a :class:`Document` or, with ``on_error="skip"``,
    a :class:`Rejection`; with ``on_error="fail"`` the first bad record raises
    :class:`InputError` naming its file and line. A second document with an id
    already read in this run is a bad record. ``places``, where given, gets where each
    document was read (``file:line``), by id, so that a later check can name it.
    """
    check_on_error(on_error)
    reads = map(_parsed, read_unparsed(paths, field_map))
    return accept_records(reads if places is None else _noting_places(reads, places), on_error, set())


def _noting_places(reads: Iterable[Read], places: dict[str, str]) -> Iterator[Read]:
    for read in reads:
        if not isinstance(read.outcome, str):
            places.setdefault(read.outcome.id, read.where)  # a repeated id is refused; the first stays
        yield read


def read_unparsed(
    paths: Sequence[str | Path],
    field_map: FieldMap | None = None,
    outputs: Mapping[str | Path, str] | None = None,
) -> Iterator[Read]:
    """The records in ``paths`` as found, their parsing deferred: cheap to read, to be
    parsed by :func:`parse_records`. Paths that do not exist or have an unknown
    format are refused at once. ``outputs`` are the files the caller writes, each with
    what it is (``"the rejects file"``): a path given that is one of them is refused,
    and folder walks pass them by."""
    return _reads(input_files(paths, outputs), field_map or FieldMap())


def input_files(
    paths: Sequence[str | Path] | str | Path, outputs: Mapping[str | Path, str] | None = None
) -> Iterator[tuple[Path, str] | Read]:
    """The files :func:`read_unparsed` reads, in its order, each with its file id (a
    :class:`Read` for a folder or link that cannot be read): a text file's document id,
    and in a structured file the id of a record without one, with ``:<line or row>``
    after it; the path under the folder given without suffix (``a/1``), or the stem of a
    file given; :func:`read_file` reads one. An engine that reads files elsewhere
    (on Spark executors) lists them here, so both read the same records in the same
    order. Paths are checked at once, as :func:`read_unparsed` checks them."""
    if isinstance(paths, str | Path):
        paths = [paths]
    written = {os.path.realpath(path): what for path, what in (outputs or {}).items()}
    checked = [_check_path(Path(path), written) for path in paths]
    if not checked:
        raise InputError("input", "no files given")
    return _files(checked, _Walk(written))


def is_uri(path: str | Path) -> bool:
    """Whether ``path`` names a file system (``s3a://``, ``file:``); a local path otherwise."""
    return isinstance(path, str) and bool(_URI.match(path)) and not os.path.exists(path)


def recorded_inputs(paths: Sequence[str | Path]) -> list[str]:
    """The inputs as a run records them: local paths (``file:`` URIs too) absolute, so
    that a command run later from another folder still knows the files the store was
    read from (and never writes over them); other URIs as given."""
    return [_FILE_URI.sub("", path) if _FILE_URI.match(path) else path if is_uri(path) else os.path.abspath(path)
            for path in map(str, paths)]


def check_on_error(on_error: str) -> None:
    """Refuse an ``on_error`` other than ``"fail"`` or ``"skip"``."""
    if on_error not in ("fail", "skip"):
        raise InputError("on_error", f"must be 'fail' or 'skip', not {on_error!r}")


def parse_records(reads: Sequence[Read]) -> list[Read]:
    """Parse a batch of records from :func:`read_unparsed` (decode, JSON, metadata); each
    record's outcome depends on it alone."""
    return [_parsed(read) for read in reads]


def _parsed(read: Read) -> Read:
    outcome = read.outcome
    return read._replace(outcome=outcome()) if callable(outcome) else read


class Identified(Protocol):
    """What :func:`accept_records` needs of an accepted record: a document, or an engine's
    stand-in for one parsed elsewhere."""

    @property
    def id(self) -> str: ...


def accept_records(
    reads: Iterable[Read], on_error: OnError, seen_ids: set[str]
) -> Iterator[Identified | Rejection]:
    """The parsed records in read order: each outcome that is not a reason (a document,
    or whatever stands for one) is accepted unless its id is in ``seen_ids`` (ids
    accepted are added to it). With ``on_error="fail"`` the first bad record raises
    :class:`InputError` naming its file and line; with ``"skip"`` it is a :class:`Rejection`."""
    for read in reads:
        outcome = read.outcome
        if not isinstance(outcome, str) and outcome.id in seen_ids:
            outcome = duplicate_id(outcome.id)
        if not isinstance(outcome, str):
            seen_ids.add(outcome.id)
            yield outcome
        elif on_error == "fail":
            raise InputError(read.where, outcome)
        else:
            yield rejection(read, outcome)


def duplicate_id(id_: str) -> str:
    """Why a second record with an id already accepted in this run is refused."""
    return f"duplicate id '{id_}' (already read in this run)"


def rejection(read: Read, reason: str) -> Rejection:
    """``read`` refused for ``reason``, with where it is and an excerpt of the record."""
    raw = _raw_text(read.raw)
    if raw is None:
        return Rejection(read.where, reason)
    return Rejection(read.where, reason, raw[:RAW_EXCERPT_CHARS], len(raw))


def read_document(path: str | Path) -> Document:
    """Read one article from ``path``: a .txt file, or a file holding exactly one record."""
    path = Path(path)
    if _check_path(path, {}).is_dir():
        raise InputError(str(path), "is a folder; give one file")
    records = read_documents([path])
    document = next(records, None)
    if document is None:
        raise InputError(str(path), "holds no records")
    if next(records, None) is not None:
        raise InputError(str(path), "holds more than one record; give a file with one article")
    assert isinstance(document, Document)  # on_error="fail" raises instead of rejecting
    return document


def document_from_text(
    text: str,
    id: str = "text",
    *,
    date: dt.date | None = None,
    source: str | None = None,
    url: str | None = None,
    title: str | None = None,
    language: str | None = None,
) -> Document:
    """A document from a string, for the Python API; the string is kept unchanged.

    Metadata found in the text (date header, credit lines) fills ``date`` and
    ``source`` when they are not given, and sets the body bounds.
    """
    try:
        return _document(text, id, date=date, source=source, url=url, title=title, language=language)
    except _Invalid as error:
        raise InputError(f"text '{id}'", str(error)) from error


def _check_path(path: Path, outputs: Mapping[str, str]) -> Path:
    if not path.exists():
        raise InputError(str(path), "no such file or folder")
    output = outputs.get(os.path.realpath(path))
    if output:
        raise InputError(str(path), f"is {output} of this run; it cannot also be an input")
    if path.is_dir():
        first = next(_Walk(outputs).files(path), None)
        if first is None:
            raise InputError(str(path), f"folder holds no readable files ({_supported()})")
        if isinstance(first, Read) and first.where == str(path):  # the folder itself cannot be listed
            raise InputError(first.where, first.outcome)
    elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InputError(str(path), f"unknown format '{path.suffix}' (use {_supported()})")
    return path


def _supported() -> str:
    return ", ".join(sorted(SUPPORTED_SUFFIXES))


def _quoted(value: str) -> str:
    """``value`` quoted for a reason, cut to its first characters."""
    if len(value) <= _VALUE_EXCERPT_CHARS:
        return repr(value)
    return repr(value[:_VALUE_EXCERPT_CHARS])[:-1] + "…'"


def _kind(value: Any) -> str:
    """What a record's value is, in JSON's words: ``null``, ``a number``, ``an array``."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    for types, name in ((str, "a string"), ((int, float), "a number"), (list, "an array"), (dict, "an object")):
        if isinstance(value, types):
            return name
    return f"a value of type {type(value).__name__}"


def counted(count: int, noun: str, plural: str = "") -> str:
    """``1 field``, ``2 fields``, ``1,000 records``; ``plural`` where it is not ``noun + "s"``."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def _raw_text(raw: bytes | list[str] | dict[str, Any] | None) -> str | None:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "backslashreplace").rstrip("\r\n")
    if isinstance(raw, list):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(raw)
        return buffer.getvalue()
    if isinstance(raw, dict):
        return json.dumps(raw, ensure_ascii=False, default=str)
    return None


def _files(paths: list[Path], walk: _Walk) -> Iterator[tuple[Path, str] | Read]:
    for path in paths:
        if path.is_dir():
            for found in walk.files(path):
                # A file in a folder is named by its relative path, so that the
                # documents of a/1.txt and b/1.txt, or of a/feed.jsonl and b/feed.jsonl, do not collide.
                yield found if isinstance(found, Read) else (found, found.relative_to(path).with_suffix("").as_posix())
        elif walk.first_visit(path.stat()):
            yield path, path.stem


def _reads(files: Iterator[tuple[Path, str] | Read], field_map: FieldMap) -> Iterator[Read]:
    for found in files:
        if isinstance(found, Read):
            yield found
        else:
            yield from read_file(*found, field_map)


class _Walk:
    """The folder walks of one run. Each folder and file is visited once, keyed by device
    and inode, however many paths lead to it (symlinks, hard links, a folder given
    twice), so a symlink loop ends; the run's ``outputs`` (real paths) are passed by."""

    def __init__(self, outputs: Mapping[str, str]) -> None:
        self.outputs = outputs
        self.visited: set[tuple[int, int]] = set()

    def first_visit(self, found: os.stat_result) -> bool:
        key = (found.st_dev, found.st_ino)
        if key in self.visited:
            return False
        self.visited.add(key)
        return True

    def files(self, root: Path) -> Iterator[Path | Read]:
        """Supported files under ``root``, hidden entries skipped: first its own tree, depth
        first in name order, then what its symlinks lead to (so a file reached both ways
        is read under its real path). A folder that cannot be listed, or a link that
        leads nowhere, is a :class:`Read` saying so."""
        if not self.first_visit(root.stat()):
            return
        links: deque[Path] = deque()
        yield from self._tree(root, links)
        while links:
            link = links.popleft()
            try:
                target = link.stat()
            except OSError as error:
                if _supported_name(link):
                    yield Read(str(link), None, _unreadable(error))
                continue
            if stat.S_ISDIR(target.st_mode):
                if self.first_visit(target):
                    yield from self._tree(link, links)
            elif self._wanted(link, os.path.realpath(link)) and self.first_visit(target):
                yield link

    def _tree(self, top: Path, links: deque[Path]) -> Iterator[Path | Read]:
        """The files under ``top`` reached without following a symlink, iteratively (a
        deep tree does not exhaust the stack); symlinks found are added to ``links``."""
        stack: list[tuple[Path, str, Iterator[os.DirEntry]]] = []
        yield from _enter(stack, top, os.path.realpath(top))
        while stack:
            folder, real, entries = stack[-1]
            entry = next(entries, None)
            if entry is None:
                stack.pop()
            elif entry.name.startswith("."):
                continue
            elif entry.is_symlink():
                links.append(folder / entry.name)
            elif entry.is_dir(follow_symlinks=False):
                if self.first_visit(entry.stat(follow_symlinks=False)):
                    yield from _enter(stack, folder / entry.name, os.path.join(real, entry.name))
            elif self._wanted(folder / entry.name, os.path.join(real, entry.name)):
                if self.first_visit(entry.stat(follow_symlinks=False)):
                    yield folder / entry.name

    def _wanted(self, path: Path, real: str) -> bool:
        return _supported_name(path) and real not in self.outputs


def _enter(stack: list, folder: Path, real: str) -> Iterator[Read]:
    """Push ``folder`` (with its real path) and its entries in name order on ``stack``,
    or yield a :class:`Read` saying why it cannot be listed."""
    try:
        with os.scandir(folder) as entries:
            listing = sorted(entries, key=lambda entry: entry.name)
    except OSError as error:
        yield Read(str(folder), None, f"cannot read folder: {error.strerror or error}")
        return
    stack.append((folder, real, iter(listing)))


def _supported_name(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def read_file(path: Path, file_id: str, field_map: FieldMap) -> Iterator[Read]:
    """The records of one file as found (their parsing deferred); ``file_id`` (from
    :func:`input_files`) names a text file's document and positions in other files."""
    suffix = path.suffix.lower()
    try:
        if suffix in TEXT_SUFFIXES:
            yield _read_text_file(path, file_id)
        elif suffix in JSONL_SUFFIXES:
            yield from _read_jsonl(path, file_id, field_map)
        elif suffix in CSV_SUFFIXES:
            yield from _read_csv(path, file_id, field_map)
        else:
            yield from _read_parquet(path, file_id, field_map)
    except OSError as error:
        yield Read(str(path), None, _unreadable(error))


def _read_text_file(path: Path, file_id: str) -> Read:
    return text_file_record(str(path), file_id, path.stat().st_size, partial(_read_bytes, path))


def text_file_record(name: str, file_id: str, size: int, data: Callable[[], bytes]) -> Read:
    """The record of the text file ``name`` of ``size`` bytes, its document ``file_id``;
    ``data`` reads its bytes (when parsed). Engines that read files their own way
    (Spark's readers) call it, and the other ``*_record`` functions, with what they read."""
    if size > MAX_TEXT_BYTES:
        return Read(name, None, f"file is {size:,} bytes, over the {MAX_TEXT_BYTES:,}-byte limit")
    return Read(name, None, partial(_text_file_document, data, file_id))


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, read no further than one past the limit: a device or a pipe
    (``/dev/zero`` linked as a .txt) says size 0, so its size cannot be checked first."""
    with path.open("rb") as file:
        data = file.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        raise _Invalid(f"file is over the {MAX_TEXT_BYTES:,}-byte limit")
    return data


def _text_file_document(data: Callable[[], bytes], file_id: str) -> Document | str:
    try:
        return _document(_decode(data()), file_id)
    except _Invalid as error:
        return str(error)
    except OSError as error:
        return _unreadable(error)


def _unreadable(error: OSError) -> str:
    return f"cannot read: {error.strerror or error}"


def _decode(data: bytes, line: int = 1, offset: int = 0) -> str:
    """UTF-8 text without its BOM; binary data and invalid UTF-8 are refused with their position.

    ``data`` starts at byte ``offset``, on line ``line`` of its file. A stray NUL
    or control character is kept: published corpora (PAN) hold a few, and their
    offsets count them. Data that is mostly NUL bytes (UTF-16, binary formats
    that happen to be valid UTF-8) is refused.
    """
    if offset == 0 and data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Invalid("UTF-16 text; save it as UTF-8")
    head = data[:_SNIFF_BYTES]
    if head.count(0) > _BINARY_NUL_SHARE * len(head):
        raise _Invalid(f"binary data, not text ({head.count(0)} NUL bytes in the first {len(head)})")
    try:
        return data.decode("utf-8-sig" if offset == 0 else "utf-8")
    except UnicodeDecodeError as error:
        position = _position(data, error.start, line, offset)
        raise _Invalid(f"binary or not UTF-8: invalid UTF-8 at {position}") from error


def _position(data: bytes, index: int, line: int, offset: int) -> str:
    newlines = data.count(b"\n", 0, index)
    return f"byte {offset + index}, line {line + newlines}"


def _read_jsonl(path: Path, file_id: str, field_map: FieldMap) -> Iterator[Read]:
    # A large buffer: each refill releases the GIL, which the scan's other threads then hold.
    with path.open("rb", buffering=_READ_CHUNK) as stream:
        offset = 0
        for number, (line, length) in enumerate(_bounded_lines(stream), start=1):
            if (read := jsonl_record(str(path), file_id, number, offset, line, field_map)) is not None:
                yield read
            offset += length


def jsonl_record(name: str, file_id: str, number: int, offset: int, line: bytes | None, field_map: FieldMap
                 ) -> Read | None:
    """The record of line ``number`` (at byte ``offset``, with its newline) of the JSONL
    file ``name`` (its :func:`input_files` id ``file_id``); None for a blank line. A line
    over :data:`MAX_LINE_BYTES` (``None`` when the reader left it unread) is refused."""
    where = f"{name}:{number}"
    if line is None or len(line) - line.endswith(b"\n") > MAX_LINE_BYTES:
        return Read(where, None, f"line over the {MAX_LINE_BYTES:,}-byte limit")
    if not line.strip():  # blank lines are not records
        return None
    return Read(where, line, partial(_jsonl_document, line, number, offset, f"{file_id}:{number}", field_map))


def _bounded_lines(stream: io.BufferedReader) -> Iterator[tuple[bytes | None, int]]:
    """Lines of ``stream`` and their lengths; a line over MAX_LINE_BYTES is skipped unread (``None``)."""
    while line := stream.readline(MAX_LINE_BYTES + 1):
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            yield line, len(line)
            continue
        length = len(line)
        while line and not line.endswith(b"\n"):
            line = stream.readline(_READ_CHUNK)
            length += len(line)
        yield None, length


def _jsonl_document(line: bytes, number: int, offset: int, default_id: str, field_map: FieldMap) -> Document | str:
    try:
        record = json.loads(_decode(line, number, offset))
    except _Invalid as error:
        return str(error)
    except json.JSONDecodeError as error:
        return f"malformed JSON: {error.msg} (column {error.colno})"
    except RecursionError:  # arrays or objects nested about a thousand deep
        return "malformed JSON: nested too deeply"
    if not isinstance(record, dict):
        return f"expected a JSON object, got {_kind(record)}"
    return _record_document(record, default_id, field_map)


def _read_csv(path: Path, file_id: str, field_map: FieldMap) -> Iterator[Read]:
    with path.open("rb") as stream:
        yield from csv_records(str(path), file_id, stream, field_map)


def csv_records(name: str, file_id: str, stream: IO[bytes], field_map: FieldMap) -> Iterator[Read]:
    """The records of the CSV file ``name`` (its :func:`input_files` id ``file_id``), read from ``stream``."""
    _allow_long_csv_fields()
    lines = _DecodedLines(stream)
    # strict: a quote left open is an error, not a field that swallows the rest of the file
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        yield _file_failure(name, error, 1)
        return
    if 1 in lines.invalid:
        yield Read(f"{name}:1", None, lines.invalid[1])
        return
    if header is None:
        yield Read(name, None, "empty CSV file")
        return
    if why := unusable_columns(field_map, header):
        yield Read(name, None, why)
        return
    yield from _csv_rows(name, file_id, reader, lines, header, field_map)


def _csv_rows(path: str, file_id: str, reader: Any, lines: _DecodedLines, header: list[str], field_map: FieldMap
              ) -> Iterator[Read]:
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader, None)
        except csv.Error as error:
            if _QUOTE_LEFT_OPEN not in str(error):  # the reader goes on at the next line
                yield Read(f"{path}:{line}", None, f"malformed CSV: {error}")
                continue
            # A quote left open ran to the end of the file: nothing after it can be read.
            yield _file_failure(path, error, line)
            return
        if row is None:
            return
        if not row:
            continue  # blank lines are not records
        where = f"{path}:{line}"
        if undecodable := [lines.invalid[n] for n in range(line, reader.line_num + 1) if n in lines.invalid]:
            yield Read(where, row, undecodable[0])
            continue
        if len(row) != len(header):
            yield Read(where, row, f"row has {counted(len(row), 'field')}, header has {len(header)}")
            continue
        yield Read(where, row, partial(_record_document, dict(zip(header, row)), f"{file_id}:{line}", field_map))


class _DecodedLines:
    """A byte stream's lines decoded one by one, for the CSV reader: a line that is not
    UTF-8 is handed on with its bad bytes replaced and noted in ``invalid`` (line number
    → why), so that only the row holding it is refused and the rest of the file is read.
    A line ends at LF, CRLF or a lone CR (old Mac OS files), as Python's universal
    newlines read them: a file of CR-ended rows was one line, all but its first row lost."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.invalid: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        offset = 0
        for number, line in enumerate(_lines_at_any_ending(self.stream), start=1):
            try:
                yield _decode(line, number, offset)
            except _Invalid as error:
                self.invalid[number] = str(error)
                yield line.decode("utf-8", "replace")
            offset += len(line)


def _lines_at_any_ending(stream: IO[bytes]) -> Iterator[bytes]:
    for line in stream:
        if line.count(b"\r") != line.count(b"\r\n"):  # rare: split after each CR that no LF follows
            yield from (part for part in _AFTER_LONE_CR.split(line) if part)
        else:
            yield line


_AFTER_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")
_QUOTE_LEFT_OPEN = "unexpected end of data"


def _file_failure(path: str, error: csv.Error, line: int) -> Read:
    return Read(f"{path}:{line}", None, f"malformed CSV: {error}; the rest of the file is not read")


def _allow_long_csv_fields() -> None:
    # The csv module refuses fields over 128 KiB by default; articles can be longer.
    if csv.field_size_limit() < MAX_LINE_BYTES:
        csv.field_size_limit(MAX_LINE_BYTES)


def _read_parquet(path: Path, file_id: str, field_map: FieldMap) -> Iterator[Read]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        yield Read(str(path), None, f"cannot read Parquet: {error}")
        return
    names = parquet.schema_arrow.names
    if why := unusable_columns(field_map, names):
        yield Read(str(path), None, why)
        return
    columns = [column for column in dict.fromkeys(field_map.columns()) if column in names]
    batches = parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns)
    number = 0
    while True:
        try:
            batch = next(batches, None)
        except pa.ArrowException as error:
            where = f"{path}:row {number + 1}"
            yield Read(where, None, f"cannot read Parquet: {error}")
            return
        if batch is None:
            return
        for record in _parquet_rows(batch):
            number += 1
            if isinstance(record, str):
                yield Read(f"{path}:row {number}", None, record)
            else:
                yield parquet_record(str(path), file_id, number, record, field_map)


def _parquet_rows(batch: pa.RecordBatch) -> Iterator[dict[str, Any] | str]:
    """Each row of ``batch`` as a dict, or why it cannot be one: a date or a timestamp
    beyond Python's (year 1 to 9999) stops the whole batch's conversion, so that batch
    is converted value by value."""
    try:
        rows = batch.to_pylist()
    except (OverflowError, ValueError):
        rows = [_parquet_row(batch, row) for row in range(batch.num_rows)]
    yield from rows


def _parquet_row(batch: pa.RecordBatch, row: int) -> dict[str, Any] | str:
    record = {}
    for name, column in zip(batch.schema.names, batch.columns):
        try:
            record[name] = column[row].as_py()
        except (OverflowError, ValueError) as error:
            return f"field '{name}': value out of range ({error})"
    return record


def parquet_record(name: str, file_id: str, number: int, record: dict[str, Any], field_map: FieldMap) -> Read:
    """The record of row ``number`` (from 1) of the Parquet file ``name`` (its
    :func:`input_files` id ``file_id``): its columns of ``field_map``."""
    return Read(f"{name}:row {number}", record, partial(_record_document, record, f"{file_id}:{number}", field_map))


def unusable_columns(field_map: FieldMap, columns: Iterable[str]) -> str | None:
    """Why a file of ``columns`` (a CSV header, a Parquet schema) cannot be read with
    ``field_map``: no text column, no column that ``--fields`` named (which would
    otherwise be ignored: every id positional, every date missing), or a column it reads
    named twice (a record would keep one of the two values without a word); None if it can."""
    columns = list(columns)
    if repeated := sorted({column for column in field_map.columns() if columns.count(column) > 1}):
        return f"column {', '.join(map(repr, repeated))} named more than once (columns: {', '.join(columns)})"
    if field_map.text not in columns:
        return f"no text column '{field_map.text}' (columns: {', '.join(columns)}); map it with text=COLUMN"
    if absent := [f"{field}={column}" for field, column in field_map.mapped().items() if column not in columns]:
        return f"no column for {', '.join(absent)} (columns: {', '.join(columns)})"
    return None


def _record_document(record: Mapping[str, Any], default_id: str, field_map: FieldMap) -> Document | str:
    """A document from a structured record; its fields win over metadata found in the text."""

    def string(column: str) -> str | None:
        return _field_string(record.get(column), column)

    try:
        text = record.get(field_map.text)
        if text is None:
            raise _Invalid(f"no text (field '{field_map.text}')")
        if not isinstance(text, str):
            raise _Invalid(f"field '{field_map.text}' must be a string, got {_kind(text)}")
        return _document(
            text,
            _record_id(record.get(field_map.id), field_map.id, default_id),
            date=_field_date(record.get(field_map.date), field_map.date),
            source=string(field_map.source),
            url=string(field_map.url),
            title=string(field_map.title),
            language=string(field_map.language),
        )
    except _Invalid as error:
        return str(error)


def _record_id(value: Any, column: str, default_id: str) -> str:
    """The record's id; a record without one (no field, or null) is named by its place.
    An empty id is refused, not named: it is a mistake in the data."""
    if value is None:
        return default_id
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Invalid(f"field '{column}' must be a string or an integer, got {_kind(value)}")
    if isinstance(value, str) and not value.strip():
        raise _Invalid(f"field '{column}' is empty")
    return str(value)


def _field_date(value: Any, column: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise _Invalid(f"field '{column}' must be a date, got {_kind(value)}")
    date = parse_date(value)
    if date is None:
        raise _Invalid(f"field '{column}': invalid date {_quoted(value)} (use YYYY-MM-DD)")
    return date


def _field_string(value: Any, column: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Invalid(f"field '{column}' must be a string, got {_kind(value)}")
    return value


def _document(
    text: str,
    id: str,
    *,
    date: dt.date | None = None,
    source: str | None = None,
    url: str | None = None,
    title: str | None = None,
    language: str | None = None,
) -> Document:
    """Check ``text`` and build its document; explicit metadata wins over metadata in the text."""
    if not text.strip():
        raise _Invalid("empty text")
    size = _utf8_size(text, "text")
    sizes = {name: _utf8_size(value or "", name)
             for name, value in (("id", id), ("source", source), ("url", url), ("title", title), ("language", language))}
    _check_id(id, sizes["id"])
    if size > MAX_TEXT_BYTES:
        raise _Invalid(f"text is {size:,} bytes, over the {MAX_TEXT_BYTES:,}-byte limit")
    found = extract_metadata(text)
    if found.body_start == found.body_end:
        raise _Invalid("empty body once the header and credit lines are removed")
    return Document(
        id=id,
        text=text,
        date=date or found.date,
        source=source or found.source,
        url=url,
        title=title,
        language=language,
        credit=found.credit,
        body_start=found.body_start,
        body_end=found.body_end,
    )


def _check_id(id_: str, size: int) -> None:
    """Refuse an id no URL can carry: over :data:`MAX_ID_BYTES` (``size``: its UTF-8
    bytes), only dots (a browser reads ``/articles/..`` as a step up, even quoted) or
    holding a control character."""
    if size > MAX_ID_BYTES:
        raise _Invalid(f"id is {size:,} bytes long in UTF-8; an id may have {MAX_ID_BYTES:,}")
    if not id_.strip("."):
        raise _Invalid(f"id '{id_}' is only dots, which a URL reads as a folder")
    if control := _CONTROL_CHARACTER.search(id_):
        raise _Invalid(f"id holds a control character (U+{ord(control.group()):04X}) at character {control.start()}")


def _utf8_size(value: str, field: str) -> int:
    """The UTF-8 size of ``value``; a string that has none is refused. A JSON escape such
    as ``"\\ud800"`` makes a lone surrogate, which no store or UTF-8 file can hold."""
    try:
        return len(value.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise _Invalid(f"{field} holds an unpaired surrogate at character {error.start}, not valid Unicode") from error


def document_from_record(record: Mapping[str, Any], where: str, field_map: FieldMap | None = None) -> Document:
    """A document from one structured record (an API request's JSON body), checked as a
    JSONL record is; :class:`InputError` naming ``where`` when it is refused. Without an
    id, the document is named by a digest of its text."""
    if not isinstance(record, Mapping):
        raise InputError(where, "a record must be a JSON object")
    text = record.get((field_map or FieldMap()).text)
    default_id = "text-" + hashlib.blake2b(str(text).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    outcome = _record_document(record, default_id, field_map or FieldMap())
    if isinstance(outcome, str):
        raise InputError(where, outcome)
    return outcome
