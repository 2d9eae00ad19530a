"""The lexical index: BM25 over chunk texts with bm25s, one per generation.

bm25s computes every chunk's BM25 weight for every term at index time (a sparse term x
chunk matrix), so a query only sums the columns of its terms: a few milliseconds at a
million chunks, where SQLite FTS5's bm25() scored each matching row at query time (about
0.75 s there, bench/query_latency.py). The matrix is saved beside the vectors and opened
memory-mapped, so a reader touches only the columns its queries use.

Tokens are words of two or more characters, lower-cased, English stopwords removed, then
Snowball-stemmed ("commissioned" and "commissioning" meet). A chunk is indexed with its
section heading, which its text may not repeat. Not with its document's title: that lifted
SciFact train a little (hybrid nDCG@10 0.737 -> 0.738) but let a passage match on words only
its title holds, and a passage shown as evidence must state what it is chosen for.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

IDS_NAME = "chunk_ids.npy"
EMPTY_NAME = "empty"  # marks an index with no indexable word (bm25s cannot hold one)
# Lucene's BM25 with Anserini's parameters (its BEIR baselines use them). On SciFact's train
# split they lift hybrid nDCG@10 from 0.728 (Lucene's 1.5, 0.75) to 0.737, and BM25 alone
# from 0.685 to 0.687 (`python bench/fusion_sweep.py --bm25`).
K1, B = 0.9, 0.4


def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(texts: list[str], stemmer: Stemmer.Stemmer) -> list[list[str]]:
    return bm25s.tokenize(
        texts, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
    )


@dataclass
class LexicalIndex:
    """BM25 scores of every chunk; ``chunk_ids[row]`` is the chunk a score row belongs to.
    ``model`` is None when no chunk holds an indexable word."""

    model: bm25s.BM25 | None
    chunk_ids: np.ndarray  # sorted ascending
    stemmer: Stemmer.Stemmer
    # PyStemmer's stemmers must not be called concurrently; API requests share this one.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def search(
        self, query: str, limit: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """(chunk id, score) best first, only chunks that match a query term; ``allowed``
        (chunk ids) restricts the result to those chunks."""
        return self.top(self.scores(query), limit, allowed)

    def scores(self, query: str) -> np.ndarray:
        """Every chunk's BM25 score for ``query``, by row (``chunk_ids``); 0 where no query
        term occurs. Hybrid search reads the scores of chunks only the dense leg found here."""
        if self.model is None:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        with self._lock:
            tokens = tokenize([query], self.stemmer)[0]
        ids = self.model.get_tokens_ids(tokens)
        if not ids:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return self.model.get_scores_from_ids(ids)

    def top(
        self, scores: np.ndarray, limit: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The best ``limit`` chunks of ``scores`` (``scores``' result) with a score above 0,
        as (chunk id, score) best first; ``allowed`` (chunk ids) restricts them."""
        if limit <= 0:
            return []
        if allowed is not None:
            scores = np.where(self._rows_mask(allowed), scores, 0)
        # Top ``limit`` rows by partition over all rows (cheaper than first listing the
        # matches, which can be most rows), then only those that match a term, best first.
        if limit < len(scores):
            top = np.argpartition(-scores, limit - 1)[:limit]
        else:
            top = np.arange(len(scores))
        top = top[scores[top] > 0]
        order = top[np.lexsort((self.chunk_ids[top], -scores[top]))]
        return [(int(self.chunk_ids[r]), float(scores[r])) for r in order]

    def scores_at(self, scores: np.ndarray, chunk_ids: np.ndarray) -> np.ndarray:
        """The scores (``scores``' result) of ``chunk_ids``; 0 for an id not indexed here."""
        rows, found = self._rows_of(chunk_ids)
        out = np.zeros(len(chunk_ids), dtype=np.float32)
        out[found] = scores[rows[found]]
        return out

    def _rows_mask(self, allowed: np.ndarray) -> np.ndarray:
        rows, found = self._rows_of(allowed)
        mask = np.zeros(len(self.chunk_ids), dtype=bool)
        mask[rows[found]] = True
        return mask

    def _rows_of(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each id's score row and whether it is indexed here at all."""
        rows = np.searchsorted(self.chunk_ids, chunk_ids)
        inside = rows < len(self.chunk_ids)
        found = np.zeros(len(chunk_ids), dtype=bool)
        found[inside] = self.chunk_ids[rows[inside]] == chunk_ids[inside]
        return rows, found


FIELDS = "section text"  # what a chunk's indexed text is made of, in order


def settings() -> dict:
    """What the manifest records, so an index built with other settings is rebuilt."""
    return {"k1": K1, "b": B, "fields": FIELDS}


def build(
    conn: sqlite3.Connection,
    k1: float | None = None,
    b: float | None = None,
    batch: int = 20_000,
) -> LexicalIndex:
    """Index every chunk in ``conn`` (read in id order, ``batch`` rows at a time) with
    ``k1`` and ``b``, by default ``K1`` and ``B``."""
    stemmer = _stemmer()
    ids: list[int] = []
    tokens: list[list[str]] = []
    rows = conn.execute("SELECT id, coalesce(section, '') || '\n' || text FROM chunks ORDER BY id")
    while chunk := rows.fetchmany(batch):
        ids += [r[0] for r in chunk]
        tokens += tokenize([r[1] for r in chunk], stemmer)
    model = None
    if any(tokens):
        model = bm25s.BM25(k1=K1 if k1 is None else k1, b=B if b is None else b)
        model.index(tokens, show_progress=False)
    return LexicalIndex(model, np.array(ids, dtype=np.int64), stemmer)


def save(index: LexicalIndex, folder: Path) -> list[Path]:
    """Write the index into ``folder``; returns the files written (for the caller to sync)."""
    folder.mkdir(parents=True, exist_ok=True)
    if index.model is not None:
        index.model.save(str(folder), show_progress=False)
    else:
        (folder / EMPTY_NAME).write_text("no chunk holds an indexable word\n")
    np.save(folder / IDS_NAME, index.chunk_ids)
    return sorted(p for p in folder.iterdir() if p.is_file())


def load(folder: Path) -> LexicalIndex:
    """Open a saved index, memory-mapped. Raises FileNotFoundError when there is none."""
    chunk_ids = np.load(folder / IDS_NAME)
    if (folder / EMPTY_NAME).exists():
        return LexicalIndex(None, chunk_ids, _stemmer())
    model = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
    return LexicalIndex(model, chunk_ids, _stemmer())
