"""Indexing throughput: ``index_paths`` end to end against the model's raw encoding.

On a generated corpus (bench/corpus.py ``write_corpus``; quick 200 documents, full 1,000),
each repeat indexes into a FRESH index directory (so the embedding cache starts empty), does
so again with ``embed_ahead=False`` (embedding only after every document is prepared, as the
pipeline did before indexer/embed_ahead.py), and encodes the same chunk texts with one call of
sentence-transformers' own ``encode``; the order of the three rotates between repeats so
drift in background load hits all alike. Reported:

* chunks/s of the pipeline and of raw encoding, and their ratio (target: the pipeline adds
  at most 10% over raw encoding), with the pipeline's time split by stage;
* peak memory: ``resource.getrusage`` ru_maxrss of this process (which holds the model),
  after loading the model and after the first index run;
* index size on disk (database, vectors, embedding cache);
* re-indexing the unchanged corpus (target: nothing embedded, under 5 s), and re-indexing
  after one file changed;
* the steps of preparing a document, timed apart over the corpus after the pipeline runs:
  loading, chunking (which counts tokens with the model's tokenizer) and fact extraction.

    python bench/indexing.py [--quick] [--json] [--repeats N] [--docs N]
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path
from unittest.mock import patch

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402
from bench.corpus import write_corpus  # noqa: E402
from extract import extract_document  # noqa: E402
from indexer.chunk import chunk_document  # noqa: E402
from indexer.embed import Embedder, load_embedder  # noqa: E402
from indexer.load import load_document  # noqa: E402
from indexer.pipeline import index_paths  # noqa: E402
from indexer.store import current_generation  # noqa: E402

FULL_DOCS = 1000
QUICK_DOCS = 200
OVERHEAD_TARGET = 1.10
REINDEX_TARGET_S = 5.0


class StageTimer:
    """A pipeline Reporter that records how long each stage took."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self._current: str | None = None
        self._since = time.perf_counter()

    def stage(self, name: str, total: int | None = None) -> None:
        self._close()
        self._current, self._since = name, time.perf_counter()

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> dict[str, float]:
        self._close()
        return self.stages

    def _close(self) -> None:
        if self._current is not None:
            elapsed = time.perf_counter() - self._since
            self.stages[self._current] = self.stages.get(self._current, 0.0) + elapsed
            self._current = None


def chunk_texts(root: Path) -> tuple[int, list[str]]:
    """(chunks stored, distinct chunk texts in the order the pipeline embeds them)."""
    import sqlite3

    conn = sqlite3.connect(current_generation(root) / "index.sqlite")
    try:
        rows = conn.execute("SELECT text_hash, text FROM chunks ORDER BY id").fetchall()
    finally:
        conn.close()
    return len(rows), list(dict(rows).values())  # dict keeps each hash's first text, in order


def index_once(corpus: Path, root: Path, embedder: Embedder, embed_ahead: bool = True) -> dict:
    timer = StageTimer()
    start = time.perf_counter()
    report = index_paths(root, [corpus], embedder, reporter=timer, embed_ahead=embed_ahead)
    seconds = time.perf_counter() - start
    if report.failed:
        raise RuntimeError(f"indexing failed: {report.failed[:3]}")
    return {
        "seconds": seconds,
        "embedded": report.chunks_embedded,
        "embedded_aside": report.chunks_embedded_aside,
        "stages": timer.finish(),
    }


def encode_once(texts: list[str], embedder: Embedder) -> float:
    """The baseline: sentence-transformers' own ``encode``, one call over every text (it
    orders them longest first itself), at the batch size the pipeline uses."""
    with parallel_tokenizing():
        seconds, _ = harness.timed(
            lambda: embedder.model.encode(
                texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True
            )
        )
    return seconds


def encode_direct_once(texts: list[str], embedder: Embedder) -> float:
    """The stricter baseline: the pipeline's own encoding, ``Embedder.encode`` given the
    texts' token ids and counts (made before the clock starts, as chunking makes them in a
    run), one call over every text. For an OpenVINO model it runs the model directly on the
    ids (indexer/openvino_run.py): no tokenising, no sentence-transformers tensors."""
    ids = embedder.token_ids(texts)
    lengths = [len(i) for i in ids]
    seconds, _ = harness.timed(
        lambda: embedder.encode(texts, batch_size=64, lengths=lengths, token_ids=ids)
    )
    return seconds


def parallel_tokenizing() -> AbstractContextManager:
    """The tokenizer's default, batches spread over every core, which indexer/embed.py
    turns off for indexing: the baseline encodes as a program calling the model would.
    Set only while nothing else runs (the variable is read at each call)."""
    return patch.dict(os.environ, {"TOKENIZERS_PARALLELISM": "true"})


def sizes_on_disk(root: Path) -> dict[str, int]:
    gen = current_generation(root)
    return {
        "database": (gen / "index.sqlite").stat().st_size,
        "vectors": (gen / "vectors.faiss").stat().st_size,
        "embedding_cache": sum(p.stat().st_size for p in root.glob("embeddings.sqlite*")),
    }


def reindex(corpus: Path, root: Path, embedder: Embedder, change: Path | None) -> dict:
    if change is not None:
        with change.open("a") as fh:
            fh.write("\nAddendum\nThe decision was amended to extend the review period.\n")
    start = time.perf_counter()
    report = index_paths(root, [corpus], embedder)
    return {
        "seconds": time.perf_counter() - start,
        "embedded": report.chunks_embedded,
        "generation_written": report.generation is not None,
    }


def prepare_steps(corpus: Path, embedder: Embedder) -> dict[str, float]:
    """Seconds over the whole corpus for each step of ``indexer.pipeline.prepare``."""
    files = sorted(corpus.glob("*.txt"))
    load_s, docs = harness.timed(lambda: [load_document(f) for f in files])
    chunk_s, _ = harness.timed(
        lambda: [chunk_document("d", d, embedder.token_ids, embedder.max_tokens) for d in docs]
    )
    extract_s, _ = harness.timed(lambda: [extract_document(d.text) for d in docs])
    return {"load": load_s, "chunk": chunk_s, "extract": extract_s}


def run(docs: int, repeats: int, embedder: Embedder, workdir: Path, paragraphs: int = 6) -> dict:
    corpus = workdir / "corpus"
    write_corpus(corpus, docs, seed=7, paragraphs=paragraphs)
    embedder.encode(["warm up the model"])
    memory = {
        "rss_model_loaded": harness.rss_bytes(),
        "peak_model_loaded": harness.peak_rss_bytes(),
    }
    pipeline, serial, raw, direct, texts, chunks, first_root = [], [], [], [], None, 0, None
    steps = ("pipeline", "serial", "raw", "direct")
    for rep in range(repeats):
        root = workdir / f"index-{rep}"
        # The first repeat starts with the pipeline (raw encoding needs its chunk texts);
        # later ones rotate the order, so drift in background load hits all alike.
        for step in steps[rep % len(steps) :] + steps[: rep % len(steps)]:
            if step == "pipeline":
                pipeline.append(index_once(corpus, root, embedder))
                if texts is None:
                    chunks, texts = chunk_texts(root)
                    first_root = root
                    memory["peak_after_first_index"] = harness.peak_rss_bytes()
            elif step == "serial":  # embedding only after every document is prepared
                serial_root = workdir / f"serial-{rep}"
                serial.append(index_once(corpus, serial_root, embedder, embed_ahead=False))
                shutil.rmtree(serial_root)
            elif step == "raw":
                raw.append(encode_once(texts, embedder))
            else:
                direct.append(encode_direct_once(texts, embedder))
        if root != first_root:
            shutil.rmtree(root)
    memory["peak_end"] = harness.peak_rss_bytes()
    disk = sizes_on_disk(first_root)
    unchanged = [reindex(corpus, first_root, embedder, None) for _ in range(repeats)]
    changed = reindex(corpus, first_root, embedder, sorted(corpus.glob("*.txt"))[0])
    pipe_s = statistics.median(p["seconds"] for p in pipeline)
    serial_s = statistics.median(p["seconds"] for p in serial)
    raw_s = statistics.median(raw)
    direct_s = statistics.median(direct)
    stages = {
        name: statistics.median(p["stages"].get(name, 0.0) for p in pipeline)
        for name in pipeline[0]["stages"]
    }
    return {
        "documents": docs,
        "chunks": chunks,
        "texts_embedded": pipeline[0]["embedded"],
        "repeats": repeats,
        "pipeline_s": [p["seconds"] for p in pipeline],
        "pipeline_embedded_aside": [p["embedded_aside"] for p in pipeline],
        "raw_encode_s": raw,
        "pipeline_median_s": pipe_s,
        "raw_median_s": raw_s,
        "ratio": pipe_s / raw_s,
        "direct_encode_s": direct,
        "direct_median_s": direct_s,
        "ratio_vs_direct": pipe_s / direct_s,
        "serial_s": [p["seconds"] for p in serial],
        "serial_median_s": serial_s,
        "serial_ratio": serial_s / raw_s,
        "ratio_per_repeat_median": statistics.median(
            p["seconds"] / r for p, r in zip(pipeline, raw, strict=True)
        ),
        "stages_median_s": stages,
        "memory": memory,
        "disk": disk,
        "reindex_unchanged": unchanged,
        "reindex_unchanged_median_s": statistics.median(u["seconds"] for u in unchanged),
        "reindex_one_changed": changed,
        "prepare_steps_s": prepare_steps(corpus, embedder),
    }


def report(r: dict) -> None:
    embedded = r["texts_embedded"]
    harness.table(
        f"Indexing {r['documents']:,} generated documents ({r['chunks']:,} chunks, "
        f"{embedded:,} distinct texts): pipeline vs raw encoding "
        f"(median of {r['repeats']}, fresh index each time)",
        ["run", "seconds", "chunks/s", "/ raw", f"<= {OVERHEAD_TARGET:.2f}"],
        [
            (
                "index_paths (embedding beside preparation)",
                r["pipeline_median_s"],
                r["chunks"] / r["pipeline_median_s"],
                r["ratio"],
                r["ratio"] <= OVERHEAD_TARGET,
            ),
            (
                "index_paths, embed_ahead=False",
                r["serial_median_s"],
                r["chunks"] / r["serial_median_s"],
                r["serial_ratio"],
                r["serial_ratio"] <= OVERHEAD_TARGET,
            ),
            (
                "raw SentenceTransformer.encode (the baseline)",
                r["raw_median_s"],
                embedded / r["raw_median_s"],
                1.0,
                "-",
            ),
            (
                "raw Embedder.encode (the pipeline's own encoding)",
                r["direct_median_s"],
                embedded / r["direct_median_s"],
                r["direct_median_s"] / r["raw_median_s"],
                "-",
            ),
        ],
        caption=(
            f"Raw encoding embeds the same {embedded:,} distinct chunk texts with one "
            "SentenceTransformer.encode call; index_paths is timed end to end (model already "
            "loaded). embed_ahead=False embeds only after every document is prepared; with "
            "it on, a median "
            f"{statistics.median(r['pipeline_embedded_aside']):,.0f} texts "
            "were embedded while documents were prepared. "
            f"Per-repeat ratios: median {r['ratio_per_repeat_median']:.3f}. Against the "
            "pipeline's own encoding (Embedder.encode, one call), the pipeline takes "
            f"{r['ratio_vs_direct']:.3f}×."
        ),
    )
    total = r["pipeline_median_s"]
    harness.table(
        "Pipeline time by stage (median s)",
        ["stage", "seconds", "share"],
        [(name, s, s / total) for name, s in r["stages_median_s"].items()],
    )
    steps = r["prepare_steps_s"]
    harness.table(
        "Preparing a document, step by step (one pass over the corpus, after the pipeline)",
        ["step", "seconds", "ms per document"],
        [(name, sec, 1000 * sec / r["documents"]) for name, sec in steps.items()],
    )
    mem, disk = r["memory"], r["disk"]
    harness.table(
        "Memory (ru_maxrss of this process, which holds the model) and size on disk, MiB",
        [
            "RSS model loaded",
            "peak model loaded",
            "peak after first index",
            "peak at end",
            "database",
            "vectors",
            "embedding cache",
        ],
        [
            (
                harness.mib(mem["rss_model_loaded"]),
                harness.mib(mem["peak_model_loaded"]),
                harness.mib(mem["peak_after_first_index"]),
                harness.mib(mem["peak_end"]),
                harness.mib(disk["database"]),
                harness.mib(disk["vectors"]),
                harness.mib(disk["embedding_cache"]),
            )
        ],
    )
    changed = r["reindex_one_changed"]
    harness.table(
        "Re-indexing",
        ["case", "seconds", "texts embedded", "generation written", "target"],
        [
            (
                f"unchanged corpus (median of {len(r['reindex_unchanged'])})",
                r["reindex_unchanged_median_s"],
                max(u["embedded"] for u in r["reindex_unchanged"]),
                any(u["generation_written"] for u in r["reindex_unchanged"]),
                f"0 embedded, < {REINDEX_TARGET_S:.0f} s: "
                + harness.fmt(
                    r["reindex_unchanged_median_s"] < REINDEX_TARGET_S
                    and all(u["embedded"] == 0 for u in r["reindex_unchanged"])
                ),
            ),
            (
                "one file changed",
                changed["seconds"],
                changed["embedded"],
                changed["generation_written"],
                "-",
            ),
        ],
    )


def main() -> None:
    args = harness.arguments(
        __doc__.splitlines()[0], lambda p: p.add_argument("--docs", type=int, help="corpus size")
    )
    docs = args.docs or (QUICK_DOCS if args.quick else FULL_DOCS)
    embedder = load_embedder()
    with tempfile.TemporaryDirectory(prefix="precedent-bench-") as tmp:
        result = run(docs, args.repeats, embedder, Path(tmp))
    report(result)
    if args.json:
        harness.write_json("indexing", result, args.quick)


if __name__ == "__main__":
    main()
