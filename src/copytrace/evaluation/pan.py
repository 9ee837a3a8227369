"""Run an aligner over a PAN text-alignment corpus and score it.

Layout (PAN 2013 text alignment; Potthast et al., "Overview of the 5th
International Competition on Plagiarism Detection", CLEF 2013)::

    DIR/pairs                       "suspicious-documentXXXXX.txt source-documentYYYYY.txt"
    DIR/src/, DIR/susp/             the documents (UTF-8)
    DIR/NN-<obfuscation type>/pairs the pairs of that type
    DIR/NN-<obfuscation type>/suspicious-documentXXXXX-source-documentYYYYY.xml
                                    gold cases: <feature name="plagiarism" this_offset=…/>

Offsets count characters of the text decoded from UTF-8 exactly as stored (no
file of the PAN 2013 corpora starts with a byte-order mark; one, if present,
would be kept as U+FEFF and counted, as a plain decoder does; line ends are
kept as they are).

The aligner is called as ``aligner(source_text, suspicious_text)``, so each
passage's ``a`` span is in the source document and its ``b`` span in the
suspicious one. It defaults to :func:`copytrace.align.align_regions`, whose
passages are whole reuse regions: PAN counts one detection per case, and
splitting a case into pieces is penalised by granularity. Detections are written in the PAN format, one XML per pair
named like the gold file, under ``OUT/<obfuscation type>/``, so the official
PAN evaluator can also be run on them.
"""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from copytrace.align import Passage
from copytrace.errors import InputError
from copytrace.evaluation import corpus_text
from copytrace.evaluation.measures import Annotation, Scores, Tally, scores, tally
from copytrace.outputs import refuse_inputs, write_text_replacing
from copytrace.parallel import process_pool, worker_count

Aligner = Callable[[str, str], Sequence[Passage]]

SCHEMA = "copytrace.pan-report/1"


@dataclass(frozen=True)
class PanPair:
    """One suspicious/source pair of a PAN corpus and its obfuscation type."""

    suspicious: str
    source: str
    obfuscation: str

    @property
    def xml_name(self) -> str:
        return f"{Path(self.suspicious).stem}-{Path(self.source).stem}.xml"


@dataclass(frozen=True)
class PanRow:
    """The PAN measures of one obfuscation type, or of all of them (``overall``)."""

    name: str
    pairs: int
    scores: Scores
    align_seconds: float

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "pairs": self.pairs,
            **self.scores.to_json(),
            "align_seconds": self.align_seconds,
        }


@dataclass(frozen=True)
class PanReport:
    """Per-type and overall PAN measures of one run of an aligner over a corpus.

    ``overall`` scores all cases and detections of all pairs together, as PAN
    does. ``align_seconds`` is time spent inside the aligner, summed over pairs;
    ``elapsed_seconds`` is the wall-clock time of the whole run.
    """

    corpus: str
    detections_dir: str
    workers: int
    rows: tuple[PanRow, ...]
    overall: PanRow
    elapsed_seconds: float

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA,
            "corpus": self.corpus,
            "detections_dir": self.detections_dir,
            "workers": self.workers,
            "types": [row.to_json() for row in self.rows],
            "overall": self.overall.to_json(),
            "elapsed_seconds": self.elapsed_seconds,
        }


def obfuscation_types(corpus: Path) -> list[str]:
    """The obfuscation-type folders of a PAN corpus (those holding a ``pairs`` file)."""
    for needed in ("pairs", "src", "susp"):
        if not (corpus / needed).exists():
            raise InputError(str(corpus), f"not a PAN text-alignment corpus: no {needed!r}")
    found = sorted(p.name for p in corpus.iterdir() if p.is_dir() and (p / "pairs").is_file())
    if not found:
        raise InputError(str(corpus), "no obfuscation-type folder with a 'pairs' file")
    return found


def select_types(available: Sequence[str], wanted: Sequence[str] | None) -> list[str]:
    """The folders named by ``wanted`` (full names or prefixes such as ``02``)."""
    if not wanted:
        return list(available)
    chosen = []
    for prefix in wanted:
        matches = [name for name in available if name == prefix or name.startswith(f"{prefix}-")]
        if not matches:
            raise InputError("--types", f"no obfuscation type {prefix!r} in {', '.join(available)}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def read_pairs(corpus: Path, obfuscation: str, limit: int | None = None) -> list[PanPair]:
    """The pairs listed in ``corpus/obfuscation/pairs``, the first ``limit`` of them."""
    path = corpus / obfuscation / "pairs"
    pairs = []
    for number, line in enumerate(corpus_text(path).splitlines(), 1):
        if not line.strip():
            continue
        names = line.split()
        if len(names) != 2:
            raise InputError(f"{path}:{number}", "expected 'suspicious-file source-file'")
        pairs.append(PanPair(names[0], names[1], obfuscation))
        if limit is not None and len(pairs) == limit:
            break
    if not pairs:
        raise InputError(str(path), "lists no pair to score")
    return pairs


def read_annotations(path: Path, feature: str = "plagiarism") -> list[Annotation]:
    """The ``<feature name=feature …>`` annotations of one PAN XML file."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        raise InputError(str(path), f"cannot read PAN XML: {error}") from None
    reference = root.get("reference")
    if reference is None:
        raise InputError(str(path), "<document> has no 'reference' attribute")
    annotations = []
    for node in root.iter("feature"):
        if node.get("name") != feature:
            continue
        try:
            annotations.append(
                Annotation(
                    this_reference=reference,
                    this_offset=int(node.get("this_offset", "")),
                    this_length=int(node.get("this_length", "")),
                    source_reference=node.get("source_reference", ""),
                    source_offset=int(node.get("source_offset", "")),
                    source_length=int(node.get("source_length", "")),
                )
            )
        except ValueError as error:
            raise InputError(str(path), f"bad <feature name={feature!r}>: {error}") from None
    return annotations


def write_detections(path: Path, suspicious: str, detections: Sequence[Annotation]) -> None:
    """Write ``detections`` as a PAN detection XML file."""
    root = ET.Element("document", reference=suspicious)
    for d in detections:
        ET.SubElement(
            root,
            "feature",
            name="detected-plagiarism",
            this_offset=str(d.this_offset),
            this_length=str(d.this_length),
            source_reference=d.source_reference,
            source_offset=str(d.source_offset),
            source_length=str(d.source_length),
        )
    ET.indent(root)
    write_text_replacing(path, ET.tostring(root, encoding="unicode") + "\n")


def passages_to_detections(pair: PanPair, passages: Sequence[Passage]) -> list[Annotation]:
    """PAN detections from passages of ``align(source, suspicious)``; empty spans dropped."""
    return [
        Annotation(
            this_reference=pair.suspicious,
            this_offset=p.b_start,
            this_length=p.b_end - p.b_start,
            source_reference=pair.source,
            source_offset=p.a_start,
            source_length=p.a_end - p.a_start,
        )
        for p in passages
        if p.a_end > p.a_start and p.b_end > p.b_start
    ]


@lru_cache(maxsize=256)
def _read_text(path: str) -> str:
    # Worker-side cache: consecutive pairs share their suspicious document.
    return corpus_text(Path(path))


def _detect(task: tuple[str, PanPair, Aligner, list[Annotation]]) -> tuple[list[Annotation], float]:
    corpus, pair, aligner, cases = task
    source = _read_text(os.path.join(corpus, "src", pair.source))
    suspicious = _read_text(os.path.join(corpus, "susp", pair.suspicious))
    _check_cases(Path(corpus) / pair.obfuscation / pair.xml_name, cases, len(source), len(suspicious))
    started = time.perf_counter()
    passages = aligner(source, suspicious)
    return passages_to_detections(pair, passages), time.perf_counter() - started


def _check_cases(path: Path, cases: list[Annotation], source_length: int, suspicious_length: int) -> None:
    """Refuse a gold case that runs past the end of its document: no detection could
    match it, and it would lower recall without a word."""
    for case in cases:
        for side, end, length in (("this", case.this_offset + case.this_length, suspicious_length),
                                  ("source", case.source_offset + case.source_length, source_length)):
            if end > length:
                raise InputError(str(path), f"a case's {side}_offset + {side}_length ({end:,}) is past the end of "
                                            f"its document ({length:,} characters)")


def detect_all(
    corpus: Path, pairs: Sequence[PanPair], aligner: Aligner, workers: int,
    gold: Mapping[PanPair, list[Annotation]],
) -> list[tuple[list[Annotation], float]]:
    """Detections and aligner seconds for each pair, in order, on ``workers`` processes;
    each pair's ``gold`` cases are checked against its documents' lengths."""
    tasks = [(str(corpus), pair, aligner, gold[pair]) for pair in pairs]
    if workers <= 1:
        return [_detect(task) for task in tasks]
    chunksize = max(1, min(64, len(tasks) // (workers * 8)))
    with process_pool(workers) as pool:
        return list(pool.map(_detect, tasks, chunksize=chunksize))


def run_pan(
    corpus: Path,
    out: Path,
    *,
    types: Sequence[str] | None = None,
    limit: int | None = None,
    workers: int | None = None,
    aligner: Aligner | None = None,
) -> PanReport:
    """Align every pair of the PAN corpus at ``corpus``, write detections under ``out``, score.

    ``types`` picks obfuscation types by name or number prefix (``["02", "03"]``);
    ``limit`` keeps the first pairs of each type; ``workers`` defaults to all cores
    (:func:`copytrace.parallel.worker_count`); ``aligner`` defaults to
    :func:`copytrace.align.align_regions` (it must be picklable, a module-level function,
    when ``workers`` > 1).
    """
    started = time.perf_counter()
    corpus, out = Path(corpus), Path(out)
    if not corpus.is_dir():
        raise InputError(str(corpus), "no such folder")
    refuse_inputs(out, {corpus: "the corpus"})  # its gold XML files have the detections' names
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "is a file; give a folder for the detection XML files")
    if limit is not None and limit < 1:
        raise InputError("--limit", "must be at least 1")
    if aligner is None:
        from copytrace.align import align_regions as aligner
    workers = worker_count(workers)  # the scan's rule: at least 1, at most the cores and memory allow
    chosen = select_types(obfuscation_types(corpus), types)
    pairs = [pair for name in chosen for pair in read_pairs(corpus, name, limit)]
    gold = {pair: read_annotations(corpus / pair.obfuscation / pair.xml_name) for pair in pairs}
    results = detect_all(corpus, pairs, aligner, workers, gold)

    tallies = {name: Tally() for name in chosen}
    seconds = dict.fromkeys(chosen, 0.0)
    counts = dict.fromkeys(chosen, 0)
    for pair, (detections, spent) in zip(pairs, results):
        written = out / pair.obfuscation / pair.xml_name
        refuse_inputs(written, {corpus: "the corpus"})  # reached through a link inside --out, too
        write_detections(written, pair.suspicious, detections)
        tallies[pair.obfuscation] += tally(gold[pair], detections)
        seconds[pair.obfuscation] += spent
        counts[pair.obfuscation] += 1

    rows = tuple(
        PanRow(name, counts[name], scores(tallies[name]), seconds[name]) for name in chosen
    )
    overall = PanRow(
        "overall",
        sum(counts.values()),
        scores(sum(tallies.values(), Tally())),
        sum(seconds.values()),
    )
    return PanReport(
        corpus=str(corpus),
        detections_dir=str(out),
        workers=workers,
        rows=rows,
        overall=overall,
        elapsed_seconds=time.perf_counter() - started,
    )
