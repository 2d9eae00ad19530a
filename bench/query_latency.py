"""Query latency in-process: bm25, dense and hybrid through ``search.engine.search``.

Indexes of 10k, 100k and 1M chunks (quick: 10k) are built by bench/bigindex.py: real
documents, chunks and BM25 index from bench/corpus.py text, SYNTHETIC vectors in the vector
leg (bench/synthetic.py), so dense figures time the vector search, not relevance. Each index
is measured in a fresh child process (``--probe``) so that its memory is the serving memory:

* p50 / p95 per mode over the queries, median of ``--repeats`` passes, modes interleaved;
  dense and hybrid EXCLUDE the query embedding (the query vector is looked up, not computed);
* the query embedding on its own (the real model) and hybrid including it;
* a breakdown of hybrid into its steps, and a cProfile of hybrid at the largest size;
* the baseline: the lexical leg against SQLite FTS5's bm25() over the same chunks (what the
  leg was before bm25s), with the share of chunks a query's terms match;
* recall@10 of the approximate vector index against exact search (when it is HNSW);
* resident memory: index open, after the queries, and with the model loaded.

    python bench/query_latency.py [--quick] [--json] [--repeats N] [--sizes N,...]
        [--workdir DIR] [--rebuild]

Indexes are cached under ``--workdir`` (default /tmp/precedent-bench) and reused while their
recipe is unchanged; ``--rebuild`` forces a fresh build.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import json
import pstats
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench import harness  # noqa: E402
from bench.bigindex import BASELINE_NAME, BuiltIndex, build_index  # noqa: E402
from bench.corpus import GeneratedFacts  # noqa: E402
from bench.fusion_sweep import convex_over, min_max  # noqa: E402
from bench.synthetic import Mixture  # noqa: E402
from indexer import vectors  # noqa: E402
from indexer.store import Snapshot, open_snapshot  # noqa: E402
from search import engine  # noqa: E402
from search.filters import allowed_chunk_ids  # noqa: E402
from search.query import SearchRequest, make_request  # noqa: E402
from search.results import group_by_document  # noqa: E402
from search.terms import query_terms  # noqa: E402

FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000,)
QUERIES = 200
K = 10
WORKDIR = Path("/tmp/precedent-bench")
HYBRID_P95_TARGET_MS = 50.0
RECALL_TARGET = 0.95
MEMORY_TARGET = 2 * 2**30
MODES = ("bm25", "dense", "hybrid", "hybrid_filtered")
BASELINE_QUERIES = 50

TEMPLATES = (
    "{service} {council}",
    "which councils commissioned {service} from {provider}",
    "{provider} contract funded by {funding}",
    "£{amount:,} {service}",
    "{council} {year} decision on {service}",
)


@dataclass(frozen=True)
class BenchQuery:
    text: str
    organisation: str  # for the filtered run: the council's distinctive word


@dataclass
class SyntheticQueryEmbedder:
    """Stands in for the model in the dense leg: returns a query's precomputed synthetic vector,
    so the timings exclude the query embedding (measured on its own with the real model)."""

    name: str
    vectors: dict[str, np.ndarray] = field(default_factory=dict)

    def encode(self, texts, batch_size: int = 64, on_batch=None) -> np.ndarray:
        return np.stack([self.vectors[t] for t in texts])


def make_queries(facts: list[GeneratedFacts], count: int, seed: int = 3) -> list[BenchQuery]:
    """Queries about documents in the index, written from their known facts."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        f = rng.choice(facts)
        text = TEMPLATES[i % len(TEMPLATES)].format(**f.__dict__)
        org = f.council.replace(" Borough", "").replace(" County", "").replace(" City", "")
        out.append(BenchQuery(text, org.replace(" Council", "")))
    return out


def requests(queries: list[BenchQuery]) -> dict[str, list[SearchRequest]]:
    return {
        "bm25": [make_request(q.text, "bm25", K) for q in queries],
        "dense": [make_request(q.text, "dense", K) for q in queries],
        "hybrid": [make_request(q.text, "hybrid", K) for q in queries],
        "hybrid_filtered": [
            make_request(q.text, "hybrid", K, organisation=q.organisation) for q in queries
        ],
    }


def measure_latency(
    snapshot: Snapshot, queries: list[BenchQuery], query_vectors: np.ndarray, repeats: int
) -> dict[str, dict[str, float]]:
    """Per mode, p50/p95/max in ms, median of ``repeats`` interleaved passes."""
    fake = SyntheticQueryEmbedder(snapshot.model)
    fake.vectors = {q.text: v for q, v in zip(queries, query_vectors, strict=True)}
    reqs = requests(queries)
    for mode in MODES:  # warm-up: first touches of the database and the index pages
        for req in reqs[mode][:10]:
            engine.search(snapshot, req, fake)
    passes: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for _ in range(repeats):
        for mode in MODES:
            samples = harness.time_calls(lambda r: engine.search(snapshot, r, fake), reqs[mode])
            passes[mode].append(harness.latency_ms(samples))
    return {mode: harness.median_stats(p) for mode, p in passes.items()}


def hybrid_breakdown(
    snapshot: Snapshot, queries: list[BenchQuery], query_vectors: np.ndarray
) -> dict[str, dict[str, float]]:
    """The steps of a hybrid ``engine.search``, timed one by one (ms per query)."""
    steps: dict[str, list[float]] = {
        k: [] for k in ("bm25", "legs + fusion", "grouping", "filters (allowed ids)")
    }
    for q, query_vec in zip(queries, query_vectors, strict=True):
        req = make_request(q.text, "hybrid", K)
        terms = query_terms(req.query)
        depth = max(engine.MIN_CANDIDATES, req.k * engine.CANDIDATES_PER_RESULT)
        t0 = time.perf_counter()
        bm25 = snapshot.lexical.scores(req.query)
        t1 = time.perf_counter()
        ranked = engine.hybrid_ranking(snapshot, bm25, query_vec, depth, None)
        t2 = time.perf_counter()
        group_by_document(snapshot.conn, ranked, terms, req.k, req.passages)
        t3 = time.perf_counter()
        filtered = make_request(q.text, "hybrid", K, organisation=q.organisation)
        allowed_chunk_ids(snapshot, filtered.filters)
        t4 = time.perf_counter()
        for name, seconds in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            steps[name].append(seconds)
    return {name: harness.latency_ms(s) for name, s in steps.items()}


def page_consistency(
    snapshot: Snapshot, queries: list[BenchQuery], query_vectors: np.ndarray
) -> dict[str, float]:
    """Share of hybrid queries whose second page's request (21 documents, each leg fetching
    420 chunks) starts with exactly the first page's 10 documents (200 chunks a leg): with
    the engine's fusion, and with min-max over each leg's fetch (the rule before)."""
    rankers = {
        "engine": lambda text, vec, depth: engine.hybrid_ranking(
            snapshot, snapshot.lexical.scores(text), vec, depth, None
        ),
        "min-max (before)": lambda text, vec, depth: min_max_ranking(snapshot, text, vec, depth),
    }
    out = {}
    for name, rank in rankers.items():
        same = 0
        for q, query_vec in zip(queries, query_vectors, strict=True):
            pages = []
            for k in (K, 2 * K + 1):
                depth = max(engine.MIN_CANDIDATES, k * engine.CANDIDATES_PER_RESULT)
                ranked = rank(q.text, query_vec, depth)
                hits = group_by_document(snapshot.conn, ranked, query_terms(q.text), k, 1)
                pages.append([h.doc_id for h in hits])
            same += pages[0] == pages[1][:K]
        out[name] = same / len(queries)
    return out


def min_max_ranking(
    snapshot: Snapshot, text: str, query_vec: np.ndarray, depth: int
) -> list[tuple[int, float]]:
    """Hybrid as the engine ranked it before: each leg's fetch min-max scaled, a chunk one
    leg did not fetch scoring 0 there, 0.5 each (bench/fusion_sweep.py's rule)."""
    scores, ids = vectors.search(snapshot.vectors, query_vec, depth)
    dense = list(zip(ids.tolist(), scores.tolist(), strict=True))
    return convex_over(min_max, snapshot.lexical.search(text, depth), dense, 0.5)


def lexical_baseline(snapshot: Snapshot, baseline: Path, queries: list[BenchQuery]) -> dict:
    """The lexical leg (bm25s) against FTS5 bm25() over the same chunks, unfiltered."""
    depth = max(engine.MIN_CANDIDATES, K * engine.CANDIDATES_PER_RESULT)
    conn = sqlite3.connect(f"file:{baseline}?mode=ro&immutable=1", uri=True)
    fts = (
        "SELECT rowid, bm25(chunks_fts, 1.0, 0.5) AS rank FROM chunks_fts"
        " WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?"
    )
    samples: dict[str, list[float]] = {"bm25s (engine)": [], "FTS5 bm25() (baseline)": []}
    matches, overlap = [], []
    try:
        for q in queries[:BASELINE_QUERIES]:
            expr = " OR ".join(f'"{t}"' for t in query_terms(q.text))
            start = time.perf_counter()
            ours = snapshot.lexical.search(q.text, depth)
            middle = time.perf_counter()
            theirs = conn.execute(fts, (expr, depth)).fetchall()
            samples["bm25s (engine)"].append(middle - start)
            samples["FTS5 bm25() (baseline)"].append(time.perf_counter() - middle)
            count = "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?"
            matches.append(conn.execute(count, (expr,)).fetchone()[0])
            top = {c for c, _ in theirs[:K]}
            overlap.append(len(top & {c for c, _ in ours[:K]}) / max(1, len(top)))
    finally:
        conn.close()
    latency = {name: harness.latency_ms(s) for name, s in samples.items()}
    return {
        "latency": latency,
        "speedup_p50": latency["FTS5 bm25() (baseline)"]["p50"] / latency["bm25s (engine)"]["p50"],
        "top10_overlap_median": statistics.median(overlap),
        "matches_fraction_median": statistics.median(matches) / snapshot.manifest["chunks"],
    }


def profile_hybrid(snapshot: Snapshot, queries: list[BenchQuery], query_vectors: np.ndarray):
    fake = SyntheticQueryEmbedder(snapshot.model)
    fake.vectors = {q.text: v for q, v in zip(queries, query_vectors, strict=True)}
    reqs = requests(queries)["hybrid"]
    profiler = cProfile.Profile()
    profiler.enable()
    for req in reqs:
        engine.search(snapshot, req, fake)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (file, line, func), (_, calls, tottime, cumtime, _) in stats.stats.items():
        rows.append(
            {
                "function": f"{Path(file).name}:{line}({func})",
                "calls": calls,
                "tottime_ms_per_query": tottime * 1000 / len(reqs),
                "cumtime_ms_per_query": cumtime * 1000 / len(reqs),
            }
        )
    rows.sort(key=lambda r: -r["tottime_ms_per_query"])
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(15)
    return {"top_tottime": rows[:12], "text": text.getvalue()}


def embedding_latency(queries: list[BenchQuery], repeats: int, embedder=None) -> dict:
    """The real model embedding one query at a time (what the dense leg adds)."""
    if embedder is None:
        from indexer.embed import load_embedder

        embedder = load_embedder()
    embedder.encode(["warm up"])
    passes = []
    for _ in range(repeats):
        passes.append(
            harness.latency_ms(harness.time_calls(lambda q: embedder.encode([q.text]), queries))
        )
    return {"latency": harness.median_stats(passes), "embedder": embedder}


def probe(root: Path, chunks: int, repeats: int, profile: bool) -> dict:
    """Everything measured against one index, in this (fresh) process."""
    mixture = Mixture()
    query_vectors = mixture.queries(QUERIES)
    built = build_index(root, chunks, mixture=mixture, queries=query_vectors)
    assert built.reused, "the parent builds the index; the probe only opens it"
    queries = make_queries(built.facts, QUERIES)
    memory = {"rss_start": harness.rss_bytes()}
    snapshot = open_snapshot(root)
    memory["rss_open"] = harness.rss_bytes()
    latency = measure_latency(snapshot, queries, query_vectors, repeats)
    memory["rss_after_queries"] = harness.rss_bytes()
    memory["peak_after_queries"] = harness.peak_rss_bytes()
    breakdown = hybrid_breakdown(snapshot, queries, query_vectors)
    pages = page_consistency(snapshot, queries, query_vectors)
    baseline = lexical_baseline(snapshot, root / BASELINE_NAME, queries)
    profiled = profile_hybrid(snapshot, queries, query_vectors) if profile else None
    embedded = embedding_latency(queries, repeats)
    # The index holds synthetic vectors under the plain model name; the default embedder
    # (int8 where OpenVINO is installed) may record another. Only its timing matters here.
    embedder = dataclasses.replace(embedded.pop("embedder"), name=snapshot.model)
    memory["rss_with_model"] = harness.rss_bytes()
    passes = []
    for _ in range(repeats):
        reqs = requests(queries)["hybrid"]
        samples = harness.time_calls(lambda r: engine.search(snapshot, r, embedder), reqs)
        passes.append(harness.latency_ms(samples))
    memory["rss_serving"] = harness.rss_bytes()
    memory["peak"] = harness.peak_rss_bytes()
    snapshot.close()
    return {
        "chunks": built.chunks,
        "documents": built.documents,
        "vector_index": built.vector_index,
        "recall10": built.recall10,
        "latency": latency,
        "embedding": embedded["latency"],
        "hybrid_with_embedding": harness.median_stats(passes),
        "breakdown": breakdown,
        "page_consistency": pages,
        "lexical_baseline": baseline,
        "profile": profiled,
        "memory": memory,
    }


def run_probe(root: Path, chunks: int, repeats: int, profile: bool) -> dict:
    command = [sys.executable, __file__, "--probe", str(root), "--chunks", str(chunks)]
    command += ["--repeats", str(repeats)] + (["--profile"] if profile else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"probe failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def build(root: Path, chunks: int, rebuild: bool) -> BuiltIndex:
    mixture = Mixture()
    return build_index(
        root, chunks, mixture=mixture, queries=mixture.queries(QUERIES), reuse=not rebuild
    )


def main() -> None:
    def options(parser) -> None:
        parser.add_argument("--sizes", help="comma-separated chunk counts instead of the defaults")
        parser.add_argument("--workdir", type=Path, default=WORKDIR)
        parser.add_argument("--rebuild", action="store_true")
        parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
        parser.add_argument("--chunks", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)

    args = harness.arguments(__doc__.splitlines()[0], options)
    if args.probe:
        print(json.dumps(probe(args.probe, args.chunks, args.repeats, args.profile)))
        return
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    if args.sizes:
        sizes = tuple(int(s) for s in args.sizes.split(","))
    results = []
    for chunks in sizes:
        root = args.workdir / f"chunks-{chunks}"
        built = build(root, chunks, args.rebuild)
        harness.console.print(
            f"  {chunks:,} chunks: index {'reused' if built.reused else 'built'} at {root} "
            f"({built.documents:,} documents, {built.vector_index} vectors"
            f"{'' if built.reused else f', {built.build_s:.0f} s'}); measuring..."
        )
        result = run_probe(root, chunks, args.repeats, profile=chunks == max(sizes))
        result["index_bytes"] = harness.dir_bytes(root / "generations")
        result["build_s"] = built.build_s
        results.append(result)
    report(results)
    if args.json:
        payload = {
            "vectors": "synthetic (bench/synthetic.py Mixture defaults)",
            "queries": QUERIES,
            "k": K,
            "repeats": args.repeats,
            "targets": {
                "hybrid_p95_ms": HYBRID_P95_TARGET_MS,
                "recall10": RECALL_TARGET,
                "serving_memory_bytes": MEMORY_TARGET,
            },
            "sizes": results,
        }
        harness.write_json("query_latency", payload, args.quick)


def report(results: list[dict]) -> None:
    harness.table(
        f"Query latency in-process, ms (p50 / p95 over {QUERIES} queries, median of passes; "
        "SYNTHETIC VECTORS in the dense leg; dense and hybrid exclude the query embedding)",
        [
            "chunks",
            "vectors",
            "bm25 p50",
            "bm25 p95",
            "dense p50",
            "dense p95",
            "hybrid p50",
            "hybrid p95",
            "hybrid+org filter p95",
            "embed p50",
            "embed p95",
            "hybrid incl. embed p95",
        ],
        [
            (
                r["chunks"],
                r["vector_index"],
                r["latency"]["bm25"]["p50"],
                r["latency"]["bm25"]["p95"],
                r["latency"]["dense"]["p50"],
                r["latency"]["dense"]["p95"],
                r["latency"]["hybrid"]["p50"],
                r["latency"]["hybrid"]["p95"],
                r["latency"]["hybrid_filtered"]["p95"],
                r["embedding"]["p50"],
                r["embedding"]["p95"],
                r["hybrid_with_embedding"]["p95"],
            )
            for r in results
        ],
    )
    harness.table(
        "Targets, recall and memory",
        [
            "chunks",
            "documents",
            f"hybrid p95 <= {HYBRID_P95_TARGET_MS:.0f} ms",
            "ANN recall@10",
            "RSS index open MiB",
            "RSS after queries MiB",
            "RSS serving (with model) MiB",
            f"serving <= {harness.mib(MEMORY_TARGET):,.0f} MiB",
            "index on disk MiB",
        ],
        [
            (
                r["chunks"],
                r["documents"],
                r["latency"]["hybrid"]["p95"] <= HYBRID_P95_TARGET_MS,
                "exact" if r["recall10"] is None else r["recall10"],
                harness.mib(r["memory"]["rss_open"]),
                harness.mib(r["memory"]["rss_after_queries"]),
                harness.mib(r["memory"]["rss_serving"]),
                r["memory"]["rss_serving"] <= MEMORY_TARGET,
                harness.mib(r["index_bytes"]),
            )
            for r in results
        ],
        caption=f"ANN recall@10 is against exact search at the engine's depth; target >= "
        f"{RECALL_TARGET}. RSS is VmRSS of the measuring process (/proc/self/statm).",
    )
    harness.table(
        "Where hybrid time goes (ms per query, each step timed alone; filters: allowed-ids "
        "query for an organisation filter, which hybrid_filtered adds)",
        ["chunks", *[f"{step} {s}" for step in results[0]["breakdown"] for s in ("p50", "p95")]],
        [
            (r["chunks"], *[v[s] for v in r["breakdown"].values() for s in ("p50", "p95")])
            for r in results
        ],
    )
    harness.table(
        "Hybrid pages: share of queries whose request for 21 documents starts with the 10 of "
        "the request for 10",
        ["chunks", *results[0]["page_consistency"]],
        [(r["chunks"], *r["page_consistency"].values()) for r in results],
    )
    harness.table(
        f"Lexical leg against its baseline (unfiltered, first {BASELINE_QUERIES} queries, ms)",
        [
            "chunks",
            "share of chunks matched",
            *[
                f"{name} {s}"
                for name in results[0]["lexical_baseline"]["latency"]
                for s in ("p50", "p95")
            ],
            "speed-up (p50)",
            "top-10 overlap",
        ],
        [
            (
                r["chunks"],
                r["lexical_baseline"]["matches_fraction_median"],
                *[v[s] for v in r["lexical_baseline"]["latency"].values() for s in ("p50", "p95")],
                r["lexical_baseline"]["speedup_p50"],
                r["lexical_baseline"]["top10_overlap_median"],
            )
            for r in results
        ],
        caption="Baseline: SQLite FTS5 bm25() (Porter stemmer; the leg before bm25s) over the "
        "same chunks. Top-10 overlap: share of FTS5's top 10 that bm25s also ranks top 10.",
    )
    profiled = next((r for r in results if r["profile"]), None)
    if profiled:
        harness.table(
            f"cProfile of hybrid at {profiled['chunks']:,} chunks (top functions by own time)",
            ["function", "calls", "own ms/query", "cumulative ms/query"],
            [
                (
                    row["function"],
                    row["calls"],
                    row["tottime_ms_per_query"],
                    row["cumtime_ms_per_query"],
                )
                for row in profiled["profile"]["top_tottime"]
            ],
        )


if __name__ == "__main__":
    main()
