"""Synthetic news collections with planted reuse of known lineage.

Articles are built from real prose: the sentences of the PAN 2013 text
alignment source documents (../shared/data/pan13-text-alignment-train/src).
Each pass over the shuffled sentences respells the content words with a new
bijection of the vocabulary (the 300 most frequent words are kept), so a
sentence drawn twice in a large collection does not create reuse nobody
planted, while the text keeps the rhythm and stock phrases of real prose.

Planted kinds (each derived article names its lineage parent):
verbatim copies, trimmed reprints, reprints with 10-30% of words changed,
reordered paragraphs, articles quoting 20-40% of a source, and chains
(reprints of reprints). The rest are unrelated articles of 300-1,500 words.

Writes ``<out>/docs.jsonl`` (id, text, date, source) and ``<out>/truth.jsonl``
(a = derived article, b = its parent, kind, containment = words copied
verbatim / words of the shorter article, root = first article of the lineage),
streaming, deterministic for a seed.

    python benchmarks/synthetic.py --size 10000 --out out/synthetic-10k
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PAN_SOURCES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pan13-text-alignment-train" / "src"
KEPT_FUNCTION_WORDS = 300
RECENT = 2000
KINDS = {  # share of articles of each kind; the rest are unrelated articles
    "verbatim": 0.06,
    "trimmed": 0.08,
    "changed": 0.10,
    "reordered": 0.06,
    "quoting": 0.10,
    "chain": 0.08,
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


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


class Prose:
    """An endless stream of distinct sentences: each pass respells the content words."""

    def __init__(self, sentences: list[list[str]], rng: random.Random) -> None:
        self.sentences = sentences
        self.rng = rng
        counts = Counter(w for s in sentences for w in s)
        ranked = [w for w, _ in counts.most_common()]
        self.function_words = set(ranked[:KEPT_FUNCTION_WORDS])
        self.content = ranked[KEPT_FUNCTION_WORDS:]
        self.rank = {w: i for i, w in enumerate(self.content)}
        self.epoch = -1
        self.queue: list[int] = []

    def sentence(self) -> list[str]:
        if not self.queue:
            self.epoch += 1
            self.queue = list(range(len(self.sentences)))
            self.rng.shuffle(self.queue)
            size = len(self.content)
            self.multiplier = self._coprime(size)
            self.offset = self.rng.randrange(size)
        words = self.sentences[self.queue.pop()]
        if self.epoch == 0:
            return list(words)
        return [self._respell(w) for w in words]

    def random_word(self) -> str:
        return self.content[self.rng.randrange(len(self.content))]

    def _respell(self, word: str) -> str:
        if word in self.function_words:
            return word
        size = len(self.content)
        return self.content[(self.rank[word] * self.multiplier + self.offset) % size]

    def _coprime(self, size: int) -> int:
        while True:
            candidate = self.rng.randrange(2, size)
            if _gcd(candidate, size) == 1:
                return candidate


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


@dataclass
class Article:
    id: str
    paragraphs: list[list[str]]  # paragraphs of words
    date: dt.date
    source: str
    root: str

    @property
    def words(self) -> list[str]:
        return [w for p in self.paragraphs for w in p]

    def text(self) -> str:
        return "\n\n".join(" ".join(p) for p in self.paragraphs)


class Generator:
    def __init__(self, size: int, seed: int, sentences: list[list[str]]) -> None:
        self.size = size
        self.rng = random.Random(seed)
        self.prose = Prose(sentences, random.Random(seed + 1))
        self.recent: deque[Article] = deque(maxlen=RECENT)
        self.start = dt.date(2024, 1, 1)

    def articles(self) -> Iterator[tuple[Article, dict | None]]:
        kinds, weights = zip(*KINDS.items())
        for index in range(self.size):
            article_id = f"n{index:07d}"
            date = self.start + dt.timedelta(days=365 * index // self.size)
            source = f"outlet{self.rng.randrange(200):03d}"
            kind = self.rng.choices(kinds + ("unrelated",), weights + (1 - sum(weights),))[0]
            if kind == "unrelated" or not self.recent:
                article, truth = self._fresh(article_id, date, source), None
            else:
                article, truth = self._derive(kind, article_id, date, source)
            self.recent.append(article)
            yield article, truth

    def _fresh(self, article_id: str, date: dt.date, source: str, words: int | None = None) -> Article:
        target = words if words is not None else self.rng.randint(300, 1500)
        paragraphs, count = [], 0
        while count < target:
            paragraph = []
            for _ in range(self.rng.randint(2, 5)):
                paragraph += self.prose.sentence()
            paragraphs.append(paragraph)
            count += len(paragraph)
        return Article(article_id, paragraphs, date, source, root=article_id)

    def _derive(self, kind: str, article_id: str, date: dt.date, source: str) -> tuple[Article, dict]:
        parent = self._parent(derived=kind == "chain")
        date = parent.date + dt.timedelta(days=self.rng.randint(0, 3))
        paragraphs = [list(p) for p in parent.paragraphs]
        copied = sum(map(len, paragraphs))
        if kind == "chain":
            kind = self.rng.choice(["trimmed", "changed"])
            label = f"chain-{kind}"
        else:
            label = kind
        if kind == "trimmed":
            keep = max(1, round(len(paragraphs) * self.rng.uniform(0.5, 0.9)))
            paragraphs = paragraphs[:keep]
            copied = sum(map(len, paragraphs))
        elif kind == "changed":
            share = self.rng.uniform(0.1, 0.3)
            copied = 0
            for paragraph in paragraphs:
                for i in range(len(paragraph)):
                    if self.rng.random() < share:
                        paragraph[i] = self.prose.random_word()
                    else:
                        copied += 1
        elif kind == "reordered":
            self.rng.shuffle(paragraphs)
        elif kind == "quoting":
            paragraphs, copied = self._quote(parent.paragraphs, article_id, date, source)
        article = Article(article_id, paragraphs, date, source, root=parent.root)
        shorter = min(len(parent.words), len(article.words))
        truth = {
            "a": article_id, "b": parent.id, "kind": label,
            "containment": round(copied / shorter, 4), "root": parent.root,
        }
        return article, truth

    def _quote(self, source: list[list[str]], article_id: str, date: dt.date, source_name: str) -> tuple[list[list[str]], int]:
        """A fresh article with a run of the source's paragraphs, 20-40% of its words, inside."""
        total = sum(map(len, source))
        wanted = self.rng.uniform(0.2, 0.4) * total
        first = self.rng.randrange(len(source))
        quoted, count = [], 0
        for paragraph in source[first:] + source[:first]:
            if count >= wanted:
                break
            take = paragraph[: int(wanted - count) + 1] if count + len(paragraph) > wanted * 1.2 else paragraph
            quoted.append(list(take))
            count += len(take)
        own = self._fresh(article_id, date, source_name, words=max(300, int(total * 0.8))).paragraphs
        at = self.rng.randint(0, len(own))
        return own[:at] + quoted + own[at:], count

    def _parent(self, derived: bool) -> Article:
        pool = [a for a in self.recent if (a.root != a.id) == derived] if derived else self.recent
        if not pool:
            pool = self.recent
        return pool[self.rng.randrange(len(pool))]


def write_collection(size: int, out: Path, seed: int = 13) -> tuple[Path, Path]:
    """Write docs.jsonl and truth.jsonl for a collection of ``size`` articles."""
    out.mkdir(parents=True, exist_ok=True)
    generator = Generator(size, seed, load_sentences())
    docs_path, truth_path = out / "docs.jsonl", out / "truth.jsonl"
    with docs_path.open("w", encoding="utf-8") as docs, truth_path.open("w", encoding="utf-8") as truth:
        for article, planted in generator.articles():
            record = {"id": article.id, "text": article.text(), "date": article.date.isoformat(), "source": article.source}
            docs.write(json.dumps(record, ensure_ascii=False) + "\n")
            if planted:
                truth.write(json.dumps(planted) + "\n")
    return docs_path, truth_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    docs, truth = write_collection(args.size, args.out, args.seed)
    print(f"wrote {docs} and {truth}")


if __name__ == "__main__":
    main()
