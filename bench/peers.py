"""Reference retrievers that Precedent's search is measured against on BEIR collections.

Each works on whole documents (title + text), as published BEIR baselines do:

- ``bm25s``: BM25 as search engines do it (Lucene's formula, k1 = 1.5, b = 0.75) with a
  Snowball English stemmer (PyStemmer) and English stopwords;
- ``faiss-flat``: exact inner product (``IndexFlatIP``) over the same model's embeddings of
  whole documents, truncated by the model at its token limit;
- ``rrf(bm25s+faiss)``: the textbook hybrid, reciprocal rank fusion (k = 60) of the two.

Document embeddings are cached in ``cache_dir`` keyed by model and corpus, so a second run
does not embed again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import bm25s
import faiss
import numpy as np
import Stemmer

from indexer.embed import Embedder

Retriever = Callable[[str], dict[str, float]]
RRF_K = 60
# Each leg of the textbook hybrid contributes this many documents before fusion.
RRF_DEPTH = 1000


class Bm25sPeer:
    """bm25s over title + text, Snowball-stemmed, English stopwords removed."""

    def __init__(self, ids: list[str], texts: list[str]) -> None:
        self.ids = ids
        self.stemmer = Stemmer.Stemmer("english")
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer, show_progress=False)
        self.model = bm25s.BM25()
        self.model.index(tokens, show_progress=False)

    def ranked(self, query: str, k: int) -> list[tuple[str, float]]:
        tokens = bm25s.tokenize(
            [query], stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False
        )
        if not tokens[0]:
            return []
        docs, scores = self.model.retrieve(
            tokens, k=min(k, len(self.ids)), show_progress=False, n_threads=1
        )
        # bm25s pads with zero-score documents; a search engine returns only matches.
        return [(self.ids[d], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


class FlatPeer:
    """Exact cosine search over one embedding per whole document."""

    def __init__(self, ids: list[str], texts: list[str], embedder: Embedder, cache: Path) -> None:
        self.ids, self.embedder = ids, embedder
        vectors = _cached_embeddings(texts, embedder, cache)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)

    def ranked(self, query: str, k: int) -> list[tuple[str, float]]:
        vector = self.embedder.encode([query])
        scores, rows = self.index.search(vector, min(k, len(self.ids)))
        return [(self.ids[r], float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]


def rrf_ranked(lists: list[list[tuple[str, float]]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score = sum of 1 / (k + rank); best first."""
    scores: dict[str, float] = {}
    for ranked in lists:
        for rank, (doc, _) in enumerate(ranked, start=1):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def _cached_embeddings(texts: list[str], embedder: Embedder, cache: Path) -> np.ndarray:
    digest = hashlib.sha256("\x1e".join([embedder.name, *texts]).encode()).hexdigest()[:16]
    path = cache / f"documents-{digest}.npy"
    if path.is_file():
        return np.load(path)
    vectors = np.ascontiguousarray(embedder.encode(texts), dtype=np.float32)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def build_peers(
    corpus: dict[str, tuple[str, str]], embedder: Embedder, cache: Path, depth: int
) -> list[tuple[str, Retriever]]:
    """(name, retriever) for each peer; a retriever maps a query to {doc id: score}."""
    ids = list(corpus)
    texts = [f"{title} {text}".strip() for title, text in corpus.values()]
    lexical = Bm25sPeer(ids, texts)
    dense = FlatPeer(ids, texts, embedder, cache)

    def hybrid(query: str) -> dict[str, float]:
        fused = rrf_ranked([lexical.ranked(query, RRF_DEPTH), dense.ranked(query, RRF_DEPTH)])
        return dict(fused[:depth])

    return [
        ("bm25s", lambda q: dict(lexical.ranked(q, depth))),
        ("faiss-flat", lambda q: dict(dense.ranked(q, depth))),
        ("rrf(bm25s+faiss)", hybrid),
    ]
