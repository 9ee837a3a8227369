"""Words of Thai text, which is written without spaces between words, by dictionary.

Chinese and Japanese are tokenised a character at a time (:mod:`copytrace.text`): a
character carries about as much as a short word, so 25 of them make a passage. A Thai
code point is a letter, a vowel sign or a tone mark, so 25 of them are a few words, and
unrelated Thai articles shared such "passages" (a stock phrase such as "the reporter
reported that the prime minister" is 30 code points). Thai is cut into words by
PyThaiNLP's ``newmm`` tokenizer: maximal matching against its Thai dictionary (about
62,000 words), constrained to Thai Character Cluster boundaries (Theeramunkong et al.,
"Character cluster based Thai information retrieval", IRAL 2000), the library's default.
A run of Thai digits is one word, as a run of ASCII digits is (``newmm`` takes time
quadratic in a long one: 2.3 s for 20,000 digits); other runs go to it in pieces of at
most :data:`MAX_PIECE` code points, so that no text costs more than linear time. Lao,
Khmer and Myanmar stay a code point a word (no segmenter of theirs is packaged
alongside). About 1 ms per 1,000 Thai characters, after a first call of 0.4-0.8 s that
loads the dictionary.
"""

from __future__ import annotations

import os
from functools import lru_cache

import regex

# The Unicode block of the Thai script: its letters, marks, digits and punctuation (ฯ, ๆ)
# are words, of one code point to the regular expression of copytrace.text, then of the
# dictionary here.
THAI_BLOCK = range(0x0E00, 0x0E80)
# Long enough for any phrase between two spaces of Thai prose (a few hundred code points).
MAX_PIECE = 1000
_PIECES = regex.compile(rf"(?P<digits>[๐-๙]+)|[^๐-๙]{{1,{MAX_PIECE}}}")


@lru_cache(maxsize=1 << 14)
def thai_word_lengths(run: str) -> tuple[int, ...]:
    """The lengths, in code points, of the words of ``run``, a run of Thai letters,
    marks, digits and punctuation with nothing between them: they add up to ``len(run)``."""
    lengths: list[int] = []
    for piece in _PIECES.finditer(run):
        lengths.extend([len(piece[0])] if piece["digits"] else map(len, _newmm(piece[0])))
    if sum(lengths) != len(run):  # offsets would shift: the library broke its contract
        raise RuntimeError(f"PyThaiNLP's words of a Thai run of {len(run)} code points add up to {sum(lengths)}")
    return tuple(lengths)


def _newmm(text: str) -> list[str]:
    """PyThaiNLP's ``newmm`` words of ``text``. Read-only: by default the library makes a
    data folder in the home folder, and fails where that cannot be written (a container,
    a cluster's executor); its dictionary ships in the package."""
    os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
    from pythainlp.tokenize import word_tokenize

    return word_tokenize(text, engine="newmm")
