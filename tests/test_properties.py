"""Property tests: every span a comparison reports slices its text to exactly the reported text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import copytrace
from copytrace.align import align, align_regions
from copytrace.errors import InputError
from copytrace.ingest import document_from_text

MARKS = st.sampled_from(
    ["the", "Treaty", "«", "»", "“", "”", "–", "$10", "billion", "80%", "Astana", "said", "é", "naïve", "東京",
     "Ünïcode", "\n\n", ".", ",", "'", '"', "Москва", "year", "2024", "we", "support", "highly", "agreement"]
)
# Mostly distinct words, so that copies share rare n-grams and passages exist.
WORDS = st.one_of(MARKS, st.text(st.characters(categories=("L", "M", "N")), min_size=2, max_size=9))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def spans(comparison: copytrace.Comparison):
    """(text, start, end, reported) for every span the comparison reports."""
    source, reprint = comparison.source.text, comparison.reprint.text
    for p in comparison.passages:
        yield source, p.a_start, p.a_end, p.a_text
        yield reprint, p.b_start, p.b_end, p.b_text
    edits = comparison.edits
    for pair in edits.kept + edits.changed:
        if pair.source:
            yield source, pair.source.start, pair.source.end, pair.source.text
        if pair.reprint:
            yield reprint, pair.reprint.start, pair.reprint.end, pair.reprint.text
    for span in edits.cut:
        yield source, span.start, span.end, span.text
    for span in edits.added:
        yield reprint, span.start, span.end, span.text
    for mention in comparison.names.cut:
        yield source, mention.start, mention.end, mention.text
    for mention in comparison.names.added:
        yield reprint, mention.start, mention.end, mention.text
    for match in comparison.quotations.reprint:
        yield reprint, match.quotation.start, match.quotation.end, match.quotation.text
        if match.source:
            yield source, match.source.start, match.source.end, match.source.text
        for change in match.changes:
            if change.source:
                yield source, change.source.start, change.source.end, change.source.text
            if change.reprint:
                yield reprint, change.reprint.start, change.reprint.end, change.reprint.text
    for left_out in comparison.quotations.source:
        q = left_out.quotation
        yield source, q.start, q.end, q.text
        if left_out.reprint:
            yield reprint, left_out.reprint.start, left_out.reprint.end, left_out.reprint.text


def assert_spans_exact(comparison: copytrace.Comparison) -> None:
    for text, start, end, reported in spans(comparison):
        assert 0 <= start <= end <= len(text)
        assert text[start:end] == reported


@SETTINGS
@given(st.text(), st.text())
def test_arbitrary_unicode(a: str, b: str) -> None:
    try:
        comparison = copytrace.compare(a, b)
    except InputError:  # texts the readers refuse (empty): not a comparison to check
        reject()
    assert_spans_exact(comparison)


def mutated(draw, words: list[str], most_edits: int) -> list[str]:
    """``words`` with up to ``most_edits`` words deleted, inserted or replaced."""
    words = list(words)
    for _ in range(draw(st.integers(0, most_edits))):
        if not words:
            break
        i = draw(st.integers(0, len(words) - 1))
        action = draw(st.sampled_from(["delete", "insert", "replace"]))
        if action == "delete":
            del words[i]
        elif action == "insert":
            words.insert(i, draw(WORDS))
        else:
            words[i] = draw(WORDS)
    return words


@st.composite
def text_and_mutation(draw):
    words = draw(st.lists(WORDS, min_size=60, max_size=200))
    return " ".join(words), " ".join(mutated(draw, words, 12))


SENTENCE = st.lists(WORDS, min_size=5, max_size=16)


@st.composite
def texts_sharing_passages(draw):
    """Two texts that share sentences, copied or edited, some left out, among sentences
    of their own, the shared part moved as a block, with paragraph breaks anywhere;
    and a span of each (a document's body)."""
    source = draw(st.lists(SENTENCE, min_size=3, max_size=14))
    derived = []
    for sentence in source:
        action = draw(st.sampled_from(["copy", "edit", "leave out"]))
        if action != "leave out":
            derived.append(sentence if action == "copy" else mutated(draw, sentence, 4))
        if draw(st.booleans()):
            derived.append(draw(SENTENCE))
    moved = draw(st.integers(0, len(derived)))
    texts = (paragraphs(draw, source), paragraphs(draw, derived[moved:] + derived[:moved]))
    return tuple((text, (draw(st.integers(0, len(text) // 4)), len(text) - draw(st.integers(0, len(text) // 4))))
                 for text in texts)


def paragraphs(draw, sentences: list[list[str]]) -> str:
    return "".join(" ".join(words) + draw(st.sampled_from([". ", ". ", ".\n\n"])) for words in sentences)


@SETTINGS
@given(text_and_mutation())
def test_mutated_copies(pair: tuple[str, str]) -> None:
    a, b = pair
    comparison = copytrace.compare(a, b)
    assert_spans_exact(comparison)
    swapped = copytrace.compare(b, a)
    assert swapped.source.text == comparison.source.text


@SETTINGS
@given(text_and_mutation())
def test_documents_with_headers(pair: tuple[str, str]) -> None:
    a, b = pair
    first = document_from_text(f"date 2024-05-16 {a} ///Agency, 16 May 2024", id="first")
    second = document_from_text(f"date 2024-05-17 {b}", id="second")
    assert_spans_exact(copytrace.compare(first, second))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts_sharing_passages())
def test_alignment_is_the_mirror_of_the_swapped_alignment(pair) -> None:
    """Passage for passage, in the same order, with or without the spans."""
    (a, a_span), (b, b_span) = pair
    for aligner in (align, align_regions):
        assert aligner(b, a) == [p.mirrored() for p in aligner(a, b)]
        swapped = aligner(b, a, b_span=a_span, a_span=b_span)
        assert swapped == [p.mirrored() for p in aligner(a, b, a_span=a_span, b_span=b_span)]
