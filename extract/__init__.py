"""Fact extraction from UK public-sector decision documents.

``extract_document(text)`` returns every fact it finds (councils, organisations, providers,
amounts, funding streams, services, mechanisms, durations, decision metadata) and the
commissioning records built from them. Each fact quotes the sentence that states it, as
offsets into ``text``: ``text[e.start:e.end] == e.quote``.
"""

from extract.document import extract_document
from extract.facts import CommissioningRecord, DocumentFacts, Evidence, Fact

__all__ = ["CommissioningRecord", "DocumentFacts", "Evidence", "Fact", "extract_document"]
