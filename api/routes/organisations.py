"""GET /organisations: facets for filtering."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Snap
from search.documents import organisation_facets

router = APIRouter(tags=["organisations"])


@router.get("/organisations")
def organisations(snap: Snap) -> dict:
    """Organisations in the index with document counts and date ranges."""
    return {"generation": snap.generation, "organisations": organisation_facets(snap.conn)}
