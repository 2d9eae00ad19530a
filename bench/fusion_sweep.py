"""How hybrid search fuses its legs, chosen on a BEIR TRAIN split (never on test).

    python bench/fusion_sweep.py [BEIR_DIR] [--split train] [--workdir DIR]
        [--bm25 | --aggregate | --tokenise | --feedback | --sentences] [--json]

Indexes the collection through the real indexer (re-using the index ``precedent eval`` or
bench/beir_eval.py built in the same workdir), scores every chunk for each query in both legs
(BM25 with bm25s, the cosine with the stored vectors), then fuses them in several ways and
scores each run with ``search.evaluate.score_run``. "engine" is the engine's own fusion
(``search.fusion.convex`` at ``LEXICAL_WEIGHT``: each leg scaled from its least possible
score, every candidate scored in both legs), over every chunk: what ``search.engine`` returns
when no chunk beyond each leg's fetch outscores its results. The default sweep tries the
engine's fusion at other weights, and on each leg's best ``DEPTH`` chunks: min-max scaling
(the engine's rule before, a chunk one leg missed scoring 0 there), z-scores, and reciprocal
rank fusion at k = 10, 60, 100. ``--bm25`` rebuilds the lexical leg at each (k1, b) of
``BM25_GRID`` and scores BM25 alone and fused: how ``indexer.lexical.K1, B`` were chosen;
then bm25s's other BM25 variants (``BM25_METHODS``) at the engine's k1 and b. ``--tokenise``
does the same for stopwords and stemmers. ``--aggregate`` ranks documents by their best chunk
plus a share of their second best (the engine uses the best alone), and fuses the legs per
document instead of per chunk. ``--feedback`` adds pseudo-relevance feedback to the dense leg
(Rocchio: the query vector plus a share of the mean vector of the fused top chunks).
``--sentences`` embeds each chunk's sentences alone too and scores a chunk densely by the mean
of its own cosine and its best sentence's, alone and fused.

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
from search.engine import query_vector  # noqa: E402
from search.evaluate import (  # noqa: E402
    MEASURES,
    Collection,
    beir_ids_by_doc,
    build_index,
    default_workdir,
    load_collection,
    score_run,
)
from search.fusion import LEXICAL_WEIGHT, convex, rrf, scaled  # noqa: E402
from search.query import make_request  # noqa: E402

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "scifact"
DEPTH = 1000  # chunks per leg for the rules that fuse each leg's best only
# The engine's fusion at these lexical weights: scaled from -1, cosines bunch near the top,
# so the lexical leg wants less weight than with min-max.
ENGINE_WEIGHTS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)  # min-max and z-scores
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
# Lexical weights at which the sentence-level dense leg is fused.
SENTENCE_WEIGHTS = (0.2, 0.25, 0.3)
BOOTSTRAP = 2000

Leg = list[tuple[int, float]]  # (chunk id, score) best first
Scores = Callable[[str], np.ndarray]  # query id -> every chunk's score, by row


@dataclass
class Sweep:
    """One collection's index, and every chunk's score in each leg for each query."""

    collection: Collection
    snapshot: Snapshot
    embedder: Embedder
    doc_of: dict[int, list[str]]
    rows: np.ndarray  # the chunk id of each score row: the lexical index's order
    chunk_vectors: np.ndarray  # by row
    query_vectors: dict[str, np.ndarray]  # each embedded alone, as a search embeds it
    runs: dict[str, dict] = field(default_factory=dict)

    def bm25(self, q: str) -> np.ndarray:
        return self.snapshot.lexical.scores(self.collection.queries[q])

    def cosines(self, q: str) -> np.ndarray:
        return self.chunk_vectors @ self.query_vectors[q]

    def add(
        self,
        name: str,
        fuse: Callable[[np.ndarray, np.ndarray], Leg],
        lexical: Scores | None = None,
        dense: Scores | None = None,
        second: float = 0.0,
    ) -> None:
        """A run: ``fuse(lexical scores, dense scores)`` for each query, ranked by document."""
        lexical, dense = lexical or self.bm25, dense or self.cosines
        self.runs[name] = {
            q: documents(fuse(lexical(q), dense(q)), self.doc_of, second)
            for q in self.collection.queries
        }

    def engine(self, weight: float = LEXICAL_WEIGHT) -> Callable[[np.ndarray, np.ndarray], Leg]:
        """The engine's fusion of every chunk, best ``DEPTH`` first."""
        return lambda lex, den: convex(self.rows, lex, den, weight)[:DEPTH]

    def legs(self, fuse: Callable[[Leg, Leg], Leg]) -> Callable[[np.ndarray, np.ndarray], Leg]:
        """A rule that fuses each leg's best ``DEPTH`` chunks (a BM25 leg: those matching)."""
        return lambda lex, den: fuse(self.lexical_top(lex), self.dense_top(den))

    def lexical_top(self, scores: np.ndarray) -> Leg:
        """The best ``DEPTH`` chunks that match a term, as the engine's lexical leg takes them
        (score rows are the lexical index's)."""
        return self.snapshot.lexical.top(scores, DEPTH)

    def dense_top(self, scores: np.ndarray) -> Leg:
        best = np.argsort(-scores, kind="stable")[:DEPTH]  # rows are in id order: ties by id
        return [(int(self.rows[r]), float(scores[r])) for r in best]


def min_max(scored: Leg) -> Leg:
    """Scores rescaled to [0, 1] over the list; all 1.0 when they are equal."""
    if not scored:
        return []
    low = min(s for _, s in scored)
    spread = max(s for _, s in scored) - low
    return [(item, (s - low) / spread if spread > 0 else 1.0) for item, s in scored]


def z_scores(scored: Leg) -> Leg:
    if not scored:
        return []
    values = np.array([s for _, s in scored])
    spread = values.std() or 1.0
    return [(item, float((s - values.mean()) / spread)) for item, s in scored]


def convex_over(scale: Callable[[Leg], Leg], lexical: Leg, dense: Leg, weight: float) -> Leg:
    """The convex sum of each leg's scaled scores; an id a leg missed gets that leg's lowest
    scaled score (0 for min-max: the engine's rule before)."""
    legs = [dict(scale(lexical)), dict(scale(dense))]
    floors = [min(leg.values(), default=0.0) for leg in legs]
    fused = {
        item: weight * legs[0].get(item, floors[0]) + (1 - weight) * legs[1].get(item, floors[1])
        for item in legs[0].keys() | legs[1].keys()
    }
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def fusions() -> dict[str, Callable[[Leg, Leg], Leg]]:
    """Name -> fuse(lexical leg, dense leg): the rules that see each leg's best only."""
    out: dict[str, Callable[[Leg, Leg], Leg]] = {
        f"rrf k={k}": lambda lex, den, k=k: rrf([[c for c, _ in lex], [c for c, _ in den]], k)
        for k in RRF_KS
    }
    out |= {
        f"min-max w={w}": lambda lex, den, w=w: convex_over(min_max, lex, den, w) for w in WEIGHTS
    }
    out |= {
        f"z-score w={w}": lambda lex, den, w=w: convex_over(z_scores, lex, den, w) for w in WEIGHTS
    }
    return out


def bm25_variant(
    conn, stopwords: str | None, stemmer: str | None, method: str = "lucene"
) -> Callable[[str], np.ndarray]:
    """Every chunk's score (by chunk id order, the lexical index's rows) for a query, over
    the same chunk texts as ``indexer.lexical`` with other tokenising or another of bm25s's
    BM25 variants."""
    stem = Stemmer.Stemmer(stemmer) if stemmer else None
    rows = conn.execute(
        "SELECT id, coalesce(section, '') || '\n' || text FROM chunks ORDER BY id"
    ).fetchall()

    def tokens(texts: list[str]) -> list[list[str]]:
        return bm25s.tokenize(
            texts, stopwords=stopwords, stemmer=stem, return_ids=False, show_progress=False
        )

    model = bm25s.BM25(k1=lexical.K1, b=lexical.B, method=method)
    model.index(tokens([r[1] for r in rows]), show_progress=False)

    def scores(query: str) -> np.ndarray:
        terms = model.get_tokens_ids(tokens([query])[0])
        if not terms:
            return np.zeros(len(rows), dtype=np.float32)
        return model.get_scores_from_ids(terms)

    return scores


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


def per_document_runs(sweep: Sweep, weight: float = LEXICAL_WEIGHT) -> dict[str, dict]:
    """Each leg's best chunk per document, then the engine's fusion of those: a document can
    score on one chunk lexically and another densely (the engine fuses chunk by chunk, then
    takes each document's best). Top 100 per query as ``documents`` returns them."""
    owners: dict[tuple[str, ...], int] = {}
    row_doc = np.array(
        [owners.setdefault(tuple(sweep.doc_of.get(int(c), [])), len(owners)) for c in sweep.rows]
    )
    beir_ids = list(owners)
    runs = {}
    for q in sweep.collection.queries:
        lex = np.zeros(len(beir_ids), dtype=np.float32)
        np.maximum.at(lex, row_doc, sweep.bm25(q))
        den = np.full(len(beir_ids), -1.0, dtype=np.float32)
        np.maximum.at(den, row_doc, sweep.cosines(q))
        fused = scaled(lex, den, float(lex.max()), float(den.max()), weight)
        ranked = [b for d in np.argsort(-fused, kind="stable") for b in beir_ids[d]][:100]
        runs[q] = {b: float(len(ranked) - r) for r, b in enumerate(ranked)}
    return runs


def prepare(beir_dir: Path, split: str, workdir: Path, embedder: Embedder) -> Sweep:
    collection = load_collection(beir_dir, split)
    report = build_index(collection, workdir, embedder)
    snapshot = open_snapshot(workdir / "index")
    by_doc = beir_ids_by_doc(snapshot, report)
    chunks = snapshot.conn.execute("SELECT id, doc_id FROM chunks ORDER BY id").fetchall()
    rows = snapshot.lexical.chunk_ids
    if [c for c, _ in chunks] != rows.tolist():
        raise RuntimeError(f"{workdir / 'index'}: the lexical index does not hold every chunk")
    doc_of = {chunk_id: by_doc.get(doc_id, []) for chunk_id, doc_id in chunks}
    query_vectors = {
        q: query_vector(snapshot, make_request(text), embedder)
        for q, text in collection.queries.items()
    }
    chunk_vectors = snapshot.vectors.reconstruct_batch(rows)
    return Sweep(collection, snapshot, embedder, doc_of, rows, chunk_vectors, query_vectors)


def sweep_runs(sweep: Sweep, mode: str) -> None:
    """Add the runs of one sweep beside the engine's own ("engine")."""
    engine = sweep.engine()
    alone = lambda lex, den: sweep.lexical_top(lex)  # noqa: E731
    dense_alone = lambda lex, den: sweep.dense_top(den)  # noqa: E731
    text = sweep.collection.queries
    sweep.add("engine", engine)
    if mode == "aggregate":
        for second in SECOND_CHUNK_WEIGHTS[1:]:
            sweep.add(f"best + {second} x second chunk", engine, second=second)
        sweep.runs["fused per document"] = per_document_runs(sweep)
    elif mode == "bm25":
        for k1, b in BM25_GRID:
            index = lexical.build(sweep.snapshot.conn, k1=k1, b=b)
            scores = lambda q, index=index: index.scores(text[q])  # noqa: E731
            sweep.add(f"bm25 k1={k1} b={b}", alone, scores)
            sweep.add(f"hybrid k1={k1} b={b}", engine, scores)
        for method in BM25_METHODS:
            variant = bm25_variant(sweep.snapshot.conn, "en", "english", method)
            scores = lambda q, variant=variant: variant(text[q])  # noqa: E731
            sweep.add(f"bm25 {method}", alone, scores)
            sweep.add(f"hybrid {method}", engine, scores)
    elif mode == "tokenise":
        for stopwords, stemmer in TOKENISERS:
            variant = bm25_variant(sweep.snapshot.conn, stopwords, stemmer)
            scores = lambda q, variant=variant: variant(text[q])  # noqa: E731
            sweep.add(f"bm25 stopwords={stopwords} stemmer={stemmer}", alone, scores)
            sweep.add(f"hybrid stopwords={stopwords} stemmer={stemmer}", engine, scores)
    elif mode == "feedback":
        for top, share in FEEDBACK:
            sweep.add(f"rocchio top={top} share={share}", engine, None, feedback(sweep, top, share))
    elif mode == "sentences":
        dense = sentence_scores(sweep)
        sweep.add("dense: chunk (the engine's leg)", dense_alone)
        sweep.add("dense: chunk and best sentence", dense_alone, None, dense)
        for w in SENTENCE_WEIGHTS:
            sweep.add(f"hybrid: chunk and best sentence w={w}", sweep.engine(w), None, dense)
    else:
        for w in ENGINE_WEIGHTS:
            sweep.add(f"engine's fusion w={w}", sweep.engine(w))
        for name, fuse in fusions().items():
            sweep.add(name, sweep.legs(fuse))


def feedback(sweep: Sweep, top: int, share: float) -> Scores:
    """Dense scores with the query vector moved towards the engine's top fused chunks."""

    def scores(q: str) -> np.ndarray:
        fused = sweep.engine()(sweep.bm25(q), sweep.cosines(q))[:top]
        best = np.searchsorted(sweep.rows, [chunk_id for chunk_id, _ in fused])
        moved = sweep.query_vectors[q] + share * sweep.chunk_vectors[best].mean(axis=0)
        return sweep.chunk_vectors @ (moved / np.linalg.norm(moved)).astype(np.float32)

    return scores


def sentence_scores(sweep: Sweep) -> Scores:
    """Dense scores of each chunk as the mean of its cosine and its best sentence's, each
    sentence embedded alone: finer than the chunk, at about twice the embedding work."""
    rows = sweep.snapshot.conn.execute("SELECT text FROM chunks ORDER BY id").fetchall()
    sentences, owner = [], []
    for row, (text,) in enumerate(rows):
        for s in sentence_spans(text):
            sentences.append(text[s.start : s.end])
            owner.append(row)
    owner_rows = np.array(owner, dtype=np.int64)
    sentence_vectors = sweep.embedder.encode(sentences)

    def scores(q: str) -> np.ndarray:
        best = np.full(len(rows), -1.0, dtype=np.float32)
        np.maximum.at(best, owner_rows, sentence_vectors @ sweep.query_vectors[q])
        return (sweep.cosines(q) + best) / 2

    return scores


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
    title = f"{sweep.collection.name} ({args.split}): {len(sweep.collection.queries)} queries"
    table(title, ["run", "nDCG@10", "Recall@100", "MRR@10", "vs engine (95% CI)"], rows)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
