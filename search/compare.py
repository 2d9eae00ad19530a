"""Side-by-side comparison: facets from extracted facts, and passage alignment.

Alignment pairs each passage of one side with its most similar passage of the other
(cosine of their embeddings, plus a bonus for shared words). Boilerplate that recurs across
many documents, or sits in stock sections (equalities, data protection, legal), is weighted
down so it does not pass for real similarity.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from extract.funding import stream_label
from indexer import vectors
from indexer.errors import InvalidQueryError
from indexer.store import Snapshot
from search.sides import Passage, Side
from search.terms import query_terms

# Cosine of the embeddings, plus a bonus for shared content words (Jaccard), which over
# passages of ~200 tokens rarely exceeds 0.2: it breaks ties towards literal agreement.
LEXICAL_BONUS = 0.5
ALIGNED = 0.55  # weighted similarity at or above which two passages count as counterparts
NEAR_DUPLICATE = 0.9  # cosine at which another document "has the same passage"
# Stock text recurs widely: full weight once a passage recurs in this many other documents
# (or 5% of them, in a large index); one look-alike is shared subject matter, not stock.
RECURS_IN = 5
BOILERPLATE_SECTION = re.compile(
    r"equalit|data protection|privacy|legal implication|human rights|consult|contact|"
    r"background papers|declaration|conflicts? of interest|gdpr",
    re.I,
)
FACETS = ("service", "provider", "funding", "amounts", "mechanism", "duration", "dates")


@dataclass
class FacetValue:
    value: str
    quote: str | None
    doc_id: str
    page: int | None
    start: int | None
    end: int | None
    source: str | None = None  # the document's file, for the citation


@dataclass
class Alignment:
    left: Passage
    right: Passage
    semantic: float
    lexical: float
    score: float  # blended, after boilerplate down-weighting
    boilerplate: float


@dataclass
class PairComparison:
    left: str
    right: str
    aligned: list[Alignment]
    only_left: list[Passage]
    only_right: list[Passage]


@dataclass
class Comparison:
    sides: list[str]
    facets: dict[str, dict[str, list[FacetValue]]] = field(default_factory=dict)
    pairs: list[PairComparison] = field(default_factory=list)


def compare(snapshot: Snapshot, sides: list[Side], top: int = 10) -> Comparison:
    """Facets of every side, and the first side aligned with each of the others."""
    if len({tuple(s.doc_ids) for s in sides}) < len(sides):
        labels = [s.label for s in sides]
        raise InvalidQueryError(f"compare: the same document or council twice ({labels})")
    sides = _distinct_labels(sides)
    result = Comparison([s.label for s in sides])
    for facet in FACETS:
        result.facets[facet] = {s.label: facet_values(s, facet) for s in sides}
    first = sides[0]
    for other in sides[1:]:
        result.pairs.append(align(snapshot, first, other, top))
    return result


def _distinct_labels(sides: list[Side]) -> list[Side]:
    """Sides keyed by label: two documents titled alike ("Record of Decision") get their
    ids' first characters after the title."""
    counts = Counter(s.label for s in sides)
    return [
        replace(s, label=f"{s.label} ({s.doc_ids[0][:8]})") if counts[s.label] > 1 else s
        for s in sides
    ]


# The facts table's kind behind each facet that a record holds as one value or a list.
FACT_KIND = {
    "service": "service",
    "provider": "provider",
    "mechanism": "mechanism",
    "duration": "duration",
    "funding": "funding_stream",
    "dates": "decision_date",
}


def facet_values(side: Side, facet: str) -> list[FacetValue]:
    """Distinct values of one facet across a side's records, each quoted from the sentence
    that states it; no quote where none is found (never a sentence that does not state it)."""
    found: dict[str, FacetValue] = {}
    for rec in side.records:
        for value, evidence in _facet(side.stated, rec, facet):
            if value and value not in found:
                e = evidence or {}
                found[value] = FacetValue(
                    value,
                    e.get("quote"),
                    rec["doc_id"],
                    e.get("page"),
                    e.get("start"),
                    e.get("end"),
                    side.sources.get(rec["doc_id"]),
                )
    return list(found.values())


Stated = dict[tuple[str, str, str], list[dict]]


def _facet(stated: Stated, rec: dict, facet: str):
    """(shown value, evidence dict or None) for each value of ``facet`` in one record."""
    if facet == "amounts":
        return [(a["text"], a["evidence"]) for a in rec["amounts"]]
    kind = FACT_KIND[facet]
    if facet == "funding":
        return [(stream_label(s), _quote(stated, rec, kind, s)) for s in rec["funding_streams"]]
    value = rec["decision_date" if facet == "dates" else facet]
    if facet == "dates":
        return [(value, _quote(stated, rec, kind, value))]
    return [(value, _quote(stated, rec, kind, value) or _quote_with(rec, value))]


def _quote(stated: Stated, rec: dict, kind: str, value: str | None) -> dict | None:
    """The evidence of the fact of ``kind`` stating ``value`` in the record's document, one
    of the record's own sentences first."""
    own = {(e["start"], e["end"]) for e in rec["evidence"]}
    facts = stated.get((rec["doc_id"], kind, value or ""), [])
    return min(facts, key=lambda f: (f["start"], f["end"]) not in own, default=None)


def _quote_with(rec: dict, value: str | None) -> dict | None:
    """The record's evidence sentence sharing the most words with ``value``, if any does
    (a value the record derived, such as a service named by the document's title)."""
    if not value:
        return None
    words = {w for w in re.findall(r"\w+", value.lower()) if len(w) > 2}
    scored = [
        (len(words & set(re.findall(r"\w+", e["quote"].lower()))), e) for e in rec["evidence"]
    ]
    best = max(scored, key=lambda pair: pair[0], default=(0, None))
    return best[1] if best[0] else None


def align(snapshot: Snapshot, left: Side, right: Side, top: int = 10) -> PairComparison:
    semantic = left.vectors @ right.vectors.T
    lexical = _jaccard_matrix(left.passages, right.passages)
    blended = semantic + LEXICAL_BONUS * lexical
    exclude = set(left.doc_ids) | set(right.doc_ids)
    weight_l = 1 - boilerplate(snapshot, left, exclude)
    weight_r = 1 - boilerplate(snapshot, right, exclude)
    scores = blended * weight_l[:, None] * weight_r[None, :]
    best_r = scores.argmax(axis=1)
    aligned = [
        Alignment(
            left.passages[i],
            right.passages[j],
            round(float(semantic[i, j]), 4),
            round(float(lexical[i, j]), 4),
            round(float(scores[i, j]), 4),
            round(float(1 - weight_l[i] * weight_r[j]), 4),
        )
        for i, j in enumerate(best_r)
        if scores[i, j] >= ALIGNED
    ]
    aligned.sort(key=lambda a: -a.score)
    only_left = [p for i, p in enumerate(left.passages) if scores[i].max() < ALIGNED]
    only_right = [p for j, p in enumerate(right.passages) if scores[:, j].max() < ALIGNED]
    return PairComparison(left.label, right.label, aligned[:top], only_left, only_right)


def boilerplate(snapshot: Snapshot, side: Side, exclude: set[str]) -> np.ndarray:
    """Per passage, in [0, 1]: how far it is stock text rather than this decision's own.

    The share of other indexed documents holding a near-duplicate passage, and at least 0.5
    for passages in stock sections (equalities, data protection, legal...).
    """
    others = snapshot.manifest["documents"] - len(exclude)
    out = np.zeros(len(side.passages), dtype=np.float32)
    ids_to_doc = {}
    for i, passage in enumerate(side.passages):
        if passage.section and BOILERPLATE_SECTION.search(passage.section):
            out[i] = 0.5
        if others <= 0:
            continue
        scores, ids = vectors.search(snapshot.vectors, side.vectors[i], 50)
        near = [int(c) for c, s in zip(ids, scores, strict=True) if s >= NEAR_DUPLICATE]
        docs = {_doc_of(snapshot, c, ids_to_doc) for c in near} - exclude
        out[i] = max(out[i], min(1.0, len(docs) / max(RECURS_IN, 0.05 * others)))
    return out


def _doc_of(snapshot: Snapshot, chunk_id: int, cache: dict[int, str]) -> str:
    if chunk_id not in cache:
        row = snapshot.conn.execute("SELECT doc_id FROM chunks WHERE id = ?", (chunk_id,))
        cache[chunk_id] = row.fetchone()[0]
    return cache[chunk_id]


def _jaccard_matrix(left: list[Passage], right: list[Passage]) -> np.ndarray:
    a = [set(query_terms(p.text)) for p in left]
    b = [set(query_terms(p.text)) for p in right]
    out = np.zeros((len(a), len(b)), dtype=np.float32)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            union = len(x | y)
            out[i, j] = len(x & y) / union if union else 0.0
    return out
