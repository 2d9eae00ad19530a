"""Document metadata from a corpus manifest: ``manifest.jsonl`` beside the files (or above them).

Each line names a ``file`` (relative to the manifest, or to a ``docs/`` folder beside it: the
layout of a manifest next to its documents' folder) and any of title, organisation, doc_type,
date, decision_ref, source/source_url. Values found here take precedence over what the
indexer works out from the text.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from indexer.records import DocumentMeta, LoadError

MANIFEST = "manifest.jsonl"
DOCS = "docs"  # a manifest may name its files relative to this folder beside it
_KNOWN = {"file", "title", "organisation", "doc_type", "date", "decision_ref", "source_url"}


@lru_cache(maxsize=256)
def _read(manifest: Path, mtime_ns: int) -> dict[str, DocumentMeta]:
    entries: dict[str, DocumentMeta] = {}
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            name = row["file"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            reason = f"line {number}: not a JSON object with a 'file' ({exc})"
            raise LoadError(manifest, reason) from exc
        # "source" is a link when it is one; otherwise a description ("decision record,
        # reproduced as plain text"), kept with the other extra fields.
        link = row.get("source") if _is_link(row.get("source")) else None
        entries[name] = DocumentMeta(
            title=row.get("title"),
            organisation=row.get("organisation"),
            doc_type=row.get("doc_type") or row.get("type"),
            date=row.get("date"),
            decision_ref=row.get("decision_ref"),
            source_url=row.get("source_url") or link,
            extra={
                k: v
                for k, v in row.items()
                if k not in _KNOWN | {"type"} and not (k == "source" and link)
            },
        )
    return entries


def _is_link(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def lookup(path: Path) -> DocumentMeta | None:
    """The manifest entry for ``path`` from the nearest manifest.jsonl in its folder or above."""
    for folder in path.parents:
        manifest = folder / MANIFEST
        if manifest.is_file():
            entries = _read(manifest, manifest.stat().st_mtime_ns)
            names = [path.relative_to(folder).as_posix()]
            if path.is_relative_to(folder / DOCS):
                names.append(path.relative_to(folder / DOCS).as_posix())
            entry = next((entries[n] for n in names if n in entries), None)
            if entry is not None:
                return entry
        if (folder / ".git").exists():  # do not wander above a repository
            break
    return None
