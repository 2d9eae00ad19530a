"""One index run: discover -> load -> chunk -> store, then embed what the cache lacks.

Load and chunk are pure per file; embedding is a pure function of chunk texts. The store
merges their output into a new generation, published only when everything is written.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from extract import DocumentFacts, extract_document
from indexer import metadata, vectors
from indexer.cache import EmbeddingCache, text_hash
from indexer.chunk import chunk_document
from indexer.embed import Embedder
from indexer.embed_ahead import EmbedAhead
from indexer.facts_store import store_facts
from indexer.load import discover, load_document
from indexer.records import Chunk, DocumentMeta, LoadedDocument, LoadError
from indexer.store import (
    VECTORS_NAME,
    GenerationBuilder,
    WriteLock,
    current_generation,
    ensure_model,
    live_manifest,
    outdated,
)

EMBED_BATCH = 256
TokenIds = dict[str, np.ndarray]  # text hash -> the text's token ids (Chunk.token_ids)


class Reporter(Protocol):
    """Progress sink: the CLI shows a bar, tests and the API pass nothing."""

    def stage(self, name: str, total: int | None = None) -> None: ...
    def advance(self, n: int = 1) -> None: ...


class _Silent:
    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[LoadError] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    empty_pages: dict[str, list[int]] = field(default_factory=dict)
    chunks_embedded: int = 0
    chunks_embedded_aside: int = 0  # of those, embedded while documents were prepared
    chunks_cached: int = 0
    vectors_reused: int = 0  # kept from the live generation's vector index, not looked up
    generation: str | None = None


@dataclass(frozen=True)
class PreparedDocument:
    """A loaded, chunked document with its extracted facts, ready to store."""

    doc_id: str
    file_hash: str
    doc: LoadedDocument
    meta: DocumentMeta
    chunks: list[Chunk]
    facts: DocumentFacts


def document_id(text: str) -> str:
    """Stable id from the content: the same text always gets the same id."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare(path: Path, embedder: Embedder) -> PreparedDocument:
    """Load and chunk one file (pure: no index involved). Raises LoadError."""
    doc = load_document(path)
    doc_id = document_id(doc.text)
    meta = metadata.lookup(path) or DocumentMeta()
    chunks = chunk_document(doc_id, doc, embedder.token_ids, embedder.max_tokens)
    facts = extract_document(doc.text, known_organisation=meta.organisation)
    try:
        digest = file_hash(path)
    except OSError as exc:
        raise LoadError(path, exc.strerror or str(exc)) from exc
    return PreparedDocument(doc_id, digest, doc, meta, chunks, facts)


def index_paths(
    root: Path,
    paths: list[Path],
    embedder: Embedder,
    prune: bool = False,
    reporter: Reporter | None = None,
    lock_timeout: float = 600,
    embed_ahead: bool = True,
) -> IndexReport:
    """Bring the index at ``root`` up to date with the files under ``paths``.

    ``embed_ahead``: embed on the idle core while documents are still being prepared
    (indexer/embed_ahead.py); False embeds only once all are prepared, which
    bench/indexing.py measures against."""
    reporter = reporter or _Silent()
    report = IndexReport()
    with WriteLock(root, lock_timeout):
        ensure_model(root, embedder.name)
        reporter.stage("scanning")
        files, report.failed = discover(paths)
        known = _known_sources(root)
        todo = _changed(files, known, report)
        gone = _removed(known, files, paths) if prune else []
        upgrade = outdated(root)
        if not todo and not gone and not upgrade:
            return report
        ahead = EmbedAhead(root, embedder, embed_ahead, documents=len(todo))
        with _building(root, embedder) as builder, ahead:
            _remove_documents(builder, gone, report)
            ids = _store_documents(builder, todo, embedder, known, report, reporter, ahead)
            if not (report.added or report.updated or report.removed or upgrade):
                builder.discard()  # every changed file failed or was a duplicate
                return report
            builder.write_lexical()  # the chunks are final; the worker embeds meanwhile
            ahead.finish()
            report.chunks_embedded = report.chunks_embedded_aside = len(ahead.embedded)
            report.generation = _publish(
                builder, root, embedder, report, reporter, ahead.embedded, ids
            )
    return report


def delete_documents(
    root: Path, doc_ids: list[str], embedder: Embedder, lock_timeout: float = 600
) -> list[str]:
    """Remove documents by id in a new generation; returns the sources removed."""
    with WriteLock(root, lock_timeout):
        ensure_model(root, embedder.name)
        if current_generation(root) is None:
            return []
        marks = ",".join("?" * len(doc_ids))
        sql = f"SELECT source FROM documents WHERE id IN ({marks})"
        with _building(root, embedder) as builder:
            sources = [r[0] for r in builder.conn.execute(sql, doc_ids)]
            if not sources:
                builder.discard()
                return []
            report = IndexReport()
            _remove_documents(builder, sources, report)
            _publish(builder, root, embedder, report, _Silent())
    return sources


@contextmanager
def _building(root: Path, embedder: Embedder) -> Iterator[GenerationBuilder]:
    """A new generation that is thrown away whole if anything fails before it is published."""
    builder = GenerationBuilder(root, embedder.name, embedder.dimension)
    try:
        yield builder
    except BaseException:
        builder.discard()
        raise


def _publish(
    builder: GenerationBuilder,
    root: Path,
    embedder: Embedder,
    report: IndexReport,
    reporter: Reporter,
    fresh: AbstractSet[str] = frozenset(),
    token_ids: TokenIds | None = None,
) -> str:
    """Embed and build the vector index, then publish. ``fresh``: text hashes this run has
    already embedded (``EmbedAhead``), which the cache now holds but were not cached before;
    ``token_ids``: this run's chunk texts' ids, where the embedder runs them."""
    index, build = _embed_and_build(
        builder, root, embedder, report, reporter, fresh, token_ids or {}
    )
    reporter.stage("publishing")
    return builder.publish(index, _stats(builder) | {"vector_build": build})


def _known_sources(root: Path) -> dict[str, str]:
    gen = current_generation(root)
    if gen is None:
        return {}
    conn = sqlite3.connect(f"file:{gen / 'index.sqlite'}?mode=ro&immutable=1", uri=True)
    try:
        return dict(conn.execute("SELECT source, file_hash FROM documents"))
    finally:
        conn.close()


def _changed(files: list[Path], known: dict[str, str], report: IndexReport) -> list[Path]:
    todo = []
    for path in files:
        try:
            digest = file_hash(path)
        except OSError as exc:
            report.failed.append(LoadError(path, exc.strerror or str(exc)))
            continue
        if known.get(str(path)) == digest:
            report.unchanged += 1
        else:
            todo.append(path)
    return todo


def _removed(known: dict[str, str], files: list[Path], roots: list[Path]) -> list[str]:
    """Indexed sources under the given roots that are no longer there."""
    present = {str(p) for p in files}
    scopes = [str(r.resolve()) for r in roots]
    return [
        src
        for src in known
        if src not in present
        and any(src == s or src.startswith(s.rstrip("/") + "/") for s in scopes)
    ]


def _remove_documents(builder: GenerationBuilder, sources: list[str], report: IndexReport) -> None:
    for source in sources:
        builder.conn.execute("DELETE FROM documents WHERE source = ?", (source,))
        report.removed.append(source)


def _store_documents(
    builder: GenerationBuilder,
    todo: list[Path],
    embedder: Embedder,
    known: dict[str, str],
    report: IndexReport,
    reporter: Reporter,
    ahead: EmbedAhead,
) -> TokenIds:
    """Prepare and store each changed document. Returns its chunk texts' token ids, by text
    hash, where the embedder runs them (``Embedder.reuses_token_ids``)."""
    token_ids: TokenIds = {}
    reporter.stage("loading", total=len(todo))
    for prepared in _prepared(todo, embedder, report, reporter):
        source = str(prepared.doc.source)
        owner = builder.conn.execute(
            "SELECT source FROM documents WHERE id = ?", (prepared.doc_id,)
        ).fetchone()
        if owner and owner[0] != source:
            report.duplicates.append((source, owner[0]))
            continue
        builder.conn.execute("DELETE FROM documents WHERE source = ?", (source,))
        _insert_document(builder, prepared)
        ahead.add(prepared.chunks)
        if embedder.reuses_token_ids:
            for c in prepared.chunks:
                if c.token_ids is not None:
                    token_ids[text_hash(c.text)] = c.token_ids
        (report.updated if source in known else report.added).append(source)
        if prepared.doc.empty_pages:
            report.empty_pages[source] = list(prepared.doc.empty_pages)
    return token_ids


def _prepared(
    todo: list[Path], embedder: Embedder, report: IndexReport, reporter: Reporter
) -> Iterator[PreparedDocument]:
    for path in todo:
        try:
            yield prepare(path, embedder)
        except LoadError as exc:
            report.failed.append(exc)
        finally:
            reporter.advance()


def _insert_document(builder: GenerationBuilder, p: PreparedDocument) -> None:
    doc, meta = p.doc, p.meta
    title = meta.title or doc.title or _first_line(doc.text)
    organisation, date, derived = _derived_metadata(p)
    builder.conn.execute(
        "INSERT INTO documents (id, source, file_hash, format, title, organisation, doc_type,"
        " date, decision_ref, source_url, page_starts, empty_pages, text, meta, indexed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            p.doc_id,
            str(doc.source),
            p.file_hash,
            doc.format,
            title,
            organisation,
            meta.doc_type,
            date,
            meta.decision_ref,
            meta.source_url,
            json.dumps(list(doc.page_starts)),
            json.dumps(list(doc.empty_pages)),
            doc.text,
            json.dumps({**meta.extra, "derived_from_text": derived}),
            datetime.now(UTC).isoformat(timespec="seconds"),
        ),
    )
    store_facts(builder.conn, p.doc_id, doc, p.facts)
    builder.conn.executemany(
        "INSERT INTO chunks (doc_id, ordinal, start, end, page, page_end, section, text,"
        " text_hash, token_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                c.doc_id,
                c.ordinal,
                c.start,
                c.end,
                c.page,
                c.page_end,
                c.section,
                c.text,
                text_hash(c.text),
                c.token_count,
            )
            for c in p.chunks
        ],
    )


def _derived_metadata(p: PreparedDocument) -> tuple[str | None, str | None, list[str]]:
    """Organisation and date: the manifest's where it states them, else what the text states."""
    organisation, date, derived = p.meta.organisation, p.meta.date, []
    if organisation is None:
        organisation = next((r.commissioner for r in p.facts.records if r.commissioner), None)
        derived += ["organisation"] if organisation else []
    if date is None:
        date = next((f.value for f in p.facts.facts if f.kind == "decision_date"), None)
        derived += ["date"] if date else []
    return organisation, date, derived


def _first_line(text: str) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line[:120]


def _embed_and_build(
    builder: GenerationBuilder,
    root: Path,
    embedder: Embedder,
    report: IndexReport,
    reporter: Reporter,
    fresh: AbstractSet[str],
    token_ids: TokenIds,
) -> tuple[faiss.Index, dict]:
    """Vectors for every chunk: the live generation's index grown by the new chunks when it
    can be (``_live_vectors``), else a new index; texts the cache lacks are embedded. Also
    returns the settings and size of the index's last full build, for the manifest."""
    rows = builder.conn.execute(
        "SELECT id, text_hash, token_count FROM chunks ORDER BY id"
    ).fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    live, build = _live_vectors(root, ids, embedder.dimension, report)
    if live is not None:
        new = ~np.isin(ids, vectors.ids_of(live))
        rows = [r for r, keep in zip(rows, new, strict=True) if keep]
        ids = ids[new]
        report.vectors_reused = live.ntotal
    found = _embed(builder, root, embedder, rows, report, reporter, fresh, token_ids)
    reporter.stage("building vector index")
    matrix = np.stack([found[r[1]] for r in rows]) if rows else np.zeros((0, embedder.dimension))
    if live is not None:
        return vectors.extend(live, ids, matrix), build
    full = {"settings": vectors.settings(), "vectors": len(ids)}
    return vectors.build(ids, matrix.astype(np.float32)), full


def _live_vectors(
    root: Path, ids: np.ndarray, dimension: int, report: IndexReport
) -> tuple[faiss.Index | None, dict]:
    """The live generation's vector index and its last full build, to grow, when this run
    only added chunks (nothing removed or replaced, so every vector it holds is still its
    chunk's), under the same schema and build settings, to the same kind of index and less
    than ``vectors.GROWTH_LIMIT`` times its last full build. Else (None, {}): build anew."""
    manifest = live_manifest(root)
    if manifest is None or report.removed or report.updated or outdated(root):
        return None, {}
    build = manifest.get("vector_build") or {}
    if (
        manifest.get("vector_index") != vectors.kind_for(len(ids))
        or build.get("settings") != vectors.settings()
        or len(ids) > vectors.GROWTH_LIMIT * build.get("vectors", 0)
    ):
        return None, {}
    try:
        index = vectors.load(current_generation(root) / VECTORS_NAME)
    except RuntimeError:  # unreadable: the cache still holds every vector
        return None, {}
    if index.d != dimension or not np.isin(vectors.ids_of(index), ids).all():
        return None, {}
    return index, build


def _embed(
    builder: GenerationBuilder,
    root: Path,
    embedder: Embedder,
    rows: list,
    report: IndexReport,
    reporter: Reporter,
    fresh: AbstractSet[str],
    token_ids: TokenIds,
) -> dict[str, np.ndarray]:
    """Vectors for the texts of ``rows`` (id, text_hash, token_count): from the embedding
    cache (where ``EmbedAhead`` put this run's new texts), else embedded now (from their
    ``token_ids`` where known, taken out of it as they are used) and added to it."""
    hashes = [r[1] for r in rows]
    tokens = {h: n for _, h, n in rows}
    cache = EmbeddingCache(root / "embeddings.sqlite")
    try:
        found = cache.get_many(hashes, embedder.name, embedder.dimension)
        for key in found:  # cached, by the worker among others: their ids are not needed
            token_ids.pop(key, None)
        # Longest first across the whole run, so each batch holds texts of like length and
        # pads little (Embedder.encode orders within a call; this orders across calls).
        missing = sorted((h for h in tokens if h not in found), key=lambda h: -tokens[h])
        report.chunks_cached = sum(1 for h in hashes if h in found and h not in fresh)
        if missing:
            reporter.stage("embedding", total=len(missing))
        for batch in _batches(missing, EMBED_BATCH):
            texts = _texts_for(builder, batch)
            lengths = [tokens[h] for h in batch]
            ids = [token_ids.pop(h, None) for h in batch]  # its vectors take their place
            vecs = embedder.encode(texts, on_batch=reporter.advance, lengths=lengths, token_ids=ids)
            embedded = dict(zip(batch, vecs, strict=True))
            cache.put_many(embedded, embedder.name)  # committed per batch: a crash keeps them
            found.update(embedded)
            report.chunks_embedded += len(batch)
    finally:
        cache.close()
    return found


def _texts_for(builder: GenerationBuilder, hashes: list[str]) -> list[str]:
    marks = ",".join("?" * len(hashes))
    rows = builder.conn.execute(
        f"SELECT text_hash, text FROM chunks WHERE text_hash IN ({marks}) GROUP BY text_hash",
        hashes,
    )
    by_hash = dict(rows.fetchall())
    return [by_hash[h] for h in hashes]


def _batches(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _stats(builder: GenerationBuilder) -> dict:
    conn = builder.conn
    return {
        "documents": conn.execute("SELECT count(*) FROM documents").fetchone()[0],
        "chunks": conn.execute("SELECT count(*) FROM chunks").fetchone()[0],
    }
