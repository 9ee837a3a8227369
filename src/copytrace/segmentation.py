"""Words of Thai text, which is written without spaces between words, by dictionary.

Chinese and Japanese are tokenised a character at a time (:mod:`copytrace.text`): a
character carries about as much as a short word, so 25 of them make a passage. A Thai
code point is a letter, a vowel sign or a tone mark, so 25 of them are a few words, and
unrelated Thai articles shared such "passages" (a stock phrase such as "the reporter
reported that the prime minister" is 30 code points). Thai is cut into words by
PyThaiNLP's ``newmm`` tokenizer: maximal matching against its Thai dictionary (about
62,000 words), constrained to Thai Character Cluster boundaries (Theeramunkong et al.,
"Character cluster based Thai information retrieval", IRAL 2000), the library's default.
Lao, Khmer and Myanmar stay a code point a word (no segmenter of theirs is packaged
alongside). About 1 ms per 1,000 Thai characters (10.6 ms for 10,100), after a first
call of about 0.4 s that loads the dictionary.
"""

from __future__ import annotations

from functools import lru_cache

# The Unicode block of the Thai script; only its letters, marks and digits are words.
THAI_BLOCK = range(0x0E00, 0x0E80)


@lru_cache(maxsize=1 << 14)
def thai_word_lengths(run: str) -> tuple[int, ...]:
    """The lengths, in code points, of the words of ``run``, a run of Thai letters,
    marks and digits with nothing between them: they add up to ``len(run)``."""
    from pythainlp.tokenize import word_tokenize

    return tuple(map(len, word_tokenize(run, engine="newmm", keep_whitespace=False)))
