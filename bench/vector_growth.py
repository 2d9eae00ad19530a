"""Growing the vector index: the live HNSW graph extended by a run's new chunks, against a
rebuild over every vector (how each update built it before ``indexer.pipeline`` kept the live
index when a run only adds documents; that also read every vector from the embedding cache,
which is not timed here).

On SYNTHETIC clustered unit vectors (bench/synthetic.py: good for timing and for recall of
the approximate index, meaningless for relevance), an HNSW index of SIZE vectors is built with
``vectors.build`` (forced to HNSW, as the engine is past ``EXACT_LIMIT``) and saved. Then, for
ADDED new vectors, each repeat times both ways of getting the grown index onto disk:

* rebuild: ``vectors.build`` over all SIZE + ADDED vectors, then ``vectors.save``;
* grow: ``vectors.load`` of the saved index, ``vectors.extend`` with the new vectors, then
  ``vectors.save`` (what an update does now).

Both grown indexes are scored for recall@10 against exact search over all vectors, with
queries drawn from the same topics, half of them near the new vectors.

    python bench/vector_growth.py [--quick] [--json] [--repeats N] [--size N] [--added N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench import harness  # noqa: E402
from bench.bigindex import approximate_recall  # noqa: E402
from bench.synthetic import Mixture  # noqa: E402
from indexer import vectors  # noqa: E402

FULL_SIZE, QUICK_SIZE = 300_000, 20_000
ADDED = 2_000  # about what indexing 1,000 documents adds
QUERIES = 200


def run(size: int, added: int, repeats: int, workdir: Path) -> dict:
    mixture = Mixture()
    x = mixture.sample(size + added)
    ids = np.arange(size + added, dtype=np.int64)
    old, new = slice(0, size), slice(size, size + added)
    base_s, base = harness.timed(lambda: vectors.build(ids[old], x[old], exact_limit=0))
    saved = workdir / "live.faiss"
    vectors.save(base, saved)
    del base
    rebuild_s, grow_s, rebuilt, grown = [], [], None, None
    for rep in range(repeats):  # the order alternates, so drift in background load hits both
        for step in ("rebuild", "grow") if rep % 2 == 0 else ("grow", "rebuild"):
            if step == "rebuild":
                rebuilt = None  # the last repeat's index is not held while this one is timed
                seconds, rebuilt = harness.timed(
                    lambda: _rebuild(ids, x, workdir / "rebuilt.faiss")
                )
                rebuild_s.append(seconds)
            else:
                grown = None
                seconds, grown = harness.timed(
                    lambda: _grow(saved, ids[new], x[new], workdir / "grown.faiss")
                )
                grow_s.append(seconds)
    queries = np.vstack([mixture.queries(QUERIES // 2), _near(x[new], QUERIES - QUERIES // 2)])
    rebuild_med, grow_med = statistics.median(rebuild_s), statistics.median(grow_s)
    return {
        "size": size,
        "added": added,
        "repeats": repeats,
        "synthetic_vectors": True,
        "initial_build_s": base_s,
        "rebuild_s": rebuild_s,
        "grow_s": grow_s,
        "rebuild_median_s": rebuild_med,
        "grow_median_s": grow_med,
        "speedup": rebuild_med / grow_med,
        "recall10_rebuilt": approximate_recall(rebuilt, ids, x, queries),
        "recall10_grown": approximate_recall(grown, ids, x, queries),
    }


def _rebuild(ids: np.ndarray, x: np.ndarray, path: Path):
    index = vectors.build(ids, x, exact_limit=0)
    vectors.save(index, path)
    return index


def _grow(saved: Path, ids: np.ndarray, x: np.ndarray, path: Path):
    index = vectors.extend(vectors.load(saved), ids, x)
    vectors.save(index, path)
    return index


def _near(x: np.ndarray, n: int) -> np.ndarray:
    """Queries close to some of ``x``: the new vectors must be found too."""
    rng = np.random.default_rng(1)
    picked = x[rng.integers(0, len(x), n)]
    noisy = picked + rng.standard_normal(picked.shape, dtype=np.float32) * 0.03
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def report(r: dict) -> None:
    harness.table(
        f"Adding {r['added']:,} vectors to an HNSW index of {r['size']:,} "
        f"(SYNTHETIC vectors; median of {r['repeats']})",
        ["rebuild s", "grow s", "rebuild / grow", "recall@10 rebuilt", "recall@10 grown"],
        [
            (
                r["rebuild_median_s"],
                r["grow_median_s"],
                r["speedup"],
                r["recall10_rebuilt"],
                r["recall10_grown"],
            )
        ],
        caption=(
            "rebuild: vectors.build over every vector + save; grow: load the saved index, "
            "vectors.extend, save. Recall against exact search over all vectors."
        ),
    )


def main() -> int:
    args = harness.arguments(
        __doc__.splitlines()[0],
        lambda p: (
            p.add_argument("--size", type=int, help="vectors in the live index"),
            p.add_argument("--added", type=int, default=ADDED, help="new vectors"),
        ),
    )
    size = args.size or (QUICK_SIZE if args.quick else FULL_SIZE)
    with tempfile.TemporaryDirectory(prefix="precedent-growth-") as tmp:
        result = run(size, args.added, args.repeats, Path(tmp))
    report(result)
    if args.json:
        harness.write_json("vector_growth", result, args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
