import numpy as np

from indexer import vectors


def _unit(n: int, d: int = 32, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_flat_top_k_matches_brute_force_numpy():
    x = _unit(2000)
    ids = np.arange(5000, 7000, dtype=np.int64)
    index = vectors.build(ids, x)
    assert vectors.kind(index) == "flat"
    for q in _unit(20, seed=1):
        scores, found = vectors.search(index, q, 10)
        expected = ids[np.argsort(-(x @ q))[:10]]
        assert list(found) == list(expected)
        assert np.allclose(scores, np.sort(x @ q)[::-1][:10], atol=1e-5)


def test_hnsw_past_the_exact_limit_keeps_recall():
    x = _unit(3000)
    ids = np.arange(3000, dtype=np.int64)
    index = vectors.build(ids, x, exact_limit=1000)
    assert vectors.kind(index) == "hnsw"
    hits = 0
    queries = _unit(50, seed=2)
    for q in queries:
        _, found = vectors.search(index, q, 10)
        hits += len(set(found) & set(np.argsort(-(x @ q))[:10]))
    assert hits / (10 * len(queries)) >= 0.9


def test_filtered_search_returns_only_allowed_ids():
    x = _unit(500)
    ids = np.arange(500, dtype=np.int64)
    allowed = np.array([3, 77, 123, 400], dtype=np.int64)
    for limit in (10_000, 100):
        index = vectors.build(ids, x, exact_limit=limit)
        _, found = vectors.search(index, x[77], 10, allowed)
        assert found[0] == 77
        assert set(found) <= set(allowed)


def test_empty_index_and_empty_filter():
    index = vectors.build(np.zeros(0, np.int64), np.zeros((0, 8), np.float32))
    assert len(vectors.search(index, np.ones(8, np.float32), 5)[1]) == 0
    index = vectors.build(np.arange(3), _unit(3, 8))
    assert len(vectors.search(index, _unit(1, 8)[0], 5, np.zeros(0, np.int64))[1]) == 0


def test_scores_of_ids_are_the_scores_search_gives_them():
    x = _unit(3000)
    ids = np.arange(10, 3010, dtype=np.int64)
    q = _unit(1, seed=3)[0]
    for limit in (10_000, 1000):  # flat, then HNSW (8-bit): search's own distances
        index = vectors.build(ids, x, exact_limit=limit)
        scores, found = vectors.search(index, q, 50)
        assert np.allclose(vectors.scores_of(index, q, found), scores, atol=1e-5)
    assert len(vectors.scores_of(index, q, np.zeros(0, np.int64))) == 0
