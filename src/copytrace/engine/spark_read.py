"""The Spark engine's inputs, read by Spark's own readers, so that any file system
Hadoop reaches works (``s3a://``, ``hdfs://``, ``file://``, local paths).

The driver lists the files in the local engine's read order (local paths by
:func:`copytrace.ingest.readers.input_files`; URIs by Hadoop's file system, depth first
in name order, hidden entries passed by) and numbers them. Executors then read:

* JSONL with ``spark.read.text`` (lines as bytes, split on ``\\n`` only, as Python
  reads them). Spark splits a large file into blocks read by different tasks, so a
  first pass counts the lines and bytes of each block; each line then gets its line
  number and byte offset, as the local reader gives them (``file:line`` in errors,
  positions of invalid UTF-8);
* text and CSV files whole with ``binaryFile`` (a CSV record may span lines);
* Parquet with ``spark.read.parquet`` (each row with its number in its file).

Each record then goes through the same record-level parsing as the local engine's
(``copytrace.ingest.readers``' ``*_record`` functions) in :mod:`copytrace.engine.plan`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import groupby
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote

import pyarrow as pa

from copytrace.candidates import CandidateConfig
from copytrace.engine import plan
from copytrace.errors import InputError
from copytrace.ingest import FieldMap
from copytrace.ingest.readers import (
    CSV_SUFFIXES, JSONL_SUFFIXES, PARQUET_SUFFIXES, SUPPORTED_SUFFIXES, TEXT_SUFFIXES, Read, input_files, is_uri,
    unusable_columns,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class InputFile:
    """A file to read: its number in read order, its name as the user gave it (in
    ``where``), where Spark reads it, its file id (:func:`copytrace.ingest.readers.input_files`:
    a text file's document id, the prefix of positional ids), and its size in bytes."""

    number: int
    name: str
    location: str
    file_id: str
    size: int

    @property
    def key(self) -> str:
        """:func:`file_key` of its location."""
        return file_key(self.location)

    @property
    def literal(self) -> str:
        """Its location as Spark's readers take it: they read a path as a Hadoop glob, so
        ``*?[]{}`` (and the escape ``\\``) in a name are escaped to stand for themselves."""
        return re.sub(r"([*?\[\]{}\\])", r"\\\1", self.location)


def file_key(location: str) -> str:
    """One spelling of a file's location: ``file:///a b`` and ``file:/a b`` are one."""
    return re.sub(r"^file://(?=/)", "file:", location)


def _read_key(path: str) -> str:
    """:func:`file_key` of the path Spark gives a row read (``_metadata.file_path``, URL-encoded)."""
    return file_key(unquote(path))


def _local_location(path: str | Path) -> str:
    return "file://" + os.path.abspath(path)


def list_inputs(
    spark: SparkSession, paths: Sequence[str | Path], outputs: Mapping[str, str]
) -> tuple[list[InputFile], list[tuple[int, str, str]]]:
    """The files of ``paths`` in read order, and the entries that cannot be read
    (file number, where, why). Consecutive local paths are walked together, as the
    local engine walks them (a file reached twice is read once)."""
    files: list[InputFile] = []
    refused: list[tuple[int, str, str]] = []
    number = 0
    for uris, group in groupby(paths, key=is_uri):
        found = (_hadoop_files(spark, str(path), outputs) for path in group) if uris else [input_files(list(group), outputs)]
        for entry in (entry for listing in found for entry in listing):
            if isinstance(entry, Read):
                refused.append((number, entry.where, entry.outcome))
            else:
                name, location, file_id, size = entry if uris else (
                    str(entry[0]), _local_location(entry[0]), entry[1], os.path.getsize(entry[0]))
                files.append(InputFile(number, name, location, file_id, size))
            number += 1
    return files, refused


def _hadoop_files(spark: SparkSession, uri: str, outputs: Mapping[str, str]) -> Iterator[tuple[str, str, str, int]]:
    """The supported files under ``uri`` (or ``uri`` itself), depth first in name order,
    hidden entries and the run's outputs passed by: each file's name (under ``uri`` as
    given), its location (as its file system qualifies it, which Spark reports), its file
    id (its path under ``uri``, without suffix), and its size."""
    jvm = spark.sparkContext._jvm
    root = jvm.org.apache.hadoop.fs.Path(uri)
    system = root.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not system.exists(root):
        raise InputError(uri, "no such file or folder")
    skipped = {file_key(output if is_uri(output) else _local_location(output)): what for output, what in outputs.items()}
    base = uri.rstrip("/")
    if file_key(base) in skipped:
        raise InputError(uri, f"is {skipped[file_key(base)]} of this run; it cannot also be an input")
    status = system.getFileStatus(root)
    if not status.isDirectory():
        _check_format(uri)
        yield uri, status.getPath().toString(), PurePosixPath(uri).stem, status.getLen()
        return

    def walk(relative: str) -> Iterator[tuple[str, str, str, int]]:
        folder = jvm.org.apache.hadoop.fs.Path(f"{base}/{relative}" if relative else base)
        for status in sorted(system.listStatus(folder), key=lambda status: status.getPath().getName()):
            name = status.getPath().getName()
            path = f"{relative}/{name}" if relative else name
            if name.startswith(".") or file_key(f"{base}/{path}") in skipped:
                continue
            if status.isDirectory():
                yield from walk(path)
            elif PurePosixPath(name).suffix.lower() in SUPPORTED_SUFFIXES:
                yield (f"{base}/{path}", status.getPath().toString(), str(PurePosixPath(path).with_suffix("")),
                       status.getLen())

    found = list(walk(""))
    if not found:
        raise InputError(uri, f"folder holds no readable files ({', '.join(sorted(SUPPORTED_SUFFIXES))})")
    yield from found


def _check_format(uri: str) -> None:
    suffix = PurePosixPath(uri).suffix
    if suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InputError(uri, f"unknown format '{suffix}' (use {', '.join(sorted(SUPPORTED_SUFFIXES))})")


def parsed_records(
    spark: SparkSession, files: list[InputFile], refused: list[tuple[int, str, str]],
    field_map: FieldMap, config: CandidateConfig, batch_size: int,
) -> DataFrame:
    """:data:`copytrace.engine.plan.PARSED` rows of every record of ``files`` and of
    the entries ``refused``, read by Spark's readers."""
    by_kind: dict[frozenset[str], list[InputFile]] = {kind: [] for kind in _KINDS}
    for file in files:
        by_kind[next(kind for kind in _KINDS if PurePosixPath(file.name).suffix.lower() in kind)].append(file)
    parse = {"field_map": field_map, "config": config, "batch_size": batch_size}
    parts = [spark.createDataFrame(pa.Table.from_batches([plan.refused_files(refused)]), spark_schema(plan.PARSED))]
    if lines := by_kind[JSONL_SUFFIXES]:
        parts.append(_jsonl(spark, lines, parse))
    if whole := by_kind[TEXT_SUFFIXES] + by_kind[CSV_SUFFIXES]:
        read = spark.read.format("binaryFile").load([file.literal for file in whole])
        rows = read.select(_metadata("file_path").alias("path"), "content")
        parts.append(rows.mapInArrow(partial(_parse_whole_files, files=_by_key(whole), **parse), spark_schema(plan.PARSED)))
    if tables := by_kind[PARQUET_SUFFIXES]:
        parts.append(_parquet(spark, tables, field_map, parse))
    parsed = parts[0]
    for part in parts[1:]:
        parsed = parsed.unionByName(part)
    return parsed


def spark_schema(schema: pa.Schema):
    """The Spark schema of an Arrow schema."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


_KINDS = (JSONL_SUFFIXES, TEXT_SUFFIXES, CSV_SUFFIXES, PARQUET_SUFFIXES)


def _metadata(field: str):
    from pyspark.sql import functions as F

    return F.col(f"_metadata.{field}")


def _by_key(files: Iterable[InputFile]) -> dict[str, InputFile]:
    return {file.key: file for file in files}  # rows read are matched by _read_key


# --- JSONL: lines, numbered over the blocks Spark splits a file into -----------------------

@dataclass(frozen=True)
class _Block:
    """A block of a JSONL file as Spark reads it: its file, the number of the line
    before its first and that line's end offset, and the file's last line number and
    whether that line ends with a newline."""

    file: InputFile
    lines_before: int
    bytes_before: int
    last_line: int
    ends_with_newline: bool


def _jsonl(spark: SparkSession, files: list[InputFile], parse: dict) -> DataFrame:
    from pyspark.sql import functions as F

    lines = spark.read.option("lineSep", "\n").text([file.literal for file in files]).select(
        _metadata("file_path").alias("path"), _metadata("file_block_start").alias("start"),
        _metadata("file_size").alias("size"), F.col("value").cast("binary").alias("line"))
    counted = lines.groupBy("path", "start", "size").agg(
        F.count("*").alias("lines"), F.sum(F.length("line") + 1).alias("bytes"))
    blocks = _blocks(counted.collect(), _by_key(files))
    return lines.drop("size").mapInArrow(partial(_parse_lines, blocks=blocks, **parse), spark_schema(plan.PARSED))


def _blocks(counted: list, files: Mapping[str, InputFile]) -> dict[tuple[str, int], _Block]:
    """Each block's place in its file, from the lines and bytes (newlines counted) of each."""
    blocks = {}
    for key, group in groupby(sorted((_read_key(row["path"]), row["start"], row["size"], row["lines"], row["bytes"])
                                     for row in counted), key=lambda row: row[0]):
        group = list(group)
        last_line, size = sum(row[3] for row in group), group[0][2]
        ends_with_newline = sum(row[4] for row in group) == size  # else one newline short
        lines_before = bytes_before = 0
        for _, start, _, lines, length in group:
            blocks[key, start] = _Block(files[key], lines_before, bytes_before, last_line, ends_with_newline)
            lines_before += lines
            bytes_before += length
    return blocks


def _parse_lines(batches: Iterable[pa.RecordBatch], blocks: Mapping[tuple[str, int], _Block],
                 **parse) -> Iterator[pa.RecordBatch]:
    return plan.parse_lines(_numbered_lines(batches, blocks), **parse)


def _numbered_lines(batches: Iterable[pa.RecordBatch], blocks: Mapping[tuple[str, int], _Block]) -> Iterator[pa.RecordBatch]:
    """:data:`copytrace.engine.plan.LINE` rows of a task's lines (path, start, line),
    which come block by block, each block's in order."""
    current, block, number, offset = None, None, 0, 0
    for batch in batches:
        rows = {name: [] for name in plan.LINE.names}
        for path, start, line in zip(*(batch.column(name).to_pylist() for name in ("path", "start", "line"))):
            if (path, start) != current:
                current, block = (path, start), blocks[_read_key(path), start]
                number, offset = block.lines_before, block.bytes_before
            number += 1
            if number < block.last_line or block.ends_with_newline:
                line += b"\n"
            file = block.file
            for name, value in zip(plan.LINE.names, (file.number, number, file.name, file.file_id, offset, line)):
                rows[name].append(value)
            offset += len(line)
        yield pa.RecordBatch.from_pydict(rows, schema=plan.LINE)


# --- text and CSV files, whole; Parquet rows ---------------------------------------------

def _parse_whole_files(batches: Iterable[pa.RecordBatch], files: Mapping[str, InputFile],
                       **parse) -> Iterator[pa.RecordBatch]:
    def whole(batch: pa.RecordBatch) -> pa.RecordBatch:
        found = [files[_read_key(path)] for path in batch.column("path").to_pylist()]
        return pa.RecordBatch.from_pydict({
            "file": [file.number for file in found], "name": [file.name for file in found],
            "file_id": [file.file_id for file in found], "content": batch.column("content")}, schema=plan.WHOLE_FILE)

    return plan.parse_whole_files(map(whole, batches), **parse)


def _parquet(spark: SparkSession, files: list[InputFile], field_map: FieldMap, parse: dict) -> DataFrame:
    """Parquet rows with their read keys; every file refused when none has the text column."""
    from pyspark.sql import functions as F

    table = spark.read.option("mergeSchema", "true").parquet(*(file.literal for file in files))
    if why := unusable_columns(field_map, table.columns):  # of the merged schema: the local engine's per file
        refused = plan.refused_files([(file.number, file.name, why) for file in files])
        return spark.createDataFrame(pa.Table.from_batches([refused]), spark_schema(plan.PARSED))
    columns = [column for column in dict.fromkeys(field_map.columns()) if column in table.columns]
    rows = table.select(_metadata("file_path").alias("path"), (_metadata("row_index") + 1).alias("row"),
                        *(F.col(f"`{column}`") for column in columns))
    return rows.mapInArrow(partial(_parse_rows, files=_by_key(files), **parse), spark_schema(plan.PARSED))


def _parse_rows(batches: Iterable[pa.RecordBatch], files: Mapping[str, InputFile], **parse) -> Iterator[pa.RecordBatch]:
    def keyed(batch: pa.RecordBatch) -> pa.RecordBatch:
        found = [files[_read_key(path)] for path in batch.column("path").to_pylist()]
        key = [pa.array([file.number for file in found], pa.int32()), batch.column("row"),
               pa.array([file.name for file in found], pa.string()),
               pa.array([file.file_id for file in found], pa.string())]
        return pa.RecordBatch.from_arrays(key + batch.columns[2:], names=plan.ROW_KEY.names + batch.schema.names[2:])

    return plan.parse_rows(map(keyed, batches), **parse)
