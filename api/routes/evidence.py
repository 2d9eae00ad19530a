"""GET /evidence: the grouped answer table (organisation x service, with funding evidence)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Snap, State
from search.evidence import answer
from search.query import make_request
from search.serialize import evidence_dict

router = APIRouter(tags=["evidence"])


@router.get("/evidence")
def evidence(
    snap: Snap,
    state: State,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="The question.")],
    organisation: Annotated[str | None, Query(max_length=200)] = None,
    date_from: Annotated[str | None, Query(max_length=10)] = None,
    date_to: Annotated[str | None, Query(max_length=10)] = None,
    doc_type: Annotated[str | None, Query(alias="type", max_length=50)] = None,
    funding: Annotated[str | None, Query(max_length=100, description="Stream id or label")] = None,
    depth: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict:
    """One row per (organisation, service): provider, funding, amounts, quoted evidence."""
    request = make_request(q, "hybrid", depth, organisation, date_from, date_to, doc_type)
    result = answer(snap, request.query, state.embedder, request.filters, funding, depth)
    return evidence_dict(result)
