"""Embedding chunk texts on the idle core while the indexer is still preparing documents.

Preparing a document (loading, chunking, fact extraction) is Python on one core, and the
model then runs on all of them: done one after the other, a core idles while documents are
prepared. Running the model beside preparation at full width does not help (tried: the two
fight for the cores, bench/indexing.py took as long). So while documents are prepared, a
worker thread embeds the chunks already stored with a model compiled for one thread fewer
than the model's own (``Embedder.encode_aside``) and puts the vectors in the embedding
cache. When preparation ends the worker stops after its current batch, and the pipeline's
embedding step embeds the rest at full width; the cache hands it what the worker did.

Texts wait until ``WINDOW`` have gathered and the worker is free, and go to it as one
window, embedded longest first so batches hold texts of like length. Preparation outpaces
the worker, so after a first small window (during which it compiles its model) each holds
what gathered while the last ran.
Backends that cannot run on fewer threads (torch: one thread pool per process) skip all this.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from indexer.cache import EmbeddingCache, text_hash
from indexer.embed import Embedder
from indexer.records import Chunk

log = logging.getLogger(__name__)

# Texts gathered before the worker takes them. Small, so the core does not idle while the
# first documents are prepared: with 256, it idled for the run's first 0.4-0.7 s...
WINDOW = 16
# ...in a run of at least MIN_DOCUMENTS files. A smaller run waits for FEW_WINDOW texts, so
# a few short documents (an upload, say) never start the worker: compiling its model takes
# about 0.3 s (once per loaded model) and a batch on one thread 0.2 s, which such a run would
# only wait for, and the compiled model holds about 150 MB.
MIN_DOCUMENTS = 100
FEW_WINDOW = 256
BATCH = 16  # texts per model call on the worker: how long ``finish`` may wait for it

Window = dict[str, Chunk]  # text hash -> a chunk with that text


class EmbedAhead:
    """Use as a context manager; ``add`` each stored document's chunks, then ``finish``.
    ``embedded`` holds the hashes the worker embedded and cached."""

    def __init__(
        self, root: Path, embedder: Embedder, enabled: bool = True, documents: int | None = None
    ) -> None:
        """``documents``: how many files the run prepares, where known (see ``WINDOW``)."""
        self.root, self.embedder = root, embedder
        self.enabled = enabled and embedder.can_encode_aside
        few = documents is not None and documents < MIN_DOCUMENTS
        self._window = FEW_WINDOW if few else WINDOW
        self.embedded: set[str] = set()
        self._pending: Window = {}
        self._seen: set[str] = set()
        self._running: Future[set[str]] | None = None
        self._stop = threading.Event()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed-ahead")

    def __enter__(self) -> EmbedAhead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # On an error the worker finishes its batch (cached, so kept) and stops: it must not
        # outlive the run that owns the model.
        self._stop.set()
        self._worker.shutdown(wait=True, cancel_futures=True)

    def add(self, chunks: list[Chunk]) -> None:
        if not self.enabled:
            return
        for chunk in chunks:
            key = text_hash(chunk.text)
            if key not in self._seen:
                self._seen.add(key)
                self._pending[key] = chunk
        if len(self._pending) >= self._window and self._collect(wait=False):
            window, self._pending = self._pending, {}
            self._running = self._worker.submit(self._embed_window, window)

    def finish(self) -> None:
        """Stop the worker after its current batch; what it did not reach is left for the
        pipeline's embedding step."""
        self._stop.set()
        self._pending.clear()  # never sent: the pipeline embeds them
        self._collect(wait=True)

    def _collect(self, wait: bool) -> bool:
        """Take the worker's result if it has one (or ``wait`` for it); True when free.
        A failed worker only costs speed: it is switched off, and the pipeline's embedding
        step embeds what it did not (a real fault in the model fails there, in its place)."""
        if self._running is None:
            return True
        if not (wait or self._running.done()):
            return False
        running, self._running = self._running, None
        try:
            self.embedded |= running.result()
        except Exception as exc:
            self.enabled = False
            log.warning("embedding beside preparation stopped, the rest embeds after: %s", exc)
        return True

    def _embed_window(self, window: Window) -> set[str]:
        """On the worker thread (so with its own cache connection): embed the texts of
        ``window`` the cache lacks, longest first, until told to stop."""
        cache = EmbeddingCache(self.root / "embeddings.sqlite")
        done: set[str] = set()
        try:
            found = cache.get_many(window, self.embedder.name, self.embedder.dimension)
            missing = sorted(
                (h for h in window if h not in found), key=lambda h: -window[h].token_count
            )
            for i in range(0, len(missing), BATCH):
                batch = missing[i : i + BATCH]
                chunks = [window[h] for h in batch]
                vectors = self.embedder.encode_aside(
                    [c.text for c in chunks], [c.token_ids for c in chunks]
                )
                cache.put_many(dict(zip(batch, vectors, strict=True)), self.embedder.name)
                done.update(batch)
                if self._stop.is_set():  # checked after a batch: a window sent is begun
                    break
        finally:
            cache.close()
        return done
