"""The :class:`Comparison` of two articles and :func:`compare`, which makes it.

The source is decided first (:func:`copytrace.provenance.decide_source`); then
everything is oriented source → reprint. The two documents are aligned in a
fixed order (by text, then id) whatever the order of the arguments, so swapping
them gives the same source and the same passages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from copytrace.align import DEFAULT_CONFIG, AlignConfig, Passage, align
from copytrace.candidates.boilerplate import Boilerplate
from copytrace.compare.derivation import (
    DerivationEvidence,
    DerivationLevel,
    classify,
    derivation_evidence,
    meter_level,
)
from copytrace.compare.edits import EditReport, edit_report
from copytrace.compare.names import NamesReport, names_report
from copytrace.compare.quotes import QuotationReport, quotation_report
from copytrace.errors import InputError
from copytrace.ingest import Document, document_from_text, read_document
from copytrace.provenance.source import SourceDecision, decide_source

SCHEMA = "copytrace.comparison/2"

DocumentLike = Document | str | os.PathLike


@dataclass(frozen=True)
class Comparison:
    """Two articles compared, oriented source → reprint.

    ``passages`` have ``a_*`` offsets into ``source.text`` and ``b_*`` offsets
    into ``reprint.text``, in reprint order. ``source_argument`` is 1 or 2: which
    argument of :func:`compare` was decided to be the source.
    """

    source: Document
    reprint: Document
    source_argument: int
    decision: SourceDecision
    passages: list[Passage]
    edits: EditReport
    names: NamesReport
    quotations: QuotationReport
    derivation: DerivationLevel
    derivation_evidence: DerivationEvidence
    boilerplate: tuple[bool, ...] = ()  # per passage: both its sides are boilerplate

    @property
    def meter(self) -> str:
        """The METER level of the reprint: wholly, partially or not derived."""
        return meter_level(self.derivation, self.derivation_evidence.coverage)

    def is_boilerplate(self, passage: int) -> bool:
        """Whether passage number ``passage`` is boilerplate (docs/boilerplate.md)."""
        return passage < len(self.boilerplate) and self.boilerplate[passage]

    def to_json(self) -> dict:
        """The versioned JSON form; schema in docs/compare.md."""
        return {
            "schema": SCHEMA,
            "source": {**self.source.to_json(), "text": self.source.text},
            "reprint": {**self.reprint.to_json(), "text": self.reprint.text},
            "source_argument": self.source_argument,
            "decision": self.decision.to_json(),
            "passages": [{**p.to_json("source", "reprint"), "boilerplate": self.is_boilerplate(n)}
                         for n, p in enumerate(self.passages)],
            "edits": self.edits.to_json(),
            "names": self.names.to_json(),
            "quotations": self.quotations.to_json(),
            "derivation": {
                "level": self.derivation.value,
                "meter": self.meter,
                **{k: round(v, 4) for k, v in self.derivation_evidence.to_json().items()},
            },
        }


def compare(
    a: DocumentLike, b: DocumentLike, config: AlignConfig = DEFAULT_CONFIG, boilerplate: Boilerplate = Boilerplate()
) -> Comparison:
    """Compare two articles: decide the source, then report what the reprint kept,
    changed, cut and added, its quotations, names and figures, and derivation level.

    ``a`` and ``b`` are documents, paths (``pathlib.Path`` or any path-like; read
    with :func:`copytrace.ingest.read_document`) or texts (``str``). A ``str`` that names
    an existing file or folder is refused (:class:`InputError`): it is surely a path meant
    as one (``copytrace.compare_files`` compares two files). ``boilerplate``: what a
    collection taught (:meth:`copytrace.store.DuckDBStore.boilerplate`); passages that
    are boilerplate on both sides are marked.
    """
    first, second = _document(a, "a"), _document(b, "b")
    swapped = (second.text, second.id) < (first.text, first.id)
    one, two = (second, first) if swapped else (first, second)
    passages = align(one.text, two.text, config, a_span=one.body_span, b_span=two.body_span)
    decision = decide_source(one, two, passages)
    one_is_source = decision.source_id == (one.id if one.id != two.id else f"{one.id} (first)")
    source, reprint = (one, two) if one_is_source else (two, one)
    oriented = sorted(
        passages if one_is_source else [p.mirrored() for p in passages], key=lambda p: (p.b_start, p.a_start)
    )
    evidence = derivation_evidence(oriented, source.text, reprint.text, source.body_span, reprint.body_span)
    return Comparison(
        source=source,
        reprint=reprint,
        source_argument=1 if source is first else 2,
        decision=decision,
        passages=oriented,
        edits=edit_report(source.text, source.body_span, reprint.text, reprint.body_span, oriented),
        names=names_report(source.text, source.body_span, reprint.text, reprint.body_span),
        quotations=quotation_report(source.text, source.body_span, reprint.text, reprint.body_span),
        derivation=classify(evidence),
        derivation_evidence=evidence,
        boilerplate=boilerplate.passages(oriented, source, reprint),
    )


def _document(value: DocumentLike, default_id: str) -> Document:
    if isinstance(value, Document):
        return value
    if isinstance(value, os.PathLike):
        return read_document(Path(value))
    if "\n" not in value and os.path.exists(value):
        raise InputError(value, "is a file name, given as a text to compare; pass Path(...) or use "
                                "copytrace.compare_files(a, b) to compare the files")
    return document_from_text(value, id=default_id)
