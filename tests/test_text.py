"""The text model: words with offsets into the original, in any script."""

from hypothesis import given
from hypothesis import strategies as st

from copytrace.text import fold, normalise, paragraph_spans, sentence_bounds, stem, tokenise


def words(text: str) -> list[str]:
    tokens = tokenise(text)
    return [text[s:e] for s, e in zip(tokens.starts.tolist(), tokens.ends.tolist())]


def test_words_of_many_scripts():
    assert words("Қазақстан Республикасы") == ["Қазақстан", "Республикасы"]
    assert words("Η Αθήνα, العربية") == ["Η", "Αθήνα", "العربية"]
    assert words("中文字") == ["中", "文", "字"]
    assert words("today’s l'État") == ["today’s", "l'État"]


def test_normalisation_folds_case_width_and_quote_variants():
    assert normalise("Today’s") == normalise("today's") == "today's"
    assert normalise("ＡＢＣ") == "abc"
    assert fold("«Central Asia – 2040»") == '"Central Asia - 2040"'
    assert stem("cooperation") == "coope"


def test_offsets_point_into_the_original_text_with_a_span():
    text = "date 2024-05-17 Hello World"
    tokens = tokenise(text, 16)
    assert tokens.forms == ("hello", "world")
    assert tokens.char_span(0, 2) == (16, len(text))


def test_sentences_and_paragraphs():
    text = "First one here. Second, with 2.5 figures! Yagmyrov.Welcoming them\n\nNew paragraph."
    tokens = tokenise(text)
    bounds = sentence_bounds(tokens).tolist()
    starts = [tokens.forms[b] for b in bounds[:-1]]
    assert starts == ["first", "second", "yagmyrov", "welcoming", "new"]
    assert [text[s:e] for s, e in paragraph_spans(text)] == [
        "First one here. Second, with 2.5 figures! Yagmyrov.Welcoming them",
        "New paragraph.",
    ]


@given(st.text())
def test_every_token_slices_the_original(text):
    tokens = tokenise(text)
    for start, end, form in zip(tokens.starts.tolist(), tokens.ends.tolist(), tokens.forms):
        assert 0 <= start < end <= len(text)
        assert normalise(text[start:end]) == form
    for start, end in paragraph_spans(text):
        assert 0 <= start < end <= len(text) and text[start:end].strip() == text[start:end]


def test_sentences_of_unspaced_scripts_and_of_a_span():
    text = "skip this. 我们到了。你好！Done here"
    tokens = tokenise(text, 11)
    starts = [tokens.forms[b] for b in sentence_bounds(tokens).tolist()[:-1]]
    assert starts == ["我", "你", "done"]


@given(st.text())
def test_sentence_bounds_are_increasing_token_indices(text):
    tokens = tokenise(text)
    bounds = sentence_bounds(tokens).tolist()
    assert bounds[0] == 0 and bounds[-1] == len(tokens)
    assert all(a < b for a, b in zip(bounds, bounds[1:]))
