"""How hybrid search fuses its legs, chosen on a BEIR TRAIN split (never on test).

    python bench/fusion_sweep.py [BEIR_DIR] [--split train] [--workdir DIR]
        [--bm25 | --aggregate] [--json]

Indexes the collection through the real indexer (re-using the index ``precedent eval`` or
bench/beir_eval.py built in the same workdir), runs each query's lexical leg (bm25s) and
dense leg (FAISS) once, then fuses them in several ways and scores each with
``search.evaluate.score_run``: reciprocal rank fusion at k = 10, 60, 100, and the convex
combination of min-max normalised scores at lexical weights 0.3 to 0.7. The engine uses
``search.fusion.convex`` with ``LEXICAL_WEIGHT``; this script is how that was chosen.
``--bm25`` instead rebuilds the lexical leg at each (k1, b) of ``BM25_GRID`` and scores BM25
alone and the engine's fusion: how ``indexer.lexical.K1, B`` were chosen. ``--aggregate``
ranks documents by their best chunk plus a share of their second best (the engine uses the
best alone).
BEIR_DIR defaults to ../shared/benchmarks/scifact and the script says so when it is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import console, table  # noqa: E402
from indexer import lexical  # noqa: E402
from indexer.embed import load_embedder  # noqa: E402
from indexer.store import open_snapshot  # noqa: E402
from search.engine import dense_search  # noqa: E402
from search.evaluate import beir_ids_by_doc, build_index, load_collection, score_run  # noqa: E402
from search.fusion import LEXICAL_WEIGHT, convex, rrf  # noqa: E402
from search.query import make_request  # noqa: E402

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "scifact"
DEPTH = 1000  # chunks per leg, as the engine fetches for k = 50 documents
WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)
RRF_KS = (10, 60, 100)
# Lucene's defaults, SQLite FTS5's, Anserini's, and two steps around them.
BM25_GRID = ((1.5, 0.75), (1.2, 0.75), (0.9, 0.4), (1.2, 0.5), (2.0, 0.75))
# A document ranks by its best chunk (0: the engine's rule) plus this much of its second best.
SECOND_CHUNK_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3)


def fusions() -> dict[str, object]:
    """Name -> fuse(lexical, dense) returning (chunk id, score) best first."""
    out: dict[str, object] = {
        f"rrf k={k}": lambda lex, den, k=k: rrf([[c for c, _ in lex], [c for c, _ in den]], k)
        for k in RRF_KS
    }
    out |= {f"convex w={w}": lambda lex, den, w=w: convex(lex, den, w) for w in WEIGHTS}
    return out


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("beir_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--split", default="train")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--bm25", action="store_true", help="sweep BM25's k1 and b instead")
    parser.add_argument(
        "--aggregate", action="store_true", help="sweep how chunk scores rank documents instead"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (args.beir_dir / "corpus.jsonl").is_file():
        console.print(f"[yellow]no BEIR collection at {args.beir_dir}: nothing to sweep[/yellow]")
        return 0
    workdir = args.workdir or Path(tempfile.gettempdir()) / f"precedent-beir-{args.beir_dir.name}"
    embedder = load_embedder()
    collection = load_collection(args.beir_dir, args.split)
    report = build_index(collection, workdir, embedder)
    snapshot = open_snapshot(workdir / "index")
    by_doc = beir_ids_by_doc(snapshot, report)
    doc_of = {
        chunk_id: by_doc.get(doc_id, [])
        for chunk_id, doc_id in snapshot.conn.execute("SELECT id, doc_id FROM chunks")
    }
    dense = {
        qid: dense_search(snapshot, make_request(text, "hybrid", k=DEPTH // 20), embedder, DEPTH)
        for qid, text in collection.queries.items()
    }

    def score(fuse, index: lexical.LexicalIndex, second: float = 0.0) -> dict[str, float]:
        run = {
            qid: documents(fuse(index.search(text, DEPTH), dense[qid]), doc_of, second)
            for qid, text in collection.queries.items()
        }
        return score_run(collection.qrels, run)

    results = {}
    engine = lambda lex, den: convex(lex, den, LEXICAL_WEIGHT)  # noqa: E731
    if args.aggregate:
        for second in SECOND_CHUNK_WEIGHTS:
            results[f"best + {second} x second chunk"] = score(engine, snapshot.lexical, second)
    elif args.bm25:
        for k1, b in BM25_GRID:
            index = lexical.build(snapshot.conn, k1=k1, b=b)
            results[f"bm25 k1={k1} b={b}"] = score(lambda lex, den: lex, index)
            results[f"hybrid k1={k1} b={b}"] = score(engine, index)
    else:
        for name, fuse in fusions().items():
            results[name] = score(fuse, snapshot.lexical)
    rows = [
        [name, *(f"{m[k]:.4f}" for k in ("ndcg@10", "recall@100", "mrr@10"))]
        for name, m in results.items()
    ]
    title = f"{collection.name} ({args.split}): {len(dense)} queries"
    table(title, ["run", "nDCG@10", "Recall@100", "MRR@10"], rows)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
