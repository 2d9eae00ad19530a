"""Embedding on the idle core while documents are prepared (indexer/embed_ahead.py), with the
real model, a real embedding cache and real index runs."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from indexer import embed_ahead, openvino_run
from indexer.cache import EmbeddingCache, text_hash
from indexer.embed import TORCH, load_embedder
from indexer.embed_ahead import EmbedAhead
from indexer.pipeline import index_paths
from indexer.records import Chunk
from indexer.store import open_snapshot

TEXTS = [
    "The council agreed to fund a parent-infant mental health service for new parents.",
    "Cabinet approved a direct award to the provider for a further twelve months.",
    "The evaluation found that families waited less for a first appointment.",
    "Funding comes from the Public Health Grant and the Better Care Fund.",
    "A tender for the integrated sexual health service opens in the spring.",
    "The decision is subject to call-in until the end of the month.",
]


def _chunks(texts: list[str]) -> list[Chunk]:
    return [Chunk("doc", i, 0, len(t), t, 1, 1, None, len(t.split())) for i, t in enumerate(texts)]


def _cached(root, embedder, hashes) -> dict[str, np.ndarray]:
    cache = EmbeddingCache(root / "embeddings.sqlite")
    try:
        return cache.get_many(hashes, embedder.name, embedder.dimension)
    finally:
        cache.close()


def test_encode_aside_gives_the_vectors_encode_gives(embedder):
    assert embedder.can_encode_aside  # the default backend is OpenVINO int8
    aside = embedder.encode_aside(TEXTS)
    assert aside.shape == (len(TEXTS), embedder.dimension) and aside.dtype == np.float32
    assert np.allclose(aside, embedder.encode(TEXTS), atol=1e-6)
    assert np.allclose(np.linalg.norm(aside, axis=1), 1.0, atol=1e-5)


def test_the_worker_caches_what_it_embeds_and_stops_when_told(tmp_path, embedder, monkeypatch):
    monkeypatch.setattr(embed_ahead, "WINDOW", 4)
    monkeypatch.setattr(embed_ahead, "BATCH", 2)
    hashes = [text_hash(t) for t in TEXTS]
    # In a run only the worker opens the cache until it stops. This test polls it beside the
    # worker, so the file is made first: two connections creating one SQLite file at once
    # can fail to take its lock.
    EmbeddingCache(tmp_path / "embeddings.sqlite").close()
    with EmbedAhead(tmp_path, embedder) as ahead:
        ahead.add(_chunks(TEXTS))
        deadline = time.monotonic() + 60
        while not _cached(tmp_path, embedder, hashes) and time.monotonic() < deadline:
            time.sleep(0.05)
        ahead.finish()
    cached = _cached(tmp_path, embedder, hashes)
    assert ahead.embedded and set(cached) == ahead.embedded <= set(hashes)
    by_hash = dict(zip(hashes, embedder.encode(TEXTS), strict=True))
    for key, vector in cached.items():
        assert np.allclose(vector, by_hash[key], atol=1e-6)


def test_a_backend_that_cannot_run_aside_leaves_everything_to_the_pipeline(tmp_path, monkeypatch):
    monkeypatch.setattr(embed_ahead, "WINDOW", 1)
    torch = load_embedder(backend=TORCH)
    assert not torch.can_encode_aside
    with EmbedAhead(tmp_path, torch) as ahead:
        ahead.add(_chunks(TEXTS))
        ahead.finish()
    assert not ahead.embedded and not (tmp_path / "embeddings.sqlite").exists()


@pytest.mark.parametrize("window", [1, 4, 10**9])
def test_every_chunk_gets_its_own_vector_whoever_embedded_it(
    tmp_path, embedder, corpus_copy, monkeypatch, window
):
    monkeypatch.setattr(embed_ahead, "WINDOW", window)
    monkeypatch.setattr(embed_ahead, "MIN_DOCUMENTS", 1)  # the corpus has a few
    monkeypatch.setattr(embed_ahead, "BATCH", 2)
    root = tmp_path / "idx"
    report = index_paths(root, [corpus_copy], embedder)
    snap = open_snapshot(root)
    try:
        rows = snap.conn.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        stored = snap.vectors.reconstruct_batch(ids)
    finally:
        snap.close()
    assert report.chunks_embedded == len({text for _, text in rows}) and report.chunks_cached == 0
    # A window sent to the worker is begun, so a small window always has the worker embed.
    assert (report.chunks_embedded_aside > 0) == (window < len(rows))
    expected = embedder.encode([text for _, text in rows])
    # The pipeline embeds each text in a batch of other texts, and int8 results move by
    # ~1e-3 with the padding: each stored vector must still be its own chunk's.
    assert np.min(np.sum(stored * expected, axis=1)) > 0.999


def test_searches_embed_while_the_worker_embeds(embedder):
    """In the API an upload's index run (the worker, ``encode_aside``) and searches
    (``encode``) embed at once, on one tokenizer and two compiled models: neither may fail
    or change the other's vectors."""
    long_texts = [" ".join(TEXTS * 8)] * 4  # over the model's limit: truncation is in play
    aside_expected = embedder.encode_aside(long_texts)
    query_expected = embedder.encode(TEXTS[:1])
    errors: list[BaseException] = []
    results: list[np.ndarray] = []

    def worker() -> None:
        try:
            for _ in range(10):
                results.append(embedder.encode_aside(long_texts))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    queries = []
    try:
        while thread.is_alive():
            queries.append(embedder.encode(TEXTS[:1]))
    except BaseException as exc:  # noqa: BLE001
        errors.append(exc)
    thread.join()
    assert not errors and len(results) == 10 and queries
    assert all(np.array_equal(r, aside_expected) for r in results)
    assert all(np.allclose(q, query_expected, atol=1e-6) for q in queries)


def test_a_failing_worker_only_costs_speed(tmp_path, embedder, corpus_copy, monkeypatch, caplog):
    """The worker is a speed-up: when its model call fails, the run still indexes every
    chunk, embedding them all after preparation, and says why in the log."""
    monkeypatch.setattr(embed_ahead, "WINDOW", 1)
    monkeypatch.setattr(embed_ahead, "MIN_DOCUMENTS", 1)

    def broken(texts, token_ids=None):
        raise RuntimeError("compiling the second model failed")

    monkeypatch.setattr(embedder, "encode_aside", broken)
    root = tmp_path / "idx"
    report = index_paths(root, [corpus_copy], embedder)
    snap = open_snapshot(root)
    try:
        chunks = snap.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        assert snap.vectors.ntotal == chunks > 0
    finally:
        snap.close()
    assert report.generation and report.chunks_embedded_aside == 0 and report.chunks_embedded
    assert "compiling the second model failed" in caplog.text


def test_the_worker_stops_when_the_run_fails(tmp_path, embedder, monkeypatch):
    monkeypatch.setattr(embed_ahead, "WINDOW", 1)
    with pytest.raises(KeyError), EmbedAhead(tmp_path, embedder) as ahead:
        ahead.add(_chunks(TEXTS))
        raise KeyError("a document failed in a way the pipeline does not expect")
    assert not [t for t in threading.enumerate() if t.name.startswith("embed-ahead")]


def test_an_index_run_embeds_the_token_ids_chunking_counted(tmp_path, embedder, monkeypatch):
    """Chunking tokenises every sentence; the run embeds those ids (``Chunk.token_ids``), on
    the worker and after it, instead of tokenising each chunk's text again."""
    from bench.corpus import write_corpus

    corpus = tmp_path / "corpus"
    write_corpus(corpus, 40, seed=3)
    monkeypatch.setattr(embed_ahead, "WINDOW", 1)  # the worker surely embeds some
    monkeypatch.setattr(embed_ahead, "MIN_DOCUMENTS", 1)
    monkeypatch.setattr(embed_ahead, "BATCH", 2)
    tokenised: list[str] = []
    tokenize = openvino_run.tokenize

    def recording(tokenizer, texts):
        tokenised.extend(texts)
        return tokenize(tokenizer, texts)

    monkeypatch.setattr(openvino_run, "tokenize", recording)
    root = tmp_path / "idx"
    report = index_paths(root, [corpus], embedder)
    monkeypatch.undo()
    snap = open_snapshot(root)
    try:
        rows = snap.conn.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
        stored = snap.vectors.reconstruct_batch(np.array([r[0] for r in rows]))
    finally:
        snap.close()
    assert report.chunks_embedded == len(rows) > 40 and report.chunks_embedded_aside
    assert tokenised == []
    expected = embedder.encode([text for _, text in rows])
    assert np.min(np.sum(stored * expected, axis=1)) > 0.999  # as in the test above


def test_a_run_of_few_short_documents_never_starts_the_worker(tmp_path, embedder, corpus_copy):
    """A run of fewer than MIN_DOCUMENTS files waits for FEW_WINDOW texts: the worker's
    compiling and first batch would cost a few short documents more than they save."""
    files = len(list(corpus_copy.glob("*.txt")))
    assert 1 < files < embed_ahead.MIN_DOCUMENTS
    report = index_paths(tmp_path / "idx", [corpus_copy], embedder)
    assert embed_ahead.WINDOW < report.chunks_embedded < embed_ahead.FEW_WINDOW
    assert report.chunks_embedded_aside == 0
