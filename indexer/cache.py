"""Embedding cache keyed by (chunk-text hash, model): unchanged text is never embedded twice.

It lives beside the generations, not inside one, so a crashed run's embeddings are kept and
the next run reuses them. SQLite transactions keep it consistent on its own.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, timeout=60)
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS embeddings ("
                " text_hash TEXT NOT NULL, model TEXT NOT NULL, vector BLOB NOT NULL,"
                " PRIMARY KEY (text_hash, model)) WITHOUT ROWID"
            )
        except sqlite3.Error:
            self.conn.close()  # a half-set-up connection may hold a lock: never leave it open
            raise

    def get_many(self, hashes: Iterable[str], model: str, dim: int) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        wanted = list(dict.fromkeys(hashes))
        for i in range(0, len(wanted), 500):  # stay under SQLite's bound-parameter limit
            batch = wanted[i : i + 500]
            marks = ",".join("?" * len(batch))
            rows = self.conn.execute(
                "SELECT text_hash, vector FROM embeddings"
                f" WHERE model = ? AND text_hash IN ({marks})",
                [model, *batch],
            )
            for key, blob in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape == (dim,):
                    found[key] = vec
        return found

    def put_many(self, items: dict[str, np.ndarray], model: str) -> None:
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO embeddings (text_hash, model, vector) VALUES (?, ?, ?)",
                [(k, model, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )

    def close(self) -> None:
        self.conn.close()
