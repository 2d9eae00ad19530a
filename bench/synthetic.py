"""Synthetic unit vectors shaped like sentence embeddings, for benchmarks at sizes we cannot embed.

A hierarchical Gaussian mixture on the sphere, dimension 384:

    x = normalise(g * common + s * group[t] + c * topic[t] + B[t] z + noise)

``common`` is one direction shared by every vector (real embeddings are anisotropic: two
unrelated MiniLM passages still have cosine ~0.1); ``groups`` broad subjects each hold some of
the ``clusters`` topics; within a topic, points vary along ``rank`` directions of its own
(``z`` ~ N(0, spread^2 / rank)), which gives neighbourhoods the low intrinsic dimension of real
text embeddings, plus isotropic noise. Queries come from the same topics with more noise:
a query sits further from any one passage than passages sit from each other.

The defaults were fitted to all-MiniLM-L6-v2 embeddings of BEIR SciFact (5,183 abstracts,
1,109 claims as queries; ``bench/synthetic_calibration.py``) at the same size:

    statistic                               SciFact              synthetic
    query cosine to 1st / 10th / 100th      0.62 / 0.45 / 0.33   0.62 / 0.45 / 0.38
    mean query-passage cosine               0.105                0.103
    passage cosine to 1st / 10th neighbour  0.69 / 0.54          0.68 / 0.49
    local intrinsic dimension (MLE, k=20)   18                   20

Everything is deterministic for a seed; memory is the output array plus one topic at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DIM = 384


@dataclass(frozen=True)
class Mixture:
    dim: int = DIM
    groups: int = 30
    clusters: int = 1000
    common: float = 0.42
    group_weight: float = 0.75
    topic_weight: float = 0.6
    rank: int = 24
    spread: float = 0.65
    noise: float = 0.5
    query_noise: float = 0.8
    seed: int = 0

    def _topics(self) -> tuple[np.ndarray, np.ndarray]:
        """Each topic's fixed part (common + group + topic centre) and its own directions."""
        rng = np.random.default_rng(self.seed)
        common = _normalise(rng.standard_normal((1, self.dim), dtype=np.float32))
        groups = _normalise(rng.standard_normal((self.groups, self.dim), dtype=np.float32))
        parent = rng.integers(0, self.groups, size=self.clusters)
        topics = _normalise(rng.standard_normal((self.clusters, self.dim), dtype=np.float32))
        bases = rng.standard_normal((self.clusters, self.rank, self.dim), dtype=np.float32)
        bases /= np.linalg.norm(bases, axis=2, keepdims=True)
        centres = (
            self.common * common + self.group_weight * groups[parent] + self.topic_weight * topics
        )
        return centres.astype(np.float32), bases

    def sample(self, n: int, stream: int = 1, noise: float | None = None) -> np.ndarray:
        """``n`` unit vectors (float32, C-contiguous). ``stream`` separates independent draws
        from the same topics (passages: 1, queries: 2)."""
        noise = self.noise if noise is None else noise
        centres, bases = self._topics()
        rng = np.random.default_rng([self.seed, stream])
        topic = rng.integers(0, self.clusters, size=n)
        out = np.empty((n, self.dim), dtype=np.float32)
        order = np.argsort(topic, kind="stable")
        bounds = np.searchsorted(topic[order], np.arange(self.clusters + 1))
        for t in range(self.clusters):
            rows = order[bounds[t] : bounds[t + 1]]
            if len(rows) == 0:
                continue
            z = rng.standard_normal((len(rows), self.rank), dtype=np.float32)
            z *= self.spread / np.sqrt(self.rank)
            eps = rng.standard_normal((len(rows), self.dim), dtype=np.float32)
            eps *= noise / np.sqrt(self.dim)
            out[rows] = centres[t] + z @ bases[t] + eps
        return _normalise(out)

    def queries(self, n: int) -> np.ndarray:
        return self.sample(n, stream=2, noise=self.query_noise)


def neighbour_profile(passages: np.ndarray, queries: np.ndarray, sample: int = 1000) -> dict:
    """Cosine statistics that say how "embedding-like" a set of unit vectors is."""
    qs = np.sort(queries @ passages.T, axis=1)
    ds = np.sort(passages[:sample] @ passages.T, axis=1)
    return {
        "query_top1": float(qs[:, -1].mean()),
        "query_top10": float(qs[:, -10].mean()),
        "query_top100": float(qs[:, -100].mean()) if qs.shape[1] >= 100 else None,
        "query_mean": float(qs.mean()),
        "passage_nn1": float(ds[:, -2].mean()),  # [-1] is the passage itself
        "passage_nn10": float(ds[:, -11].mean()),
        "lid": local_intrinsic_dimension(passages, sample=min(sample, 500)),
    }


def local_intrinsic_dimension(x: np.ndarray, k: int = 20, sample: int = 500) -> float:
    """Levina-Bickel maximum-likelihood estimate over the first ``sample`` points."""
    dist = np.sqrt(np.maximum(2 - 2 * (x[:sample] @ x.T), 1e-12))
    dist.sort(axis=1)
    near = dist[:, 1 : k + 1]
    return float(np.mean(1.0 / np.mean(np.log(near[:, -1:] / near[:, :-1]), axis=1)))


def _normalise(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x, dtype=np.float32)
