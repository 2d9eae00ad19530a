"""Plain dicts for JSON output, shared by the CLI and the API."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from pathlib import Path

from indexer.pipeline import IndexReport
from search.compare import Comparison
from search.evidence import NOT_STATED, EvidenceAnswer
from search.precedents import Precedent
from search.results import SearchResponse


def response_dict(response: SearchResponse) -> dict:
    data = asdict(response)
    for hit, raw in zip(data["results"], response.results, strict=True):
        hit["citation"] = hit["passages"][0]["citation"] if hit["passages"] else None
        for passage, p in zip(hit["passages"], raw.passages, strict=True):
            passage["citation"]["text"] = str(p.citation)
    return data


def index_report_dict(report: IndexReport) -> dict:
    return {
        "added": report.added,
        "updated": report.updated,
        "removed": report.removed,
        "unchanged": report.unchanged,
        "failed": [{"file": str(e.path), "reason": e.reason} for e in report.failed],
        "duplicates": [{"file": a, "same_as": b} for a, b in report.duplicates],
        "empty_pages": report.empty_pages,
        "chunks_embedded": report.chunks_embedded,
        "chunks_embedded_aside": report.chunks_embedded_aside,
        "chunks_cached": report.chunks_cached,
        "vectors_reused": report.vectors_reused,
        "generation": report.generation,
    }


def evidence_dict(answer: EvidenceAnswer) -> dict:
    data = asdict(answer)
    for row in data["rows"]:
        row["organisation"] = row["organisation"] or NOT_STATED
    return data


CSV_COLUMNS = [
    "organisation",
    "gss_code",
    "service",
    "provider",
    "mechanism",
    "duration",
    "decision_date",
    "funding_streams",
    "amounts",
    "documents",
    "evidence",
]


def evidence_csv(answer: EvidenceAnswer) -> str:
    """One line per row; list cells joined with " | ", each quote with its citation."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS)
    writer.writeheader()
    for row in answer.rows:
        writer.writerow(
            {
                "organisation": row.organisation or NOT_STATED,
                "gss_code": row.gss_code or "",
                "service": row.service or NOT_STATED,
                "provider": row.provider or NOT_STATED,
                "mechanism": row.mechanism or NOT_STATED,
                "duration": row.duration or NOT_STATED,
                "decision_date": row.decision_date or NOT_STATED,
                "funding_streams": " | ".join(s["label"] for s in row.funding_streams)
                or NOT_STATED,
                "amounts": " | ".join(amount_text(a) for a in row.amounts) or NOT_STATED,
                "documents": " | ".join(d["title"] or d["id"] for d in row.documents),
                "evidence": " | ".join(
                    f'"{q.quote}" ({Path(q.source).name}, p. {q.page}, chars {q.start}-{q.end})'
                    for q in row.evidence
                ),
            }
        )
    return buffer.getvalue()


def amount_text(amount: dict) -> str:
    attrs = amount.get("attrs", {})
    extra = ", ".join(str(x) for x in (attrs.get("period"), attrs.get("attached_to")) if x)
    return amount["text"] + (f" ({extra})" if extra else "")


def comparison_dict(comparison: Comparison) -> dict:
    return asdict(comparison)


def precedents_dict(source: str, found: list[Precedent]) -> dict:
    return {"source": source, "precedents": [asdict(p) for p in found]}
