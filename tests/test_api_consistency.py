"""While an indexer publishes new generations, every response comes from one whole generation."""

import shutil
import threading

import httpx

from api.settings import Settings
from indexer.pipeline import index_paths
from tests.server import running_server


def test_queries_during_reindexing_see_complete_generations(tmp_path, corpus_copy, embedder):
    docs = tmp_path / "docs"
    shutil.copytree(corpus_copy, docs)
    root = tmp_path / "idx"
    index_paths(root, [docs], embedder)
    additions = 6
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for n in range(additions):  # each run publishes one more "beacon" document
                (docs / f"beacon-{n}.txt").write_text(
                    f"Beacon notice {n}. The council commissioned beacon service number {n}.\n"
                )
                index_paths(root, [docs], embedder)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    seen: dict[str, int] = {}
    with running_server(Settings(index=root), embedder) as url, httpx.Client(base_url=url) as c:
        thread = threading.Thread(target=writer)
        thread.start()
        while thread.is_alive() or not seen or max(seen.values()) < additions:
            response = c.get("/search", params={"q": "beacon", "mode": "bm25", "per_page": 100})
            assert response.status_code == 200, response.text
            data = response.json()
            beacons = sum(r["title"].startswith("Beacon") for r in data["results"])
            # The total and the results come from the same snapshot: 5 corpus docs + beacons.
            assert data["total_documents"] == 5 + beacons
            seen[data["generation"]] = beacons
        thread.join()
    assert not errors
    assert len(seen) >= 2, "the server should pick up new generations without a restart"
    assert max(seen.values()) == additions


def test_concurrent_hybrid_searches_all_succeed_with_the_same_answers(corpus_index, embedder):
    """Every hybrid request embeds its query; many at once must not trip the model (an
    OpenVINO model runs one inference at a time) and must answer as one at a time does."""
    from concurrent.futures import ThreadPoolExecutor

    queries = [
        "parent infant mental health",
        "Family Hubs funding",
        "advocacy for mothers after repeat removals",
        "perinatal mental health in Kent",
    ] * 6
    with running_server(Settings(index=corpus_index), embedder) as url:

        def ask(query: str) -> tuple[int, list[str]]:
            with httpx.Client(base_url=url, timeout=60) as c:
                r = c.get("/search", params={"q": query})
                ids = [x["doc_id"] for x in r.json()["results"]] if r.status_code == 200 else []
                return r.status_code, ids

        alone = {q: ask(q) for q in set(queries)}
        with ThreadPoolExecutor(max_workers=8) as pool:
            together = list(pool.map(ask, queries))
    assert [status for status, _ in together] == [200] * len(queries)
    assert [ids for _, ids in together] == [alone[q][1] for q in queries]


def test_an_upload_embeds_beside_searches_over_http(tmp_path, corpus_index, embedder, monkeypatch):
    """An upload's index run embeds on its worker (``encode_aside``; a window of one text
    and no least number of documents make it start at once) while hybrid searches embed
    their queries: every request succeeds, and the upload is then found with vectors that
    are its own."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from indexer import embed_ahead
    from indexer.store import open_snapshot

    monkeypatch.setattr(embed_ahead, "WINDOW", 1)
    monkeypatch.setattr(embed_ahead, "MIN_DOCUMENTS", 1)
    root = tmp_path / "idx"
    shutil.copytree(corpus_index, root)
    sentences = [
        f"Quillbury Council item {n}: the board approved a grant of £{1000 + n} for outreach."
        for n in range(150)
    ]
    upload = ("quillbury.txt", "\n".join(sentences).encode(), "text/plain")
    queries = ["parent infant mental health", "Family Hubs funding", "perinatal mental health"] * 4
    settings = Settings(index=root, api_key="k", max_upload_bytes=1_000_000)
    with running_server(settings, embedder) as url:

        def ask(query: str) -> int:
            with httpx.Client(base_url=url, timeout=60) as c:
                return c.get("/search", params={"q": query}).status_code

        with ThreadPoolExecutor(max_workers=4) as pool, httpx.Client(base_url=url) as c:
            searches = [pool.submit(ask, q) for q in queries]
            created = c.post(
                "/documents", files={"file": upload}, headers={"X-API-Key": "k"}, timeout=120
            )
            statuses = [s.result() for s in searches]
            found = c.get("/search", params={"q": "Quillbury outreach grant"}).json()
    assert created.status_code == 201, created.text
    assert statuses == [200] * len(queries)
    doc_id = created.json()["doc_id"]
    assert found["results"][0]["doc_id"] == doc_id
    snap = open_snapshot(root)
    try:
        rows = snap.conn.execute("SELECT id, text FROM chunks WHERE doc_id = ?", (doc_id,))
        ids, texts = zip(*rows.fetchall(), strict=True)
        stored = snap.vectors.reconstruct_batch(np.array(ids, dtype=np.int64))
    finally:
        snap.close()
    assert len(ids) > 1
    assert np.min(np.sum(stored * embedder.encode(list(texts)), axis=1)) > 0.999
