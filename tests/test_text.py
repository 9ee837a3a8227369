"""The text model: words with offsets into the original, in any script."""

import os
import subprocess
import sys

import numpy as np
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from copytrace.text import (
    _WORD, fold, form_and_stem_key, normalise, paragraph_spans, sentence_bounds, stem, tokenise, word_keys,
)


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
    assert tokens.char_spans(np.array([0, 1]), np.array([2, 2])) == [(16, len(text)), (22, len(text))]


# Word characters of several scripts (Arabic with its vowel marks, ʼ a letter), unspaced
# Han and Kana, the three apostrophes, underscore, connector and other punctuation.
WORD_EDGES = "aZé'’_-. \n1Жқ東カًبِ‿²กา่เ๑"


def _thai_runs_joined(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """``spans`` with adjacent Thai words joined: Thai runs whole, other words as they are."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        thai = regex.match(r"\p{Thai}", text[start])
        if thai and joined and joined[-1][1] == start and regex.match(r"\p{Thai}", text[joined[-1][0]]):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=WORD_EDGES, max_size=30) | st.text(max_size=30), st.integers(0, 5), st.integers(0, 5))
@example("o'neil dog' 'cat x''y 東京 x’ʼy", 0, 0)
@example("1京", 0, 0)
@example("กาเก่า กา1ก", 0, 0)
def test_the_compiled_scan_finds_the_words_of_the_regular_expression(text, cut_start, cut_end):
    """tokenise() scans code points with a class table; _WORD defines the words, but for
    each run of Thai (a word per code point to _WORD), which the dictionary's words tile."""
    start, end = min(cut_start, len(text)), max(min(cut_start, len(text)), len(text) - cut_end)
    tokens = tokenise(text, start, end)
    spans = [match.span() for match in _WORD.finditer(text, start, end)]
    found = list(zip(tokens.starts.tolist(), tokens.ends.tolist()))
    assert _thai_runs_joined(found, text) == _thai_runs_joined(spans, text)
    assert all(a < b for a, b in found)
    assert tokens.forms == tuple(normalise(text[a:b]) for a, b in found)


def test_thai_is_cut_into_the_words_of_a_dictionary():
    """A run of Thai letters is a word each to the regular expression; tokenise gives
    words, in the text and in a part of it, around other scripts' words."""
    text = "ผู้สื่อข่าวรายงานว่านายกรัฐมนตรีกล่าว (Reuters) ในที่ประชุม ๑๒ คน"
    assert tokenise(text).forms == ("ผู้สื่อข่าว", "รายงาน", "ว่า", "นายกรัฐมนตรี", "กล่าว", "reuters",
                                    "ใน", "ที่ประชุม", "๑๒", "คน")
    start = text.index("นายก")
    assert tokenise(text, start, start + len("นายกรัฐมนตรีกล่าว")).forms == ("นายกรัฐมนตรี", "กล่าว")
    assert word_keys(text).starts.tolist() == tokenise(text).starts.tolist()


@settings(deadline=None)  # the first example loads the compiled scan
@given(st.text(alphabet="ab .\n", max_size=30), st.lists(st.tuples(st.integers(-1, 31), st.integers(-1, 31)), max_size=4))
def test_within_marks_the_words_wholly_inside_a_span(text, spans):
    tokens = tokenise(text)
    expected = [any(start <= a and b <= end for start, end in spans)
                for a, b in zip(tokens.starts.tolist(), tokens.ends.tolist())]
    assert tokens.within(spans).tolist() == expected
    assert tokens.share_within(spans) == (float(np.mean(expected)) if expected else 0.0)


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


MIXED_WORDS = ["Hello", "hello", "HELLO", "Ｈello", "ﬁne", "fine", "İstanbul", "istanbul", "Straße", "STRASSE",
               "today’s", "today's", "coope", "cooperation", "Cooperate", "Қазақстан", "the", "The", "中"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(MIXED_WORDS) | st.text(max_size=6), max_size=25), st.integers(0, 3))
def test_word_keys_match_exactly_when_forms_and_stems_match(pieces, start):
    """Keys of the words of a text are equal exactly when their normalised forms (or
    stems) are, whether a word is ASCII, turns ASCII under NFKC, or stays non-ASCII."""
    text = " ".join(pieces)
    tokens, keys = tokenise(text, start), word_keys(text, start)
    assert keys.starts.tolist() == tokens.starts.tolist() and keys.ends.tolist() == tokens.ends.tolist()
    stems = [stem(form) for form in tokens.forms]
    for i in range(len(tokens)):
        for j in range(len(tokens)):
            assert (keys.form_keys[i] == keys.form_keys[j]) == (tokens.forms[i] == tokens.forms[j])
            assert (keys.stem_keys[i] == keys.stem_keys[j]) == (stems[i] == stems[j])
    assert all(form_and_stem_key(form) == (keys.form_keys[i], keys.stem_keys[i]) for i, form in enumerate(tokens.forms))


def _sentence_bounds_by_regular_expressions(tokens):
    """The definition of sentence_bounds, read directly (it was implemented so)."""
    import numpy as np
    import regex

    if not len(tokens):
        return [0]
    text, starts = tokens.text, tokens.starts
    first, last = int(starts[0]), int(tokens.ends[-1])
    ends = [m.start() for m in regex.finditer(r"[.!?…](?=[\s\"'”’»)\]])|[。！？]|\n", text, pos=first, endpos=last)]
    after = np.searchsorted(starts, np.asarray(ends, dtype=np.int64), side="right")
    stops = np.asarray([m.start() for m in regex.finditer(r"\.", text, pos=first, endpos=last)], dtype=np.int64)
    after_stop = np.searchsorted(starts, stops, side="right")
    after_stop = after_stop[after_stop < len(tokens)]
    capitalised = after_stop[np.asarray([text[int(starts[i])].isupper() for i in after_stop], dtype=bool)]
    inside = np.concatenate([after, capitalised])
    inside = inside[(inside > 0) & (inside < len(tokens))]
    return np.unique(np.concatenate([[0], inside, [len(tokens)]])).tolist()


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="aAbZ1 .!?…。！？\n\t\"'”’»)]([«É\u2028\xa0\u3000", max_size=40), st.integers(0, 3))
@example("the U.S.A. end.Next one.\u00c9t", 0)  # full stops before capitals, no space
@example("yes!' he said… «No.»Then?) ok", 1)
def test_sentence_bounds_follow_their_definition(text, start):
    tokens = tokenise(text, start)
    assert sentence_bounds(tokens).tolist() == _sentence_bounds_by_regular_expressions(tokens)


def test_thai_digits_are_one_word_and_long_runs_are_cut_in_pieces():
    """A run of Thai digits is a word, as ASCII digits are (the dictionary's matching
    takes quadratic time in one); a run longer than a piece is segmented piece by
    piece, the words tiling it."""
    from copytrace.segmentation import MAX_PIECE

    assert tokenise("ราคา๑๒๓๔๕บาท").forms == ("ราคา", "๑๒๓๔๕", "บาท")
    assert tokenise("๑" * 30_000).forms == ("๑" * 30_000,)
    run = "ผู้สื่อข่าวรายงานว่า" * (3 * MAX_PIECE // 20)
    tokens = tokenise(run)
    assert tokens.starts[0] == 0 and tokens.ends[-1] == len(run)
    assert np.array_equal(tokens.starts[1:], tokens.ends[:-1])


def test_a_thai_word_is_its_own_stem():
    """Thai does not inflect: cut to five code points, unrelated words would share stems."""
    assert stem("ประชาชน") == "ประชาชน" and stem("ประชาธิปไตย") == "ประชาธิปไตย"
    assert stem("democracy") == "democ"
    form, stem_key = form_and_stem_key("ประชาธิปไตย")
    assert stem_key == form != form_and_stem_key("ประชาชน")[1]


def test_thai_needs_no_writable_home_folder(tmp_path):
    """PyThaiNLP makes a data folder in the home folder unless told it may not write:
    where the home cannot be written (a container, an executor), Thai is still cut."""
    home = tmp_path / "a file, not a folder"
    home.write_text("")
    environment = {key: value for key, value in os.environ.items() if key != "PYTHAINLP_READ_ONLY"}
    result = subprocess.run(
        [sys.executable, "-c", "from copytrace.text import tokenise; print(len(tokenise('ผู้สื่อข่าวรายงานว่า')))"],
        env={**environment, "HOME": str(home)}, capture_output=True, text=True, check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "3"), result.stderr
