"""How hybrid search fuses its legs, chosen on a BEIR TRAIN split (never on test).

    python bench/fusion_sweep.py [BEIR_DIR] [--split train] [--workdir DIR]
        [--bm25 | --aggregate | --tokenise | --feedback | --sentences] [--json]

Indexes the collection through the real indexer (re-using the index ``precedent eval`` or
bench/beir_eval.py built in the same workdir), runs each query's lexical leg (bm25s) and
dense leg (FAISS) once, then fuses them in several ways and scores each with
``search.evaluate.score_run``: reciprocal rank fusion at k = 10, 60, 100, and the convex
combination at lexical weights 0.3 to 0.7 of min-max normalised scores (the engine's) and of
z-scores. The engine uses ``search.fusion.convex`` with ``LEXICAL_WEIGHT``; this script is
how that was chosen. ``--bm25`` instead rebuilds the lexical leg at each (k1, b) of
``BM25_GRID`` and scores BM25 alone and the engine's fusion: how ``indexer.lexical.K1, B``
were chosen; then bm25s's other BM25 variants (``BM25_METHODS``) at the engine's k1 and b.
``--tokenise`` does the same for stopwords and stemmers. ``--aggregate`` ranks documents by
their best chunk plus a share of their second best (the engine uses the best alone), and
fuses the legs per document instead of per chunk.
``--feedback`` adds pseudo-relevance feedback to the dense leg (Rocchio: the query
vector plus a share of the mean vector of the fused top chunks, searched again).
``--sentences`` embeds each chunk's sentences alone too and scores a chunk densely by the mean
of its own cosine and its best sentence's (every chunk scored exactly), alone and fused.

Every run is compared query by query with the engine's own setting: the mean difference in
nDCG@10 and its 95% paired bootstrap interval, so a gain smaller than the noise is seen as such.
BEIR_DIR defaults to ../shared/benchmarks/scifact and the script says so when it is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import ir_measures
import numpy as np
import Stemmer

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import console, table  # noqa: E402
from extract.sentences import sentence_spans  # noqa: E402
from indexer import lexical  # noqa: E402
from indexer.embed import Embedder, load_embedder  # noqa: E402
from indexer.store import Snapshot, open_snapshot  # noqa: E402
from indexer.vectors import search as vector_search  # noqa: E402
from search.engine import dense_search  # noqa: E402
from search.evaluate import (  # noqa: E402
    MEASURES,
    Collection,
    beir_ids_by_doc,
    build_index,
    default_workdir,
    load_collection,
    score_run,
)
from search.fusion import LEXICAL_WEIGHT, convex, rrf  # noqa: E402
from search.query import make_request  # noqa: E402

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "scifact"
DEPTH = 1000  # chunks per leg, as the engine fetches for k = 50 documents
WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)
# Scaled from -1, cosines bunch near the top, so the lexical leg wants less weight there.
THEORETICAL_WEIGHTS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4)
RRF_KS = (10, 60, 100)
# Lucene's defaults, SQLite FTS5's, Anserini's, and two steps around them.
BM25_GRID = ((1.5, 0.75), (1.2, 0.75), (0.9, 0.4), (1.2, 0.5), (2.0, 0.75))
# bm25s's variants besides Lucene's (the engine's): Robertson's idf, ATIRE's, and BM25L and
# BM25+ (Lv & Zhai), which lift long texts' scores by a constant delta (bm25s's default 0.5).
BM25_METHODS = ("robertson", "atire", "bm25l", "bm25+")
# A document ranks by its best chunk (0: the engine's rule) plus this much of its second best.
SECOND_CHUNK_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3)
# bm25s stopword lists and PyStemmer algorithms (None: none); the engine's is ("en", "english").
TOKENISERS = tuple((stop, stem) for stop in ("en", None) for stem in ("english", "porter", None))
# Rocchio feedback: (top fused chunks averaged, share of their mean added to the query vector).
FEEDBACK = ((3, 0.3), (3, 0.6), (5, 0.3), (10, 0.3))
# Lexical weights at which the sentence-level dense leg is fused: it is stronger than the
# engine's dense leg, so weights below the engine's are tried too.
SENTENCE_WEIGHTS = (0.4, 0.5)
BOOTSTRAP = 2000

Leg = list[tuple[int, float]]


def z_scores(scored: Leg) -> Leg:
    if not scored:
        return []
    values = np.array([s for _, s in scored])
    spread = values.std() or 1.0
    return [(item, float((s - values.mean()) / spread)) for item, s in scored]


def convex_z(lexical: Leg, dense: Leg, weight: float) -> Leg:
    """The convex sum of z-scores; an id a leg missed gets that leg's lowest z-score."""
    legs = [dict(z_scores(lexical)), dict(z_scores(dense))]
    floors = [min(leg.values(), default=0.0) for leg in legs]
    fused = {
        item: weight * legs[0].get(item, floors[0]) + (1 - weight) * legs[1].get(item, floors[1])
        for item in legs[0].keys() | legs[1].keys()
    }
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def theoretical_min_max(lexical: Leg, dense: Leg, weight: float) -> Leg:
    """Convex fusion with each leg scaled from its theoretical least score, not the least it
    returned (Bruch, Gai & Ingber 2023, "TM2C2"): 0 for BM25, -1 for a cosine. A leg's zero
    then does not move with how deep it was cut; an id a leg missed scores 0 there."""
    fused: dict[int, float] = {}
    for leg, low, share in ((lexical, 0.0, weight), (dense, -1.0, 1 - weight)):
        top = max((s for _, s in leg), default=low)
        for item, score in leg:
            value = (score - low) / (top - low) if top > low else 1.0
            fused[item] = fused.get(item, 0.0) + share * value
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def fusions() -> dict[str, object]:
    """Name -> fuse(lexical, dense) returning (chunk id, score) best first."""
    out: dict[str, object] = {
        f"rrf k={k}": lambda lex, den, k=k: rrf([[c for c, _ in lex], [c for c, _ in den]], k)
        for k in RRF_KS
    }
    out |= {f"convex w={w}": lambda lex, den, w=w: convex(lex, den, w) for w in WEIGHTS}
    out |= {f"z-score w={w}": lambda lex, den, w=w: convex_z(lex, den, w) for w in WEIGHTS}
    out |= {
        f"theoretical min w={w}": lambda lex, den, w=w: theoretical_min_max(lex, den, w)
        for w in THEORETICAL_WEIGHTS
    }
    return out


def bm25_variant(
    conn, stopwords: str | None, stemmer: str | None, method: str = "lucene"
) -> Callable[[str], Leg]:
    """A lexical leg over the same chunk texts as ``indexer.lexical`` with other tokenising
    or another of bm25s's BM25 variants."""
    stem = Stemmer.Stemmer(stemmer) if stemmer else None
    rows = conn.execute(
        "SELECT id, coalesce(section, '') || '\n' || text FROM chunks ORDER BY id"
    ).fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int64)

    def tokens(texts: list[str]) -> list[list[str]]:
        return bm25s.tokenize(
            texts, stopwords=stopwords, stemmer=stem, return_ids=False, show_progress=False
        )

    model = bm25s.BM25(k1=lexical.K1, b=lexical.B, method=method)
    model.index(tokens([r[1] for r in rows]), show_progress=False)

    def search(query: str) -> Leg:
        terms = model.get_tokens_ids(tokens([query])[0])
        if not terms:
            return []
        scores = model.get_scores_from_ids(terms)
        top = np.argsort(-scores, kind="stable")[:DEPTH]
        return [(int(ids[r]), float(scores[r])) for r in top if scores[r] > 0]

    return search


def per_query_ndcg(qrels: dict, run: dict) -> dict[str, float]:
    values = dict.fromkeys(qrels, 0.0)  # a query with no results scores 0, as in score_run
    found = {q: docs for q, docs in run.items() if docs}
    for m in ir_measures.iter_calc([MEASURES["ndcg@10"]], qrels, found):
        values[m.query_id] = m.value
    return values


def paired_interval(ours: dict[str, float], base: dict[str, float]) -> tuple[float, float, float]:
    """Mean per-query difference and its 95% bootstrap interval (fixed seed)."""
    diff = np.array([ours[q] - base[q] for q in base])
    rng = np.random.default_rng(0)
    means = diff[rng.integers(0, len(diff), (BOOTSTRAP, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)


def documents(
    fused: list[tuple[int, float]], doc_of: dict[int, list[str]], second: float = 0.0
) -> dict[str, float]:
    """BEIR ids ranked by their best chunk's score (the engine's rule), plus ``second`` times
    their second-best chunk's; top 100, scores strictly decreasing by rank."""
    top: dict[str, list[float]] = {}
    for chunk_id, score in fused:  # best first, so each id's list is its best scores
        for beir_id in doc_of.get(chunk_id, []):
            if len(kept := top.setdefault(beir_id, [])) < 2:
                kept.append(score)
    ranked = sorted(top, key=lambda b: -(top[b][0] + second * sum(top[b][1:])))[:100]
    return {b: float(len(ranked) - r) for r, b in enumerate(ranked)}


def per_document_fusion(
    lexical: Leg, dense: Leg, doc_of: dict[int, list[str]], weight: float = LEXICAL_WEIGHT
) -> dict[str, float]:
    """Each leg ranks documents by its own best chunk, then the engine's fusion of those:
    a document can score on one chunk lexically and another densely (the engine fuses chunk
    by chunk, then takes each document's best). Top 100 as ``documents`` returns them."""

    def best(leg: Leg) -> Leg:
        top: dict[str, float] = {}
        for chunk_id, score in leg:  # best first: the first score per document is its best
            for beir_id in doc_of.get(chunk_id, []):
                top.setdefault(beir_id, score)
        return list(top.items())

    ranked = convex(best(lexical), best(dense), weight)[:100]
    return {b: float(len(ranked) - r) for r, (b, _) in enumerate(ranked)}


@dataclass
class Sweep:
    """One collection's index and its two legs, run once per query."""

    collection: Collection
    snapshot: Snapshot
    embedder: Embedder
    doc_of: dict[int, list[str]]
    lexical: dict[str, Leg]
    dense: dict[str, Leg]
    runs: dict[str, dict] = field(default_factory=dict)

    def add(self, name: str, fuse, lexical=None, dense=None, second: float = 0.0) -> None:
        lexical, dense = lexical or self.lexical, dense or self.dense
        self.runs[name] = {
            q: documents(fuse(lexical[q], dense[q]), self.doc_of, second)
            for q in self.collection.queries
        }


def prepare(beir_dir: Path, split: str, workdir: Path, embedder: Embedder) -> Sweep:
    collection = load_collection(beir_dir, split)
    report = build_index(collection, workdir, embedder)
    snapshot = open_snapshot(workdir / "index")
    by_doc = beir_ids_by_doc(snapshot, report)
    doc_of = {
        chunk_id: by_doc.get(doc_id, [])
        for chunk_id, doc_id in snapshot.conn.execute("SELECT id, doc_id FROM chunks")
    }
    queries = collection.queries.items()
    dense = {
        q: dense_search(snapshot, make_request(text, "hybrid", k=DEPTH // 20), embedder, DEPTH)
        for q, text in queries
    }
    lexical_legs = {q: snapshot.lexical.search(text, DEPTH) for q, text in queries}
    return Sweep(collection, snapshot, embedder, doc_of, lexical_legs, dense)


def sweep_runs(sweep: Sweep, mode: str) -> None:
    """Add the runs of one sweep beside the engine's own ("engine")."""
    engine = lambda lex, den: convex(lex, den, LEXICAL_WEIGHT)  # noqa: E731
    alone = lambda lex, den: lex  # noqa: E731
    queries = sweep.collection.queries.items()
    sweep.add("engine", engine)
    if mode == "aggregate":
        for second in SECOND_CHUNK_WEIGHTS[1:]:
            sweep.add(f"best + {second} x second chunk", engine, second=second)
        sweep.runs["fused per document"] = {
            q: per_document_fusion(sweep.lexical[q], sweep.dense[q], sweep.doc_of)
            for q in sweep.collection.queries
        }
    elif mode == "bm25":
        for k1, b in BM25_GRID:
            index = lexical.build(sweep.snapshot.conn, k1=k1, b=b)
            legs = {q: index.search(text, DEPTH) for q, text in queries}
            sweep.add(f"bm25 k1={k1} b={b}", alone, legs)
            sweep.add(f"hybrid k1={k1} b={b}", engine, legs)
        for method in BM25_METHODS:
            search = bm25_variant(sweep.snapshot.conn, "en", "english", method)
            legs = {q: search(text) for q, text in queries}
            sweep.add(f"bm25 {method}", alone, legs)
            sweep.add(f"hybrid {method}", engine, legs)
    elif mode == "tokenise":
        for stopwords, stemmer in TOKENISERS:
            search = bm25_variant(sweep.snapshot.conn, stopwords, stemmer)
            legs = {q: search(text) for q, text in queries}
            sweep.add(f"bm25 stopwords={stopwords} stemmer={stemmer}", alone, legs)
            sweep.add(f"hybrid stopwords={stopwords} stemmer={stemmer}", engine, legs)
    elif mode == "feedback":
        for top, share in FEEDBACK:
            sweep.add(f"rocchio top={top} share={share}", engine, None, feedback(sweep, top, share))
    elif mode == "sentences":
        legs = sentence_legs(sweep)
        sweep.add("dense: chunk (the engine's leg)", lambda lex, den: den)
        sweep.add("dense: chunk and best sentence", alone, legs)
        for w in SENTENCE_WEIGHTS:
            sweep.add(
                f"hybrid: chunk and best sentence w={w}",
                lambda lex, den, w=w: convex(lex, den, w),
                None,
                legs,
            )
    else:
        for name, fuse in fusions().items():
            sweep.add(name, fuse)


def feedback(sweep: Sweep, top: int, share: float) -> dict[str, Leg]:
    """Dense legs searched again with the query vector moved towards the fused top chunks."""
    queries = sweep.collection.queries
    vectors = sweep.embedder.encode(list(queries.values()))
    legs = {}
    for q, vector in zip(queries, vectors, strict=True):
        best = [c for c, _ in convex(sweep.lexical[q], sweep.dense[q], LEXICAL_WEIGHT)[:top]]
        if not best:
            legs[q] = sweep.dense[q]
            continue
        mean = sweep.snapshot.vectors.reconstruct_batch(np.array(best)).mean(axis=0)
        moved = vector + share * mean
        moved = (moved / np.linalg.norm(moved)).astype(np.float32)
        scores, ids = vector_search(sweep.snapshot.vectors, moved, DEPTH, None)
        legs[q] = [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]
    return legs


def sentence_legs(sweep: Sweep) -> dict[str, Leg]:
    """Dense legs scoring each chunk by the mean of its cosine and its best sentence's, each
    sentence embedded alone: finer than the chunk, at about twice the embedding work."""
    rows = sweep.snapshot.conn.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    sentences, owner = [], []
    for row, (_, text) in enumerate(rows):
        for s in sentence_spans(text):
            sentences.append(text[s.start : s.end])
            owner.append(row)
    owner_rows = np.array(owner, dtype=np.int64)
    sentence_vectors = sweep.embedder.encode(sentences)
    chunk_vectors = sweep.snapshot.vectors.reconstruct_batch(ids)
    queries = sweep.collection.queries
    legs = {}
    for q, vector in zip(queries, sweep.embedder.encode(list(queries.values())), strict=True):
        best = np.full(len(rows), -1.0, dtype=np.float32)
        np.maximum.at(best, owner_rows, sentence_vectors @ vector)
        scores = (chunk_vectors @ vector + best) / 2
        top = np.argsort(-scores, kind="stable")[:DEPTH]
        legs[q] = [(int(ids[r]), float(scores[r])) for r in top]
    return legs


def compare(qrels: dict, runs: dict[str, dict]) -> dict[str, dict]:
    """Each run's measures, and its nDCG@10 against the engine's, query by query."""
    base = per_query_ndcg(qrels, runs["engine"])
    results = {}
    for name, run in runs.items():
        results[name] = score_run(qrels, run)
        if name != "engine":
            diff, low, high = paired_interval(per_query_ndcg(qrels, run), base)
            results[name] |= {"ndcg@10 vs engine": diff, "95% interval": [low, high]}
    return results


def _interval(m: dict) -> str:
    if "95% interval" not in m:
        return ""
    low, high = m["95% interval"]
    return f"{m['ndcg@10 vs engine']:+.4f} [{low:+.4f}, {high:+.4f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("beir_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--split", default="train")
    parser.add_argument("--workdir", type=Path)
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--bm25", action="store_true", help="sweep BM25's k1 and b instead")
    modes.add_argument("--tokenise", action="store_true", help="sweep stopwords and stemmers")
    modes.add_argument("--aggregate", action="store_true", help="sweep chunk-to-document rules")
    modes.add_argument("--feedback", action="store_true", help="sweep Rocchio feedback")
    modes.add_argument("--sentences", action="store_true", help="dense by chunk and sentence")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (args.beir_dir / "corpus.jsonl").is_file():
        console.print(f"[yellow]no BEIR collection at {args.beir_dir}: nothing to sweep[/yellow]")
        return 0
    embedder = load_embedder()
    workdir = args.workdir or default_workdir(args.beir_dir, embedder.name)
    sweep = prepare(args.beir_dir, args.split, workdir, embedder)
    modes = ("bm25", "tokenise", "aggregate", "feedback", "sentences")
    mode = next((m for m in modes if getattr(args, m)), "")
    sweep_runs(sweep, mode)
    results = compare(sweep.collection.qrels, sweep.runs)
    rows = [
        [name, *(f"{m[k]:.4f}" for k in ("ndcg@10", "recall@100", "mrr@10")), _interval(m)]
        for name, m in results.items()
    ]
    title = f"{sweep.collection.name} ({args.split}): {len(sweep.dense)} queries"
    table(title, ["run", "nDCG@10", "Recall@100", "MRR@10", "vs engine (95% CI)"], rows)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
