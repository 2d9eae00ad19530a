"""BM25 over the SQLite FTS5 index of chunks."""

from __future__ import annotations

import sqlite3

from search import filters as filter_sql
from search.query import Filters
from search.terms import fts_query

# Column weights for bm25(): chunk text, then its section heading.
TEXT_WEIGHT, SECTION_WEIGHT = 1.0, 0.5


def bm25_search(
    conn: sqlite3.Connection, terms: list[str], filters: Filters, limit: int
) -> list[tuple[int, float]]:
    """(chunk id, score) best first; higher scores are better."""
    if not terms:
        return []
    condition, params = filter_sql.where(filters)
    rows = conn.execute(
        f"""
        SELECT c.id, bm25(chunks_fts, {TEXT_WEIGHT}, {SECTION_WEIGHT}) AS rank
        FROM chunks_fts
        JOIN chunks c ON c.id = chunks_fts.rowid
        JOIN documents d ON d.id = c.doc_id
        WHERE chunks_fts MATCH ? AND {condition}
        ORDER BY rank
        LIMIT ?
        """,
        [fts_query(terms), *params, limit],
    )
    return [(chunk_id, -rank) for chunk_id, rank in rows]
