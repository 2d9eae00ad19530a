"""bench/fusion_sweep.py on a tiny generated collection: every sweep runs and is compared
with the engine's own setting, query by query."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.fusion_sweep import (
    BM25_METHODS,
    bm25_variant,
    compare,
    convex_over,
    min_max,
    paired_interval,
    per_document_runs,
    prepare,
    sentence_scores,
    sweep_runs,
)
from extract.sentences import sentence_spans
from search.evaluate import engine_retriever
from search.fusion import LEXICAL_WEIGHT, scaled
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
    own = results[f"engine's fusion w={LEXICAL_WEIGHT}"]
    assert own["ndcg@10"] == results["engine"]["ndcg@10"]
    assert own["95% interval"] == [0.0, 0.0]


def test_the_sweeps_engine_run_is_what_the_engine_returns(sweep):
    # The sweep fuses every chunk; the engine each leg's best (on this collection, every
    # chunk): the same documents in the same order.
    sweep.runs.clear()
    sweep_runs(sweep, "")
    chunks = sweep.snapshot.conn.execute("SELECT id, doc_id FROM chunks")
    by_doc = {doc_id: sweep.doc_of[chunk_id] for chunk_id, doc_id in chunks}
    retrieve = engine_retriever(sweep.snapshot, sweep.embedder, "hybrid", by_doc)
    for q, text in sweep.collection.queries.items():
        theirs, ours = retrieve(text), sweep.runs["engine"][q]
        assert theirs and sorted(ours, key=ours.get) == sorted(theirs, key=theirs.get), q


def test_the_variant_leg_with_the_engines_settings_is_the_engines_lexical_leg(sweep):
    scores = bm25_variant(sweep.snapshot.conn, "en", "english", "lucene")
    for q, text in sweep.collection.queries.items():
        assert scores(text) == pytest.approx(sweep.bm25(q)), q


def test_the_bm25_sweep_scores_each_variant_alone_and_fused(sweep):
    sweep.runs.clear()
    sweep_runs(sweep, "bm25")
    for method in BM25_METHODS:
        assert f"bm25 {method}" in sweep.runs and f"hybrid {method}" in sweep.runs
    # BM25+ adds delta to every matching term's weight: its scores are above Lucene's.
    plus = bm25_variant(sweep.snapshot.conn, "en", "english", "bm25+")
    q, text = next((q, t) for q, t in sweep.collection.queries.items() if sweep.bm25(q).any())
    lucene = sweep.bm25(q)
    matching = lucene > 0
    assert (plus(text)[matching] > lucene[matching]).all()


def test_the_sentence_leg_scores_a_chunk_by_its_cosine_and_its_best_sentences(sweep):
    scores = sentence_scores(sweep)
    q, text = next(iter(sweep.collection.queries.items()))
    row = int(np.argmax(scores(q)))
    chunk = sweep.snapshot.conn.execute(
        "SELECT text FROM chunks WHERE id = ?", (int(sweep.rows[row]),)
    )
    chunk_text = chunk.fetchone()[0]
    sentences = [chunk_text[s.start : s.end] for s in sentence_spans(chunk_text)]
    query, whole, *parts = sweep.embedder.encode([text, chunk_text, *sentences])
    # int8 vectors move by about 1e-3 with the other texts in their batch.
    expected = (whole @ query + max(p @ query for p in parts)) / 2
    assert scores(q)[row] == pytest.approx(expected, abs=0.01)


def test_per_document_fusion_takes_each_legs_best_chunk(sweep):
    runs = per_document_runs(sweep)
    q = next(iter(sweep.collection.queries))
    lex, den = sweep.bm25(q), sweep.cosines(q)
    best: dict[str, list[float]] = {}
    for row, chunk_id in enumerate(sweep.rows):
        for b in sweep.doc_of[int(chunk_id)]:
            kept = best.setdefault(b, [0.0, -1.0])
            best[b] = [max(kept[0], float(lex[row])), max(kept[1], float(den[row]))]
    top_lex = max(v[0] for v in best.values())
    top_den = max(v[1] for v in best.values())
    fused = {b: scaled(v[0], v[1], top_lex, top_den) for b, v in best.items()}
    expected = sorted(fused, key=lambda b: -fused[b])[:100]
    assert sorted(runs[q], key=lambda b: -runs[q][b]) == expected


def test_min_max_rule_counts_a_leg_that_missed_an_id_as_zero():
    fused = dict(convex_over(min_max, [(1, 5.0), (2, 1.0)], [(3, 0.9), (1, 0.5)], 0.5))
    assert fused[1] == 0.5 * 1.0 + 0.5 * 0.0  # top lexically, bottom of the dense list
    assert fused[3] == 0.5 * 1.0  # only the dense leg found it
    assert fused[2] == 0.0
    assert min_max([(7, 0.3)]) == [(7, 1.0)] and min_max([]) == []


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


def test_the_sweep_runs_from_the_command_line(tmp_path: Path):
    import json
    import subprocess
    import sys

    beir = _write_collection(tmp_path / "tiny")
    script = Path(__file__).resolve().parent.parent / "bench" / "fusion_sweep.py"
    out = subprocess.run(
        [
            sys.executable,
            str(script),
            str(beir),
            "--split",
            "test",
            "--workdir",
            str(tmp_path / "w"),
        ]
        + ["--aggregate", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    results = json.loads(out.stdout[out.stdout.index("{") :])
    assert {"engine", "fused per document"} <= results.keys()
