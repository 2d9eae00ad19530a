"""Large indexes for latency benchmarks, built without embedding millions of texts.

Documents come from bench/corpus.py (``document``); each is split into chunks by packing
whole paragraphs into windows of at most ``CHUNK_CHARS`` characters (about the 254 tokens of
the real chunker at ~4 characters per token) instead of running the tokenizer-driven chunker,
and stored with the pipeline's own insert (``indexer.pipeline._insert_document``) into a
``GenerationBuilder``, so the documents, chunks and BM25 index are exactly what the indexer
writes. Beside it, ``fts-baseline.sqlite`` holds an SQLite FTS5 index of the same chunks:
the lexical leg before bm25s, kept as the baseline query_latency measures against. The
vectors are SYNTHETIC (bench/synthetic.py), not embeddings of the chunk texts: good for
timing the vector leg and measuring recall of the approximate index, meaningless for
relevance. The vector index is built by ``indexer.vectors.build`` with the module's limits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import faiss  # noqa: E402
import numpy as np  # noqa: E402

from bench.corpus import GeneratedFacts, document  # noqa: E402
from bench.synthetic import Mixture  # noqa: E402
from indexer import lexical, vectors  # noqa: E402
from indexer.embed import DEFAULT_MODEL  # noqa: E402
from indexer.pipeline import PreparedDocument, _insert_document  # noqa: E402
from indexer.records import Chunk, DocumentMeta, LoadedDocument  # noqa: E402
from indexer.store import GenerationBuilder, current_generation  # noqa: E402

CHUNK_CHARS = 1000
PARAGRAPHS = 12  # about 4,100 characters, four to five chunks per document
MARKER = "bench-index.json"
FACTS_KEPT = 2000  # facts of documents spread over the index, to write queries from
BASELINE_NAME = "fts-baseline.sqlite"
FORMAT = 2  # bump when the way an index is built changes, so cached ones are rebuilt


@dataclass(frozen=True)
class BuiltIndex:
    root: Path
    chunks: int
    documents: int
    vector_index: str
    build_s: float
    recall10: float | None  # approximate index vs exact, at the engine's depth; None when flat
    facts: list[GeneratedFacts]  # a sample spread over the index
    reused: bool


def split_paragraphs(doc_id: str, text: str, limit: int = CHUNK_CHARS) -> list[Chunk]:
    """Whole paragraphs packed into windows of at most ``limit`` characters (one paragraph
    longer than that is a chunk of its own). ``text[start:end]`` is each chunk's text; a
    paragraph of the form "Heading\\nbody" names the section of the chunks after it."""
    spans, pos = [], 0
    for para in text.split("\n\n"):
        if para.strip():
            spans.append((pos, pos + len(para.rstrip("\n")), para))
        pos += len(para) + 2
    chunks: list[Chunk] = []
    section = current = None
    start = end = 0
    for p_start, p_end, para in spans:
        head, _, body = para.partition("\n")
        heading = head.strip() if body and len(head) < 60 else None
        if current is not None and p_end - start > limit:
            chunks.append(_chunk(doc_id, len(chunks), text, start, end, current))
            current = None
        if current is None:
            start, current = p_start, heading or section or ""
        section = heading or section
        end = p_end
    if current is not None:
        chunks.append(_chunk(doc_id, len(chunks), text, start, end, current))
    return chunks


def _chunk(doc_id: str, ordinal: int, text: str, start: int, end: int, section: str) -> Chunk:
    body = text[start:end]
    return Chunk(doc_id, ordinal, start, end, body, 1, 1, section or None, len(body) // 4)


def build_index(
    root: Path,
    chunks: int,
    seed: int = 7,
    mixture: Mixture | None = None,
    queries: np.ndarray | None = None,
    reuse: bool = True,
) -> BuiltIndex:
    """An index at ``root`` with at least ``chunks`` chunks; reused when a matching one is there.

    With ``queries`` (synthetic query vectors), the approximate index's recall@10 against exact
    search at the engine's depth is measured while the vectors are at hand.
    """
    mixture = mixture or Mixture()
    key = {
        "format": FORMAT,
        "chunks": chunks,
        "seed": seed,
        "mixture": repr(mixture),
        "exact_limit": vectors.EXACT_LIMIT,
        "hnsw": [vectors.HNSW_M, vectors.HNSW_EF_CONSTRUCTION],
        "lexical": lexical.settings(),
        "queries": None if queries is None else hashlib.sha1(queries.tobytes()).hexdigest(),
    }
    marker = root / MARKER
    if reuse and marker.exists() and current_generation(root) is not None:
        saved = json.loads(marker.read_text())
        if saved["key"] == key:
            facts = [GeneratedFacts(**f) for f in saved["facts"]]
            return BuiltIndex(root, **saved["result"], facts=facts, reused=True)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    started = time.perf_counter()
    builder = GenerationBuilder(root, DEFAULT_MODEL, mixture.dim)
    rng = random.Random(seed)
    facts, stored, number = [], 0, 0
    while stored < chunks:
        prepared, fact = _prepared(rng, number)
        _insert_document(builder, prepared)
        facts.append(fact)
        stored += len(prepared.chunks)
        number += 1
    ids = np.array([r[0] for r in builder.conn.execute("SELECT id FROM chunks ORDER BY id")])
    matrix = mixture.sample(len(ids))
    index = vectors.build(ids, matrix)
    recall = None
    if queries is not None and vectors.kind(index) == "hnsw":
        recall = approximate_recall(index, ids, matrix, queries)
    del matrix
    stats = {"documents": number, "chunks": len(ids)}
    builder.publish(index, stats)
    build_fts_baseline(root)
    result = {
        "chunks": len(ids),
        "documents": number,
        "vector_index": vectors.kind(index),
        "build_s": time.perf_counter() - started,
        "recall10": recall,
    }
    sample = facts[:: max(1, len(facts) // FACTS_KEPT)][:FACTS_KEPT]
    marker.write_text(
        json.dumps({"key": key, "result": result, "facts": [f.__dict__ for f in sample]})
    )
    return BuiltIndex(root, **result, facts=sample, reused=False)


def build_fts_baseline(root: Path) -> Path:
    """A contentless FTS5 index of the live generation's chunks (rowid = chunk id), with
    the tokenizer the lexical leg used before bm25s (Porter stemming, unicode61)."""
    path = root / BASELINE_NAME
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute(
            "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, section, content='',"
            " tokenize='porter unicode61 remove_diacritics 2')"
        )
        conn.execute("ATTACH DATABASE ? AS gen", (str(current_generation(root) / "index.sqlite"),))
        conn.execute(
            "INSERT INTO chunks_fts(rowid, text, section)"
            " SELECT id, text, coalesce(section, '') FROM gen.chunks ORDER BY id"
        )
        conn.commit()
    finally:
        conn.close()
    return path


def approximate_recall(
    index: faiss.Index, ids: np.ndarray, matrix: np.ndarray, queries: np.ndarray, k: int = 10
) -> float:
    """recall@k of ``vectors.search`` at the engine's depth against brute force."""
    from search.engine import CANDIDATES_PER_RESULT, MIN_CANDIDATES

    depth = max(MIN_CANDIDATES, k * CANDIDATES_PER_RESULT)
    _, exact = faiss.knn(queries, matrix, k, metric=faiss.METRIC_INNER_PRODUCT)
    hits = 0
    for q, truth in zip(queries, exact, strict=True):
        found = vectors.search(index, q, depth)[1][:k]
        hits += len(set(found.tolist()) & set(ids[truth].tolist()))
    return hits / (k * len(queries))


def _prepared(rng: random.Random, number: int) -> tuple[PreparedDocument, GeneratedFacts]:
    text, facts = document(rng, number, PARAGRAPHS)
    doc_id = hashlib.sha256(text.encode()).hexdigest()[:16]
    loaded = LoadedDocument(Path(f"/synthetic/{facts.file}"), "txt", text)
    meta = DocumentMeta(
        title=f"Award of a contract for the {facts.service}",
        organisation=facts.council,
        doc_type="decision",
        date=f"{facts.year}-04-01",
        decision_ref=f"{number:04d} {facts.year}/{(facts.year + 1) % 100:02d}",
    )
    chunks = split_paragraphs(doc_id, text)
    return _prepared_document(doc_id, loaded, meta, chunks), facts


def _prepared_document(
    doc_id: str, loaded: LoadedDocument, meta: DocumentMeta, chunks: list[Chunk]
) -> PreparedDocument:
    """The pipeline's record, with no extracted facts where it carries them (they are not
    searched, and extracting them for a million chunks would dominate the build)."""
    values = {"doc_id": doc_id, "file_hash": doc_id, "doc": loaded, "meta": meta, "chunks": chunks}
    names = {f.name for f in dataclasses.fields(PreparedDocument)}
    if "facts" in names:
        from extract import DocumentFacts

        values["facts"] = DocumentFacts((), ())
    return PreparedDocument(**{k: v for k, v in values.items() if k in names})
