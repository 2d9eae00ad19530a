"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import State
from api.errors import problem
from indexer.errors import IndexNotFoundError

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "No index to serve yet"}})
def readyz(state: State):
    """The model is loaded and a complete index generation is open."""
    try:
        snap = state.index.snapshot()
    except IndexNotFoundError as exc:
        return problem(503, str(exc))
    return {
        "status": "ready",
        "generation": snap.generation,
        "documents": snap.manifest["documents"],
    }
