"""A search request and its validation: bad input becomes InvalidQueryError naming the field."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from indexer.errors import InvalidQueryError

MODES = ("hybrid", "bm25", "dense")
MAX_K = 1000  # the most documents one request ranks


@dataclass(frozen=True)
class Filters:
    organisation: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    doc_type: str | None = None

    @property
    def active(self) -> bool:
        return any((self.organisation, self.date_from, self.date_to, self.doc_type))


@dataclass(frozen=True)
class SearchRequest:
    query: str
    mode: str = "hybrid"
    k: int = 10
    passages: int = 3
    filters: Filters = Filters()


def parse_date(value: str | None, name: str, end: bool = False) -> str | None:
    """An ISO date; ``2023`` or ``2023-07`` mean the first (or, with ``end``, last) day."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            return f"{text}-12-31" if end else f"{text}-01-01"
        if re.fullmatch(r"\d{4}-\d{2}", text):
            first = date.fromisoformat(f"{text}-01")
            last = calendar.monthrange(first.year, first.month)[1]
            return f"{text}-{last:02d}" if end else first.isoformat()
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidQueryError(f"{name}: {value!r} is not a date (use YYYY-MM-DD)") from None


def make_request(
    query: str,
    mode: str = "hybrid",
    k: int = 10,
    organisation: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    doc_type: str | None = None,
    passages: int = 3,
) -> SearchRequest:
    if not query or not query.strip():
        raise InvalidQueryError("query: the query is empty")
    if mode not in MODES:
        raise InvalidQueryError(f"mode: {mode!r} is not one of {', '.join(MODES)}")
    if not 1 <= k <= MAX_K:
        raise InvalidQueryError(f"k: {k} is out of range (1-{MAX_K})")
    if not 1 <= passages <= 20:
        raise InvalidQueryError(f"passages: {passages} is out of range (1-20)")
    start, end = parse_date(date_from, "date_from"), parse_date(date_to, "date_to", end=True)
    if start and end and start > end:
        raise InvalidQueryError(f"date_from {start} is after date_to {end}")
    # A name of spaces alone would match every organisation: it is no filter.
    filters = Filters((organisation or "").strip() or None, start, end, doc_type or None)
    return SearchRequest(query.strip(), mode, k, passages, filters)
