"""GET /search: hybrid search with filters, paginated."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import Snap, State
from search.engine import search as run_search
from search.query import MAX_K, make_request
from search.serialize import response_dict

router = APIRouter(tags=["search"])


MAX_PAGE = 10


@router.get("/search")
def search(
    snap: Snap,
    state: State,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="Query text.")],
    mode: Literal["hybrid", "bm25", "dense"] = "hybrid",
    per_page: Annotated[int, Query(ge=1, le=100)] = 10,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    organisation: Annotated[str | None, Query(max_length=200)] = None,
    date_from: Annotated[str | None, Query(max_length=10, description="YYYY[-MM[-DD]]")] = None,
    date_to: Annotated[str | None, Query(max_length=10, description="YYYY[-MM[-DD]]")] = None,
    doc_type: Annotated[str | None, Query(alias="type", max_length=50)] = None,
    passages: Annotated[int, Query(ge=1, le=10)] = 3,
) -> dict:
    """Documents best matching ``q``, each with its best passages, highlights and citations."""
    # One document past this page tells whether another page exists.
    upto = page * per_page
    request = make_request(
        q, mode, min(upto + 1, MAX_K), organisation, date_from, date_to, doc_type, passages
    )
    data = response_dict(run_search(snap, request, state.embedder))
    results = data["results"]
    data["results"] = results[(page - 1) * per_page : upto]
    data.update(page=page, per_page=per_page, has_more=len(results) > upto and page < MAX_PAGE)
    return data
