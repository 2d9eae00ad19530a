"""Batch results on disk: a resumable progress file, then CSV, JSON, XLSX or Markdown.

Every format carries the run manifest (index generation, model, time, question-set hash) so
two runs can be compared: inside JSON, XLSX and Markdown; beside CSV as NAME.manifest.json.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, fields
from pathlib import Path

from extract.funding import stream_label
from indexer.errors import InvalidQueryError
from search.batch import Cell
from search.render import clip

FORMATS = (".csv", ".json", ".xlsx", ".md")
COLUMNS = [f.name for f in fields(Cell)]


def check_output(path: Path) -> None:
    """Refuse an output the run could not write, before any cell is answered."""
    if path.suffix.lower() not in FORMATS:
        raise InvalidQueryError(f"out: {path} must end in one of {', '.join(FORMATS)}")
    folder = path.parent
    if not folder.is_dir():
        raise InvalidQueryError(f"out: {folder} is not a folder")
    if not os.access(folder, os.W_OK):
        raise InvalidQueryError(f"out: cannot write in {folder}")


def progress_path(out: Path) -> Path:
    return out.with_name(out.name + ".partial.jsonl")


def load_progress(out: Path, manifest: dict) -> list[Cell]:
    """Cells an interrupted run finished; refuses a run made on other inputs or index."""
    path = progress_path(out)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    previous = json.loads(lines[0]) if lines else {}
    for key in ("generation", "model", "question_set_hash"):
        if previous.get(key) != manifest[key]:
            raise InvalidQueryError(
                f"resume: {path} was made with another {key.replace('_', ' ')} "
                f"({previous.get(key)!r}, now {manifest[key]!r}); run without --resume"
            )
    cells = []
    for line in lines[1:]:
        try:
            cells.append(Cell(**json.loads(line)))
        except (json.JSONDecodeError, TypeError):
            break  # a line cut short by the interruption: redo that cell
    return cells


class ProgressWriter:
    """Appends each finished cell as one JSON line, flushed, so a kill loses at most one."""

    def __init__(self, out: Path, manifest: dict, resume: bool) -> None:
        path = progress_path(out)
        keep = resume and path.exists()
        self.file = path.open("a" if keep else "w", encoding="utf-8")
        if not keep:
            self.file.write(json.dumps(manifest) + "\n")

    def write(self, cell: Cell) -> None:
        self.file.write(json.dumps(asdict(cell), ensure_ascii=False) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def write_results(out: Path, manifest: dict, cells: list[Cell]) -> list[Path]:
    """Write the final file(s) for ``out``'s format; returns the paths written."""
    writer = {".csv": _csv, ".json": _json, ".xlsx": _xlsx, ".md": _markdown}
    written = writer[out.suffix.lower()](out, manifest, cells)
    progress_path(out).unlink(missing_ok=True)
    return written


def _flat(cell: Cell) -> dict:
    row = asdict(cell)
    row["citation"] = _cite(cell)
    row["facts"] = "; ".join(_fact_text(f) for f in cell.facts)
    return row


def _cite(cell: Cell) -> str:
    c = cell.citation
    if not c:
        return ""
    return f"{c['title']} ({Path(c['source']).name}, p. {c['page']}, chars {c['start']}-{c['end']})"


def _fact_text(fact: dict) -> str:
    parts = [
        fact.get("service"),
        fact.get("provider") and f"from {fact['provider']}",
        fact.get("mechanism"),
        ", ".join(stream_label(s) for s in fact.get("funding_streams") or []),
        ", ".join(fact.get("amounts") or []),
    ]
    return " · ".join(p for p in parts if p)


def _csv(out: Path, manifest: dict, cells: list[Cell]) -> list[Path]:
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        writer.writerows(_flat(c) for c in cells)
    side = out.with_name(out.name + ".manifest.json")
    side.write_text(json.dumps(manifest, indent=2))
    return [out, side]


def _json(out: Path, manifest: dict, cells: list[Cell]) -> list[Path]:
    data = {"manifest": manifest, "cells": [asdict(c) for c in cells]}
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return [out]


def _grid(cells: list[Cell]) -> tuple[list[str], list[str], dict[tuple[str, str], Cell]]:
    councils = list(dict.fromkeys(c.council for c in cells))
    questions = list(dict.fromkeys(c.question for c in cells))
    return councils, questions, {(c.council, c.question): c for c in cells}


def _summary(cell: Cell) -> str:
    if cell.status != "answered":
        return cell.message
    facts = "; ".join(_fact_text(f) for f in cell.facts)
    passage = clip(cell.passage or "", 200)
    return f"{facts or passage} [{_cite(cell)}]"


def _xlsx(out: Path, manifest: dict, cells: list[Cell]) -> list[Path]:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    grid = book.active
    grid.title = "answers"
    councils, questions, by_key = _grid(cells)
    grid.append(["council", *questions])
    for council in councils:
        grid.append(
            [
                council,
                *(
                    _summary(by_key[(council, q)]) if (council, q) in by_key else ""
                    for q in questions
                ),
            ]
        )
    for cell in grid[1]:
        cell.font = Font(bold=True)
    for row in grid.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    details = book.create_sheet("cells")
    details.append(COLUMNS)
    for c in cells:
        row = _flat(c)
        details.append(
            [json.dumps(row[k]) if isinstance(row[k], (list, dict)) else row[k] for k in COLUMNS]
        )
    meta = book.create_sheet("manifest")
    for key, value in manifest.items():
        meta.append([key, str(value)])
    book.save(out)
    return [out]


def _markdown(out: Path, manifest: dict, cells: list[Cell]) -> list[Path]:
    councils, questions, by_key = _grid(cells)
    esc = lambda text: text.replace("|", "\\|").replace("\n", " ")  # noqa: E731
    lines = ["# Batch results", "", "| run | |", "| --- | --- |"]
    lines += [f"| {k} | {esc(str(v))} |" for k, v in manifest.items()]
    lines += [
        "",
        "| council | " + " | ".join(esc(q) for q in questions) + " |",
        "| --- |" + " --- |" * len(questions),
    ]
    for council in councils:
        row = [
            esc(_summary(by_key[(council, q)])) if (council, q) in by_key else "" for q in questions
        ]
        lines.append(f"| {esc(council)} | " + " | ".join(row) + " |")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [out]
