"""Fusing the lexical and dense scores of the same candidates.

``convex`` is what hybrid search uses: every candidate has both legs' scores (BM25 and
cosine), each scaled from its least possible value (0 for BM25, -1 for a cosine) to the best
in its leg, then weighted (Bruch, Gai & Ingber 2023, "TM2C2"). A chunk's fused score is then a
function of the query and the chunk alone, not of how many candidates each leg fetched, so
a deeper request (the next page) ranks the same chunks the same way. Min-max scaling over
each leg's candidates, the rule before, moved every score with the depth: a second page could
repeat documents of the first. On BEIR SciFact's train split the two score alike (0.741
against 0.737 nDCG@10, +0.0035 [-0.0006, +0.0080]; bench/fusion_sweep.py). ``rrf`` (Cormack,
Clarke & Buettcher, 2009) stays as the baseline that bench/fusion_sweep.py measures against.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RRF_K = 60
# Weight of the lexical leg in ``convex``; the dense leg gets the rest. Chosen on SciFact's
# train split (0.2: 0.738, 0.25: 0.741, 0.3: 0.737 nDCG@10), never on its test split. It is
# below a half because cosines scaled from -1 bunch near the top: the dense leg's scores
# spread over a narrower range than BM25's.
LEXICAL_WEIGHT = 0.25


def rrf(
    rankings: Sequence[Sequence[int]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """Fuse ranked id lists: score(id) = sum of weight / (k + rank); best first."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def convex(
    ids: np.ndarray,
    lexical: np.ndarray,
    dense: np.ndarray,
    lexical_weight: float = LEXICAL_WEIGHT,
) -> list[tuple[int, float]]:
    """Candidates ``ids`` with BM25 scores ``lexical`` and cosines ``dense`` (both legs'
    scores of every candidate), as (id, fused score) best first, ties by id. Scores lie in
    [0, 1] (each leg's best candidate scores 1 there)."""
    if len(ids) == 0:
        return []
    fused = scaled(lexical, dense, float(lexical.max()), float(dense.max()), lexical_weight)
    order = np.lexsort((ids, -fused))
    return [(int(ids[i]), float(fused[i])) for i in order]


def scaled(
    lexical: np.ndarray | float,
    dense: np.ndarray | float,
    best_lexical: float,
    best_dense: float,
    lexical_weight: float = LEXICAL_WEIGHT,
) -> np.ndarray | float:
    """The fused score of BM25 ``lexical`` and cosine ``dense`` where each leg's best is
    ``best_lexical`` and ``best_dense`` (``convex``'s formula, for arrays or single scores)."""
    lex = lexical / best_lexical if best_lexical > 0 else lexical * 0.0
    den = (dense + 1.0) / (best_dense + 1.0) if best_dense > -1.0 else dense * 0.0
    return lexical_weight * lex + (1.0 - lexical_weight) * den
