"""Precedent finder: the decisions of other organisations most like a draft or a decision.

Candidates are the documents whose passages are nearest the source's passages; each is
scored by how well its passages cover the source's (boilerplate weighted down), plus small
bonuses for shared facts: funding stream, mechanism, service and provider. The reasons
returned say which of those made the match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer import vectors
from indexer.store import Snapshot
from search.compare import Alignment, align, facet_values
from search.councils import organisations_by_document, same_organisation
from search.sides import Side, indexed_side
from search.terms import query_terms

NEIGHBOURS = 30
# The procurement route and the kind of provider decide whether a decision is a usable
# precedent (a direct award to an NHS trust follows other direct awards to NHS trusts).
BONUS = {"funding": 0.05, "mechanism": 0.1, "service": 0.1, "provider": 0.05, "kind": 0.05}
PROVIDER_KINDS = {
    "NHS trust": re.compile(r"\bNHS\b.*\btrust\b|\bNHS (?:foundation )?trust\b", re.I),
    "charity": re.compile(r"\bcharit(?:y|able)\b", re.I),
    "company": re.compile(r"\b(?:ltd|limited|plc|cic)\b", re.I),
}
# "award ... to an NHS foundation trust": a draft may name the kind before the provider.
AWARDED_TO = re.compile(r"\b(?:to|with|by) (?:an?|the) ([^.;,]{3,60})", re.I)


@dataclass
class Precedent:
    doc_id: str
    title: str | None
    organisation: str | None
    date: str | None
    doc_type: str | None
    source: str
    score: float
    similarity: float
    reasons: list[str] = field(default_factory=list)
    passages: list[Alignment] = field(default_factory=list)


def find_precedents(snapshot: Snapshot, source: Side, k: int = 10) -> list[Precedent]:
    names = organisations_by_document(snapshot.conn)
    found = []
    for doc_id in _candidates(snapshot, source):
        orgs = names.get(doc_id, set())
        if source.organisation and any(same_organisation(o, source.organisation) for o in orgs):
            continue  # precedent means another organisation's decision
        found.append(_score(snapshot, source, indexed_side(snapshot, doc_id, [doc_id])))
    found.sort(key=lambda p: -p.score)
    return found[:k]


def _candidates(snapshot: Snapshot, source: Side) -> list[str]:
    ids: set[int] = set()
    for vector in source.vectors:
        ids.update(int(i) for i in vectors.search(snapshot.vectors, vector, NEIGHBOURS)[1])
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = snapshot.conn.execute(
        f"SELECT DISTINCT doc_id FROM chunks WHERE id IN ({marks})", list(ids)
    )
    return sorted({r[0] for r in rows} - set(source.doc_ids))


def _score(snapshot: Snapshot, source: Side, other: Side) -> Precedent:
    pair = align(snapshot, source, other, top=2)
    coverage = _coverage(source, other)
    reasons, bonus = _shared_facts(source, other)
    doc = snapshot.conn.execute(
        "SELECT id, title, organisation, date, doc_type, source FROM documents WHERE id = ?",
        (other.doc_ids[0],),
    ).fetchone()
    return Precedent(
        *tuple(doc),
        score=round(coverage + bonus, 4),
        similarity=round(coverage, 4),
        reasons=reasons,
        passages=pair.aligned,
    )


def _coverage(source: Side, other: Side) -> float:
    """Mean over the source's passages of the best cosine with any passage of ``other``."""
    return float((source.vectors @ other.vectors.T).max(axis=1).mean())


def _shared_facts(source: Side, other: Side) -> tuple[list[str], float]:
    reasons, bonus = [], 0.0
    facets = ("funding", "mechanism", "provider", "service")
    mine = {f: {v.value for v in facet_values(source, f)} for f in facets}
    theirs = {f: {v.value for v in facet_values(other, f)} for f in facets}
    for facet in ("funding", "mechanism", "provider"):
        shared = sorted(mine[facet] & theirs[facet])
        if shared:
            reasons.append(f"same {facet}: {', '.join(shared)}")
            bonus += BONUS[facet]
    kinds = sorted(_provider_kinds(source) & _provider_kinds(other))
    if kinds:
        reasons.append(f"same kind of provider: {', '.join(kinds)}")
        bonus += BONUS["kind"]
    pairs = [(a, b) for a in mine["service"] for b in theirs["service"] if _similar(a, b)]
    if pairs:
        reasons.append(f"similar service: {pairs[0][0]} ~ {pairs[0][1]}")
        bonus += BONUS["service"]
    return reasons, bonus


def _provider_kinds(side: Side) -> set[str]:
    """Kinds of provider a side names: its providers, or what a record says it awards to."""
    names = [r["provider"] for r in side.records if r["provider"]]
    if not names:
        quotes = (e["quote"] for r in side.records for e in r["evidence"])
        names = [m.group(1) for q in quotes for m in AWARDED_TO.finditer(q)]
    return {kind for name in names for kind, rx in PROVIDER_KINDS.items() if rx.search(name)}


def _similar(a: str, b: str) -> bool:
    """Services alike in words ("BAB's" ~ "BABS"): Jaccard of content words >= 0.3."""
    x, y = (set(query_terms(re.sub(r"'", "", s.lower()))) for s in (a, b))
    return bool(x and y) and len(x & y) / len(x | y) >= 0.3
