"""bench/fusion_sweep.py on a tiny generated collection: every sweep runs and is compared
with the engine's own setting, query by query."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fusion_sweep import (
    BM25_METHODS,
    bm25_variant,
    compare,
    paired_interval,
    per_document_fusion,
    prepare,
    sentence_legs,
    sweep_runs,
    theoretical_min_max,
)
from extract.sentences import sentence_spans
from search.fusion import convex
from tests.test_evaluate import _write_collection


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory, embedder):
    beir = _write_collection(tmp_path_factory.mktemp("beir") / "tiny")
    return prepare(beir, "test", tmp_path_factory.mktemp("work"), embedder)


@pytest.mark.parametrize("mode", ["", "bm25", "tokenise", "aggregate", "feedback", "sentences"])
def test_each_sweep_scores_its_runs_against_the_engine(sweep, mode: str):
    sweep.runs.clear()
    sweep_runs(sweep, mode)
    results = compare(sweep.collection.qrels, sweep.runs)
    assert len(results) > 1 and "95% interval" not in results["engine"]
    for name, m in list(results.items())[1:]:
        assert 0.0 <= m["ndcg@10"] <= 1.0, name
        low, high = m["95% interval"]
        assert low <= m["ndcg@10 vs engine"] <= high, name


def test_the_engines_own_weight_in_the_grid_differs_from_it_by_nothing(sweep):
    sweep.runs.clear()
    sweep_runs(sweep, "")
    results = compare(sweep.collection.qrels, sweep.runs)
    assert results["convex w=0.5"]["ndcg@10"] == results["engine"]["ndcg@10"]
    assert results["convex w=0.5"]["95% interval"] == [0.0, 0.0]


def test_the_variant_leg_with_the_engines_settings_is_the_engines_lexical_leg(sweep):
    search = bm25_variant(sweep.snapshot.conn, "en", "english", "lucene")
    for q, text in sweep.collection.queries.items():
        ours = sweep.lexical[q]
        theirs = search(text)
        assert [c for c, _ in theirs] == [c for c, _ in ours], q
        assert [s for _, s in theirs] == pytest.approx([s for _, s in ours]), q


def test_the_bm25_sweep_scores_each_variant_alone_and_fused(sweep):
    sweep.runs.clear()
    sweep_runs(sweep, "bm25")
    for method in BM25_METHODS:
        assert f"bm25 {method}" in sweep.runs and f"hybrid {method}" in sweep.runs
    # BM25+ adds delta to every matching term's weight: its scores are above Lucene's.
    plus = bm25_variant(sweep.snapshot.conn, "en", "english", "bm25+")
    q, text = next((q, t) for q, t in sweep.collection.queries.items() if sweep.lexical[q])
    lucene = dict(sweep.lexical[q])
    both = [(c, score) for c, score in plus(text) if c in lucene]
    assert both and all(score > lucene[c] for c, score in both)


def test_the_sentence_leg_scores_a_chunk_by_its_cosine_and_its_best_sentences(sweep):
    legs = sentence_legs(sweep)
    q, text = next(iter(sweep.collection.queries.items()))
    chunk_id, score = legs[q][0]
    chunk = sweep.snapshot.conn.execute("SELECT text FROM chunks WHERE id = ?", (chunk_id,))
    chunk_text = chunk.fetchone()[0]
    sentences = [chunk_text[s.start : s.end] for s in sentence_spans(chunk_text)]
    query, whole, *parts = sweep.embedder.encode([text, chunk_text, *sentences])
    # int8 vectors move by about 1e-3 with the other texts in their batch.
    assert score == pytest.approx((whole @ query + max(parts @ query)) / 2, abs=0.01)
    assert [s for _, s in legs[q]] == sorted((s for _, s in legs[q]), reverse=True)


def test_per_document_fusion_takes_each_legs_best_chunk():
    # Document A scores on chunk 1 lexically and on chunk 2 densely; B on chunk 3 in both.
    lexical = [(1, 3.0), (3, 2.0), (2, 1.0)]
    dense = [(2, 0.9), (3, 0.5), (1, 0.1)]
    doc_of = {1: ["A"], 2: ["A"], 3: ["B"]}
    assert per_document_fusion(lexical, dense, doc_of) == {"A": 2.0, "B": 1.0}
    # Chunk by chunk (the engine), the three chunks tie at 0.5.
    assert {score for _, score in convex(lexical, dense)} == {0.5}


def test_theoretical_min_max_scales_each_leg_from_its_least_possible_score():
    lexical = [(1, 10.0), (2, 5.0)]  # BM25 from 0: 1.0 and 0.5
    dense = [(2, 0.5), (3, 0.0)]  # cosine from -1: 1.0 and 1/1.5
    fused = theoretical_min_max(lexical, dense, 0.5)
    assert [item for item, _ in fused] == [2, 1, 3]
    assert [score for _, score in fused] == pytest.approx([0.75, 0.5, 1 / 3])
    # Min-max puts each leg's last candidate at 0, however close it came to the first.
    assert dict(convex(lexical, dense))[3] == 0.0


def test_paired_interval_of_a_constant_gain_is_that_gain():
    base = {"a": 0.2, "b": 0.5, "c": 0.9}
    diff, low, high = paired_interval({q: v + 0.1 for q, v in base.items()}, base)
    assert diff == pytest.approx(0.1) and low == pytest.approx(0.1) and high == pytest.approx(0.1)
    diff, low, high = paired_interval({"a": 1.0, "b": 0.5, "c": 0.9}, base)
    assert low < diff < high  # one query gained, two did not: the interval is wide


def test_the_sweep_says_so_when_the_collection_is_missing(tmp_path: Path):
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "bench" / "fusion_sweep.py"
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "no BEIR collection" in out.stdout
