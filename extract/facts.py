"""The records extraction returns: every fact points back at the text that states it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Evidence:
    """A whole sentence (or label/value lines) of the document: ``text[start:end] == quote``."""

    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Fact:
    """One thing the document states, normalised in ``value`` and as written in ``text``."""

    kind: str
    value: str
    text: str
    attrs: dict
    evidence: Evidence


@dataclass(frozen=True)
class CommissioningRecord:
    """Who commissioned which service from whom, funded how. None where the text is silent."""

    commissioner: str | None
    commissioner_code: str | None
    service: str | None
    provider: str | None
    mechanism: str | None
    duration: str | None
    funding_streams: tuple[str, ...]
    amounts: tuple[Fact, ...]
    decision_date: str | None
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class DocumentFacts:
    facts: tuple[Fact, ...]
    records: tuple[CommissioningRecord, ...]


def evidence_for(text: str, start: int, end: int) -> Evidence:
    """Evidence for ``text[start:end]``; the quote is always the exact slice."""
    return Evidence(start, end, text[start:end])
