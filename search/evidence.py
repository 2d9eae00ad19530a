"""Grouped answers: which organisations commissioned what, from whom, funded how.

Retrieve broadly with hybrid search, then read the commissioning records extracted at index
time from the matching documents and group them into one row per (organisation, service).
Every cell comes from a stored fact with its quoted sentence; nothing is inferred here.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field

from extract.funding import load_vocabulary, stream_label
from indexer.embed import TextEncoder
from indexer.store import Snapshot
from search.engine import search
from search.filters import organisation_names
from search.query import Filters, SearchRequest

NOT_STATED = "not stated"


@dataclass(frozen=True)
class Quote:
    doc_id: str
    title: str | None
    source: str
    page: int
    start: int
    end: int
    quote: str


@dataclass
class EvidenceRow:
    organisation: str | None
    gss_code: str | None
    service: str | None
    provider: str | None = None
    mechanism: str | None = None
    duration: str | None = None
    decision_date: str | None = None
    funding_streams: list[dict] = field(default_factory=list)
    amounts: list[dict] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)
    evidence: list[Quote] = field(default_factory=list)


@dataclass
class EvidenceAnswer:
    question: str
    generation: str
    matched_documents: int
    rows: list[EvidenceRow]
    notes: list[str]


def answer(
    snapshot: Snapshot,
    question: str,
    embedder: TextEncoder | None,
    filters: Filters | None = None,
    funding: str | None = None,
    depth: int = 20,
) -> EvidenceAnswer:
    """One row per (organisation, service) from the documents that best match ``question``.

    The organisation filter applies to the commissioner as well as the issuing body, so a
    trust's news release about a council's funding counts for that council. It applies in
    the search, so the ``depth`` best documents are that organisation's, not the best
    documents of the whole index that happen to be about it.
    """
    filters = filters or Filters()
    request = SearchRequest(question, "hybrid" if embedder else "bm25", depth, 1, filters)
    docs = search(snapshot, request, embedder).results
    rows = _group(snapshot.conn, [h.doc_id for h in docs])
    shown = [r for r in rows if _has_stream(r, funding)] if funding else rows
    notes = _notes(snapshot, filters.organisation, funding, len(docs), rows, shown)
    return EvidenceAnswer(question, snapshot.generation, len(docs), shown, notes)


def _group(conn: sqlite3.Connection, doc_ids: list[str]) -> list[EvidenceRow]:
    rows: dict[tuple[str, str], EvidenceRow] = {}
    for doc_id in doc_ids:
        doc = conn.execute(
            "SELECT id, title, date, doc_type, source FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        for rec in conn.execute("SELECT * FROM records WHERE doc_id = ? ORDER BY id", (doc_id,)):
            key = (_norm(rec["commissioner"]), _norm(rec["service"]))
            row = rows.get(key)
            if row is None:
                row = rows[key] = EvidenceRow(
                    rec["commissioner"], rec["commissioner_code"], rec["service"]
                )
            _merge(row, rec, dict(doc))
    return list(rows.values())


def _merge(row: EvidenceRow, rec: sqlite3.Row, doc: dict) -> None:
    """Fold one stored record into a row: first stated value wins, lists accumulate."""
    row.provider = row.provider or rec["provider"]
    row.mechanism = row.mechanism or rec["mechanism"]
    row.duration = row.duration or rec["duration"]
    row.decision_date = row.decision_date or rec["decision_date"] or doc["date"]
    for stream in json.loads(rec["funding_streams"]):
        if all(s["id"] != stream for s in row.funding_streams):
            row.funding_streams.append({"id": stream, "label": stream_label(stream)})
    for amount in json.loads(rec["amounts"]):
        row.amounts.append({**amount, "doc_id": doc["id"]})
    if all(d["id"] != doc["id"] for d in row.documents):
        row.documents.append(doc)
    for e in json.loads(rec["evidence"]):
        quote = Quote(
            doc["id"], doc["title"], doc["source"], e["page"], e["start"], e["end"], e["quote"]
        )
        if quote not in row.evidence:
            row.evidence.append(quote)


def _has_stream(row: EvidenceRow, wanted: str) -> bool:
    return any(_names_stream(wanted, s["id"], s["label"]) for s in row.funding_streams)


def _names_stream(wanted: str, stream_id: str, label: str) -> bool:
    """``--funding`` names a stream by its id or by words of its label, in any case."""
    wanted = wanted.lower()
    return wanted == stream_id.lower() or wanted in label.lower()


def _no_such_funding(funding: str, matched: int) -> str:
    """No row has the stream asked for; when no stream of the vocabulary is meant either (a
    fund no stream covers is kept under its own name), list the streams there are."""
    note = f"no {funding!r} funding stated in {matched} matching documents"
    streams = load_vocabulary().streams
    if any(_names_stream(funding, s.id, s.label) for s in streams):
        return note
    listed = ", ".join(s.id for s in streams)
    return f"{note}; {funding!r} is none of the listed streams ({listed}), and no fund named so"


def _notes(
    snapshot: Snapshot,
    organisation: str | None,
    funding: str | None,
    matched: int,
    rows: list[EvidenceRow],
    shown: list[EvidenceRow],
) -> list[str]:
    """Say plainly what was not found: no documents at all differs from no funding stated.
    ``rows``: every row of the matching documents; ``shown``: those the funding filter kept."""
    if organisation and matched == 0 and not organisation_names(snapshot, organisation):
        return [f"no documents for this council: {organisation}"]
    if matched == 0:
        return ["no documents match the question"]
    notes = []
    unfunded = sum(1 for r in rows if not r.funding_streams and not r.amounts)
    if not rows:
        notes.append(f"no commissioning facts stated in {matched} matching documents")
    elif unfunded == len(rows):
        notes.append(f"no funding stated in {matched} matching documents")
    if funding and rows and not shown:
        notes.append(_no_such_funding(funding, matched))
    unknown = sum(1 for r in shown if not r.organisation)
    if unknown:
        notes.append(f"{unknown} row(s) whose documents never name the commissioner: {NOT_STATED}")
    return notes


def _norm(value: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (value or "").lower()).strip()
