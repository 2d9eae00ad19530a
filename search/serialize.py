"""Plain dicts for JSON output, shared by the CLI and the API."""

from __future__ import annotations

from dataclasses import asdict

from indexer.pipeline import IndexReport
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
        "chunks_cached": report.chunks_cached,
        "generation": report.generation,
    }
