"""What compare and precedents work on: a "side" is passages, their vectors and their facts.

A side is one indexed document (by id, id prefix or source path), all documents of a
council, or a draft file that is not in the index (loaded, chunked, embedded and read for
facts in memory, never stored).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from extract import extract_document
from extract.funding import OTHER
from indexer.chunk import chunk_document
from indexer.embed import Embedder
from indexer.errors import DocumentNotFoundError, InvalidQueryError
from indexer.facts_store import fact_dict, record_dict
from indexer.load import load_document
from indexer.pipeline import document_id
from indexer.store import Snapshot
from search.councils import council_documents, organisations_by_document, resolve_council


@dataclass(frozen=True)
class Passage:
    doc_id: str
    title: str | None
    source: str
    page: int
    start: int
    end: int
    section: str | None
    text: str


@dataclass
class Side:
    label: str
    doc_ids: list[str]
    organisation: str | None
    passages: list[Passage]
    vectors: np.ndarray  # one unit vector per passage
    records: list[dict]  # commissioning records, each with "doc_id" and evidence
    # Single facts (kind, value, evidence start/end/quote/page, "doc_id"): the sentence that
    # states each value a record holds.
    facts: list[dict]

    @cached_property
    def stated(self) -> dict[tuple[str, str, str], list[dict]]:
        """Facts by (document, kind, value as records hold it: ``other:<name>`` for a fund
        outside the vocabulary), in document order; built once per side."""
        out: dict[tuple[str, str, str], list[dict]] = {}
        for f in self.facts:
            value = f["value"]
            if f["kind"] == "funding_stream" and value == OTHER:
                value = f"{OTHER}:{f['attrs'].get('name')}"
            out.setdefault((f["doc_id"], f["kind"], value), []).append(f)
        return out

    @cached_property
    def sources(self) -> dict[str, str]:
        """Each document's file, for citations."""
        return {p.doc_id: p.source for p in self.passages}


def resolve_side(
    snapshot: Snapshot, spec: str, embedder: Embedder | None, allow_files: bool = True
) -> Side:
    """A document id or prefix, an indexed or draft file path, or a council name/GSS code.

    ``allow_files`` is off for the API: a server must not read paths a client names.
    """
    conn = snapshot.conn
    path = Path(spec)
    if allow_files and path.is_file():
        row = conn.execute(
            "SELECT id FROM documents WHERE source = ?", (str(path.resolve()),)
        ).fetchone()
        if row:
            return indexed_side(snapshot, spec, [row[0]])
        if embedder is None:  # indexed sides are read from the index; a draft is embedded
            raise InvalidQueryError(f"{spec}: a draft file needs the embedding model loaded")
        return draft_side(path, embedder)
    if len(spec) >= 4 and all(c in "0123456789abcdef" for c in spec.lower()):
        ids = [
            r[0]
            for r in conn.execute("SELECT id FROM documents WHERE id LIKE ?", (spec.lower() + "%",))
        ]
        if len(ids) == 1:
            return indexed_side(snapshot, spec, ids)
    ref = resolve_council(spec)
    ids = council_documents(ref, organisations_by_document(conn))
    if not ids:
        kinds = "a document id, a file," if allow_files else "a document id (no file paths here)"
        raise DocumentNotFoundError(f"{spec!r} is not {kinds} or a council with indexed documents")
    return indexed_side(snapshot, ref.name, ids, organisation=ref.name)


def indexed_side(
    snapshot: Snapshot, label: str, doc_ids: list[str], organisation: str | None = None
) -> Side:
    conn = snapshot.conn
    marks = ",".join("?" * len(doc_ids))
    rows = conn.execute(
        "SELECT c.id, c.doc_id, d.title, d.source, c.page, c.start, c.end, c.section, c.text"
        f" FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.doc_id IN ({marks})"
        " ORDER BY c.doc_id, c.ordinal",
        doc_ids,
    ).fetchall()
    passages = [Passage(*tuple(r)[1:]) for r in rows]
    vectors = snapshot.vectors.reconstruct_batch(np.array([r[0] for r in rows], dtype=np.int64))
    if organisation is None:
        orgs = {
            r[0]
            for r in conn.execute(
                f"SELECT organisation FROM documents WHERE id IN ({marks})", doc_ids
            )
            if r[0]
        }
        organisation = next(iter(orgs)) if len(orgs) == 1 else None
        title = conn.execute("SELECT title FROM documents WHERE id = ?", (doc_ids[0],))
        label = title.fetchone()[0] or label
    records, facts = _records(conn, doc_ids), _facts(conn, doc_ids)
    return Side(label, doc_ids, organisation, passages, vectors, records, facts)


def _records(conn: sqlite3.Connection, doc_ids: list[str]) -> list[dict]:
    marks = ",".join("?" * len(doc_ids))
    out = []
    for r in conn.execute(f"SELECT * FROM records WHERE doc_id IN ({marks})", doc_ids):
        record = dict(r)
        for key in ("funding_streams", "amounts", "evidence"):
            record[key] = json.loads(record[key])
        out.append(record)
    return out


def _facts(conn: sqlite3.Connection, doc_ids: list[str]) -> list[dict]:
    marks = ",".join("?" * len(doc_ids))
    rows = conn.execute(
        "SELECT doc_id, kind, value, attrs, start, end, quote, page FROM facts"
        f" WHERE doc_id IN ({marks}) ORDER BY doc_id, start",
        doc_ids,
    )
    return [{**dict(r), "attrs": json.loads(r["attrs"])} for r in rows]


def draft_side(path: Path, embedder: Embedder) -> Side:
    """A file that is not in the index, read in memory the way the indexer would read it."""
    doc = load_document(path)
    doc_id = document_id(doc.text)
    chunks = chunk_document(doc_id, doc, embedder.token_ids, embedder.max_tokens)
    passages = [
        Passage(
            doc_id, doc.title or path.name, str(path), c.page, c.start, c.end, c.section, c.text
        )
        for c in chunks
    ]
    vectors = embedder.encode([p.text for p in passages])
    facts = extract_document(doc.text)
    records = [{**record_dict(doc, r), "doc_id": doc_id} for r in facts.records]
    stated = [{**fact_dict(doc, f), "doc_id": doc_id} for f in facts.facts]
    organisation = next((r["commissioner"] for r in records if r["commissioner"]), None)
    label = doc.title or path.name
    return Side(label, [doc_id], organisation, passages, vectors, records, stated)
