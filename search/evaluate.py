"""Retrieval quality on a BEIR-format collection, measured through the real indexer and engine.

A BEIR folder holds ``corpus.jsonl`` ({_id, title, text}), ``queries.jsonl`` ({_id, text}) and
``qrels/SPLIT.tsv`` (query-id, corpus-id, score; a header line). Each corpus document becomes
a ``.txt`` file (title, a blank line, text) with a ``manifest.jsonl`` entry carrying its BEIR
id, so the index is built exactly as for council documents; a second run re-uses the index
(indexing is incremental: nothing is embedded again). Every query of the split then runs
through ``search.engine.search`` per mode, and nDCG@10, Recall@100 and MRR@10 come from
``ir_measures`` (trec_eval underneath), so graded relevance counts as published scores do.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ir_measures
from ir_measures import RR, R, nDCG

from indexer.embed import Embedder
from indexer.errors import InvalidQueryError, PrecedentError
from indexer.pipeline import IndexReport, index_paths
from indexer.store import Snapshot, open_snapshot
from search.engine import search
from search.query import make_request

MODES = ("bm25", "dense", "hybrid")
DEPTH = 100  # documents retrieved per query: Recall@100 needs 100
MEASURES = {"ndcg@10": nDCG @ 10, "recall@100": R @ 100, "mrr@10": RR @ 10}

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]
# One retriever: a query's text in, {BEIR doc id: score} out (at most DEPTH entries).
Retriever = Callable[[str], dict[str, float]]


class BeirError(PrecedentError, ValueError):
    """The collection is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class Collection:
    name: str
    corpus: dict[str, tuple[str, str]]  # BEIR id -> (title, text)
    queries: dict[str, str]  # query id -> text, only the split's queries
    qrels: Qrels


# -- reading a BEIR folder ----------------------------------------------------------------


def load_collection(beir_dir: Path, split: str) -> Collection:
    """The corpus, the queries judged in ``split`` and their qrels."""
    qrels = read_qrels(beir_dir / "qrels" / f"{split}.tsv")
    corpus = {
        row["_id"]: (row.get("title") or "", row.get("text") or "")
        for row in _jsonl(beir_dir / "corpus.jsonl")
    }
    texts = {row["_id"]: row.get("text") or "" for row in _jsonl(beir_dir / "queries.jsonl")}
    missing = [q for q in qrels if q not in texts]
    if missing:
        raise BeirError(
            f"{beir_dir / 'queries.jsonl'}: {len(missing)} judged queries are missing "
            f"(first: {missing[0]!r})"
        )
    queries = {q: texts[q] for q in qrels}
    return Collection(beir_dir.resolve().name, corpus, queries, qrels)


def read_qrels(path: Path) -> Qrels:
    """query id -> {doc id: graded relevance}; the header line and CRLF endings are allowed."""
    if not path.is_file():
        raise BeirError(f"no qrels file for this split: {path} does not exist")
    qrels: Qrels = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.strip().split("\t")
        if not line.strip() or (number == 1 and not _is_int(fields[-1])):
            continue  # blank line or the "query-id corpus-id score" header
        if len(fields) != 3 or not _is_int(fields[2]):
            raise BeirError(f"{path} line {number}: expected query-id, corpus-id, score")
        qrels.setdefault(fields[0], {})[fields[1]] = int(fields[2])
    if not qrels:
        raise BeirError(f"{path} holds no judgements")
    return qrels


def _is_int(value: str) -> bool:
    return value.strip().lstrip("-").isdigit()


def _jsonl(path: Path) -> Iterable[dict]:
    if not path.is_file():
        raise BeirError(f"{path} does not exist")
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                row["_id"] = str(row["_id"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise BeirError(f"{path} line {number}: not a JSON object with an _id") from exc
            yield row


# -- indexing through the real pipeline ---------------------------------------------------


def document_file_name(beir_id: str) -> str:
    """A safe, stable file name: the id's harmless characters plus a hash (ids may hold '/')."""
    slug = re.sub(r"[^A-Za-z0-9_-]", "_", beir_id)[:60]
    return f"{slug}-{hashlib.sha1(beir_id.encode()).hexdigest()[:8]}.txt"


def document_text(title: str, text: str) -> str:
    """The file's content: title as the first line, a blank line, then the text."""
    title = " ".join(title.split())
    return f"{title}\n\n{text.strip()}\n" if title else f"{text.strip()}\n"


def write_documents(collection: Collection, docs_dir: Path) -> None:
    """One .txt per document plus manifest.jsonl; unchanged files are not rewritten."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    manifest = []
    for beir_id, (title, text) in collection.corpus.items():
        name = document_file_name(beir_id)
        _write_if_changed(docs_dir / name, document_text(title, text))
        manifest.append(json.dumps({"file": name, "title": title or None, "beir_id": beir_id}))
    _write_if_changed(docs_dir / "manifest.jsonl", "\n".join(manifest) + "\n")


def _write_if_changed(path: Path, content: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != content:
        path.write_text(content, encoding="utf-8")


def default_workdir(beir_dir: Path, model: str) -> Path:
    """Where a collection's documents and index are kept between runs when no folder is
    given: one per collection and model, as an index holds one model's vectors and refuses
    another's."""
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", model).strip("-")
    return Path(tempfile.gettempdir()) / f"precedent-beir-{beir_dir.resolve().name}-{slug}"


def build_index(collection: Collection, workdir: Path, embedder: Embedder) -> IndexReport:
    """Index the collection into ``workdir/index``; a second run only checks file hashes."""
    docs_dir = workdir / "docs"
    write_documents(collection, docs_dir)
    return index_paths(workdir / "index", [docs_dir], embedder)


def beir_ids_by_doc(snapshot: Snapshot, report: IndexReport) -> dict[str, list[str]]:
    """Index document id -> BEIR ids (several when documents share the exact same text)."""
    by_source: dict[str, str] = {}
    out: dict[str, list[str]] = {}
    for doc_id, source, meta in snapshot.conn.execute("SELECT id, source, meta FROM documents"):
        beir_id = json.loads(meta).get("beir_id")
        if beir_id is not None:
            out[doc_id] = [str(beir_id)]
            by_source[source] = doc_id
    # A duplicate's text was indexed once, under its owner: it is retrieved as the owner.
    names = {document_file_name(b): b for ids in out.values() for b in ids}
    for duplicate, owner in report.duplicates:
        if owner in by_source:
            beir_id = names.get(Path(duplicate).name) or _id_from_name(duplicate)
            # The same file under another path (a work folder copied) is the same document.
            if beir_id and beir_id not in out[by_source[owner]]:
                out[by_source[owner]].append(beir_id)
    return out


def _id_from_name(path: str) -> str | None:
    manifest = Path(path).parent / "manifest.jsonl"
    for line in manifest.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["file"] == Path(path).name:
            return str(row["beir_id"])
    return None


# -- running and scoring ------------------------------------------------------------------


def engine_retriever(
    snapshot: Snapshot, embedder: Embedder, mode: str, ids: dict[str, list[str]]
) -> Retriever:
    """Our engine in one mode, its document hits mapped to BEIR ids (rank kept as score)."""

    def retrieve(query: str) -> dict[str, float]:
        try:
            request = make_request(query, mode, k=DEPTH, passages=1)
        except InvalidQueryError:
            return {}  # an empty query finds nothing, as it would for a user
        hits = search(snapshot, request, embedder).results
        # Scores are strictly decreasing by rank, so trec_eval's tie-breaking never applies.
        return {b: float(DEPTH - r) for r, hit in enumerate(hits) for b in ids.get(hit.doc_id, [])}

    return retrieve


def run_queries(retrieve: Retriever, queries: dict[str, str]) -> tuple[Run, list[float]]:
    """The run ({query id: {doc id: score}}) and each query's wall time in seconds."""
    run: Run = {}
    times: list[float] = []
    for qid, text in queries.items():
        start = time.perf_counter()
        run[qid] = retrieve(text)
        times.append(time.perf_counter() - start)
    return run, times


def score_run(qrels: Qrels, run: Run) -> dict[str, float]:
    """Mean of each measure over every judged query; a query with no results scores 0.

    trec_eval averages only over queries present in the run, which would flatter a system
    that returns nothing for hard queries, so the per-query values are averaged here.
    """
    totals = dict.fromkeys(MEASURES, 0.0)
    names = {m: key for key, m in MEASURES.items()}
    # trec_eval needs a run entry per query to report it; an empty one gets scored as zero.
    for metric in ir_measures.iter_calc(list(MEASURES.values()), qrels, _non_empty(run)):
        totals[names[metric.measure]] += metric.value
    return {key: value / len(qrels) for key, value in totals.items()}


def _non_empty(run: Run) -> Run:
    return {q: docs for q, docs in run.items() if docs}


def evaluate_run(name: str, kind: str, collection: Collection, retrieve: Retriever) -> dict:
    """Run every query of the split through ``retrieve`` and score it."""
    start = time.perf_counter()
    run, times = run_queries(retrieve, collection.queries)
    seconds = time.perf_counter() - start
    return {
        "mode": name,
        "kind": kind,
        **score_run(collection.qrels, run),
        "queries": len(collection.queries),
        "seconds": round(seconds, 3),
        "median_ms": round(statistics.median(times) * 1000, 2) if times else 0.0,
    }


def evaluate_beir(
    beir_dir: Path,
    split: str,
    embedder: Embedder,
    workdir: Path,
    modes: Sequence[str] = MODES,
    peers: bool = True,
) -> dict:
    """Index ``beir_dir`` into ``workdir`` and score each mode (and the peers) on ``split``.

    Returns {"collection", "split", "documents", "queries", "index": {...}, "results": [...]},
    one result per mode and then per peer: {"mode", "kind" ("precedent" or "peer"),
    "ndcg@10", "recall@100", "mrr@10", "queries", "seconds", "median_ms"}.
    Raises BeirError when a file is missing or malformed (the message names it).
    """
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise BeirError(f"unknown mode {unknown[0]!r} (use {', '.join(MODES)})")
    collection = load_collection(Path(beir_dir), split)
    workdir = Path(workdir)
    report = build_index(collection, workdir, embedder)
    snapshot = open_snapshot(workdir / "index")
    try:
        ids = beir_ids_by_doc(snapshot, report)
        results = [
            evaluate_run(
                mode, "precedent", collection, engine_retriever(snapshot, embedder, m, ids)
            )
            for mode, m in ((mode, mode) for mode in modes)
        ]
    finally:
        snapshot.close()
    if peers:
        results += _peer_results(collection, embedder, workdir)
    return {
        "collection": collection.name,
        "split": split,
        "documents": len(collection.corpus),
        "queries": len(collection.queries),
        "index": {
            "documents": len(ids),
            "embedded": report.chunks_embedded,
            "failed": [str(e) for e in report.failed],
            "duplicates": len(report.duplicates),
        },
        "results": results,
    }


def _peer_results(collection: Collection, embedder: Embedder, workdir: Path) -> list[dict]:
    """The reference systems in ``bench/peers.py``, on the same documents and queries."""
    build_peers = _load_peers().build_peers
    return [
        evaluate_run(name, "peer", collection, retrieve)
        for name, retrieve in build_peers(collection.corpus, embedder, workdir / "peers", DEPTH)
    ]


def _load_peers():
    """bench.peers, from the import path or else from this source checkout (bench/ is not
    an installed package, so ``precedent`` run from another folder cannot import it)."""
    try:
        return importlib.import_module("bench.peers")
    except ModuleNotFoundError as exc:
        path = Path(__file__).resolve().parent.parent / "bench" / "peers.py"
        if not path.is_file():
            raise BeirError(f"peers need bench/peers.py from a source checkout ({exc})") from exc
        spec = importlib.util.spec_from_file_location("bench.peers", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
