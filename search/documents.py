"""Document look-ups and index statistics on a snapshot."""

from __future__ import annotations

import json
import sqlite3

from indexer.errors import DocumentNotFoundError, InvalidQueryError
from indexer.store import Snapshot
from search import filters
from search.query import Filters

_FIELDS = (
    "id, source, format, title, organisation, doc_type, date, decision_ref, source_url,"
    " page_starts, empty_pages, meta, indexed_at"
)


def get_document(conn: sqlite3.Connection, doc_id: str, with_text: bool = True) -> dict:
    """A document by id or unique id prefix (at least 4 characters)."""
    if len(doc_id) < 4 or not all(c in "0123456789abcdef" for c in doc_id.lower()):
        raise InvalidQueryError(f"doc_id: {doc_id!r} is not a document id (hex, 4+ characters)")
    fields = _FIELDS + (", text" if with_text else "")
    rows = conn.execute(
        f"SELECT {fields} FROM documents WHERE id LIKE ? LIMIT 2", (doc_id.lower() + "%",)
    ).fetchall()
    if not rows:
        raise DocumentNotFoundError(f"no document with id {doc_id!r}")
    if len(rows) > 1:
        raise InvalidQueryError(f"doc_id: {doc_id!r} matches several documents; give more of it")
    doc = dict(rows[0])
    for key in ("page_starts", "empty_pages", "meta"):
        doc[key] = json.loads(doc[key])
    doc["page_count"] = len(doc["page_starts"])
    doc["chunks"] = conn.execute(
        "SELECT count(*) FROM chunks WHERE doc_id = ?", (doc["id"],)
    ).fetchone()[0]
    return doc


def index_stats(snapshot: Snapshot) -> dict:
    conn = snapshot.conn
    orgs = conn.execute(
        "SELECT coalesce(organisation, '(not stated)') AS org, count(*) AS n FROM documents"
        " GROUP BY org ORDER BY n DESC, org"
    ).fetchall()
    types = conn.execute(
        "SELECT coalesce(doc_type, '(unknown)'), count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    empty = sum(len(json.loads(r[0])) for r in conn.execute("SELECT empty_pages FROM documents"))
    size = sum(p.stat().st_size for p in snapshot.root.rglob("*") if p.is_file())
    return {
        "index": str(snapshot.root),
        "generation": snapshot.generation,
        "documents": conn.execute("SELECT count(*) FROM documents").fetchone()[0],
        "chunks": conn.execute("SELECT count(*) FROM chunks").fetchone()[0],
        "organisations": {org: n for org, n in orgs},
        "doc_types": dict(types),
        "empty_pages": empty,
        "model": snapshot.model,
        "dimension": snapshot.manifest["dimension"],
        "vector_index": snapshot.manifest["vector_index"],
        "schema_version": snapshot.manifest["schema_version"],
        "created": snapshot.manifest["created"],
        "size_bytes": size,
    }


def list_documents(
    snapshot: Snapshot,
    organisation: str | None = None,
    doc_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict]]:
    """(total, page of documents without text), newest first, undated last; the
    organisation matched as search matches it (search/filters.py)."""
    where, params = filters.where(snapshot, Filters(organisation or None, doc_type=doc_type))
    conn = snapshot.conn
    total = conn.execute(f"SELECT count(*) FROM documents d WHERE {where}", params).fetchone()[0]
    rows = conn.execute(
        "SELECT id, title, organisation, doc_type, date, decision_ref, format, source"
        f" FROM documents d WHERE {where}"
        " ORDER BY date IS NULL, date DESC, title LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return total, [dict(r) for r in rows]


def text_span(conn: sqlite3.Connection, doc_id: str, start: int, end: int | None) -> dict:
    """The exact characters [start, end) of a document: for checking a quoted citation."""
    doc = get_document(conn, doc_id)
    text = doc["text"]
    end = len(text) if end is None else end
    if not 0 <= start <= len(text):
        raise InvalidQueryError(f"start: {start} is outside the text (0-{len(text)})")
    if not start <= end <= len(text):
        raise InvalidQueryError(f"end: {end} must be between start ({start}) and {len(text)}")
    return {"doc_id": doc["id"], "start": start, "end": end, "text": text[start:end]}


def organisation_facets(conn: sqlite3.Connection) -> list[dict]:
    rows = conn.execute(
        "SELECT organisation, count(*) AS documents, min(date) AS first_date,"
        " max(date) AS last_date FROM documents GROUP BY organisation"
        " ORDER BY documents DESC, organisation"
    )
    return [dict(r) for r in rows]


def get_facts(conn: sqlite3.Connection, doc_id: str) -> dict:
    """A document's extracted facts and records; absent facts are simply not listed."""
    full_id = get_document(conn, doc_id, with_text=False)["id"]
    facts = [
        {**dict(r), "attrs": json.loads(r["attrs"])}
        for r in conn.execute(
            "SELECT kind, value, surface, attrs, start, end, quote, page FROM facts"
            " WHERE doc_id = ? ORDER BY start, kind",
            (full_id,),
        )
    ]
    records = []
    for r in conn.execute("SELECT * FROM records WHERE doc_id = ? ORDER BY id", (full_id,)):
        record = dict(r)
        for key in ("funding_streams", "amounts", "evidence"):
            record[key] = json.loads(record[key])
        record.pop("doc_id")
        records.append(record)
    return {"doc_id": full_id, "facts": facts, "records": records}
