"""Documents: list, read, cited spans; upload and delete behind the API key."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, HTTPException, Query, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from api.deps import Snap, State, require_key
from api.settings import Settings, get_settings
from indexer.errors import DocumentNotFoundError
from indexer.load import SUPPORTED_SUFFIXES, load_document
from indexer.pipeline import delete_documents, document_id, index_paths
from indexer.store import current_generation
from search.documents import get_document, get_facts, list_documents, text_span

router = APIRouter(prefix="/documents", tags=["documents"])
DocId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{4,16}$", description="Document id or prefix")]
UPLOADS = "uploads"


@router.get("")
def documents(
    snap: Snap,
    organisation: Annotated[str | None, Query(max_length=200)] = None,
    doc_type: Annotated[str | None, Query(alias="type", max_length=50)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict:
    """Indexed documents (metadata only), newest first."""
    total, items = list_documents(snap, organisation, doc_type, per_page, (page - 1) * per_page)
    return {"total": total, "page": page, "per_page": per_page, "documents": items}


@router.get("/{doc_id}")
def document(snap: Snap, doc_id: DocId) -> dict:
    """A document's metadata and full text."""
    return get_document(snap.conn, doc_id)


@router.get("/{doc_id}/facts")
def document_facts(snap: Snap, doc_id: DocId) -> dict:
    """Facts and commissioning records extracted from a document, each with its evidence."""
    return get_facts(snap.conn, doc_id)


@router.get("/{doc_id}/text")
def document_text(
    snap: Snap,
    doc_id: DocId,
    start: Annotated[int, Query(ge=0)] = 0,
    end: Annotated[int | None, Query(ge=0)] = None,
) -> dict:
    """The characters [start, end) of a document's text: check a citation's quote."""
    return text_span(snap.conn, doc_id, start, end)


@router.post(
    "",
    status_code=201,
    dependencies=[Depends(require_key)],
    responses={200: {"description": "The index already held it: unchanged or duplicate"}},
)
async def upload(
    state: State,
    settings: Annotated[Settings, Depends(get_settings)],
    file: Annotated[UploadFile, File(description="PDF, HTML, DOCX, TXT or MD")],
    response: Response,
) -> dict:
    """Add a document to the index (incrementally; served at once, no restart): 201 when
    it was indexed, 200 when the index already held it ("unchanged": this file;
    "duplicate": the same text under another name). ``generation``: the live one after."""
    name = _safe_name(file.filename or "upload")
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise HTTPException(415, f"{name}: unsupported file type (use {_supported()})")
    data = await file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(413, f"{name}: larger than {settings.max_upload_bytes} bytes")
    folder = settings.index / UPLOADS / hashlib.sha256(data).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    try:
        doc = await run_in_threadpool(load_document, path)  # 400 naming the reason if bad
        report = await run_in_threadpool(
            index_paths,
            settings.index,
            [path],
            state.embedder,
            False,
            None,
            settings.lock_timeout,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    doc_id = document_id(doc.text)
    if report.generation is None:  # nothing new: the same file again, or the same text
        response.status_code = 200
    status = "duplicate" if report.duplicates else "unchanged" if report.unchanged else "indexed"
    live = report.generation or getattr(current_generation(settings.index), "name", None)
    return {"doc_id": doc_id, "status": status, "generation": live}


@router.delete("/{doc_id}", dependencies=[Depends(require_key)])
async def delete(
    snap: Snap,
    state: State,
    settings: Annotated[Settings, Depends(get_settings)],
    doc_id: DocId,
) -> dict:
    """Remove a document from the index."""
    full_id = get_document(snap.conn, doc_id, with_text=False)["id"]
    removed = await run_in_threadpool(
        delete_documents, settings.index, [full_id], state.embedder, settings.lock_timeout
    )
    if not removed:
        raise DocumentNotFoundError(f"no document with id {doc_id!r}")
    uploads = (settings.index / UPLOADS).resolve()
    for source in map(Path, removed):
        if source.is_relative_to(uploads):
            shutil.rmtree(source.parent, ignore_errors=True)
    return {"doc_id": full_id, "status": "deleted"}


def _safe_name(filename: str) -> str:
    """A plain file name: no folders, no leading dots, only ordinary characters."""
    name = re.sub(r"[^\w.\- ]", "_", Path(filename.replace("\\", "/")).name).lstrip(".")
    return name[:120] or "upload"


def _supported() -> str:
    return ", ".join(sorted(SUPPORTED_SUFFIXES))
