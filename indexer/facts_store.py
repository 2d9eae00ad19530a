"""Extracted facts and commissioning records into SQLite, each with its evidence and page."""

from __future__ import annotations

import json
import sqlite3

from extract import CommissioningRecord, DocumentFacts, Evidence, Fact
from indexer.records import LoadedDocument


def _evidence(doc: LoadedDocument, e: Evidence) -> dict:
    return {"start": e.start, "end": e.end, "quote": e.quote, "page": doc.page_at(e.start)}


def _amount(doc: LoadedDocument, fact: Fact) -> dict:
    return {
        "value": fact.value,
        "text": fact.text,
        "attrs": fact.attrs,
        "evidence": _evidence(doc, fact.evidence),
    }


def fact_dict(doc: LoadedDocument, f: Fact) -> dict:
    """A fact as plain data, as the facts table holds it."""
    return {"kind": f.kind, "value": f.value, "attrs": f.attrs, **_evidence(doc, f.evidence)}


def record_dict(doc: LoadedDocument, r: CommissioningRecord) -> dict:
    """A commissioning record as plain data, evidence with offsets and pages."""
    return {
        "commissioner": r.commissioner,
        "commissioner_code": r.commissioner_code,
        "service": r.service,
        "provider": r.provider,
        "mechanism": r.mechanism,
        "duration": r.duration,
        "funding_streams": list(r.funding_streams),
        "amounts": [_amount(doc, a) for a in r.amounts],
        "decision_date": r.decision_date,
        "evidence": [_evidence(doc, e) for e in r.evidence],
    }


def store_facts(
    conn: sqlite3.Connection, doc_id: str, doc: LoadedDocument, facts: DocumentFacts
) -> None:
    conn.executemany(
        "INSERT INTO facts (doc_id, kind, value, surface, attrs, start, end, quote, page)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                doc_id,
                f.kind,
                f.value,
                f.text,
                json.dumps(f.attrs, default=str),
                f.evidence.start,
                f.evidence.end,
                f.evidence.quote,
                doc.page_at(f.evidence.start),
            )
            for f in facts.facts
        ],
    )
    conn.executemany(
        "INSERT INTO records (doc_id, commissioner, commissioner_code, service, provider,"
        " mechanism, duration, funding_streams, amounts, decision_date, evidence)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                doc_id,
                r.commissioner,
                r.commissioner_code,
                r.service,
                r.provider,
                r.mechanism,
                r.duration,
                json.dumps(list(r.funding_streams)),
                json.dumps([_amount(doc, a) for a in r.amounts], default=str),
                r.decision_date,
                json.dumps([_evidence(doc, e) for e in r.evidence]),
            )
            for r in facts.records
        ],
    )
