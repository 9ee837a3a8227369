"""The Spark engine: runs the plan of :mod:`copytrace.engine.plan` on Apache Spark and
writes a Parquet dataset of the store's tables (docs/spark.md).

Every step is a function of :mod:`copytrace.engine.plan` run through ``mapInArrow``;
Spark only moves rows between them: it groups keys, joins pairs with their documents,
picks the first document of each id by read key, labels connected components
(:func:`_components`), and writes the tables. The driver lists
the input files (in the local engine's order, which gives each record its read key)
and reads nothing else (:mod:`copytrace.engine.spark_read`).

pyspark is an optional extra (``pip install 'copytrace[spark]'``) and needs Java 17.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from copytrace.candidates import source_names
from copytrace.candidates.boilerplate import Boilerplate, passage_documents
from copytrace.candidates.lookup import worth_profiles
from copytrace.engine import plan
from copytrace.engine.local import ScanConfig, ScanSummary, timed_step
from copytrace.engine.spark_read import list_inputs, parsed_records, spark_schema
from copytrace.errors import InputError
from copytrace.ingest import FieldMap
from copytrace.ingest.document import DOCUMENT_COLUMNS
from copytrace.ingest.readers import OnError, check_on_error, duplicate_id, recorded_inputs
from copytrace.store.schema import PAIRS, SCHEMA_VERSION, SCHEMAS, SETTINGS, row_order

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

INSTALL_HINT = "the Spark engine needs pyspark and Java 17: pip install 'copytrace[spark]'"
RUN_ID = 1  # a Spark scan writes a new dataset: one run
# Tables of the output, each with the columns that order its rows (the DuckDB store's export order).
TABLE_ORDER = {name: row_order(table) for name, table in {**SCHEMAS, "settings": SETTINGS}.items()}
_SIGNATURE_COLUMNS = SCHEMAS["signatures"].names
# Candidate graphs up to this many edges are labelled by union-find in one Python task
# (5M edges: about 6 s and 1 GB); larger ones by rounds of joins, which cost seconds
# each whatever their size (six rounds, 11-31 s, at 100k articles: docs/spark.md).
ONE_TASK_COMPONENT_EDGES = 5_000_000
# Component labels (a document of the candidate graph and its component, two ids: about
# 100 MB for 2M documents) up to this many are broadcast to the joins that attach them
# to texts and pairs, which otherwise shuffle every text by id before verify shuffles
# it by component.
BROADCAST_COMPONENT_LABELS = 2_000_000
# Shuffle partitions per core in local mode: a few, so a skewed task does not idle the
# other cores, where Spark's default of 200 spent more on scheduling than on the work.
LOCAL_PARTITIONS_PER_CORE = 4
# The rows of a shuffle by key or by component are cut into at least one partition per
# this many documents (key rows: about 190 a document, some 4M a partition; verify's
# rows: the texts, about 130 MB a partition in the English benchmark), so that sorting
# a partition's rows needs no large blocks of memory: at 1M articles in 8 partitions
# (15M key rows each), the sort ran out of a 6 GB heap allocating 128 and 256 MB pages,
# and verify's sorts of 8 partitions of texts logged the same errors, recovered by spilling.
DOCUMENTS_PER_PARTITION = 20_000
# A connected component of more candidate pairs than this (stories chained through common
# quotations) is verified in chunks of about this many pairs, each with the texts its
# pairs need, so that no Python worker holds a giant component's texts (a chunk's are at
# most twice this many); smaller components are verified whole, each text prepared once.
COMPONENT_CHUNK_PAIRS = 10_000


def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """A Spark session for a scan: ``master`` and ``conf`` as given (``--master``,
    ``--conf``), else what ``spark-submit`` set, else ``local[*]``. numba caches its
    compiled kernels in ``NUMBA_CACHE_DIR`` on executors (a writable folder under the
    system's temporary folder unless set), and runs its parallel kernels on the task's
    cores (``NUMBA_NUM_THREADS``: ``spark.task.cpus``, 1 unless set): Spark runs a task
    on each core, and a worker that started a thread per core besides slowed verify
    tenfold (docs/spark.md). In local mode, Python workers run this interpreter, shuffles
    have :func:`local_shuffle_partitions` and a JVM this process starts has
    :func:`local_driver_memory`, unless set."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("--engine spark", INSTALL_HINT) from None
    local = (master or "local").startswith("local")
    # Under spark-submit the driver's JVM runs already, started with spark-submit's memory;
    # builder settings would override spark-defaults.conf, so a value there is left alone.
    starts_jvm = "PYSPARK_GATEWAY_PORT" not in os.environ
    sized = local and starts_jvm and "spark.driver.memory" not in spark_defaults()
    settings = {
        "spark.executorEnv.NUMBA_CACHE_DIR": numba_cache_dir(),
        "spark.executorEnv.NUMBA_NUM_THREADS": (conf or {}).get("spark.task.cpus", "1"),
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        **({"spark.driver.memory": local_driver_memory()} if sized else {}),
        **(conf or {}),
    }
    builder = SparkSession.builder.appName("copytrace")
    if master:
        builder = builder.master(master)
    if local:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # pyspark reads it, not its conf
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as error:  # pyspark raises its own errors when Java is missing or too old
        raise InputError("--engine spark", f"cannot start Spark ({str(error).splitlines()[0]}); {INSTALL_HINT}") from None
    context = session.sparkContext
    partitions = local_shuffle_partitions(context.master, context.defaultParallelism,
                                          context.getConf().get("spark.sql.shuffle.partitions"))
    if partitions:
        session.conf.set("spark.sql.shuffle.partitions", str(partitions))
    return session


def local_shuffle_partitions(master: str, cores: int, given: str | None) -> int | None:
    """The shuffle partitions a session on ``master`` with ``cores`` gets where
    ``spark.sql.shuffle.partitions`` is not ``given`` (``--conf``, spark-submit):
    :data:`LOCAL_PARTITIONS_PER_CORE` per core in local mode (at 10k articles on
    ``local[2]``, 8 partitions took every step but verify from 237 s to 52 s;
    docs/spark.md), else None: a cluster keeps its own setting."""
    if given is not None or not master.startswith("local"):
        return None
    return LOCAL_PARTITIONS_PER_CORE * cores


def spark_defaults(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The settings of ``spark-defaults.conf`` in ``$SPARK_CONF_DIR``, else in the
    ``conf`` folder of ``$SPARK_HOME`` or of the pyspark package (where pyspark's
    launcher looks), a Java properties file: ``key value``, ``key=value`` or
    ``key: value`` lines, ``#`` and ``!`` comments. None when there is no such file."""
    home = environ.get("SPARK_HOME") or _pyspark_folder()
    folder = environ.get("SPARK_CONF_DIR") or (home and os.path.join(home, "conf"))
    path = Path(folder or "", "spark-defaults.conf")
    if not folder or not path.is_file():
        return {}
    lines = (line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines())
    found = (re.match(r"([^=:\s]+)\s*[=:\s]?\s*(.*)", line) for line in lines if line and line[0] not in "#!")
    return {match[1]: match[2] for match in found if match}


def _pyspark_folder() -> str | None:
    spec = importlib.util.find_spec("pyspark")
    return os.path.dirname(spec.origin) if spec and spec.origin else None


def local_driver_memory() -> str:
    """The JVM heap of a local session unless ``spark.driver.memory`` is set: a quarter
    of the machine's memory (at least Spark's 1 GB), since in local mode that one JVM
    holds every cached table and shuffle buffer (with Spark's 1 GB a 100k scan did not
    fit its cached documents and spilled 1.7 GB; docs/spark.md)."""
    try:
        machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): Spark's default
        return "1g"
    return f"{max(1, machine // 4 // 2**30)}g"


def numba_cache_dir() -> str:
    """Where executors' Python workers cache numba's compiled kernels unless
    ``spark.executorEnv.NUMBA_CACHE_DIR`` is set: the driver's ``$NUMBA_CACHE_DIR``, else
    a folder under the system's temporary folder (an installed package's own folder
    may not be writable)."""
    return os.environ.get("NUMBA_CACHE_DIR", os.path.join(tempfile.gettempdir(), "copytrace-numba-cache"))


def spark_scan(
    paths: Sequence[str | Path],
    out: str | Path,
    *,
    spark: SparkSession,
    config: ScanConfig = ScanConfig(),
    field_map: FieldMap | None = None,
    on_error: OnError = "fail",
) -> ScanSummary:
    """Scan ``paths`` on ``spark`` into the Parquet dataset ``out`` (one folder per
    table, :data:`TABLE_ORDER`): the tables a local scan of the same input into a new
    store holds (``copytrace import-parquet`` loads them into one)."""
    started = dt.datetime.now()
    check_on_error(on_error)
    field_map = field_map or FieldMap()
    cached: list[DataFrame] = []
    steps: dict[str, float] = {}
    with _step(spark, steps, "parse and sign"):
        parsed = _parsed(spark, paths, out, field_map, config, cached)
        documents, rejects = _first_of_each_id(parsed, cached)
        if on_error == "fail" and (first := rejects.orderBy("file", "record").first()) is not None:
            raise InputError(first["where"], first["reason"])
        counts = {"read": parsed.count(), "stored": documents.count(), "existing": 0, "rejected": rejects.count()}
    partitions = document_partitions(counts["stored"], _shuffle_partitions(spark))
    with _step(spark, steps, "candidates"):
        candidates, boilerplate = _candidates(documents, partitions, config, cached)
        candidates, boilerplate = _kept(candidates, cached), _kept(boilerplate, cached)
        candidate_count = candidates.count()  # every candidate is verified
        found = {"candidates": candidate_count, "verified": candidate_count}
        boilerplate.count()  # learnt here, where its time belongs, not when verify collects it
    with _step(spark, steps, "verify"):
        components = _components(candidates.select("a", "b"), found["candidates"], cached)
        verified = _kept(_verified(documents, candidates, components, _learnt(boilerplate, config), config,
                                   partitions, found["candidates"]), cached)
        found["pairs"] = verified.count()
    with _step(spark, steps, "stories"):
        stories = _kept(_stories(verified, components), cached)
        found["stories"] = stories.select("story_id").distinct().count()
    tables = {
        "documents": documents.select(*DOCUMENT_COLUMNS, "text_hash", _lit(RUN_ID, "int").alias("run_id"),
                                      _lit(started, "timestamp_ntz").alias("ingested_at")),
        "signatures": documents.select(*_SIGNATURE_COLUMNS),
        "candidates": _checked(candidates, verified),
        "pairs": verified.select(*PAIRS.names),
        "passages": _passages(verified),
        "boilerplate": boilerplate,
        "stories": stories.select("story_id", "document_id", "parent_id", "depth"),
        "derivation_edges": stories.where("parent_id IS NOT NULL").select(
            "story_id", "parent_id", _col("document_id").alias("child_id"), "weight"),
        "rejects": rejects.select("where", "reason", "raw", _lit(RUN_ID, "int").alias("run_id")),
        "runs": spark.createDataFrame([_run_row(paths, started, counts, found)], _RUNS_SCHEMA),
        "settings": spark.createDataFrame(
            [("candidates", json.dumps(asdict(config.candidates), sort_keys=True)),
             ("schema_version", json.dumps(SCHEMA_VERSION))], "key string, value string"),
    }
    with _step(spark, steps, "write"):
        for name, table in tables.items():
            table.orderBy(*TABLE_ORDER[name]).write.mode("overwrite").parquet(table_path(out, name))
    for frame in cached:
        frame.unpersist()
    return ScanSummary(
        db=str(out), run_id=RUN_ID, **counts, documents=counts["stored"], candidates_added=found["candidates"],
        verified=found["verified"], pairs=found["pairs"], stories=found["stories"], rejects_file=None,
        seconds=(dt.datetime.now() - started).total_seconds(), step_seconds=steps,
    )


def table_path(out: str | Path, name: str) -> str:
    """The folder of table ``name`` in the dataset ``out`` (a local folder or a URI)."""
    return f"{str(out).rstrip('/')}/{name}"


@contextmanager
def _step(spark: SparkSession, steps: dict[str, float], name: str) -> Iterator[None]:
    """Spark jobs started inside are described as the plan's step ``name`` (the Spark
    UI and its REST API show it beside each stage: benchmarks/bench_spark.py); its wall
    seconds go in ``steps``."""
    spark.sparkContext.setJobDescription(f"copytrace: {name}")
    try:
        with timed_step(steps, name):
            yield
    finally:
        spark.sparkContext.setJobDescription(None)


def _kept(frame: DataFrame, cached: list[DataFrame], on_disk: bool = False) -> DataFrame:
    """``frame`` persisted (it is read more than once), noted in ``cached`` to free at
    the end; ``on_disk``: not in the heap at all (the texts of a large input,
    :func:`texts_on_disk`). At 1M articles, cached in memory and disk, Spark tried each
    partition in the heap first and failed, and the sorts of the key join and verify ran
    short of it (both logged OutOfMemoryError, recovered by spilling)."""
    from pyspark import StorageLevel

    cached.append(frame.persist(StorageLevel.DISK_ONLY) if on_disk else frame.persist())
    return frame


def _parsed(spark: SparkSession, paths: Sequence[str | Path], out: str | Path,
            field_map: FieldMap, config: ScanConfig, cached: list[DataFrame]) -> DataFrame:
    """(1) :data:`copytrace.engine.plan.PARSED` rows of every record, read by Spark's
    readers (:mod:`copytrace.engine.spark_read`), persisted: on disk only where
    :func:`texts_on_disk` says the heap cannot hold them."""
    files, refused = list_inputs(spark, paths, {str(out): "the output folder"})
    parsed = parsed_records(spark, files, refused, field_map, config.candidates, config.batch_size)
    return _kept(parsed, cached, on_disk=texts_on_disk(sum(file.size for file in files), _cache_memory(spark)))


def texts_on_disk(input_bytes: int, cache_bytes: int) -> bool:
    """Whether the parsed rows of ``input_bytes`` of input are persisted on disk only: where
    they would take more than half of the ``cache_bytes`` Spark caches blocks in (the
    rows are about the size of their input, the texts being most of it). Execution cannot
    take back cached blocks from that half (``spark.memory.storageFraction``), and at 1M
    articles, rows cached there left the sorts of the key join and of verify short of heap;
    under it, reading them from the heap is cheaper than from disk (at 100k, 20 of 295
    task-seconds)."""
    return input_bytes > cache_bytes // 2


def _cache_memory(spark: SparkSession) -> int:
    """The memory Spark can cache blocks in, over the block managers registered now (in
    local mode the driver's; on a cluster, executors that register later are not counted,
    so a large input goes to disk)."""
    statuses = spark.sparkContext._jsc.sc().getExecutorMemoryStatus().valuesIterator()
    total = 0
    while statuses.hasNext():
        total += statuses.next()._1()  # (most memory for caching, what is left of it)
    return total


def _first_of_each_id(parsed: DataFrame, cached: list[DataFrame]) -> tuple[DataFrame, DataFrame]:
    """The documents kept and the records refused. Of several documents with one id,
    the first by read key (file, record) is kept, whatever order Spark read them in;
    the others are refused as the local engine refuses them. Only the read keys go
    through the window by id; the later records of an id (few) are then taken out of the
    parsed rows by their read key, a join Spark broadcasts when they are few, so texts
    are not shuffled (a window over whole rows shuffled 716 MB at 100k articles)."""
    from pyspark.sql import Window, functions as F

    first = Window.partitionBy("id").orderBy("file", "record")
    readable = parsed.where("reason IS NULL")
    later = _kept(readable.select("id", "file", "record").withColumn("rank", F.row_number().over(first))
                  .where("rank > 1").select("file", "record"), cached)
    before, after = duplicate_id("\0").split("\0")
    duplicates = readable.join(later, ["file", "record"], "left_semi").withColumn(
        "reason", F.concat(F.lit(before), "id", F.lit(after)))
    rejects = parsed.where("reason IS NOT NULL").select("file", "record", "where", "reason", "raw")
    return (readable.join(later, ["file", "record"], "left_anti"),
            rejects.unionByName(duplicates.select("file", "record", "where", "reason", "raw")))


def _candidates(documents: DataFrame, partitions: int, config: ScanConfig,
                cached: list[DataFrame]) -> tuple[DataFrame, DataFrame]:
    """(2) candidate keys and (3) the join: :data:`copytrace.engine.plan.CANDIDATE` rows,
    and the :data:`copytrace.engine.plan.BOILERPLATE` rows learnt from the same keys.
    Each batch's keys are packed by join partition, one of ``partitions``
    (:func:`document_partitions`; :func:`copytrace.engine.plan.key_blocks`), and the
    blocks shuffled once, each partition's to its own task (:func:`_routes`), which
    unpacks and joins them and gives the pairs, summed within the partition, and the
    boilerplate (:func:`copytrace.engine.plan.join_blocks`): Spark moves a few blocks a
    batch instead of sorting about 190 rows a document; the second shuffle sums each
    pair's rows of all partitions."""
    from pyspark.sql import functions as F

    sources = _source_names(documents)
    blocks = documents.select(*_SIGNATURE_COLUMNS, "number", "source").mapInArrow(
        partial(plan.key_blocks, config=config.candidates, sources=sources,
                routes=_routes(documents.sparkSession, partitions)), spark_schema(plan.KEY_BLOCK))
    joined = _kept(blocks.repartition(partitions, "route").mapInArrow(
        partial(plan.join_blocks, config=config.candidates, sources=sources), spark_schema(plan.JOINED)), cached)
    pairs = joined.where("a IS NOT NULL").select(*plan.SHARED.names)
    shared = pairs.groupBy("a", "b").agg(F.sum("shared").alias("shared"), F.max("near").alias("near"))
    # What the rule refuses on these columns alone does not fetch profiles: at 20k articles,
    # 58% of the pairs that share keys.
    shared = shared.where(worth_profiles(F.col("shared"), F.col("near"), config.candidates))
    # Profiles are found by the number the pairs carry.
    profiles = documents.select("number", *(name for name, _ in plan.PROFILE_FIELDS))
    candidates = _with_both(shared, profiles).mapInArrow(
        partial(plan.candidate_rows, config=config.candidates), spark_schema(plan.CANDIDATE))
    return candidates, joined.where("ngram IS NOT NULL").select(*plan.BOILERPLATE.names)


def _routes(spark: SparkSession, partitions: int) -> np.ndarray:
    """For each of ``partitions`` join partitions, a value of an int column that Spark's
    repartition by that column into ``partitions`` sends to the shuffle partition of the
    same number, found with the expression Spark partitions by (``pmod(hash(value),
    partitions)``), so that each task joins one join partition. Results do not depend
    on it: a task sent two partitions joins both (its tasks would then be uneven)."""
    from pyspark.sql import functions as F

    values = spark.range(64 * partitions).select(F.col("id").cast("int").alias("value"))
    targets = values.groupBy(F.pmod(F.hash("value"), F.lit(partitions)).alias("target")).agg(F.min("value"))
    found = dict(targets.collect())
    return np.array([found.get(partition, partition) for partition in range(partitions)], dtype=np.int32)


def document_partitions(documents: int, shuffle_partitions: int) -> int:
    """The partitions of a shuffle of rows of ``documents`` documents (their key rows,
    or their texts and pairs by component): the session's ``shuffle_partitions``, or
    one per :data:`DOCUMENTS_PER_PARTITION` documents where that is more."""
    return max(shuffle_partitions, -(-documents // DOCUMENTS_PER_PARTITION))


def _shuffle_partitions(spark: SparkSession) -> int:
    """The session's shuffle partitions, or its default parallelism where the setting is
    not a number (some platforms allow ``auto``)."""
    setting = spark.conf.get("spark.sql.shuffle.partitions")
    return int(setting) if setting.isdigit() else spark.sparkContext.defaultParallelism


def _source_names(documents: DataFrame) -> pa.Array:
    """The :func:`copytrace.candidates.source_names` of ``documents``, which key rows
    number: their distinct sources (one per outlet: thousands at most) collected once."""
    return source_names(row["source"] for row in documents.select("source").distinct().collect())


def _learnt(boilerplate: DataFrame, config: ScanConfig) -> Boilerplate:
    """The boilerplate n-grams that mark passages, collected to ship with each verify
    task: hundreds of hashes at 100k articles (1,267 boilerplate n-grams in the English
    benchmark, 738 of them marking)."""
    marking = boilerplate.where(f"source_documents >= {passage_documents(config.candidates)}")
    hashes = sorted(int(row["ngram"]) for row in marking.select("ngram").collect())  # decimal(20, 0)
    ngrams = np.array(hashes, dtype=np.uint64)
    return Boilerplate(ngrams, config.candidates)


def _verified(documents: DataFrame, candidates: DataFrame, components: DataFrame, boilerplate: Boilerplate,
              config: ScanConfig, partitions: int, candidate_count: int) -> DataFrame:
    """(4) verify: :data:`copytrace.engine.plan.VERIFIED` rows, by connected component of
    the candidates (``components``, :func:`_components`): the pairs and the texts of the
    candidate graph, each with its component (:data:`copytrace.engine.plan.COMPONENT_ROW`),
    partitioned and sorted by component, each batch of whole components verified in one
    Python call (:func:`copytrace.engine.plan.verified_components`). Each text is shuffled
    once, with its component, not once per pair (and not first by id where the components
    are broadcast), and prepared once for all its pairs (as the local engine groups
    them); components are spread over every core, in ``partitions``."""
    row = spark_schema(plan.COMPONENT_ROW)
    pairs = candidates.select("a", "b").join(components.withColumnRenamed("id", "a"), "a")
    pairs, texts = _verify_groups(pairs, documents.select(*DOCUMENT_COLUMNS), components, candidate_count)
    rows = _with_columns(pairs, row).unionByName(_with_columns(texts, row))
    verify = partial(plan.verified_components, config=config.align, boilerplate=boilerplate)
    return rows.repartition(partitions, "component").sortWithinPartitions("component").mapInArrow(
        verify, spark_schema(plan.VERIFIED))


def _verify_groups(pairs: DataFrame, texts: DataFrame, components: DataFrame,
                   pair_count: int) -> tuple[DataFrame, DataFrame]:
    """The ``pair_count`` ``pairs`` (a, b, component), each with the group it is verified
    in as its ``component``, and ``texts`` with each group that needs them: a component
    whole, or, for a component of more than :data:`COMPONENT_CHUNK_PAIRS` pairs (found by
    one aggregate over the pairs, collected; not run where there are not that many pairs
    in all), one of its chunks: its pairs are spread over chunks of about that many by a
    hash of the pair, and each chunk gets the texts of its pairs. Which pairs are
    verified together changes no pair's result."""
    from pyspark.sql import functions as F

    whole_texts = texts.join(components, "id")
    if pair_count <= COMPONENT_CHUNK_PAIRS:
        return pairs, whole_texts
    large = pairs.groupBy("component").count().where(f"count > {COMPONENT_CHUNK_PAIRS}").collect()
    if not large:
        return pairs, whole_texts
    chunks = F.broadcast(pairs.sparkSession.createDataFrame(
        [(row["component"], -(-row["count"] // COMPONENT_CHUNK_PAIRS)) for row in large],
        "component string, chunks long"))
    sized = pairs.join(chunks, "component", "left")
    chunk = F.pmod(F.xxhash64("a", "b"), F.col("chunks")).cast("string")
    label = F.concat_ws("\0", "component", chunk).alias("component")
    chunked = sized.where("chunks IS NOT NULL").select("a", "b", label)
    needed = chunked.select(F.col("a").alias("id"), "component").unionByName(
        chunked.select(F.col("b").alias("id"), "component")).distinct()
    return (sized.where("chunks IS NULL").drop("chunks").unionByName(chunked),
            whole_texts.join(chunks, "component", "left_anti").unionByName(texts.join(needed, "id")))


def _with_columns(frame: DataFrame, schema) -> DataFrame:
    """``frame`` with the columns of ``schema`` (a Spark ``StructType``) in order, nulls
    for those it lacks."""
    from pyspark.sql import functions as F

    return frame.select(*(F.col(field.name) if field.name in frame.columns else
                          F.lit(None).cast(field.dataType).alias(field.name) for field in schema.fields))


def _stories(verified: DataFrame, components: DataFrame) -> DataFrame:
    """(5) stories: :data:`copytrace.engine.plan.STORY` rows of the verified pairs,
    partitioned and sorted by connected component of the candidates (``components``, as
    verify grouped them), each batch of whole components in one Python call
    (:func:`copytrace.engine.plan.component_stories`). The verified pairs are some of
    the candidates, so a component holds whole components of the pair graph, which
    :func:`copytrace.provenance.stories.build_stories` tells apart as it does on the
    local engine's whole graph: no second labelling (its rounds were 64 small stages)."""
    rows = verified.drop("passage_rows").join(components.withColumnRenamed("id", "a"), "a")
    return rows.repartition("component").sortWithinPartitions("component").mapInArrow(
        plan.component_stories, spark_schema(plan.STORY))


def _components(edges: DataFrame, count: int, cached: list[DataFrame],
                one_task_edges: int = ONE_TASK_COMPONENT_EDGES) -> DataFrame:
    """Each document of the ``count`` ``edges`` (a, b) with its connected component,
    named by its least id: by union-find in one task
    (:func:`copytrace.engine.plan.component_labels`) up to ``one_task_edges`` edges,
    else by rounds of DataFrame joins (:func:`_components_by_rounds`); marked for
    broadcast up to :data:`BROADCAST_COMPONENT_LABELS` documents."""
    from pyspark.sql import functions as F

    if count > one_task_edges:
        return _components_by_rounds(edges, cached)
    labels = _kept(edges.coalesce(1).mapInArrow(plan.component_labels, spark_schema(plan.COMPONENT)), cached)
    return F.broadcast(labels) if labels.count() <= BROADCAST_COMPONENT_LABELS else labels


def _components_by_rounds(edges: DataFrame, cached: list[DataFrame]) -> DataFrame:
    """Each document of ``edges`` (a, b) with its connected component, named by its
    least id, found with DataFrame joins (nothing is collected on the driver): every
    document takes the least label among its own and its neighbours', then the label of
    its label (pointer jumping, so a chain of n documents settles in about log n
    rounds), until no label changes. Each round's labels are checkpointed, so the
    lineage does not grow with the rounds."""
    from pyspark.sql import functions as F

    edges = _kept(edges, cached)
    both_ways = edges.select(F.col("a").alias("src"), F.col("b").alias("dst")).unionByName(
        edges.select(F.col("b").alias("src"), F.col("a").alias("dst")))
    labels = both_ways.select(F.col("src").alias("id")).distinct().withColumn("label", F.col("id"))
    labels = labels.localCheckpoint()
    while True:
        offered = both_ways.join(labels.withColumnRenamed("id", "src"), "src").select(F.col("dst").alias("id"), "label")
        least = labels.unionByName(offered).groupBy("id").agg(F.min("label").alias("label"))
        jumped = least.join(least.select(F.col("id").alias("label"), F.col("label").alias("of_label")), "label").select(
            "id", F.least("label", "of_label").alias("label")).localCheckpoint()
        changed = jumped.join(labels.withColumnRenamed("label", "before"), "id").where("label != before").count()
        labels = jumped
        if not changed:
            return labels.withColumnRenamed("label", "component")


def _checked(candidates: DataFrame, verified: DataFrame) -> DataFrame:
    """The candidates table: every candidate verified, ``kept`` where a pair was found."""
    from pyspark.sql import functions as F

    kept = verified.select("a", "b", F.lit(True).alias("kept"))
    return candidates.join(kept, ["a", "b"], "left").select(
        *plan.CANDIDATE.names, F.lit(True).alias("verified"), F.coalesce("kept", F.lit(False)).alias("kept"))


def _passages(verified: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    exploded = verified.select("a", "b", F.posexplode("passage_rows").alias("passage", "p"))
    columns = ("region", "a_start", "a_end", "b_start", "b_end", "similarity", "verbatim_share")
    return exploded.select("a", "b", F.col("passage").cast("int").alias("passage"), *(F.col(f"p.{c}").alias(c) for c in columns))


_RUNS_SCHEMA = ("run_id int, started_at timestamp_ntz, finished_at timestamp_ntz, stage string, inputs string, "
                "read long, stored long, existing long, rejected long, candidates long, verified long, "
                "pairs long, stories long")


def _run_row(paths: Sequence[str | Path], started: dt.datetime, counts: dict, found: dict) -> tuple:
    return (RUN_ID, started, dt.datetime.now(), "done", json.dumps(recorded_inputs(paths)),
            counts["read"], counts["stored"], counts["existing"], counts["rejected"],
            found["candidates"], found["verified"], found["pairs"], found["stories"])


def _with_both(pairs: DataFrame, documents: DataFrame) -> DataFrame:
    """``pairs`` (columns a, b: document numbers) with the columns of both documents,
    prefixed ``a_`` and ``b_``."""
    from pyspark.sql import functions as F

    joined = pairs
    for side in ("a", "b"):
        joined = joined.join(documents.select(*(F.col(name).alias(f"{side}_{name}") for name in documents.columns)),
                             F.col(side) == F.col(f"{side}_number"))
    return joined


def _lit(value: object, type_: str):
    from pyspark.sql import functions as F

    return F.lit(value).cast(type_)


def _col(name: str):
    from pyspark.sql import functions as F

    return F.col(name)

