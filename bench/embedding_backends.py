"""Embedding backends: torch fp32, OpenVINO fp32 and OpenVINO int8, speed and quality.

In one run, on the same chunk texts (a generated corpus, bench/corpus.py, chunked by
indexer.chunk; quick 60 documents, full 300):

* chunks/s of ``Embedder.encode`` per backend, repeats interleaved (the order rotates each
  repeat so drift in background load hits all alike), medians, and each backend's ratio to
  torch (of the medians, and the median of per-repeat ratios);
* how far each backend's vectors are from torch's: max abs difference, min and mean cosine;
* SciFact nDCG@10 (dense and hybrid) per backend through ``search.evaluate.evaluate_beir``,
  each backend indexing into its own workdir so no backend reads another's embeddings
  (quick: the first 60 test queries over their judged documents plus 300 others);
* the default this implies: the fastest backend whose nDCG@10 (dense and hybrid) stays
  within 0.005 of torch's.

    python bench/embedding_backends.py [--quick] [--json] [--repeats N] [--docs N]
        [--beir-dir DIR] [--workdir DIR]

OpenVINO exports are made once into the user's cache (indexer.embed.default_cache_dir);
the load times shown include that export on a first run.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench import harness  # noqa: E402
from bench.corpus import write_corpus  # noqa: E402
from indexer.chunk import chunk_document  # noqa: E402
from indexer.embed import BACKENDS, TORCH, Embedder, load_embedder  # noqa: E402
from indexer.load import load_document  # noqa: E402

FULL_DOCS = 300
QUICK_DOCS = 60
QUICK_QUERIES = 60
QUICK_DISTRACTORS = 300
QUALITY_TOLERANCE = 0.005  # nDCG@10 a faster backend may lose and still be the default
MODES = ("dense", "hybrid")
DEFAULT_BEIR = harness.REPO.parent / "shared" / "benchmarks" / "scifact"


def chunk_texts(folder: Path, embedder: Embedder) -> list[str]:
    """Every chunk text of the .txt files in ``folder``, chunked as the indexer does."""
    texts = []
    for path in sorted(folder.glob("*.txt")):
        doc = load_document(path)
        chunks = chunk_document(path.stem, doc, embedder.token_ids, embedder.max_tokens)
        texts += [c.text for c in chunks]
    return texts


def load_all() -> tuple[dict[str, Embedder], dict[str, float]]:
    """Each backend's embedder and its load time (export included on a first run)."""
    embedders, seconds = {}, {}
    for backend in BACKENDS:
        seconds[backend], embedders[backend] = harness.timed(
            lambda b=backend: load_embedder(None, b)
        )
    return embedders, seconds


def throughput(embedders: dict[str, Embedder], texts: list[str], repeats: int) -> dict:
    """Seconds per backend per repeat; repeat r starts the rotation at backend r."""
    names = list(embedders)
    for embedder in embedders.values():
        embedder.encode(texts[:64])  # warm-up: first-call allocation is not throughput
    runs: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repeats):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            runs[name].append(harness.timed(lambda e=embedders[name]: e.encode(texts))[0])
    out = {}
    for name in names:
        median = statistics.median(runs[name])
        out[name] = {
            "seconds": runs[name],
            "median_s": median,
            "chunks_per_s": len(texts) / median,
            "speedup": statistics.median(runs[TORCH]) / median,
            "speedup_per_repeat_median": statistics.median(
                t / s for t, s in zip(runs[TORCH], runs[name], strict=True)
            ),
        }
    return out


def differences(embedders: dict[str, Embedder], texts: list[str], queries: list[str]) -> dict:
    """Each backend's vectors against torch's, for chunk texts and for short queries."""
    out = {}
    for kind, sample in (("chunks", texts), ("queries", queries)):
        reference = embedders[TORCH].encode(sample)
        for name, embedder in embedders.items():
            vectors = embedder.encode(sample)
            cosine = np.sum(vectors * reference, axis=1)
            out.setdefault(name, {})[kind] = {
                "max_abs": float(np.abs(vectors - reference).max()),
                "min_cosine": float(cosine.min()),
                "mean_cosine": float(cosine.mean()),
            }
    return out


def quick_collection(beir_dir: Path, out: Path) -> Path:
    """A small BEIR folder: the first test queries, their judged documents, and distractors
    (every k-th other document), so quick runs keep the task's shape at a fraction of it."""
    from search.evaluate import load_collection, read_qrels

    full = load_collection(beir_dir, "test")
    qrels = dict(list(read_qrels(beir_dir / "qrels" / "test.tsv").items())[:QUICK_QUERIES])
    judged = {d for docs in qrels.values() for d in docs}
    others = [d for d in full.corpus if d not in judged]
    keep = judged | set(others[:: max(1, len(others) // QUICK_DISTRACTORS)])
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    with (out / "corpus.jsonl").open("w") as fh:
        for doc_id in (d for d in full.corpus if d in keep):
            title, text = full.corpus[doc_id]
            fh.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with (out / "queries.jsonl").open("w") as fh:
        for qid in qrels:
            fh.write(json.dumps({"_id": qid, "text": full.queries[qid]}) + "\n")
    lines = ["query-id\tcorpus-id\tscore"]
    lines += [f"{q}\t{d}\t{s}" for q, docs in qrels.items() for d, s in docs.items()]
    (out / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n")
    return out


def quality(embedders: dict[str, Embedder], beir_dir: Path, workdir: Path) -> dict:
    """SciFact nDCG@10 per backend and mode, each backend in its own index folder."""
    from search.evaluate import evaluate_beir

    out = {}
    for name, embedder in embedders.items():
        start = time.perf_counter()
        result = evaluate_beir(beir_dir, "test", embedder, workdir / name, MODES, peers=False)
        out[name] = {
            "seconds": time.perf_counter() - start,
            "documents": result["documents"],
            "queries": result["queries"],
            "embedded": result["index"]["embedded"],
            **{
                r["mode"]: {k: r[k] for k in ("ndcg@10", "recall@100", "mrr@10")}
                for r in result["results"]
            },
        }
    return out


def choose_default(speed: dict, scores: dict | None) -> str:
    """The fastest backend whose nDCG@10 stays within the tolerance of torch's in every mode
    (torch itself when there are no scores to check quality against)."""
    if not scores:
        return TORCH
    ok = [
        name
        for name in speed
        if all(
            scores[TORCH][m]["ndcg@10"] - scores[name][m]["ndcg@10"] <= QUALITY_TOLERANCE
            for m in MODES
        )
    ]
    return max(ok, key=lambda name: speed[name]["chunks_per_s"])


def run(docs: int, repeats: int, beir_dir: Path | None, workdir: Path, quick: bool) -> dict:
    embedders, load_s = load_all()
    corpus = workdir / "corpus"
    write_corpus(corpus, docs, seed=7)
    texts = chunk_texts(corpus, embedders[TORCH])
    queries = [t.split(". ")[0][:120] for t in texts[:200]]  # short, query-like inputs
    speed = throughput(embedders, texts, repeats)
    diffs = differences(embedders, texts, queries)
    scores = None
    if beir_dir is not None:
        if quick:
            beir_dir = quick_collection(beir_dir, workdir / "scifact-quick")
        scores = quality(embedders, beir_dir, workdir / "scifact")
    return {
        "documents": docs,
        "chunks": len(texts),
        "median_tokens": statistics.median(embedders[TORCH].count_tokens(texts)),
        "repeats": repeats,
        "load_s": load_s,
        "names": {name: e.name for name, e in embedders.items()},
        "throughput": speed,
        "differences": diffs,
        "beir_dir": str(beir_dir) if beir_dir else None,
        "quality": scores,
        "default": choose_default(speed, scores),
        "tolerance": QUALITY_TOLERANCE,
    }


def report(r: dict) -> None:
    speed, diffs, scores = r["throughput"], r["differences"], r["quality"]
    harness.table(
        f"Embedding {r['chunks']:,} chunks (median {r['median_tokens']:.0f} tokens) per "
        f"backend, median of {r['repeats']} interleaved repeats",
        ["backend", "index name", "load s", "median s", "chunks/s", "× torch", "× torch per-rep"],
        [
            (
                name,
                r["names"][name],
                r["load_s"][name],
                s["median_s"],
                s["chunks_per_s"],
                s["speedup"],
                s["speedup_per_repeat_median"],
            )
            for name, s in speed.items()
        ],
        caption="Load time includes the one-time OpenVINO export/quantisation on a first run.",
    )
    harness.table(
        "Vectors against torch's",
        ["backend", "chunks max |Δ|", "chunks min cos", "queries max |Δ|", "queries min cos"],
        [
            (
                name,
                d["chunks"]["max_abs"],
                d["chunks"]["min_cosine"],
                d["queries"]["max_abs"],
                d["queries"]["min_cosine"],
            )
            for name, d in diffs.items()
        ],
    )
    if scores:
        first = next(iter(scores.values()))
        harness.table(
            f"SciFact test ({first['documents']:,} documents, {first['queries']} queries), nDCG@10",
            ["backend", *[f"{m} nDCG@10" for m in MODES], *[f"{m} Δ" for m in MODES], "index s"],
            [
                (
                    name,
                    *[s[m]["ndcg@10"] for m in MODES],
                    *[s[m]["ndcg@10"] - scores[TORCH][m]["ndcg@10"] for m in MODES],
                    s["seconds"],
                )
                for name, s in scores.items()
            ],
        )
    else:
        harness.console.print("[yellow]no SciFact collection: quality not measured[/yellow]")
    harness.console.print(
        f"default by the rule (fastest within {r['tolerance']} nDCG@10 of torch): "
        f"[bold]{r['default']}[/bold]"
    )


def main() -> None:
    def options(parser) -> None:
        parser.add_argument("--docs", type=int, help="generated documents for throughput")
        parser.add_argument("--beir-dir", type=Path, default=DEFAULT_BEIR, help="SciFact")
        parser.add_argument("--workdir", type=Path, help="keep corpus and indexes here")

    args = harness.arguments(__doc__.splitlines()[0], options)
    docs = args.docs or (QUICK_DOCS if args.quick else FULL_DOCS)
    beir_dir = args.beir_dir if (args.beir_dir / "corpus.jsonl").is_file() else None
    if beir_dir is None:
        harness.console.print(f"[yellow]{args.beir_dir} is missing: skipping SciFact[/yellow]")
    with tempfile.TemporaryDirectory(prefix="precedent-backends-") as tmp:
        result = run(docs, args.repeats, beir_dir, args.workdir or Path(tmp), args.quick)
    report(result)
    if args.json:
        harness.write_json("embedding_backends", result, args.quick)


if __name__ == "__main__":
    main()
