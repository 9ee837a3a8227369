"""Synthetic news collections with planted reuse of known lineage.

**English** (``write_collection``): articles are built from real prose, the
sentences of the PAN 2013 text alignment source documents
(../shared/data/pan13-text-alignment-train/src). Those documents reuse each
other's passages, so every sentence that shares a word 8-gram with another
sentence is dropped first (otherwise two "unrelated" articles would share text
nobody planted). Each pass over the shuffled sentences respells every word
with new bijections of the vocabulary: the 300 most frequent words (function
words) onto each other, keeping each word's shape (capital first letter, a
letter first, punctuation last), and the other words onto each other. A sentence
drawn in two passes of a large collection (about 28 passes at 100k articles)
then shares no run of words with itself and creates no reuse, while within a
pass the text keeps the rhythm and stock phrases of real prose. Sentences
holding a URL, a path or markup (a space-separated word that copytrace reads as
3 or more words, 3% of them) are dropped: respelled into other sentences, such a
word would be a run of words shared by unrelated articles. (Respelling only
the other words left a sentence's function words as they were: its copies in
each pass shared word 5-grams such as "has some new information to", rare
enough to make candidates, and aligned as edited copies: the 8,442 false pairs
of the 100k scan of 2026-11-29.)

Planted kinds (each derived article names its lineage parent): ``verbatim``
copies (the whole text, boilerplate and all), ``trimmed`` reprints (first
50-90% of the paragraphs), ``changed`` reprints (10-30% of words replaced),
``reordered`` paragraphs, ``partial`` quotes (a new article with a run of
20-40% of a source's words inside), ``snippet`` quotes (a new article with 2 to
4 consecutive sentences, 30-90 words, of a source inside) and chains
(``chain-trimmed``, ``chain-changed``: reprints of reprints). The rest are
unrelated articles of 300-1,500 words.

A derived article is dated 1 to 3 days after its parent: on the same day nothing
would tell a changed, reordered or quoted copy from its source, since these
texts carry no credit line or attribution.

Boilerplate, as in a real feed: each of 200 outlets has its own footer (two or
three of a follow-us line, a copyright and rights line, a funding plea, a
newsletter plea; wording and order drawn per outlet), on half of its articles;
one in ten new articles carries the rights line of one of three wire services,
which its reprints keep. Boilerplate is never planted reuse.

**Multilingual** (``write_multilingual``): the texts of the SemEval-2022 Task 8
sample (../shared/data/semeval2022-task8-sample/train.csv, 10 languages), texts
sharing a word 8-gram with another dropped. In each language 30% of the texts
(of at least 125 words) are sources, each with one reprint (``verbatim`` or
``changed``, 10-20% of words replaced) and one quote (``snippet`` or
``partial``) inside a host text used nowhere else; 40% stay unrelated. No
boilerplate.

Each collection folder gets:

* ``docs.jsonl``: id, text, date, source (and language);
* ``truth.jsonl``: one line per derived article: a (the article), b (its
  planted parent), kind, containment (words copied verbatim / words of the
  shorter body), root (the story's original), date, parent_date, and a_body /
  b_body (hashes of the two bodies: identical copies have equal hashes, which
  is what makes a parent undecidable), lang for the multilingual collection;
* ``content.jsonl``: one line per article: id, sentences (ranges ``[first,
  stop)`` of the planted prose sentences it holds, numbered once for the whole
  collection: two articles share planted text exactly when their ranges meet),
  boilerplate (labels of the footer and wire line it carries), body_chars (where
  the boilerplate, after the body, starts in the text), lang.

Streaming and deterministic for a seed:

    python benchmarks/synthetic.py --size 10000 --out out/synthetic-10k
    python benchmarks/synthetic.py --collection multilingual --out out/synthetic-multilingual
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import random
import re
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from copytrace.text import words as text_words

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PAN_SOURCES = DATA / "pan13-text-alignment-train" / "src"
SEMEVAL = DATA / "semeval2022-task8-sample" / "train.csv"
FUNCTION_WORDS = 300  # the most frequent words, respelled among themselves
SHARED_NGRAM = 8  # a sentence sharing this many words in a row with another is dropped
MAX_WORDS_IN_ONE = 2  # a sentence holding a space-separated word that copytrace reads as more is dropped
RECENT = 2000
OUTLETS = 200
FOOTER_SHARE = 0.5
WIRE_SHARE = 0.1
START = dt.date(2024, 1, 1)
KINDS = {  # share of articles of each kind; the rest are unrelated articles
    "verbatim": 0.06,
    "trimmed": 0.08,
    "changed": 0.10,
    "reordered": 0.06,
    "partial": 0.08,
    "snippet": 0.08,
    "chain": 0.08,
}
SNIPPET_SENTENCES = (2, 4)
SNIPPET_WORDS = (30, 90)
MIN_SOURCE_WORDS = 125  # multilingual sources: 20% of them is the aligner's 25 words
WITHOUT_SPACES = {"zh", "ja", "th"}  # scripts written without spaces between words
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
_LEADING_WORD = re.compile(r"^\w+", re.UNICODE)


@dataclass(frozen=True)
class Sentence:
    """A planted prose sentence: its number in the collection and its words, each
    with the space or punctuation that follows it (so ``"".join`` gives the text)."""

    id: int
    words: tuple[str, ...]


Paragraph = list[Sentence]


# -- prose -------------------------------------------------------------------------------------


def load_sentences(folder: Path = PAN_SOURCES) -> list[list[str]]:
    """Distinct sentences of 6 to 60 words from the PAN source documents, as word lists."""
    if not folder.is_dir():
        sys.exit(f"synthetic: PAN 2013 sources not found at {folder}; this benchmark needs ../shared/data")
    seen: set[str] = set()
    sentences = []
    for path in sorted(folder.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for sentence in _SENTENCE_END.split(" ".join(line.split())):
                words = sentence.split()
                if 6 <= len(words) <= 60 and sentence not in seen:
                    seen.add(sentence)
                    sentences.append(words)
    return sentences


def without_shared_ngrams(windows: list[list[str]]) -> list[int]:
    """Indices of the windows (sentences, texts) that share no word 8-gram (case-folded)
    with another window."""
    owners: dict[int, int] = {}  # hash of an 8-gram -> the one window holding it, or -1 if shared
    for index, words in enumerate(windows):
        for gram in _ngram_hashes(words):
            owners[gram] = index if owners.get(gram, index) == index else -1
    return [
        index
        for index, words in enumerate(windows)
        if all(owners[gram] == index for gram in _ngram_hashes(words))
    ]


def _ngram_hashes(words: list[str]) -> set[int]:
    # Split on spaces, and as copytrace reads words: a URL, a path or JSON that one
    # space-separated "word" holds is 10 to 30 words to copytrace, shared text all the same.
    hashes = set()
    for kind, folded in enumerate(([w.casefold() for w in words], text_words(" ".join(words)))):
        hashes |= {hash((kind, *folded[i : i + SHARED_NGRAM])) for i in range(len(folded) - SHARED_NGRAM + 1)}
    return hashes


class Prose:
    """An endless stream of distinct sentences: each pass respells every word."""

    def __init__(self, sentences: list[list[str]], rng: random.Random) -> None:
        self.sentences = [sentences[i] for i in without_shared_ngrams(sentences) if _few_words_each(sentences[i])]
        self.rng = rng
        counts = Counter(w for s in self.sentences for w in s)
        self.function_words = sorted(w for w, _ in counts.most_common(FUNCTION_WORDS))
        self.content = sorted(set(counts) - set(self.function_words))
        self.rank = {w: i for i, w in enumerate(self.content)}
        self.epoch = -1
        self.queue: list[int] = []
        self.drawn = 0

    def sentence(self) -> Sentence:
        if not self.queue:
            self.epoch += 1
            self.queue = list(range(len(self.sentences)))
            self.rng.shuffle(self.queue)
            size = len(self.content)
            self.multiplier = self._coprime(size)
            self.offset = self.rng.randrange(size)
            self.function_map = self._function_bijection()
        words = self.sentences[self.queue.pop()]
        if self.epoch:
            words = [self._respell(w) for w in words]
        self.drawn += 1
        return Sentence(self.drawn, tuple(w + " " for w in words))

    def random_word(self) -> str:
        return self.content[self.rng.randrange(len(self.content))]

    def _respell(self, word: str) -> str:
        if word in self.function_map:
            return self.function_map[word]
        size = len(self.content)
        return self.content[(self.rank[word] * self.multiplier + self.offset) % size]

    def _function_bijection(self) -> dict[str, str]:
        """The function words shuffled among those of the same shape, so a sentence
        still starts with a capital and ends with its punctuation."""
        by_shape: dict[tuple[bool, bool, bool], list[str]] = {}
        for word in self.function_words:
            by_shape.setdefault((word[0].isupper(), word[0].isalpha(), word[-1].isalnum()), []).append(word)
        return {word: new for words in by_shape.values() for word, new in zip(words, self.rng.sample(words, len(words)))}

    def _coprime(self, size: int) -> int:
        while True:
            candidate = self.rng.randrange(2, size)
            if _gcd(candidate, size) == 1:
                return candidate


def _few_words_each(sentence: list[str]) -> bool:
    """Is each space-separated word at most :data:`MAX_WORDS_IN_ONE` words to copytrace?
    A URL, a path or markup is 10 to 30: respelled into other sentences in other passes,
    it would be a long run of words shared by unrelated articles."""
    return all(word.isalnum() or len(text_words(word)) <= MAX_WORDS_IN_ONE for word in sentence)


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


# -- boilerplate ---------------------------------------------------------------------------------

_NAME_FIRST = (
    "Northern Capital Metro Coastal Valley Harbour Central Eastern Western Highland River Lakeside "
    "Union Liberty Summit Prairie Island Frontier Civic Golden"
).split()
_NAME_SECOND = (
    "Herald Courier Gazette Tribune Chronicle Post Observer Dispatch Times Ledger Sentinel Monitor "
    "Record Express Bulletin Journal Beacon Star Review Examiner"
).split()
_CHANNELS = ["Telegram", "X", "Facebook", "Instagram", "WhatsApp", "YouTube", "Threads", "Viber", "LinkedIn"]
_FOOTER_PARTS = {
    "follow": [
        "Follow {name} on {channels} for breaking news and analysis from our reporters.",
        "Stay informed: follow {name} on {channels} and never miss a story that matters to you.",
        "Get the latest from {name} on {channels}, where our editors share the day's top stories.",
        "Keep up with {name} on {channels} and turn on notifications for breaking news alerts.",
    ],
    "rights": [
        "Copyright {year} {name} Media Group. All rights reserved. No part of this publication may be "
        "reproduced, distributed or transmitted without the prior written permission of the publisher.",
        "© {name} {year}. Material on this site may not be copied, republished, rewritten or broadcast "
        "without the written consent of {name} Media.",
        "All content © {year} {name} Publishing Ltd. Reproduction of any article in whole or in part "
        "requires a licence; contact our syndication desk for terms.",
    ],
    "funding": [
        "{name} is an independent newsroom funded by readers like you. If you value our reporting, "
        "please support us with a monthly contribution today.",
        "Quality journalism costs money. {name} relies on its readers, not billionaires or advertisers: "
        "become a member and help keep our reporting free for everyone.",
        "Every story you read on {name} is made possible by subscribers. Join them today for less than "
        "the price of a coffee a week and keep local news alive.",
    ],
    "newsletter": [
        "Sign up for the {name} morning briefing: the five stories you need to know, in your inbox "
        "before breakfast every weekday.",
        "Want more? Subscribe to the free {name} newsletter for our best reporting, weekend reads and "
        "exclusive interviews, delivered every Friday.",
    ],
}
_WIRE_LINES = {
    "meridian": "© {year} Meridian Press Agency. All rights reserved. This material may not be published, "
    "broadcast, rewritten or redistributed in whole or in part without permission.",
    "continental": "Distributed by Continental News Service. Copyright {year}, all rights reserved; no "
    "reproduction, storage in a retrieval system or retransmission of this story without a licence.",
    "globalwire": "(GlobalWire) Text and images copyright {year} GlobalWire Ltd. Redistribution, "
    "republication or framing of GlobalWire content is expressly prohibited without prior written consent.",
}


def outlet_footers(count: int, seed: int, year: int = 2024) -> dict[str, str]:
    """Each outlet's footer: two or three kinds of line, each kind's wording, their order
    and the channels named drawn per outlet; the outlet's name throughout."""
    rng = random.Random(f"footers-{seed}")
    names = rng.sample([f"{a} {b}" for a in _NAME_FIRST for b in _NAME_SECOND], count)
    footers = {}
    for index, name in enumerate(names):
        kinds = rng.sample(sorted(_FOOTER_PARTS), rng.randint(2, 3))
        channels = rng.sample(_CHANNELS, rng.randint(2, 3))
        listed = ", ".join(channels[:-1]) + " and " + channels[-1]
        lines = [rng.choice(_FOOTER_PARTS[kind]).format(name=name, channels=listed, year=year) for kind in kinds]
        footers[f"outlet{index:03d}"] = " ".join(lines)
    return footers


# -- articles ------------------------------------------------------------------------------------


@dataclass
class Article:
    id: str
    paragraphs: list[Paragraph]
    date: dt.date
    outlet: str
    root: str
    boilerplate: list[tuple[str, str]] = field(default_factory=list)  # (label, text), after the body
    lang: str | None = None

    @property
    def words(self) -> list[str]:
        return [w for p in self.paragraphs for s in p for w in s.words]

    def body(self) -> str:
        return "\n\n".join("".join(w for s in p for w in s.words).strip() for p in self.paragraphs)

    def text(self) -> str:
        return "\n\n".join([self.body(), *(text for _, text in self.boilerplate)])

    def body_hash(self) -> str:
        return hashlib.blake2b(self.body().encode("utf-8"), digest_size=8).hexdigest()

    def sentence_ranges(self) -> list[list[int]]:
        """The ids of its sentences as sorted ``[first, stop)`` ranges."""
        ranges: list[list[int]] = []
        for sentence_id in sorted({s.id for p in self.paragraphs for s in p}):
            if ranges and ranges[-1][1] == sentence_id:
                ranges[-1][1] += 1
            else:
                ranges.append([sentence_id, sentence_id + 1])
        return ranges

    def record(self) -> dict:
        record = {"id": self.id, "text": self.text(), "date": self.date.isoformat(), "source": self.outlet}
        return record | ({"language": self.lang} if self.lang else {})

    def content(self) -> dict:
        content = {
            "id": self.id, "sentences": self.sentence_ranges(), "boilerplate": [l for l, _ in self.boilerplate],
            "body_chars": len(self.body()),
        }
        return content | ({"lang": self.lang} if self.lang else {})


def truth_record(article: Article, parent: Article, kind: str, copied: int) -> dict:
    shorter = min(len(parent.words), len(article.words))
    record = {
        "a": article.id, "b": parent.id, "kind": kind, "containment": round(copied / shorter, 4),
        "root": parent.root, "date": article.date.isoformat(), "parent_date": parent.date.isoformat(),
        "a_body": article.body_hash(), "b_body": parent.body_hash(),
    }
    return record | ({"lang": article.lang} if article.lang else {})


class Quoter:
    """The derivations shared by both collections: copies with edits, and quotes of a
    source's sentences inside another text."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def changed(self, paragraphs: list[Paragraph], share: float, random_word) -> tuple[list[Paragraph], int]:
        """Each word replaced with probability ``share`` (what follows the word is kept)."""
        copied, result = 0, []
        for paragraph in paragraphs:
            new_paragraph = []
            for sentence in paragraph:
                words = list(sentence.words)
                for i, word in enumerate(words):
                    if self.rng.random() < share:
                        words[i] = _replace_word(word, random_word().strip())
                    else:
                        copied += 1
                new_paragraph.append(Sentence(sentence.id, tuple(words)))
            result.append(new_paragraph)
        return result, copied

    def partial(self, source: list[Paragraph]) -> tuple[list[Paragraph], int]:
        """A run of whole sentences from a random place, 20-40% of the source's words,
        in the source's paragraphs."""
        total = sum(len(s.words) for p in source for s in p)
        wanted = self.rng.uniform(0.2, 0.4) * total
        flat = [(i, s) for i, p in enumerate(source) for s in p]
        first = self.rng.randrange(len(flat))
        run, count = [], 0
        for place, sentence in flat[first:] + flat[:first]:
            if count >= wanted:
                break
            run.append((place, sentence))
            count += len(sentence.words)
        return _regroup(run), count

    def snippet(self, source: list[Paragraph]) -> tuple[list[Paragraph], int] | None:
        """2 to 4 consecutive sentences of 30 to 90 words together, or None if the source has none."""
        flat = [s for p in source for s in p]
        lo, hi = SNIPPET_WORDS
        windows = [
            (first, count)
            for count in range(SNIPPET_SENTENCES[0], SNIPPET_SENTENCES[1] + 1)
            for first in range(len(flat) - count + 1)
            if lo <= sum(len(s.words) for s in flat[first : first + count]) <= hi
        ]
        if not windows:
            return None
        first, count = self.rng.choice(windows)
        quoted = flat[first : first + count]
        return [quoted], sum(len(s.words) for s in quoted)

    def inside(self, host: list[Paragraph], quoted: list[Paragraph]) -> list[Paragraph]:
        """``quoted`` placed between two sentences of ``host`` (a paragraph is split there)."""
        places = [(p, k) for p, paragraph in enumerate(host) for k in range(len(paragraph) + 1)]
        p, k = self.rng.choice(places)
        around = [host[p][:k], *quoted, host[p][k:]]
        return host[:p] + [paragraph for paragraph in around if paragraph] + host[p + 1 :]


def _replace_word(piece: str, new: str) -> str:
    """``new`` in place of the word that starts ``piece``, keeping what follows the word."""
    match = _LEADING_WORD.match(piece)
    return new + (piece[match.end() :] if match else piece[len(piece.rstrip()) :])


def _regroup(run: list[tuple[int, Sentence]]) -> list[Paragraph]:
    paragraphs: list[Paragraph] = []
    last = None
    for place, sentence in run:
        if place != last:
            paragraphs.append([])
            last = place
        paragraphs[-1].append(sentence)
    return paragraphs


class Generator:
    def __init__(self, size: int, seed: int, sentences: list[list[str]]) -> None:
        self.size = size
        self.rng = random.Random(seed)
        self.prose = Prose(sentences, random.Random(seed + 1))
        self.quoter = Quoter(self.rng)
        self.footers = outlet_footers(OUTLETS, seed, START.year)
        self.recent: deque[Article] = deque(maxlen=RECENT)

    def articles(self) -> Iterator[tuple[Article, dict | None]]:
        kinds, weights = zip(*KINDS.items())
        for index in range(self.size):
            article_id = f"n{index:07d}"
            date = START + dt.timedelta(days=365 * index // self.size)
            outlet = f"outlet{self.rng.randrange(OUTLETS):03d}"
            kind = self.rng.choices(kinds + ("unrelated",), weights + (1 - sum(weights),))[0]
            article, truth = None, None
            if kind != "unrelated" and self.recent:
                article, truth = self._derive(kind, article_id, outlet)
            if article is None:
                article = self._fresh(article_id, date, outlet)
                if self.rng.random() < WIRE_SHARE:
                    wire = self.rng.choice(sorted(_WIRE_LINES))
                    article.boilerplate.append((f"wire:{wire}", _WIRE_LINES[wire].format(year=date.year)))
            if kind != "verbatim" or truth is None:  # a verbatim copy keeps its source's boilerplate
                self._add_footer(article)
            self.recent.append(article)
            yield article, truth

    def _add_footer(self, article: Article) -> None:
        if self.rng.random() < FOOTER_SHARE:
            article.boilerplate.append((f"footer:{article.outlet}", self.footers[article.outlet]))

    def _fresh_paragraphs(self, words: int) -> list[Paragraph]:
        paragraphs, count = [], 0
        while count < words:
            paragraph = [self.prose.sentence() for _ in range(self.rng.randint(2, 5))]
            paragraphs.append(paragraph)
            count += sum(len(s.words) for s in paragraph)
        return paragraphs

    def _fresh(self, article_id: str, date: dt.date, outlet: str) -> Article:
        paragraphs = self._fresh_paragraphs(self.rng.randint(300, 1500))
        return Article(article_id, paragraphs, date, outlet, root=article_id)

    def _derive(self, kind: str, article_id: str, outlet: str) -> tuple[Article | None, dict | None]:
        parent = self._parent(derived=kind == "chain")
        date = parent.date + dt.timedelta(days=self.rng.randint(1, 3))
        if kind == "chain":
            kind = self.rng.choice(["trimmed", "changed"])
            label = f"chain-{kind}"
        else:
            label = kind
        paragraphs, copied = [list(p) for p in parent.paragraphs], len(parent.words)
        boilerplate = [b for b in parent.boilerplate if b[0].startswith("wire:")]  # wire copy keeps its rights line
        if kind == "verbatim":
            boilerplate = list(parent.boilerplate)
        elif kind == "trimmed":
            paragraphs = paragraphs[: max(1, round(len(paragraphs) * self.rng.uniform(0.5, 0.9)))]
            copied = sum(len(s.words) for p in paragraphs for s in p)
        elif kind == "changed":
            paragraphs, copied = self.quoter.changed(paragraphs, self.rng.uniform(0.1, 0.3), self.prose.random_word)
        elif kind == "reordered":
            self.rng.shuffle(paragraphs)
        elif kind in ("partial", "snippet"):
            quote = self.quoter.partial(parent.paragraphs) if kind == "partial" else self.quoter.snippet(parent.paragraphs)
            if quote is None:
                return None, None
            quoted, copied = quote
            own_words = max(300, int(len(parent.words) * 0.8)) if kind == "partial" else self.rng.randint(300, 900)
            paragraphs = self.quoter.inside(self._fresh_paragraphs(own_words), quoted)
            boilerplate = []
        article = Article(article_id, paragraphs, date, outlet, root=parent.root, boilerplate=boilerplate)
        return article, truth_record(article, parent, label, copied)

    def _parent(self, derived: bool) -> Article:
        pool = [a for a in self.recent if a.root != a.id] if derived else self.recent
        if not pool:
            pool = self.recent
        return pool[self.rng.randrange(len(pool))]


def write_collection(size: int, out: Path, seed: int = 13) -> tuple[Path, Path]:
    """Write docs.jsonl, truth.jsonl and content.jsonl for ``size`` English articles."""
    generator = Generator(size, seed, load_sentences())
    return _write(generator.articles(), out)


def _write(articles: Iterable[tuple[Article, dict | None]], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    docs_path, truth_path = out / "docs.jsonl", out / "truth.jsonl"
    with (
        docs_path.open("w", encoding="utf-8") as docs,
        truth_path.open("w", encoding="utf-8") as truth,
        (out / "content.jsonl").open("w", encoding="utf-8") as content,
    ):
        for article, planted in articles:
            docs.write(json.dumps(article.record(), ensure_ascii=False) + "\n")
            content.write(json.dumps(article.content(), ensure_ascii=False) + "\n")
            if planted:
                truth.write(json.dumps(planted) + "\n")
    return docs_path, truth_path


# -- multilingual --------------------------------------------------------------------------------


def load_semeval_texts(path: Path = SEMEVAL) -> dict[str, list[str]]:
    """The distinct texts of each language of the SemEval-2022 Task 8 sample, texts that
    share a word 8-gram with another text (one story told by two outlets) dropped."""
    if not path.is_file():
        sys.exit(f"synthetic: SemEval-2022 Task 8 sample not found at {path}; the multilingual collection needs ../shared/data")
    from copytrace.text import words

    texts: dict[str, str] = {}  # text -> language, in file order
    with path.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            for lang, text in ((row["lang1"], row["text1"]), (row["lang2"], row["text2"])):
                texts.setdefault(" ".join(text.split()), lang)
    ordered = list(texts)
    kept = without_shared_ngrams([words(text) for text in ordered])
    by_language: dict[str, list[str]] = {}
    for index in kept:
        by_language.setdefault(texts[ordered[index]], []).append(ordered[index])
    return dict(sorted(by_language.items()))


class SentenceSplitter:
    """A text as copytrace splits it into sentences, each word with what follows it."""

    def __init__(self) -> None:
        self.next_id = 0

    def __call__(self, text: str, lang: str) -> list[Sentence]:
        from copytrace.text import sentence_bounds, tokenise

        tokens = tokenise(text)
        bounds = sentence_bounds(tokens).tolist()
        starts = tokens.starts.tolist() + [len(text)]
        sentences = []
        for first, stop in zip(bounds, bounds[1:]):
            words = [text[starts[i] : starts[i + 1]] for i in range(first, stop)]
            if lang not in WITHOUT_SPACES:
                words[-1] = words[-1].rstrip() + " "
            self.next_id += 1
            sentences.append(Sentence(self.next_id, tuple(words)))
        return sentences


def multilingual_articles(seed: int = 13) -> Iterator[tuple[Article, dict | None]]:
    """Each language's texts as articles: 30% sources, each with a copy and a quote
    inside a host text (the next 30%, used nowhere else), and 40% unrelated."""
    rng = random.Random(seed)
    quoter, split = Quoter(rng), SentenceSplitter()
    for lang, texts in load_semeval_texts().items():
        rng.shuffle(texts)
        bodies = [[split(text, lang)] for text in texts]
        vocabulary = sorted({w.strip() for body in bodies for s in body[0] for w in s.words if w.strip()})
        sources = min(round(len(texts) * 0.3), sum(_long_enough(body) for body in bodies))
        bodies.sort(key=lambda body: not _long_enough(body))  # sources first; stable, so still shuffled
        bodies[sources:] = rng.sample(bodies[sources:], len(bodies) - sources)
        hosts = bodies[sources : 2 * sources]
        ids = (f"{lang}{n:05d}" for n in range(len(texts) * 3))

        def article(body: list[Paragraph], date: dt.date, root: str | None = None) -> Article:
            article_id = next(ids)
            return Article(article_id, body, date, f"outlet{rng.randrange(20):02d}", root or article_id, lang=lang)

        for index, body in enumerate(bodies[:sources] + bodies[2 * sources :]):
            source = article(body, START + dt.timedelta(days=rng.randrange(30)))
            yield source, None
            if index >= sources:
                continue
            for kind in (("verbatim", "changed")[index % 2], ("snippet", "partial")[index // 2 % 2]):
                derived, copied, kind = _quoted_or_copied(kind, source, hosts[index], quoter, vocabulary)
                child = article(derived, source.date + dt.timedelta(days=rng.randint(1, 3)), source.root)
                yield child, truth_record(child, source, kind, copied)


def _long_enough(body: list[Paragraph]) -> bool:
    """Long enough to be a source: a quote of 20% of it has at least 25 words, what
    the aligner reports at least."""
    return sum(len(s.words) for p in body for s in p) >= MIN_SOURCE_WORDS


def _quoted_or_copied(
    kind: str, source: Article, host: list[Paragraph], quoter: Quoter, vocabulary: list[str]
) -> tuple[list[Paragraph], int, str]:
    """The body of a derived article of ``kind``, the words it copies, and its kind (a
    source without a snippet of 2-4 sentences of 30-90 words is quoted in part instead)."""
    if kind == "verbatim":
        return [list(p) for p in source.paragraphs], len(source.words), kind
    if kind == "changed":
        body, copied = quoter.changed(source.paragraphs, quoter.rng.uniform(0.1, 0.2), lambda: quoter.rng.choice(vocabulary))
        return body, copied, kind
    quote = quoter.snippet(source.paragraphs) if kind == "snippet" else None
    if quote is None:
        kind, quote = "partial", quoter.partial(source.paragraphs)
    quoted, copied = quote
    return quoter.inside(host, quoted), copied, kind


def write_multilingual(out: Path, seed: int = 13) -> tuple[Path, Path]:
    """Write docs.jsonl, truth.jsonl and content.jsonl for the multilingual collection."""
    return _write(multilingual_articles(seed), out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--collection", choices=["english", "multilingual"], default="english")
    parser.add_argument("--size", type=int, default=10000, help="articles (English collection)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.collection == "multilingual":
        docs, truth = write_multilingual(args.out, args.seed)
    else:
        docs, truth = write_collection(args.size, args.out, args.seed)
    print(f"wrote {docs}, {truth} and {args.out / 'content.jsonl'}")


if __name__ == "__main__":
    main()
