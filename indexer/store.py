"""The index directory: immutable generations switched in atomically.

    DIR/CURRENT                      name of the live generation (replaced with os.replace)
    DIR/.lock                        held by the one process allowed to write
    DIR/embeddings.sqlite            embedding cache shared by all generations
    DIR/generations/gen-NNNNNN/      index.sqlite, vectors.faiss, lexical/, manifest.json

A writer copies the live generation's database into a new folder, applies its changes there,
writes the vectors, the BM25 index and the manifest, syncs everything, then points CURRENT
at it. A process killed at any moment leaves CURRENT on a complete generation; readers never
see a partial one.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import faiss
from filelock import FileLock, Timeout

from indexer import lexical, schema, vectors
from indexer.embed import split_name
from indexer.errors import IndexLockedError, IndexNotFoundError, ModelMismatchError

SCHEMA_VERSION = schema.VERSION
DB_NAME, VECTORS_NAME, MANIFEST_NAME = "index.sqlite", "vectors.faiss", "manifest.json"
LEXICAL_NAME = "lexical"
VACUUM_FREE_SHARE = 0.10  # rewrite a new generation's database when more of it is free


def default_index_dir() -> Path:
    return Path(os.environ.get("PRECEDENT_INDEX") or ".precedent")


def _generations(root: Path) -> Path:
    return root / "generations"


def current_generation(root: Path) -> Path | None:
    try:
        name = (root / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return _generations(root) / name


@dataclass
class Snapshot:
    """One complete, read-only generation: its database, vectors and manifest."""

    root: Path
    generation: str
    conn: sqlite3.Connection
    vectors: faiss.Index
    lexical: lexical.LexicalIndex
    manifest: dict

    @property
    def model(self) -> str:
        return self.manifest["model"]

    @cached_property
    def organisation_names(self) -> tuple[str, ...]:
        """Every distinct issuer and stated commissioner: read once, as a generation never
        changes (the organisation filter matches a name against each of these)."""
        rows = self.conn.execute(
            "SELECT organisation FROM documents WHERE organisation IS NOT NULL"
            " UNION SELECT commissioner FROM records WHERE commissioner IS NOT NULL"
        )
        return tuple(name for (name,) in rows)

    def check_model(self, model: str) -> None:
        if model != self.model:
            raise ModelMismatchError(
                f"index {self.root} was built with model {self.model!r}, not {model!r}: "
                "query with the same model, or re-index into a new directory"
            )

    def close(self) -> None:
        self.conn.close()


def live_manifest(root: Path) -> dict | None:
    """The live generation's manifest, or None when there is no index yet."""
    gen = current_generation(root)
    if gen is None or not (gen / MANIFEST_NAME).is_file():
        return None
    return json.loads((gen / MANIFEST_NAME).read_text())


def outdated(root: Path) -> bool:
    """Whether the live generation was written by an older schema or with other BM25
    settings (the next index run rewrites it, changed files or not)."""
    manifest = live_manifest(root)
    if manifest is None:
        return False
    return (
        manifest["schema_version"] < SCHEMA_VERSION or manifest.get("lexical") != lexical.settings()
    )


def indexed_model(root: Path) -> str | None:
    """The model the live generation was built with, or None when there is no index yet.
    Updates and queries load this one, so a changed default never meets an older index."""
    manifest = live_manifest(root)
    return None if manifest is None else manifest["model"]


def open_snapshot(root: Path) -> Snapshot:
    """Open the live generation read-only; raises IndexNotFoundError when there is none."""
    for _ in range(3):  # CURRENT may move on, and its old folder go, between read and open
        gen = current_generation(root)
        if gen is None:
            raise IndexNotFoundError(
                f"no index at {root}: run `precedent index PATH --index {root}` first"
            )
        conn = None
        try:
            manifest = json.loads((gen / MANIFEST_NAME).read_text())
            if manifest["schema_version"] < SCHEMA_VERSION:
                raise IndexNotFoundError(
                    f"index at {root} was written by an older version of Precedent: "
                    f"run `precedent index PATH --index {root}` again to upgrade it"
                )
            conn = sqlite3.connect(
                f"file:{gen / DB_NAME}?mode=ro&immutable=1", uri=True, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            index = vectors.load(gen / VECTORS_NAME)
            bm25 = lexical.load(gen / LEXICAL_NAME)
        except (FileNotFoundError, RuntimeError, sqlite3.OperationalError):
            if conn is not None:
                conn.close()
            continue
        return Snapshot(root, gen.name, conn, index, bm25, manifest)
    raise IndexNotFoundError(f"index at {root} is unreadable: no complete generation found")


class WriteLock:
    """Exclusive writer lock on an index directory; waits up to ``timeout`` seconds."""

    def __init__(self, root: Path, timeout: float = 600) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(root / ".lock"), timeout=timeout)
        self.root = root

    def __enter__(self) -> WriteLock:
        try:
            self._lock.acquire()
        except Timeout as exc:
            raise IndexLockedError(
                f"index {self.root} is locked by another `precedent index` run"
            ) from exc
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


class GenerationBuilder:
    """A new generation being written beside the live one. Call ``publish`` to switch to it."""

    def __init__(self, root: Path, model: str, dimension: int) -> None:
        self.root = root
        live = current_generation(root)
        _remove_stale(root, keep={live.name} if live else set())
        number = int(live.name.split("-")[1]) + 1 if live else 1
        self.path = _generations(root) / f"gen-{number:06d}"
        self.path.mkdir(parents=True)
        _fsync(self.path.parent)  # the new folder's entry, before CURRENT can ever name it
        if live:
            shutil.copyfile(live / DB_NAME, self.path / DB_NAME)
        self.conn = sqlite3.connect(self.path / DB_NAME)
        self.conn.row_factory = sqlite3.Row
        # A half-built generation is thrown away whole, so it needs no journal.
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA foreign_keys=ON")
        schema.migrate(self.conn)
        self.model, self.dimension = model, dimension
        # The BM25 index's files, once written, and the database's change count then.
        self._lexical: tuple[list[Path], int] | None = None

    def write_lexical(self) -> None:
        """Build and save the BM25 index of the chunks. The indexer does it before embedding
        the rest of a run, while its worker still embeds on the other core
        (indexer/embed_ahead.py); ``publish`` does it again if anything changed since."""
        self.conn.commit()
        written = lexical.save(lexical.build(self.conn), self.path / LEXICAL_NAME)
        self._lexical = written, self.conn.total_changes

    def publish(self, index: faiss.Index, stats: dict) -> str:
        if self._lexical is None or self._lexical[1] != self.conn.total_changes:
            self.write_lexical()
        written, _ = self._lexical
        self.conn.execute("PRAGMA optimize")
        _compact(self.conn)
        self.conn.close()
        vectors.save(index, self.path / VECTORS_NAME)
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "generation": self.path.name,
            "model": self.model,
            "dimension": self.dimension,
            "vector_index": vectors.kind(index),
            "lexical": lexical.settings(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            **stats,
        }
        (self.path / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))
        for path in [*written, self.path / LEXICAL_NAME]:
            _fsync(path)
        for name in (DB_NAME, VECTORS_NAME, MANIFEST_NAME):
            _fsync(self.path / name)
        _fsync(self.path)
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(self.path.name + "\n")
        _fsync(tmp)
        os.replace(tmp, self.root / "CURRENT")
        _fsync(self.root)
        _remove_stale(self.root, keep={self.path.name}, spare_one=True)
        return self.path.name

    def discard(self) -> None:
        self.conn.close()
        shutil.rmtree(self.path, ignore_errors=True)


def _compact(conn: sqlite3.Connection) -> None:
    """Rewrite the database when more than ``VACUUM_FREE_SHARE`` of it is free pages: each
    generation starts as a copy of the last one, so the space of dropped tables (schema 4's
    FTS5 index) or of removed documents would otherwise be copied on for ever."""
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    if pages and free / pages > VACUUM_FREE_SHARE:
        conn.execute("VACUUM")


def _remove_stale(root: Path, keep: set[str], spare_one: bool = False) -> None:
    """Delete generation folders not in ``keep``; ``spare_one`` keeps the newest other one,
    so a reader that has just read the old CURRENT can still open it."""
    gens = _generations(root)
    if not gens.exists():
        return
    others = sorted(p for p in gens.iterdir() if p.name not in keep)
    if spare_one and others:
        others = others[:-1]
    for path in others:
        shutil.rmtree(path, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def refuse_other_model(root: Path, requested: str) -> None:
    """Before ``requested`` is loaded: an index built with another model refuses it now,
    not after a load that may try a download (the backend is settled by ``ensure_model``
    once the model is loaded)."""
    recorded = indexed_model(root)
    if recorded is not None and split_name(recorded)[0] != split_name(requested)[0]:
        raise ModelMismatchError(
            f"index {root} was built with model {recorded!r}, not {requested!r}: "
            "use the same model, or index into a new directory"
        )


def ensure_model(root: Path, model: str) -> None:
    """An existing index must be extended with the model it was built with."""
    recorded = indexed_model(root)
    if recorded is not None and recorded != model:
        raise ModelMismatchError(
            f"index {root} was built with model {recorded!r}, not {model!r}: "
            "use the same model, or index into a new directory"
        )
