"""Batch answers: many councils x many questions -> one cell each, with its evidence.

Work is shared across cells: the questions are embedded in one batch, each question runs
one BM25 query over the whole index, and each council's chunk vectors are scored against
all question vectors in one matrix product. A cell then fuses its council's two rankings.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml

from indexer.embed import TextEncoder
from indexer.errors import InvalidQueryError
from indexer.store import Snapshot
from search.councils import (
    CouncilRef,
    council_documents,
    councils_in_index,
    organisations_by_document,
    resolve_council,
)
from search.fusion import convex
from search.terms import query_terms

# A cell is "answered" when its best passage is at least this similar to the question
# (cosine, all-MiniLM-L6-v2) or shares at least half the question's terms.
MIN_SIMILARITY = 0.35
MIN_TERM_SHARE = 0.5

ANSWERED, NO_EVIDENCE, NO_DOCUMENTS = "answered", "no evidence", "no documents"


@dataclass(frozen=True)
class Question:
    id: str
    text: str


@dataclass
class Cell:
    council: str
    council_name: str
    gss_code: str | None
    question_id: str
    question: str
    status: str
    message: str
    documents: int = 0
    score: float | None = None
    similarity: float | None = None
    passage: str | None = None
    citation: dict | None = None
    facts: list[dict] = field(default_factory=list)


def read_questions(path: Path) -> list[Question]:
    """Questions from YAML (a list of strings or of {id, question}) or CSV (question[, id])."""
    try:
        if path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
        else:
            rows = yaml.safe_load(path.read_text(encoding="utf-8"))
            rows = rows.get("questions", rows) if isinstance(rows, dict) else rows
    except (OSError, yaml.YAMLError, UnicodeDecodeError, csv.Error) as exc:
        reason = " ".join(str(exc).split())  # YAML's own message spans several lines
        raise InvalidQueryError(f"questions: cannot read {path}: {reason}") from exc
    if rows is not None and not isinstance(rows, list):
        raise InvalidQueryError(
            f"questions: {path} must hold a list of questions (or a 'questions:' list)"
        )
    questions = []
    for n, row in enumerate(rows or [], 1):
        text = row if isinstance(row, str) else (row or {}).get("question")
        if not isinstance(text, str) or not text.strip():
            raise InvalidQueryError(f"questions: {path} item {n} has no question text")
        qid = str(row.get("id") or f"q{n}") if isinstance(row, dict) else f"q{n}"
        questions.append(Question(qid, text.strip()))
    if not questions:
        raise InvalidQueryError(f"questions: {path} holds no questions")
    if len({q.id for q in questions}) != len(questions):
        raise InvalidQueryError(f"questions: {path} repeats a question id")
    return questions


ALL = "all"


def expand_councils(councils: list[str], conn: sqlite3.Connection) -> list[str]:
    """``["all"]`` is every council that issued or commissioned an indexed document."""
    if not any(c.strip().lower() == ALL for c in councils):
        return councils
    if len(councils) > 1:
        raise InvalidQueryError('councils: "all" stands alone, not beside council names')
    return councils_in_index(organisations_by_document(conn))


def read_councils(spec: str, conn: sqlite3.Connection) -> list[str]:
    """Councils from a file (one name or GSS code a line, # comments), or "all" in the index."""
    if spec.strip().lower() == ALL:
        return expand_councils([ALL], conn)
    path = Path(spec)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidQueryError(f"councils: cannot read {path}: {exc}") from exc
    councils = [ln.split("#", 1)[0].strip() for ln in lines]
    councils = list(dict.fromkeys(c for c in councils if c))
    if not councils:
        raise InvalidQueryError(f"councils: {path} names no councils")
    return councils


def question_set_hash(questions: list[Question], councils: list[str]) -> str:
    payload = json.dumps([[q.id, q.text] for q in questions] + [councils])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def run_manifest(snapshot: Snapshot, questions: list[Question], councils: list[str]) -> dict:
    return {
        "index": str(snapshot.root),
        "generation": snapshot.generation,
        "model": snapshot.model,
        "question_set_hash": question_set_hash(questions, councils),
        "questions": len(questions),
        "councils": len(councils),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def run_batch(
    snapshot: Snapshot,
    embedder: TextEncoder,
    questions: list[Question],
    councils: list[str],
    skip: set[tuple[str, str]] | None = None,
    on_cell: Callable[[Cell], None] | None = None,
) -> Iterator[Cell]:
    """Cells council by council; ``skip`` holds (council, question id) pairs already done."""
    skip = skip or set()
    snapshot.check_model(embedder.name)
    conn = snapshot.conn
    names = organisations_by_document(conn)
    # One question at a time, as a search embeds its query: in a padded batch an int8
    # vector moves by ~1e-3, and a cell should rank as the same search would.
    qvecs = np.vstack([embedder.encode([q.text]) for q in questions])
    terms = [query_terms(q.text) for q in questions]
    # Every chunk's BM25 score from one whole-index query per question, shared by every
    # council (4 bytes a chunk a question).
    lexical = [snapshot.lexical.scores(q.text) for q in questions]
    for asked in councils:
        todo = [i for i, q in enumerate(questions) if (asked, q.id) not in skip]
        if not todo:
            continue
        ref = resolve_council(asked)
        for cell in _council_cells(snapshot, ref, names, questions, todo, qvecs, terms, lexical):
            if on_cell:
                on_cell(cell)
            yield cell


def _council_cells(
    snapshot: Snapshot,
    ref: CouncilRef,
    names: dict[str, set[str]],
    questions: list[Question],
    todo: list[int],
    qvecs: np.ndarray,
    terms: list[list[str]],
    lexical: list[np.ndarray],
) -> Iterator[Cell]:
    doc_ids = council_documents(ref, names)
    base = {
        "council": ref.asked,
        "council_name": ref.name,
        "gss_code": ref.gss_code,
        "documents": len(doc_ids),
    }
    if not doc_ids:
        for i in todo:
            q = questions[i]
            yield Cell(
                **base,
                question_id=q.id,
                question=q.text,
                status=NO_DOCUMENTS,
                message="no documents for this council",
            )
        return
    chunks = _chunks_of(snapshot.conn, doc_ids)
    ids = np.array([c["id"] for c in chunks], dtype=np.int64)
    position = {int(chunk_id): j for j, chunk_id in enumerate(ids)}
    sims = snapshot.vectors.reconstruct_batch(ids) @ qvecs[todo].T  # chunks x questions
    absent = _absence_message(snapshot.conn, doc_ids)
    for col, i in enumerate(todo):
        q = questions[i]
        # The same fusion as search.engine, over this council's chunks only.
        lex = snapshot.lexical.scores_at(lexical[i], ids)
        best_id, score = convex(ids, lex, sims[:, col])[0]
        best = chunks[position[best_id]]
        similarity = float(sims[position[best_id], col])
        share = _term_share(best["text"], terms[i])
        answered = similarity >= MIN_SIMILARITY or share >= MIN_TERM_SHARE
        cell = Cell(
            **base,
            question_id=q.id,
            question=q.text,
            status=ANSWERED if answered else NO_EVIDENCE,
            message="answered" if answered else absent,
            score=score,
            similarity=round(similarity, 4),
        )
        if answered:
            cell.passage, cell.citation = best["text"], _citation(best)
            cell.facts = _facts(snapshot.conn, best["doc_id"], ref)
        yield cell


def _chunks_of(conn: sqlite3.Connection, doc_ids: list[str]) -> list[sqlite3.Row]:
    marks = ",".join("?" * len(doc_ids))
    return conn.execute(
        "SELECT c.id, c.doc_id, c.text, c.start, c.end, c.page, c.page_end, c.section,"
        " d.title, d.organisation, d.date, d.source FROM chunks c"
        f" JOIN documents d ON d.id = c.doc_id WHERE c.doc_id IN ({marks}) ORDER BY c.id",
        doc_ids,
    ).fetchall()


def _term_share(text: str, terms: list[str]) -> float:
    if not terms:
        return 0.0
    words = set(query_terms(text))
    return sum(1 for t in terms if t in words) / len(terms)


def _absence_message(conn: sqlite3.Connection, doc_ids: list[str]) -> str:
    marks = ",".join("?" * len(doc_ids))
    low, high = conn.execute(
        f"SELECT min(date), max(date) FROM documents WHERE id IN ({marks})", doc_ids
    ).fetchone()
    dates = f" (dates {low}–{high})" if low else " (undated)"
    return f"no evidence in {len(doc_ids)} documents of this council{dates}"


def _citation(row: sqlite3.Row) -> dict:
    return {
        k: row[k]
        for k in (
            "doc_id",
            "title",
            "organisation",
            "date",
            "source",
            "page",
            "page_end",
            "start",
            "end",
            "section",
        )
    }


def _facts(conn: sqlite3.Connection, doc_id: str, ref: CouncilRef) -> list[dict]:
    """The cited document's commissioning records for this council, in brief."""
    out = []
    issuer = conn.execute("SELECT organisation FROM documents WHERE id = ?", (doc_id,)).fetchone()
    for rec in conn.execute("SELECT * FROM records WHERE doc_id = ?", (doc_id,)):
        if not (ref.matches(rec["commissioner"]) or ref.matches(issuer[0])):
            continue
        amounts = json.loads(rec["amounts"])
        out.append(
            {
                "commissioner": rec["commissioner"],
                "service": rec["service"],
                "provider": rec["provider"],
                "mechanism": rec["mechanism"],
                "duration": rec["duration"],
                "funding_streams": json.loads(rec["funding_streams"]),
                "amounts": [a["text"] for a in amounts],
                "evidence": [e["quote"] for e in json.loads(rec["evidence"])[:2]]
                + [a["evidence"]["quote"] for a in amounts],
            }
        )
    return out
