"""Result shapes: documents with their best passages, highlights and citations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field

from search.terms import highlight_spans


@dataclass(frozen=True)
class Citation:
    title: str | None
    organisation: str | None
    date: str | None
    doc_type: str | None
    decision_ref: str | None
    source: str
    page: int
    page_end: int
    start: int
    end: int
    section: str | None

    def __str__(self) -> str:
        pages = (
            f"p. {self.page}" if self.page == self.page_end else f"pp. {self.page}-{self.page_end}"
        )
        who = ", ".join(x for x in (self.organisation, self.date) if x)
        where = f"{pages}, chars {self.start}-{self.end}"
        return f"{self.title or '(untitled)'} — {who or 'organisation not stated'}; {where}"


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    text: str
    score: float
    highlights: list[tuple[int, int]]  # offsets into ``text``
    citation: Citation


@dataclass
class DocumentHit:
    doc_id: str
    title: str | None
    organisation: str | None
    date: str | None
    doc_type: str | None
    source: str
    score: float
    passages: list[Passage] = field(default_factory=list)


@dataclass
class SearchResponse:
    query: str
    mode: str
    generation: str
    total_documents: int
    results: list[DocumentHit]


def group_by_document(
    conn: sqlite3.Connection,
    ranked: list[tuple[int, float]],
    terms: list[str],
    k: int,
    passages_per_doc: int,
) -> list[DocumentHit]:
    """Top ``k`` documents by their best chunk, each with its best passages in rank order."""
    if not ranked:
        return []
    # Which chunks are shown needs only their documents; the full rows (text, citation) are
    # read for those alone. Reading them for every candidate was most of a search's grouping.
    doc_of = _doc_ids(conn, [cid for cid, _ in ranked])
    shown: dict[str, list[tuple[int, float]]] = {}
    for chunk_id, score in ranked:
        passages = shown.get(doc_of[chunk_id])
        if passages is None:
            if len(shown) == k:
                continue
            passages = shown[doc_of[chunk_id]] = []
        if len(passages) < passages_per_doc:
            passages.append((chunk_id, score))
    rows = _chunk_rows(conn, [cid for passages in shown.values() for cid, _ in passages])
    hits = []
    for passages in shown.values():
        first = rows[passages[0][0]]
        hit = DocumentHit(
            first["doc_id"],
            first["title"],
            first["organisation"],
            first["date"],
            first["doc_type"],
            first["source"],
            passages[0][1],
        )
        hit.passages = [_passage(rows[cid], score, terms) for cid, score in passages]
        hits.append(hit)
    return hits


def _passage(row: sqlite3.Row, score: float, terms: list[str]) -> Passage:
    citation = Citation(
        row["title"],
        row["organisation"],
        row["date"],
        row["doc_type"],
        row["decision_ref"],
        row["source"],
        row["page"],
        row["page_end"],
        row["start"],
        row["end"],
        row["section"],
    )
    return Passage(row["id"], row["text"], score, highlight_spans(row["text"], terms), citation)


def _doc_ids(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for batch, marks in _batches(ids):
        out.update(conn.execute(f"SELECT id, doc_id FROM chunks WHERE id IN ({marks})", batch))
    return out


def _chunk_rows(conn: sqlite3.Connection, ids: list[int]) -> dict[int, sqlite3.Row]:
    out: dict[int, sqlite3.Row] = {}
    for batch, marks in _batches(ids):
        for row in conn.execute(
            "SELECT c.id, c.doc_id, c.text, c.start, c.end, c.page, c.page_end, c.section,"
            " d.title, d.organisation, d.date, d.doc_type, d.decision_ref, d.source"
            f" FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id IN ({marks})",
            batch,
        ):
            out[row["id"]] = row
    return out


def _batches(ids: list[int], size: int = 500) -> Iterator[tuple[list[int], str]]:
    """``ids`` in slices SQLite takes as parameters, each with its placeholders."""
    for i in range(0, len(ids), size):
        batch = ids[i : i + size]
        yield batch, ",".join("?" * len(batch))
