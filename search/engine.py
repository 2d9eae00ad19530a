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
        lexical = snapshot.lexical.search(request.query, depth, allowed)
        dense = dense_search(snapshot, request, embedder, depth, allowed)
        ranked = convex(lexical, dense)
    results = group_by_document(snapshot.conn, ranked, terms, request.k, request.passages)
    return SearchResponse(
        request.query, request.mode, snapshot.generation, snapshot.manifest["documents"], results
    )


def dense_search(
    snapshot: Snapshot,
    request: SearchRequest,
    embedder: TextEncoder | None,
    depth: int,
    allowed: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """(chunk id, cosine) best first, among the chunks that pass the request's filters
    (``allowed``, when the caller has them already)."""
    if embedder is None:
        raise InvalidQueryError(f"mode {request.mode!r} needs the embedding model")
    snapshot.check_model(embedder.name)
    if allowed is None:
        allowed = allowed_chunk_ids(snapshot, request.filters)
    query = embedder.encode([request.query])[0]
    scores, ids = vectors.search(snapshot.vectors, query, depth, allowed)
    return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]
