"""The benchmark harness itself, on tiny sizes: measures are right, generators deterministic,
each script's measuring code runs end to end. No timing assertions."""

from __future__ import annotations

import numpy as np

from bench import harness
from bench.ann_threshold import choose_limit, fit_crossing, measure_size, recall_at_k, search_all
from bench.bigindex import BASELINE_NAME, approximate_recall, build_index, split_paragraphs
from bench.corpus import document, write_corpus
from bench.http_load import drive, median_passes, summarise
from bench.indexing import report as report_indexing
from bench.indexing import run as run_indexing
from bench.query_latency import (
    embedding_latency,
    hybrid_breakdown,
    lexical_baseline,
    make_queries,
    measure_latency,
    page_consistency,
)
from bench.synthetic import Mixture, neighbour_profile
from bench.vector_growth import run as run_growth
from indexer import vectors
from indexer.store import open_snapshot

SMALL = Mixture(clusters=20, groups=4)


def test_recall_of_flat_against_itself_is_one():
    x, queries = SMALL.sample(1500), SMALL.queries(20)
    ids = np.arange(len(x))
    a, b = vectors.build(ids, x), vectors.build(ids, x.copy())
    truth = np.array(search_all(b, queries, 10))
    assert recall_at_k(search_all(a, queries, 10), truth, 10) == 1.0


def test_recall_counts_the_overlap():
    truth = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    found = [np.array([1, 2, 9, 9]), np.array([8, 7, 6, 5])]
    assert recall_at_k(found, truth, 4) == (2 + 4) / 8


def test_corpus_generator_is_deterministic_for_a_seed(tmp_path):
    facts_a = write_corpus(tmp_path / "a", 12, seed=5)
    facts_b = write_corpus(tmp_path / "b", 12, seed=5)
    facts_c = write_corpus(tmp_path / "c", 12, seed=6)
    assert facts_a == facts_b != facts_c
    for name in ["manifest.jsonl", *(f.file for f in facts_a)]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_synthetic_vectors_are_deterministic_unit_and_clustered():
    a, b = SMALL.sample(800), SMALL.sample(800)
    assert a.dtype == np.float32 and a.shape == (800, 384)
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert not np.array_equal(SMALL.queries(5), SMALL.sample(5))
    profile = neighbour_profile(a, SMALL.queries(50), sample=200)
    assert profile["passage_nn1"] > profile["query_mean"] + 0.3  # neighbours are near


def test_percentiles_match_numpy_and_order():
    values = [0.003, 0.001, 0.010, 0.002, 0.007, 0.004]
    for q in (0, 50, 95, 100):
        assert np.isclose(harness.percentile(values, q), np.percentile(values, q))
    stats = harness.latency_ms(values)
    assert stats["p50"] <= stats["p95"] <= stats["max"] == 10.0
    merged = harness.median_stats([{"p": 1.0}, {"p": 5.0}, {"p": 2.0}])
    assert merged == {"p": 2.0}


def test_threshold_from_a_straight_line():
    sizes = [10_000, 50_000, 100_000, 200_000]
    p95 = [1 + n / 10_000 for n in sizes]  # 20 ms at 190,000
    assert np.isclose(fit_crossing(sizes, p95, 20.0), 190_000)
    rows = [
        {"n": n, "flat": {"p95": p}, "recall10_engine": 0.99}
        for n, p in zip(sizes, p95, strict=True)
    ]
    decision = choose_limit(rows, 20.0, 0.95)
    assert decision["exact_limit"] == 190_000
    assert decision["largest_measured_within_budget"] == 100_000
    assert decision["hnsw_recall_ok_above_limit"]


def test_approximate_recall_of_hnsw_against_brute_force():
    x, queries = SMALL.sample(1200), SMALL.queries(10)
    ids = np.arange(100, 1300)  # chunk ids need not be positions
    exact = vectors.build(ids, x)
    assert approximate_recall(exact, ids, x, queries) == 1.0
    graph = vectors.build(ids, x, exact_limit=0)
    assert vectors.kind(graph) == "hnsw"
    assert 0.9 <= approximate_recall(graph, ids, x, queries) <= 1.0


def test_ann_measure_runs_on_a_tiny_size():
    row, live = measure_size(600, SMALL, SMALL.queries(15), repeats=1)
    assert live["flat"].ntotal == live["hnsw"].ntotal == 600
    for name in ("flat", "hnsw", "hnsw_depth", "flat@1", "hnsw@1"):
        assert row[name]["p50"] <= row[name]["p95"]
    assert 0.9 <= row["recall10"] <= 1.0
    assert row["flat_bytes"] > 600 * 384 * 4


def test_paragraph_chunks_are_slices_of_the_text():
    import random

    text, _ = document(random.Random(1), 3, paragraphs=12)
    chunks = split_paragraphs("d", text, limit=700)
    assert len(chunks) > 3
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert text[c.start : c.end] == c.text
    assert chunks[0].section == "Decision ref"


def test_query_latency_runs_end_to_end_on_a_tiny_index(tmp_path, embedder):
    mixture = Mixture(clusters=20, groups=4)
    qvecs = mixture.queries(12)
    built = build_index(tmp_path / "idx", 300, mixture=mixture, queries=qvecs)
    assert built.chunks >= 300 and not built.reused
    again = build_index(tmp_path / "idx", 300, mixture=mixture, queries=qvecs)
    assert again.reused and again.chunks == built.chunks
    queries = make_queries(built.facts, 12)
    snapshot = open_snapshot(tmp_path / "idx")
    try:
        latency = measure_latency(snapshot, queries, qvecs, repeats=1)
        for mode in ("bm25", "dense", "hybrid", "hybrid_filtered"):
            assert 0 < latency[mode]["p50"] <= latency[mode]["p95"]
        steps = hybrid_breakdown(snapshot, queries, qvecs)
        assert all(s["p50"] <= s["p95"] for s in steps.values())
        pages = page_consistency(snapshot, queries, qvecs)
        assert set(pages) == {"engine", "min-max (before)"}
        assert all(0 <= share <= 1 for share in pages.values())
        baseline = lexical_baseline(snapshot, built.root / BASELINE_NAME, queries)
        assert 0 < baseline["matches_fraction_median"] <= 1
        assert baseline["top10_overlap_median"] > 0.5  # the same BM25, another engine
    finally:
        snapshot.close()
    embedded = embedding_latency(queries[:3], 1, embedder)
    assert embedded["latency"]["p50"] <= embedded["latency"]["p95"]


def test_indexing_benchmark_runs_end_to_end(tmp_path, embedder):
    result = run_indexing(3, 1, embedder, tmp_path, paragraphs=1)
    assert result["chunks"] >= 3 and result["texts_embedded"] >= 1
    assert result["ratio"] > 0
    assert all(u["embedded"] == 0 for u in result["reindex_unchanged"])
    assert not any(u["generation_written"] for u in result["reindex_unchanged"])
    assert result["reindex_one_changed"]["embedded"] >= 1
    assert result["disk"]["database"] > 0
    assert set(result["prepare_steps_s"]) == {"load", "chunk", "extract"}
    assert all(sec > 0 for sec in result["prepare_steps_s"].values())
    # Three tiny documents never fill the worker's window; the arm without it runs too.
    assert result["serial_ratio"] > 0 and result["pipeline_embedded_aside"] == [0]
    report_indexing(result)


def test_load_driver_sends_each_item_once_and_counts_errors():
    import contextlib
    import threading

    sent, lock, sessions = [], threading.Lock(), []

    def session():
        sessions.append(1)

        def send(i: int) -> bool:
            with lock:
                sent.append(i)
            if i % 10 == 3:
                raise OSError("connection reset")
            return i % 10 != 7

        return contextlib.nullcontext(send)

    level = drive(session, 50, 4, max_seconds=60)
    assert sorted(sent) == list(range(50)) and len(sessions) == 4
    assert level["requests"] == 50 and level["errors"] == 10
    assert level["p50"] <= level["p95"] <= level["p99"] and level["throughput"] > 0
    stopped = drive(session, 50, 2, max_seconds=0)
    assert stopped["requests"] == 0 and stopped["p50"] is None


def test_load_summary_and_median_of_passes():
    level = summarise([0.001, 0.002, 0.003, 0.004], errors=1, wall_s=2.0)
    assert level["requests"] == 5 and level["throughput"] == 2.0
    assert np.isclose(level["p50"], 2.5) and np.isclose(
        level["p99"], np.percentile([1, 2, 3, 4], 99)
    )
    other = summarise([0.010], errors=0, wall_s=1.0)
    merged = median_passes([level, other, level])
    assert merged["requests"] == 11 and merged["errors"] == 2
    assert merged["p50"] == level["p50"] and merged["throughput"] == 2.0


def test_vector_growth_benchmark_runs_and_the_grown_graph_finds_new_vectors(tmp_path):
    r = run_growth(size=3000, added=300, repeats=1, workdir=tmp_path)
    assert r["size"] == 3000 and r["added"] == 300 and len(r["grow_s"]) == 1
    assert r["speedup"] == r["rebuild_median_s"] / r["grow_median_s"]
    assert r["recall10_grown"] >= 0.9 and r["recall10_rebuilt"] >= 0.9


def test_query_startup_benchmark_runs_both_loaders_in_fresh_processes(tmp_path):
    from bench.query_startup import run as run_startup

    result = run_startup(1, tmp_path)
    assert set(result["seconds"]) == {"light", "full", "cli search"}
    assert all(len(s) == 1 and s[0] > 0 for s in result["seconds"].values())
    assert result["speedup"] > 0 and result["model"]
