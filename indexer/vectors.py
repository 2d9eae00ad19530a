"""The FAISS vector index: ids are chunk row ids, vectors are unit length (inner product = cosine).

Exact (flat) search up to ``EXACT_LIMIT`` vectors; past it an HNSW graph over vectors stored
as 8-bit scalars (a quarter of float32's memory: 0.4 GB rather than 1.5 GB at a million
384-d vectors, for recall@10 0.98 against exact where float32 storage gave 0.998, measured on
300k synthetic vectors). The limit comes from ``bench/ann_threshold.py``; recall at 1M from
``bench/query_latency.py``: see the README for both.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

EXACT_LIMIT = 200_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
# The 8-bit quantiser learns each dimension's range from this many vectors.
TRAIN_SAMPLE = 100_000
# An index grown by updates is rebuilt once it holds this many times the vectors of its last
# full build: the quantiser's ranges were learnt from that build's vectors only.
GROWTH_LIMIT = 2.0
# Below this many allowed ids a filtered query scores them exactly: HNSW with a very
# selective filter walks a graph whose neighbours are mostly excluded and loses recall.
FILTER_EXACT_LIMIT = 50_000


def build(ids: np.ndarray, vectors: np.ndarray, exact_limit: int | None = None) -> faiss.Index:
    """A new index over ``vectors`` keyed by ``ids``; flat up to ``exact_limit`` (default
    ``EXACT_LIMIT``) vectors, HNSW past it."""
    dim = vectors.shape[1]
    if kind_for(len(ids), exact_limit) == "flat":
        base = faiss.IndexFlatIP(dim)
    else:
        qtype = faiss.ScalarQuantizer.QT_8bit
        base = faiss.IndexHNSWSQ(dim, qtype, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        base.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index = faiss.IndexIDMap2(base)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if not index.is_trained:
        step = max(1, len(vectors) // TRAIN_SAMPLE)
        index.train(vectors[::step])
    if len(ids):
        index.add_with_ids(vectors, ids.astype(np.int64))
    return index


def settings() -> dict:
    """What a build fixes in an index: a grown index is only reused while these hold."""
    return {"hnsw_m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "quantiser": "8bit"}


def kind_for(count: int, exact_limit: int | None = None) -> str:
    """The kind ``build`` makes for ``count`` vectors: "flat" or "hnsw"."""
    return "flat" if count <= (EXACT_LIMIT if exact_limit is None else exact_limit) else "hnsw"


def extend(index: faiss.Index, ids: np.ndarray, vectors: np.ndarray) -> faiss.Index:
    """``index`` with ``vectors`` added under ``ids``, in place. HNSW links each new vector
    into the graph it has, so growing a large index costs what the new vectors cost, where a
    rebuild costs what all of them do. The 8-bit quantiser keeps the ranges it learnt."""
    if len(ids):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
    return index


def ids_of(index: faiss.Index) -> np.ndarray:
    """The ids an index built here (an ``IndexIDMap2``) holds."""
    return faiss.vector_to_array(index.id_map)


def kind(index: faiss.Index) -> str:
    base = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap2) else index
    return "hnsw" if isinstance(base, faiss.IndexHNSW) else "flat"


def save(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load(path: Path) -> faiss.Index:
    return faiss.read_index(str(path))


def search(
    index: faiss.Index,
    query: np.ndarray,
    k: int,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` (scores, ids) for one query vector; ``allowed`` restricts to those ids."""
    query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    if index.ntotal == 0 or k <= 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    if allowed is not None and len(allowed) <= FILTER_EXACT_LIMIT:
        return _exact_subset(index, query, k, allowed)
    params = None
    if kind(index) == "hnsw":
        params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))
    if allowed is not None:
        params = params or faiss.SearchParameters()
        params.sel = faiss.IDSelectorBatch(allowed.astype(np.int64))
    scores, ids = index.search(query, min(k, index.ntotal), params=params)
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]


def scores_of(index: faiss.Index, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The stored vectors of ``ids`` (every one held here) scored against ``query``: the
    scores ``search`` gives them, for ids it did not return."""
    if len(ids) == 0:
        return np.zeros(0, np.float32)
    return (index.reconstruct_batch(ids.astype(np.int64)) @ query.reshape(-1)).astype(np.float32)


def _exact_subset(
    index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    if len(allowed) == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    allowed = allowed.astype(np.int64)
    vectors = index.reconstruct_batch(allowed)
    scores = vectors @ query[0]
    top = np.argsort(-scores, kind="stable")[:k]
    return scores[top].astype(np.float32), allowed[top]
