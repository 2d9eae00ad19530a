"""Filters as SQL over the documents table (aliased ``d``)."""

from __future__ import annotations

import sqlite3

import numpy as np

from search.query import Filters


def where(filters: Filters) -> tuple[str, list]:
    """A SQL condition (never empty: "1" when no filter) and its parameters."""
    clauses, params = [], []
    if filters.organisation:
        # The issuing body, or a commissioner the document states (a trust's news release
        # about a council's funding belongs to that council too).
        clauses.append(
            "(lower(coalesce(d.organisation, '')) LIKE ? OR EXISTS (SELECT 1 FROM records r"
            " WHERE r.doc_id = d.id AND lower(coalesce(r.commissioner, '')) LIKE ?))"
        )
        params += [f"%{filters.organisation.lower()}%"] * 2
    if filters.doc_type:
        clauses.append("lower(coalesce(d.doc_type, '')) = ?")
        params.append(filters.doc_type.lower())
    if filters.date_from:
        clauses.append("d.date >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        clauses.append("d.date <= ?")
        params.append(filters.date_to)
    return (" AND ".join(clauses) or "1"), params


def allowed_chunk_ids(conn: sqlite3.Connection, filters: Filters) -> np.ndarray | None:
    """Chunk ids that pass the filters, or None when there are no filters."""
    if not filters.active:
        return None
    sql, params = where(filters)
    # Documents first, then their chunks through the chunks_doc index: joining chunk rows to
    # documents looked every chunk's document up (0.9 s at a million chunks).
    rows = conn.execute(
        f"SELECT id FROM chunks WHERE doc_id IN (SELECT d.id FROM documents d WHERE {sql})",
        params,
    )
    return np.fromiter((r[0] for r in rows), dtype=np.int64)
