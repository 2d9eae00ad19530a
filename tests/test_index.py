import json
import shutil

import numpy as np
import pytest
from docx import Document
from fpdf import FPDF

from indexer import vectors
from indexer.cache import EmbeddingCache
from indexer.errors import ModelMismatchError
from indexer.pipeline import index_paths
from indexer.store import current_generation, open_snapshot
from search.engine import search
from search.query import make_request
from tests.conftest import CORPUS


def _write_pdf(path, pages: list[str]) -> None:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 6, text)
    pdf.output(str(path))


def test_reindexing_an_unchanged_folder_embeds_nothing(tmp_path, embedder, corpus_copy):
    root = tmp_path / "idx"
    first = index_paths(root, [corpus_copy], embedder)
    assert first.chunks_embedded > 0 and len(first.added) == 5
    again = index_paths(root, [corpus_copy], embedder)
    assert again.chunks_embedded == 0
    assert again.generation is None and again.unchanged == 5


def test_a_changed_file_re_embeds_only_its_new_chunks(tmp_path, embedder):
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    root = tmp_path / "idx"
    index_paths(root, [docs], embedder)
    target = docs / "kent-23-00075-family-hubs-perinatal.txt"
    target.write_text(target.read_text() + "\n\nAddendum\n\nA new paragraph about a late change.\n")
    report = index_paths(root, [docs], embedder)
    assert [p.rsplit("/", 1)[-1] for p in report.updated] == [target.name]
    assert 1 <= report.chunks_embedded <= 2
    assert report.vectors_reused == 0  # the file's old chunks are gone: vectors rebuilt
    snap = open_snapshot(root)
    hit = search(snap, make_request("late change addendum", "bm25"), embedder).results[0]
    assert hit.source == str(target)


def test_prune_removes_files_that_are_gone(tmp_path, embedder):
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    root = tmp_path / "idx"
    index_paths(root, [docs], embedder)
    (docs / "mersey-care-babs-sefton-pilot-2022.txt").unlink()
    kept = index_paths(root, [docs], embedder)
    assert kept.removed == [] and open_snapshot(root).manifest["documents"] == 5
    pruned = index_paths(root, [docs], embedder, prune=True)
    assert len(pruned.removed) == 1
    assert open_snapshot(root).manifest["documents"] == 4


def test_removing_most_documents_gives_their_space_back(tmp_path, embedder):
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    root = tmp_path / "idx"
    index_paths(root, [docs], embedder)
    full = (root / "generations" / open_snapshot(root).generation / "index.sqlite").stat().st_size
    for path in sorted(docs.glob("*.txt"))[1:]:
        path.unlink()
    index_paths(root, [docs], embedder, prune=True)
    snap = open_snapshot(root)
    assert snap.manifest["documents"] == 1
    # Each generation starts as a copy of the last: free pages are not carried forward.
    assert snap.conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert (root / "generations" / snap.generation / "index.sqlite").stat().st_size < full / 2


def test_manifest_metadata_is_attached_and_files_without_one_still_index(tmp_path, embedder):
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    (docs / "extra.md").write_text("# Local offer\n\nThe council funds a parenting group.\n")
    root = tmp_path / "idx"
    assert not index_paths(root, [docs], embedder).failed
    conn = open_snapshot(root).conn
    row = conn.execute(
        "SELECT title, organisation, doc_type, date, decision_ref FROM documents"
        " WHERE source LIKE '%st-helens%'"
    ).fetchone()
    assert tuple(row) == (
        "Agreement for a direct contract award to Mersey Care NHS Trust for a BAB's Service",
        "St Helens Borough Council",
        "decision",
        "2023-07-13",
        "0017 2023/24",
    )
    extra = conn.execute("SELECT title, organisation FROM documents WHERE source LIKE '%extra.md'")
    assert tuple(extra.fetchone()) == ("Local offer", None)


def test_a_manifest_beside_a_docs_folder_names_its_files_within_it(tmp_path, embedder):
    # The layout of ../shared's corpora: manifest.jsonl next to docs/, "file" under docs/.
    (tmp_path / "docs" / "2023").mkdir(parents=True)
    (tmp_path / "docs" / "award.txt").write_text("Award\n\nA contract was awarded.\n")
    (tmp_path / "docs" / "2023" / "minute.txt").write_text("Minute\n\nThe board met.\n")
    entries = [
        {
            "file": "award.txt",
            "organisation": "Sefton Council",
            "title": "Direct award",
            "source": "Decision record, reproduced as plain text",
        },
        {
            "file": "2023/minute.txt",
            "organisation": "Kent County Council",
            "source": "https://democracy.kent.gov.uk/minute",
        },
    ]
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(e) for e in entries))
    assert not index_paths(tmp_path / "idx", [tmp_path / "docs"], embedder).failed
    rows = open_snapshot(tmp_path / "idx").conn.execute(
        "SELECT title, organisation, source_url, meta FROM documents ORDER BY source"
    )
    # A "source" that is a link is the document's URL; one that describes it stays a note.
    assert [(*tuple(r)[:3], json.loads(r[3]).get("source")) for r in rows] == [
        ("Minute", "Kent County Council", "https://democracy.kent.gov.uk/minute", None),
        ("Direct award", "Sefton Council", None, "Decision record, reproduced as plain text"),
    ]


def test_pdf_pages_and_docx_sections_reach_the_citations(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    _write_pdf(
        docs / "report.pdf",
        ["Cabinet report on early years services.", "", "The Better Care Fund pays for the pilot."],
    )
    d = Document()
    d.add_heading("Financial implications", level=1)
    d.add_paragraph("The Household Support Fund covers the winter food vouchers.")
    d.save(docs / "decision.docx")
    root = tmp_path / "idx"
    report = index_paths(root, [docs], embedder)
    assert not report.failed
    assert list(report.empty_pages.values()) == [[2]]
    snap = open_snapshot(root)
    pdf_hit = search(snap, make_request("Better Care Fund", "bm25"), embedder).results[0]
    assert pdf_hit.source.endswith("report.pdf")
    assert pdf_hit.passages[0].citation.page_end == 3
    docx_hit = search(snap, make_request("Household Support Fund", "bm25"), embedder).results[0]
    assert docx_hit.passages[0].citation.section == "Financial implications"


def test_bad_files_are_reported_and_the_rest_indexed(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("The council commissioned a doula service in 2022.\n")
    (docs / "cp1252.txt").write_bytes("Caf\xe9 funding of \xa3140 for the pilot.".encode("cp1252"))
    (docs / "empty.txt").write_bytes(b"")
    (docs / "junk.txt").write_bytes(bytes(range(256)) * 8)
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\n this is not really a pdf")
    (docs / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    (docs / "loop").symlink_to(docs, target_is_directory=True)
    report = index_paths(tmp_path / "idx", [docs], embedder)
    failed = {e.path.name: e.reason for e in report.failed}
    assert set(failed) == {"empty.txt", "junk.txt", "broken.pdf", "sheet.xlsx", "loop"}
    assert "symlink loop" in failed["loop"]
    assert "empty" in failed["empty.txt"] and "binary" in failed["junk.txt"]
    assert "PDF" in failed["broken.pdf"] and "unsupported" in failed["sheet.xlsx"]
    assert sorted(p.rsplit("/", 1)[-1] for p in report.added) == ["cp1252.txt", "good.txt"]
    text = (
        open_snapshot(tmp_path / "idx")
        .conn.execute("SELECT text FROM documents WHERE source LIKE '%cp1252.txt'")
        .fetchone()[0]
    )
    assert "Café funding of £140" in text


def test_an_index_refuses_another_model(tmp_path, embedder, corpus_copy):
    root = tmp_path / "idx"
    index_paths(root, [corpus_copy], embedder)
    manifest_path = next((root / "generations").iterdir()) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model"] = "some/other-model"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelMismatchError, match="some/other-model"):
        index_paths(root, [corpus_copy], embedder)


def test_lexical_and_vector_indexes_follow_chunk_deletions(tmp_path, embedder):
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    root = tmp_path / "idx"
    index_paths(root, [docs], embedder)
    before = open_snapshot(root)
    gone = {
        r[0]
        for r in before.conn.execute(
            "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id"
            " WHERE d.source LIKE '%knowsley-building-bonds%'"
        )
    }
    query = "Knowsley Building Bonds"
    assert gone & {c for c, _ in before.lexical.search(query, 100)}
    (docs / "knowsley-building-bonds-evaluation.txt").unlink()
    assert index_paths(root, [docs], embedder, prune=True).vectors_reused == 0
    snap = open_snapshot(root)
    ids = [r[0] for r in snap.conn.execute("SELECT id FROM chunks ORDER BY id")]
    assert snap.lexical.chunk_ids.tolist() == ids
    assert snap.vectors.ntotal == len(ids)
    assert not gone & {c for c, _ in snap.lexical.search(query, 100)}


def _index_some(tmp_path, embedder, count: int):
    """The corpus's files, a folder holding the first ``count`` of them, and its index."""
    files = sorted(CORPUS.glob("*.txt"))
    docs = tmp_path / "docs"
    docs.mkdir()
    for f in files[:count]:
        shutil.copy(f, docs)
    root = tmp_path / "idx"
    index_paths(root, [docs], embedder)
    return files, docs, root


@pytest.mark.parametrize("limit", [None, 0], ids=["flat", "hnsw"])
def test_adding_documents_grows_the_live_vector_index(tmp_path, embedder, monkeypatch, limit):
    """When a run only adds documents, the live vector index is kept and the new chunks'
    vectors are added to it: every chunk still has exactly its own vector."""
    if limit is not None:
        monkeypatch.setattr(vectors, "EXACT_LIMIT", limit)  # any size is "large": HNSW
    files, docs, root = _index_some(tmp_path, embedder, 3)
    before = open_snapshot(root).vectors.ntotal
    for f in files[3:]:
        shutil.copy(f, docs)
    report = index_paths(root, [docs], embedder)
    assert len(report.added) == 2 and report.vectors_reused == before > 0
    snap = open_snapshot(root)
    rows = snap.conn.execute("SELECT id, text_hash FROM chunks ORDER BY id").fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    assert snap.vectors.ntotal == len(ids) > before
    assert sorted(vectors.ids_of(snap.vectors).tolist()) == ids.tolist()
    assert vectors.kind(snap.vectors) == ("hnsw" if limit == 0 else "flat")
    expected = _cached_vectors(root, embedder, [h for _, h in rows])
    # Each chunk's own vector finds it first (the graph's 8-bit vectors are not exact).
    for chunk_id, vector in zip(ids, expected, strict=True):
        _, top = vectors.search(snap.vectors, vector, 1)
        assert top.tolist() == [chunk_id]
    if limit is None:
        assert np.abs(snap.vectors.reconstruct_batch(ids) - expected).max() < 1e-6


def _cached_vectors(root, embedder, hashes: list[str]) -> np.ndarray:
    cache = EmbeddingCache(root / "embeddings.sqlite")
    found = cache.get_many(hashes, embedder.name, embedder.dimension)
    cache.close()
    return np.stack([found[h] for h in hashes])


def _vectors_match_chunks(root, embedder) -> None:
    snap = open_snapshot(root)
    rows = snap.conn.execute("SELECT id, text_hash FROM chunks ORDER BY id").fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    assert sorted(vectors.ids_of(snap.vectors).tolist()) == ids.tolist()
    expected = _cached_vectors(root, embedder, [h for _, h in rows])
    assert np.abs(snap.vectors.reconstruct_batch(ids) - expected).max() < 1e-6


def test_chunk_ids_freed_by_a_removal_get_the_new_chunks_vectors(tmp_path, embedder):
    """SQLite may give a removed chunk's id to a new chunk: the run that removed it rebuilt
    the vectors, so the run that reuses it grows an index that no longer holds it."""
    files, docs, root = _index_some(tmp_path, embedder, 3)
    top = (
        open_snapshot(root)
        .conn.execute(
            "SELECT d.source, max(c.id) FROM chunks c JOIN documents d ON d.id = c.doc_id"
        )
        .fetchone()
    )
    (docs / top[0].rsplit("/", 1)[-1]).unlink()  # the document holding the highest ids
    assert index_paths(root, [docs], embedder, prune=True).vectors_reused == 0
    shutil.copy(files[3], docs)
    grown = index_paths(root, [docs], embedder)
    assert grown.vectors_reused > 0 and len(grown.added) == 1
    new_ids = open_snapshot(root).conn.execute(
        "SELECT min(c.id) FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.source LIKE ?",
        (f"%{files[3].name}",),
    )
    new_ids = new_ids.fetchone()[0]
    assert new_ids <= top[1]  # the freed ids were given out again
    _vectors_match_chunks(root, embedder)


def test_the_vector_index_is_rebuilt_when_it_cannot_be_grown(tmp_path, embedder):
    files, docs, root = _index_some(tmp_path, embedder, 1)
    # An unreadable live vector file: the cache still holds every vector.
    (current_generation(root) / "vectors.faiss").write_bytes(b"not a faiss index")
    shutil.copy(files[1], docs)
    assert index_paths(root, [docs], embedder).vectors_reused == 0
    _vectors_match_chunks(root, embedder)
    # Past GROWTH_LIMIT times the last full build's size: rebuilt, so the 8-bit quantiser
    # of a large index learns its ranges again.
    for f in files[2:]:
        shutil.copy(f, docs)
    built = open_snapshot(root).manifest["vector_build"]["vectors"]
    report = index_paths(root, [docs], embedder)
    assert open_snapshot(root).manifest["chunks"] > vectors.GROWTH_LIMIT * built
    assert report.vectors_reused == 0
    _vectors_match_chunks(root, embedder)
