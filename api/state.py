"""What the server loads once and shares: the model, and the live index generation."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from indexer.embed import Embedder
from indexer.store import Snapshot, current_generation, open_snapshot


class LiveIndex:
    """The newest complete generation, reopened when CURRENT moves on.

    A request takes one snapshot and uses only it, so each response comes from a single
    generation; older snapshots stay valid until their last request lets go of them.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        gen = current_generation(self.root)
        snap = self._snapshot
        if snap is not None and gen is not None and snap.generation == gen.name:
            return snap
        with self._lock:
            gen = current_generation(self.root)
            if self._snapshot is None or gen is None or self._snapshot.generation != gen.name:
                self._snapshot = open_snapshot(self.root)
            return self._snapshot


@dataclass
class AppState:
    index: LiveIndex
    embedder: Embedder
