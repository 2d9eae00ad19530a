"""POST /compare, POST /batch and GET /precedents/{id}: thin layers over search/."""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import Snap, State
from indexer.errors import InvalidQueryError
from search.batch import Question, expand_councils, run_batch, run_manifest
from search.batch_output import write_results
from search.compare import compare as run_compare
from search.documents import get_document
from search.precedents import find_precedents
from search.serialize import comparison_dict, precedents_dict
from search.sides import indexed_side, resolve_side

router = APIRouter(tags=["compare"])
MAX_CELLS = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CompareRequest(BaseModel):
    items: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=2, max_length=6, description="Document ids (or prefixes) or council names."
    )
    top: int = Field(10, ge=1, le=50)


class BatchRequest(BaseModel):
    questions: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=50
    )
    councils: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1,
        max_length=100,
        description='Council names or GSS codes; ["all"]: every council in the index.',
    )


@router.post("/compare")
def compare(snap: Snap, state: State, body: CompareRequest) -> dict:
    """Facets and aligned passages of two or more documents or councils."""
    # Only ids and council names: a server must never open paths a client names.
    sides = [resolve_side(snap, item, state.embedder, allow_files=False) for item in body.items]
    return comparison_dict(run_compare(snap, sides, body.top))


@router.get("/precedents/{doc_id}")
def precedents(
    snap: Snap,
    doc_id: Annotated[str, PathParam(pattern=r"^[0-9a-f]{16}$", description="Document id")],
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict:
    """Decisions by other organisations most like this one, and why."""
    get_document(snap.conn, doc_id, with_text=False)  # 404 for an unknown id
    source = indexed_side(snap, doc_id, [doc_id])
    return precedents_dict(source.label, find_precedents(snap, source, k))


@router.post(
    "/batch",
    responses={200: {"content": {"application/json": {}, "text/csv": {}, XLSX: {}}}},
)
async def batch(
    snap: Snap,
    state: State,
    body: BatchRequest,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Councils x questions; JSON by default, CSV or XLSX when the Accept header asks."""
    councils = await run_in_threadpool(expand_councils, body.councils, snap.conn)
    if len(body.questions) * len(councils) > MAX_CELLS:
        raise InvalidQueryError(
            f"questions x councils: {len(body.questions)} x {len(councils)} is more than"
            f" {MAX_CELLS} cells inline"
        )
    questions = [Question(f"q{n}", q) for n, q in enumerate(body.questions, 1)]
    manifest = run_manifest(snap, questions, councils)
    cells = await run_in_threadpool(
        lambda: list(run_batch(snap, state.embedder, questions, councils))
    )
    wanted = accept or ""
    suffix, media = (
        (".xlsx", XLSX)
        if XLSX in wanted
        else ((".csv", "text/csv") if "text/csv" in wanted else (".json", "application/json"))
    )
    if suffix == ".json":
        return Response(
            content=json.dumps({"manifest": manifest, "cells": [asdict(c) for c in cells]}),
            media_type=media,
        )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"batch{suffix}"
        write_results(out, manifest, cells)
        data = out.read_bytes()
    disposition = {"Content-Disposition": f'attachment; filename="batch{suffix}"'}
    return Response(content=data, media_type=media, headers=disposition)
