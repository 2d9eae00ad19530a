"""Search: the lexical and dense legs, fused, grouped by document."""

from __future__ import annotations

import numpy as np

from indexer import vectors
from indexer.embed import TextEncoder
from indexer.errors import InvalidQueryError
from indexer.store import Snapshot
from search.filters import allowed_chunk_ids
from search.fusion import convex
from search.query import SearchRequest
from search.results import SearchResponse, group_by_document
from search.terms import query_terms

# Each leg fetches this many chunks per requested document, so grouping has enough to choose from.
CANDIDATES_PER_RESULT = 20
MIN_CANDIDATES = 100


def search(
    snapshot: Snapshot, request: SearchRequest, embedder: TextEncoder | None
) -> SearchResponse:
    terms = query_terms(request.query)
    depth = max(MIN_CANDIDATES, request.k * CANDIDATES_PER_RESULT)
    allowed = allowed_chunk_ids(snapshot, request.filters)
    if request.mode == "bm25":
        ranked = snapshot.lexical.search(request.query, depth, allowed)
    elif request.mode == "dense":
        ranked = dense_search(snapshot, request, embedder, depth, allowed)
    else:
        query_vec = query_vector(snapshot, request, embedder)
        bm25 = snapshot.lexical.scores(request.query)
        ranked = hybrid_ranking(snapshot, bm25, query_vec, depth, allowed)
    results = group_by_document(snapshot.conn, ranked, terms, request.k, request.passages)
    return SearchResponse(
        request.query, request.mode, snapshot.generation, snapshot.manifest["documents"], results
    )


def hybrid_ranking(
    snapshot: Snapshot,
    bm25: np.ndarray,
    query_vec: np.ndarray,
    depth: int,
    allowed: np.ndarray | None,
) -> list[tuple[int, float]]:
    """Each leg's best ``depth`` chunks among ``allowed``, each scored in both legs (a chunk
    one leg did not fetch gets its real score there, not 0) and fused (``search.fusion``),
    best first. ``bm25``: every chunk's BM25 score for the query (``LexicalIndex.scores``).
    A chunk's score does not depend on ``depth``: a deeper fetch only adds chunks."""
    lexical_top = snapshot.lexical.top(bm25, depth, allowed)
    dense_scores, dense_ids = vectors.search(snapshot.vectors, query_vec, depth, allowed)
    ids = np.union1d(np.array([c for c, _ in lexical_top], dtype=np.int64), dense_ids)
    if len(ids) == 0:
        return []
    # The dense leg's own scores where it has them; stored vectors for the rest.
    cosines = np.empty(len(ids), dtype=np.float32)
    from_search = np.searchsorted(ids, dense_ids)
    cosines[from_search] = dense_scores
    rest = np.ones(len(ids), dtype=bool)
    rest[from_search] = False
    cosines[rest] = vectors.scores_of(snapshot.vectors, query_vec, ids[rest])
    return convex(ids, snapshot.lexical.scores_at(bm25, ids), cosines)


def query_vector(
    snapshot: Snapshot, request: SearchRequest, embedder: TextEncoder | None
) -> np.ndarray:
    """The request's query embedded by the model the index was built with (the embedder's
    output, a unit vector)."""
    if embedder is None:
        raise InvalidQueryError(f"mode {request.mode!r} needs the embedding model")
    snapshot.check_model(embedder.name)
    return embedder.encode([request.query])[0]


def dense_search(
    snapshot: Snapshot,
    request: SearchRequest,
    embedder: TextEncoder | None,
    depth: int,
    allowed: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """(chunk id, cosine) best first, among the chunks that pass the request's filters
    (``allowed``, when the caller has them already)."""
    query_vec = query_vector(snapshot, request, embedder)
    if allowed is None:
        allowed = allowed_chunk_ids(snapshot, request.filters)
    scores, ids = vectors.search(snapshot.vectors, query_vec, depth, allowed)
    return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]
