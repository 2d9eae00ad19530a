"""Where should `indexer.vectors` switch from exact search (IndexFlatIP) to HNSW?

On synthetic unit vectors of dimension 384 (a clustered Gaussian mixture, bench/synthetic.py:
neighbours are close within a topic, as sentence embeddings are), for each size:

* build time of both indexes, through ``vectors.build`` with the module's HNSW parameters;
* single-query latency (p50, p95 over the queries; median of ``--repeats`` passes, flat and
  HNSW passes interleaved so load on the machine hits both alike) through ``vectors.search``,
  faiss with its default threads; at k = 10 and at the depth the search engine asks for;
* recall@10 of HNSW against exact search, and recall@depth (what fusion receives);
* index size as written to disk (what a server holds in memory after ``faiss.read_index``).

The threshold is where flat p95 crosses the latency budget (a straight line fitted through
the measured p95s, since flat search is a linear scan), rounded down, provided HNSW keeps
recall@10 >= 0.95 above it. At the largest size it also sweeps efSearch, and compares exact
scoring of a filter's allowed ids with HNSW plus an id selector (``FILTER_EXACT_LIMIT``).

    python bench/ann_threshold.py [--quick] [--json] [--repeats N] [--float-graph] [--sizes N,N,...]
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import faiss  # noqa: E402
import numpy as np  # noqa: E402

from bench import harness  # noqa: E402
from bench.synthetic import Mixture  # noqa: E402
from indexer import vectors  # noqa: E402
from search.engine import CANDIDATES_PER_RESULT, MIN_CANDIDATES  # noqa: E402

FULL_SIZES = (10_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)
QUICK_SIZES = (10_000, 50_000, 100_000)
QUERIES = 200
K = 10
DEPTH = max(MIN_CANDIDATES, K * CANDIDATES_PER_RESULT)  # what search.engine asks for at k=10
BUDGET_MS = 20.0  # per-query p95 budget for the dense leg's vector search
RECALL_TARGET = 0.95
EF_SWEEP = (16, 32, 64, 96, 128, 192, 256)
FILTER_SIZES = (1_000, 5_000, 10_000, 20_000, 50_000, 100_000)
FILTER_QUERIES = 50
BUILD_REPEAT_MAX = 100_000  # builds above this size are timed once (minutes each)


# -- measures (pure, also used by tests) -------------------------------------------------------


def recall_at_k(found: list[np.ndarray], truth: np.ndarray, k: int) -> float:
    """Mean fraction of each query's true top-``k`` ids found in its returned top ``k``."""
    if len(found) != len(truth):
        raise ValueError("one result list per query")
    hits = sum(
        len(set(np.asarray(f)[:k].tolist()) & set(np.asarray(t)[:k].tolist()))
        for f, t in zip(found, truth, strict=True)
    )
    return hits / (k * len(truth))


def search_all(index: faiss.Index, queries: np.ndarray, k: int, allowed=None) -> list[np.ndarray]:
    return [vectors.search(index, q, k, allowed)[1] for q in queries]


def latency_passes(
    indexes: dict[str, tuple], queries: np.ndarray, repeats: int, threads: tuple = (None,)
) -> dict:
    """Median-over-passes latency stats per name and thread count.

    ``indexes`` maps a name to (index, k, allowed); ``threads`` lists faiss thread counts to
    time each under (None: faiss's default). Results are keyed ``name`` for the default and
    ``name@N`` for N threads. Passes are interleaved (a, b, a, b, ...) so that background load
    on the machine affects every name alike.
    """
    default = faiss.omp_get_max_threads()
    passes: dict[str, list[dict]] = {}
    try:
        for _ in range(repeats):
            for count in threads:
                faiss.omp_set_num_threads(count or default)
                for name, (index, k, allowed) in indexes.items():
                    samples = harness.time_calls(
                        lambda q, i=index, k=k, a=allowed: vectors.search(i, q, k, a), queries
                    )
                    key = name if count is None else f"{name}@{count}"
                    passes.setdefault(key, []).append(harness.latency_ms(samples))
    finally:
        faiss.omp_set_num_threads(default)
    return {key: harness.median_stats(p) for key, p in passes.items()}


def index_bytes(index: faiss.Index) -> int:
    with tempfile.TemporaryDirectory(dir=tempfile.gettempdir()) as tmp:
        path = Path(tmp) / "index.faiss"
        faiss.write_index(index, str(path))
        return path.stat().st_size


def fit_crossing(sizes: list[int], p95_ms: list[float], budget_ms: float) -> float | None:
    """Size at which a line through (size, p95) reaches ``budget_ms``.

    Flat search is a linear scan, so latency is a straight line in the size; the line is the
    Theil-Sen fit (median of pairwise slopes), which one noisy size cannot drag far.
    """
    if len(sizes) < 2:
        return None
    pairs = [
        (p95_ms[j] - p95_ms[i]) / (sizes[j] - sizes[i])
        for i in range(len(sizes))
        for j in range(i + 1, len(sizes))
        if sizes[j] != sizes[i]
    ]
    slope = statistics.median(pairs)
    if slope <= 0:
        return None
    intercept = statistics.median(y - slope * x for x, y in zip(sizes, p95_ms, strict=True))
    return float((budget_ms - intercept) / slope)


def choose_limit(
    rows: list[dict], budget_ms: float, recall_target: float, basis: str = "flat"
) -> dict:
    """The exact-search limit the measurements support, with the reasons; ``basis`` names the
    flat latency figures to use (``flat``: faiss's default threads, ``flat@1``: one thread)."""
    sizes = [r["n"] for r in rows]
    crossing = fit_crossing(sizes, [r[basis]["p95"] for r in rows], budget_ms)
    within = [r["n"] for r in rows if r[basis]["p95"] <= budget_ms]
    if crossing is None:
        limit = max(sizes)
    else:
        step = 10_000 if crossing >= 10_000 else 1_000
        limit = max(step, int(crossing // step) * step)
    above = [r for r in rows if r["n"] > limit]
    return {
        "basis": basis,
        "budget_ms": budget_ms,
        "fitted_crossing": crossing,
        "largest_measured_within_budget": max(within) if within else None,
        "extrapolated": crossing is not None and crossing > max(sizes),
        "exact_limit": limit,
        "hnsw_recall_ok_above_limit": all(r["recall10_engine"] >= recall_target for r in above),
    }


# -- the benchmark ----------------------------------------------------------------------------


def measure_size(n: int, mixture: Mixture, queries: np.ndarray, repeats: int) -> tuple[dict, dict]:
    """One row of the table; returns it and the live indexes (for the sweeps at the top size)."""
    x = mixture.sample(n)
    ids = np.arange(n, dtype=np.int64)
    build_repeats = repeats if n <= BUILD_REPEAT_MAX else 1
    flat_builds, hnsw_builds = [], []
    flat = hnsw = None
    for _ in range(build_repeats):
        flat = hnsw = None
        gc.collect()
        seconds, flat = harness.timed(lambda: vectors.build(ids, x, exact_limit=n))
        flat_builds.append(seconds)
        seconds, hnsw = harness.timed(lambda: vectors.build(ids, x, exact_limit=0))
        hnsw_builds.append(seconds)
    assert vectors.kind(flat) == "flat" and vectors.kind(hnsw) == "hnsw"
    scores, truth = flat.search(queries, DEPTH)  # batched: exact ground truth
    x = None  # free it: only the indexes are needed from here
    lat = latency_passes(
        {"flat": (flat, K, None), "hnsw": (hnsw, K, None), "hnsw_depth": (hnsw, DEPTH, None)},
        queries,
        repeats,
        threads=(None, 1),
    )
    at_k = search_all(hnsw, queries, K)
    at_depth = search_all(hnsw, queries, DEPTH)
    row = {
        "n": n,
        "build_repeats": build_repeats,
        "flat_build_s": statistics.median(flat_builds),
        "hnsw_build_s": statistics.median(hnsw_builds),
        **lat,
        "recall10": recall_at_k(at_k, truth, K),
        "recall10_engine": recall_at_k(at_depth, truth, K),
        "recall_depth": recall_at_k(at_depth, truth, DEPTH),
        "flat_bytes": index_bytes(flat),
        "hnsw_bytes": index_bytes(hnsw),
        "top1_cosine": float(np.mean(scores[:, 0])),
        "top10_cosine": float(np.mean(scores[:, K - 1])),
    }
    return row, {"flat": flat, "hnsw": hnsw, "truth": truth}


def ef_sweep(hnsw: faiss.Index, queries: np.ndarray, truth: np.ndarray, repeats: int) -> list:
    rows = []
    saved = vectors.HNSW_EF_SEARCH
    try:
        for ef in EF_SWEEP:
            vectors.HNSW_EF_SEARCH = ef  # vectors.search uses max(HNSW_EF_SEARCH, k)
            found = search_all(hnsw, queries, K)
            lat = latency_passes({"hnsw": (hnsw, K, None)}, queries, repeats, threads=(None, 1))
            rows.append(
                {
                    "ef_search": ef,
                    "recall10": recall_at_k(found, truth, K),
                    **lat["hnsw"],
                    "one_thread": lat["hnsw@1"],
                }
            )
    finally:
        vectors.HNSW_EF_SEARCH = saved
    return rows


def filter_sweep(flat: faiss.Index, hnsw: faiss.Index, queries: np.ndarray, repeats: int) -> list:
    """Exact scoring of the allowed ids vs HNSW with an id selector, by filter size."""
    n = flat.ntotal
    rng = np.random.default_rng(11)
    queries = queries[:FILTER_QUERIES]
    rows = []
    saved = vectors.FILTER_EXACT_LIMIT
    try:
        for size in (s for s in FILTER_SIZES if s <= n // 2):
            allowed = np.sort(rng.choice(n, size, replace=False)).astype(np.int64)
            vectors.FILTER_EXACT_LIMIT = n  # force exact subset scoring
            truth = np.array([vectors.search(flat, q, DEPTH, allowed)[1] for q in queries])
            exact = latency_passes(
                {"exact": (hnsw, DEPTH, allowed)}, queries, repeats, threads=(None, 1)
            )
            vectors.FILTER_EXACT_LIMIT = -1  # force the graph walk with an id selector
            graph = latency_passes(
                {"hnsw": (hnsw, DEPTH, allowed)}, queries, repeats, threads=(None, 1)
            )
            found = search_all(hnsw, queries, DEPTH, allowed)
            rows.append(
                {
                    "allowed": size,
                    "fraction": size / n,
                    **exact,
                    **graph,
                    "hnsw_recall10": recall_at_k(found, truth, K),
                }
            )
    finally:
        vectors.FILTER_EXACT_LIMIT = saved
    return rows


def float_graph_variant(
    n: int, mixture: Mixture, queries: np.ndarray, truth: np.ndarray, repeats: int
):
    """HNSW over float32 vectors (the engine stores 8-bit ones): four times the memory, for
    how much recall?"""
    x = mixture.sample(n)
    base = faiss.IndexHNSWFlat(x.shape[1], vectors.HNSW_M, faiss.METRIC_INNER_PRODUCT)
    base.hnsw.efConstruction = vectors.HNSW_EF_CONSTRUCTION
    index = faiss.IndexIDMap2(base)

    def build():
        index.add_with_ids(x, np.arange(n, dtype=np.int64))

    seconds, _ = harness.timed(build)
    x = None  # free it: only the indexes are needed from here
    lat = latency_passes({"float": (index, DEPTH, None)}, queries, repeats)["float"]
    found = [_hnsw_search(index, q, DEPTH) for q in queries]
    return {
        "n": n,
        "build_s": seconds,
        "bytes": index_bytes(index),
        "depth_latency": lat,
        "recall10_engine": recall_at_k(found, truth, K),
    }


def _hnsw_search(index: faiss.Index, q: np.ndarray, k: int) -> np.ndarray:
    params = faiss.SearchParametersHNSW(efSearch=max(vectors.HNSW_EF_SEARCH, k))
    return index.search(q.reshape(1, -1), k, params=params)[1][0]


def main() -> None:
    def options(parser) -> None:
        parser.add_argument(
            "--float-graph",
            action="store_true",
            help="also try HNSW over float32 vectors at the top size",
        )
        parser.add_argument("--sizes", help="comma-separated sizes instead of the defaults")

    args = harness.arguments(__doc__.splitlines()[0], options)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    if args.sizes:
        sizes = tuple(int(s) for s in args.sizes.split(","))
    mixture = Mixture()
    queries = mixture.queries(QUERIES)
    harness.console.print(
        f"[bold]ANN threshold[/bold]: synthetic clustered vectors ({mixture}), "
        f"{QUERIES} queries, k={K}, engine depth={DEPTH}, faiss threads="
        f"{faiss.omp_get_max_threads()}, HNSW M={vectors.HNSW_M} "
        f"efConstruction={vectors.HNSW_EF_CONSTRUCTION} efSearch={vectors.HNSW_EF_SEARCH}"
    )
    rows, live = [], {}
    for n in sizes:
        live.clear()
        gc.collect()
        row, live = measure_size(n, mixture, queries, args.repeats)
        rows.append(row)
        harness.console.print(
            f"  n={n:,}: flat p95 {row['flat']['p95']:.1f} ms, hnsw p95 "
            f"{row['hnsw']['p95']:.2f} ms, recall@10 {row['recall10']:.3f} "
            f"(engine depth {row['recall10_engine']:.3f}), hnsw build {row['hnsw_build_s']:.1f} s"
        )
        if args.json:  # keep what is measured so far: the top sizes take the longest
            harness.write_json("ann_threshold", {"partial": True, "sizes": rows}, args.quick)
    top = rows[-1]
    sweep = ef_sweep(live["hnsw"], queries, live["truth"], args.repeats)
    filters = filter_sweep(live["flat"], live["hnsw"], queries, args.repeats)
    truth = live["truth"]
    live.clear()
    gc.collect()
    floats = None
    if args.float_graph:
        floats = float_graph_variant(top["n"], mixture, queries, truth, args.repeats)
    good_ef = [r["ef_search"] for r in sweep if r["recall10"] >= RECALL_TARGET]
    decision = {
        "default_threads": choose_limit(rows, BUDGET_MS, RECALL_TARGET, "flat"),
        "one_thread": choose_limit(rows, BUDGET_MS, RECALL_TARGET, "flat@1"),
        "ef_search_for_target_at_top_size": min(good_ef) if good_ef else None,
    }
    report(rows, sweep, filters, floats, decision)
    if args.json:
        payload = {
            "vectors": {"generator": repr(mixture), "queries": QUERIES, "k": K, "depth": DEPTH},
            "hnsw": {
                "M": vectors.HNSW_M,
                "ef_construction": vectors.HNSW_EF_CONSTRUCTION,
                "ef_search": vectors.HNSW_EF_SEARCH,
            },
            "repeats": args.repeats,
            "sizes": rows,
            "ef_sweep": {"n": top["n"], "rows": sweep},
            "filter_sweep": {"n": top["n"], "queries": FILTER_QUERIES, "rows": filters},
            "float_graph": floats,
            "decision": decision,
        }
        harness.write_json("ann_threshold", payload, args.quick)


def report(rows, sweep, filters, floats, decision) -> None:
    harness.table(
        f"Single-query latency, ms (synthetic vectors, dim 384; p50/p95 over {QUERIES} "
        "queries, median of passes; faiss default threads, and 1 thread)",
        [
            "n",
            "flat p50",
            "flat p95",
            "hnsw p50",
            "hnsw p95",
            f"hnsw p95 k={DEPTH}",
            "flat/hnsw p95",
            "flat p50 1t",
            "flat p95 1t",
            "hnsw p95 1t",
            f"hnsw p95 k={DEPTH} 1t",
            "flat p95 default/1t",
        ],
        [
            (
                r["n"],
                r["flat"]["p50"],
                r["flat"]["p95"],
                r["hnsw"]["p50"],
                r["hnsw"]["p95"],
                r["hnsw_depth"]["p95"],
                r["flat"]["p95"] / r["hnsw"]["p95"],
                r["flat@1"]["p50"],
                r["flat@1"]["p95"],
                r["hnsw@1"]["p95"],
                r["hnsw_depth@1"]["p95"],
                r["flat"]["p95"] / r["flat@1"]["p95"],
            )
            for r in rows
        ],
    )
    harness.table(
        "Build time, recall of HNSW against exact search, index size",
        [
            "n",
            "flat build s",
            "hnsw build s",
            "hnsw/flat build",
            "recall@10",
            f"recall@10 at k={DEPTH}",
            f"recall@{DEPTH}",
            "flat MiB",
            "hnsw MiB",
            "hnsw B/vector",
        ],
        [
            (
                r["n"],
                r["flat_build_s"],
                r["hnsw_build_s"],
                r["hnsw_build_s"] / r["flat_build_s"],
                r["recall10"],
                r["recall10_engine"],
                r["recall_depth"],
                harness.mib(r["flat_bytes"]),
                harness.mib(r["hnsw_bytes"]),
                r["hnsw_bytes"] / r["n"],
            )
            for r in rows
        ],
        caption=(
            f"HNSW M={vectors.HNSW_M}, efConstruction={vectors.HNSW_EF_CONSTRUCTION}, "
            f"efSearch=max({vectors.HNSW_EF_SEARCH}, k). Builds above {BUILD_REPEAT_MAX:,} "
            f"vectors are timed once. Mean query cosine to its 1st / 10th neighbour at the top "
            f"size: {rows[-1]['top1_cosine']:.2f} / {rows[-1]['top10_cosine']:.2f}."
        ),
    )
    harness.table(
        f"efSearch sweep at n={rows[-1]['n']:,} (k={K}; ms, faiss default threads and 1 thread)",
        ["efSearch", "recall@10", "p50", "p95", "p50 1t", "p95 1t"],
        [
            (
                r["ef_search"],
                r["recall10"],
                r["p50"],
                r["p95"],
                r["one_thread"]["p50"],
                r["one_thread"]["p95"],
            )
            for r in sweep
        ],
    )
    if filters:
        harness.table(
            f"Filtered dense search at n={rows[-1]['n']:,}: exact scoring of the allowed ids vs "
            f"HNSW + id selector (k={DEPTH}, {FILTER_QUERIES} queries, ms)",
            [
                "allowed ids",
                "fraction",
                "exact p50",
                "exact p95",
                "hnsw p50",
                "hnsw p95",
                "exact p95 1t",
                "hnsw p95 1t",
                "hnsw recall@10",
            ],
            [
                (
                    r["allowed"],
                    r["fraction"],
                    r["exact"]["p50"],
                    r["exact"]["p95"],
                    r["hnsw"]["p50"],
                    r["hnsw"]["p95"],
                    r["exact@1"]["p95"],
                    r["hnsw@1"]["p95"],
                    r["hnsw_recall10"],
                )
                for r in filters
            ],
        )
    if floats:
        harness.table(
            f"HNSW over float32 vectors at n={floats['n']:,} (the engine stores 8-bit ones)",
            ["build s", "MiB", f"p50 ms k={DEPTH}", f"p95 ms k={DEPTH}", f"recall@10 k={DEPTH}"],
            [
                (
                    floats["build_s"],
                    harness.mib(floats["bytes"]),
                    floats["depth_latency"]["p50"],
                    floats["depth_latency"]["p95"],
                    floats["recall10_engine"],
                )
            ],
        )
    for label, key in (("default threads", "default_threads"), ("1 thread", "one_thread")):
        d = decision[key]
        crossing = d["fitted_crossing"]
        harness.console.print(
            f"Flat p95 ({label}) crosses {d['budget_ms']:.0f} ms at about "
            f"{'-' if crossing is None else f'{crossing:,.0f}'} vectors"
            f"{' (extrapolated)' if d['extrapolated'] else ''}; largest size within budget: "
            f"{harness.fmt(d['largest_measured_within_budget'])}; suggested EXACT_LIMIT "
            f"[bold]{d['exact_limit']:,}[/bold] (HNSW recall@10 >= {RECALL_TARGET} above it: "
            f"{harness.fmt(d['hnsw_recall_ok_above_limit'])})."
        )
    harness.console.print(
        f"Smallest efSearch with recall@10 >= {RECALL_TARGET} at n={rows[-1]['n']:,}: "
        f"{decision['ef_search_for_target_at_top_size']} (the engine searches at k={DEPTH}, "
        f"so its effective efSearch is at least {DEPTH})."
    )


if __name__ == "__main__":
    main()
